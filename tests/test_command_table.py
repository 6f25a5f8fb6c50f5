"""The tables in salesflow/cli/commands.py, from which the root help, completion of the
first word and an unknown command's suggestions are built without importing any command
module, say exactly what the modules register; a run imports only the module it runs."""

import json
import os
import subprocess
import sys

import pytest
import typer.main

from salesflow.cli import commands

COMMAND_MODULES = {f"salesflow.cli.{module}" for module in commands.MODULES}


def registered() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(name, module, help) of every root command and group, as the modules register them."""
    app = commands.load_all()
    click_app = typer.main.get_command(app)
    found_commands = []
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        module = info.callback.__module__.rsplit(".", 1)[1]
        found_commands.append((name, module, click_app.commands[name].help))
    found_groups = []
    for info in app.registered_groups:
        sub_app = info.typer_instance
        callbacks = [c.callback for c in sub_app.registered_commands]
        if sub_app.registered_callback:
            callbacks.append(sub_app.registered_callback.callback)
        (module,) = {callback.__module__.rsplit(".", 1)[1] for callback in callbacks}
        found_groups.append((info.name, module, click_app.commands[info.name].help))
    return found_commands, found_groups


def test_the_tables_name_every_command_and_group_with_its_module_and_help():
    found_commands, found_groups = registered()
    for table, found in ((commands.COMMANDS, found_commands), (commands.GROUPS, found_groups)):
        missing = [entry for entry in found if entry not in table]
        assert not missing, f"add or correct in salesflow/cli/commands.py: {missing}"
        assert list(table) == found  # and in the order --help lists them
    assert {module for _name, module, _help in (*found_commands, *found_groups)} <= set(
        commands.MODULES
    )


def test_every_command_and_callback_carries_its_annotations_as_objects():
    """Typer reads a command's signature at every run; an annotation kept as a string (as
    `from __future__ import annotations` keeps them all) is compiled and evaluated there,
    about a millisecond for a command with a dozen options."""
    app = commands.load_all()
    apps = [app, *(group.typer_instance for group in app.registered_groups)]
    callbacks = [info.callback for typer_app in apps for info in typer_app.registered_commands]
    callbacks += [
        typer_app.registered_callback.callback
        for typer_app in apps
        if typer_app.registered_callback is not None
    ]
    assert len(callbacks) > 50
    quoted = [
        f"{callback.__module__}.{callback.__name__}: {name}"
        for callback in callbacks
        for name, annotation in callback.__annotations__.items()
        if isinstance(annotation, str)
    ]
    assert not quoted


def test_load_knows_every_name_and_nothing_else():
    assert all(commands.load(name) for name in commands.WHERE)
    assert not commands.load("zz")
    assert not commands.load("--help")


RUN = """
import io, json, sys
from contextlib import redirect_stdout, redirect_stderr
from salesflow.cli import main
out, err = io.StringIO(), io.StringIO()
code = None
with redirect_stdout(out), redirect_stderr(err):
    try:
        main(json.loads(sys.argv[1]))
    except SystemExit as done:
        code = done.code
loaded = sorted(name for name in sys.modules if name.startswith("salesflow.cli."))
options = vars(sys.modules.get("salesflow.cli.options", sys))
built = sorted(name for name in options.get("ENUMS", ()) if name in options)
print(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue(),
                  "loaded": loaded, "enums": built, "decimal": "decimal" in sys.modules}))
"""


def run(args: list[str], language: str = "en", **env: str) -> dict:
    """salesflow.cli.main in a fresh interpreter: what it printed, which command modules
    and choice enums it loaded, and whether it loaded `decimal`."""
    return fresh(RUN, args, language, **env)


def fresh(script: str, args: list[str], language: str, **env: str) -> dict:
    """What `script` reports, run with `args` in a new interpreter speaking `language`."""
    environment = {**os.environ, "SALESFLOW_LANG": language, "COLUMNS": "100", **env}
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(args)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    return json.loads(done.stdout)


FULL_TREE = """
import io, json, sys
from contextlib import redirect_stdout, redirect_stderr
from salesflow.cli import speak
speak([])
from salesflow.cli import app
out, err = io.StringIO(), io.StringIO()
code = None
with redirect_stdout(out), redirect_stderr(err):
    try:
        app(args=json.loads(sys.argv[1]), prog_name="salesflow")
    except SystemExit as done:
        code = done.code
print(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue()}))
"""


def full_tree(args: list[str], language: str) -> dict:
    """The same command against the whole tree, every module imported."""
    return fresh(FULL_TREE, args, language)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_root_help_from_the_tables_is_the_whole_trees_and_imports_no_command(language):
    lazily = run(["--help"], language)
    whole = full_tree(["--help"], language)
    assert lazily["code"] == whole["code"] == 0
    assert lazily["out"] == whole["out"]
    for name, _module, _help in (*commands.COMMANDS, *commands.GROUPS):
        assert f"\n  {name} " in lazily["out"]
    assert not COMMAND_MODULES & set(lazily["loaded"])


def test_an_unknown_command_is_named_with_a_suggestion_and_imports_no_command():
    lazily = run(["custmer", "list"])
    whole = full_tree(["custmer", "list"], "en")
    assert lazily["code"] == whole["code"] == 2
    assert "No such command 'custmer'. Did you mean 'customer'?" in lazily["err"]
    assert lazily["err"] == whole["err"]
    assert not COMMAND_MODULES & set(lazily["loaded"])


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (["--db", "x.db", "customer", "add", "--help"], "customers"),
        (["contact", "list", "--help"], "customers"),
        (["report", "sales", "--help"], "reports"),
        (["import", "--help"], "data"),
        (["remind", "--help"], "daily"),
    ],
)
def test_a_run_imports_the_module_of_its_command_and_says_what_the_whole_tree_says(args, module):
    lazily = run(args)
    whole = full_tree(args, "en")
    assert lazily["code"] == whole["code"] == 0
    assert lazily["out"] == whole["out"]
    loaded = COMMAND_MODULES & set(lazily["loaded"])
    assert f"salesflow.cli.{module}" in loaded
    assert len(loaded) <= 2  # its module, and at most one it borrows options from


def completion(line: str) -> dict:
    words = line.split()
    current = len(words) if line.endswith(" ") else len(words) - 1
    return run(
        [],
        _SALESFLOW_COMPLETE="complete_bash",
        COMP_WORDS=line,
        COMP_CWORD=str(current),
    )


def test_completing_the_first_word_lists_every_name_and_imports_no_command():
    done = completion("salesflow ")
    names = [name for name, _module, _help in (*commands.COMMANDS, *commands.GROUPS)]
    assert done["out"].split() == names
    assert not COMMAND_MODULES & set(done["loaded"])


def test_completing_inside_a_group_imports_its_module_only():
    done = completion("salesflow remind d")
    assert done["out"].split() == ["done"]
    assert COMMAND_MODULES & set(done["loaded"]) <= {
        "salesflow.cli.daily",
        "salesflow.cli.campaigns",
    }


def test_the_program_turns_the_collector_back_on_for_the_command():
    import gc

    from salesflow.cli import startup

    thresholds = gc.get_threshold()
    gc.disable()
    try:
        startup.resume_collection()
        assert gc.isenabled()
        assert gc.get_threshold() == (startup.YOUNG_OBJECTS, *thresholds[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        gc.enable()


RUNS = """
import io, json, sys
from contextlib import redirect_stdout, redirect_stderr
from salesflow.cli import main
codes = []
for args in json.loads(sys.argv[1]):
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        try:
            main(args)
        except SystemExit as done:
            codes.append(done.code)
from salesflow.cli.root import app
tree = {g.name: [c.name for c in g.typer_instance.registered_commands]
        for g in app.registered_groups}
print(json.dumps({"codes": codes, "tree": tree}))
"""


def test_runs_one_after_another_in_one_process_each_find_their_whole_group():
    runs = [
        ["deal", "list", "--help"],
        ["deal", "show", "--help"],
        ["customer", "list", "--help"],
        ["--help"],
        ["deal", "advance", "--help"],
        ["remind", "--help"],
        ["remind", "done", "--help"],
    ]
    done = subprocess.run(
        [sys.executable, "-c", RUNS, json.dumps(runs)],
        capture_output=True,
        text=True,
        env={**os.environ, "SALESFLOW_LANG": "en"},
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["codes"] == [0] * len(runs)
    tree = result["tree"]
    assert {"show", "advance", "won"} <= set(tree["deal"])
    assert {"list", "add"} <= set(tree["customer"])
    assert {"done", "snooze", "stop"} <= set(tree["remind"])


def test_a_run_builds_only_the_choice_enums_its_command_offers(tmp_path):
    built = set(run(["--db", str(tmp_path / "book.db"), "remind"])["enums"])
    # `remind`'s module offers formats, kinds and the target list's ranking and layout
    assert built == {"Format", "Kind", "RemindFormat", "TargetBy", "TargetLayout"}


def test_every_choice_enum_default_and_choice_option_is_built_on_first_use():
    from typing import get_args

    from salesflow.cli import options

    for name, values in options.ENUMS.items():
        assert [member.value for member in getattr(options, name)] == list(values)
    for name, (enum, value) in options.MEMBERS.items():
        member = getattr(options, name)
        assert member is getattr(options, enum)(value)
    for name, (enum, optional, option) in options.CHOICE_OPTIONS.items():
        offered, info = get_args(getattr(options, name))
        assert info is option
        assert offered == (getattr(options, enum) | None if optional else getattr(options, enum))
    with pytest.raises(AttributeError, match="Fromat"):
        options.Fromat  # noqa: B018


@pytest.mark.parametrize(
    ("args", "loads_decimal"),
    [(["remind"], False), (["customer", "list"], False), (["sale", "list"], True)],
)
def test_output_without_money_does_not_load_decimal_and_money_still_shows_as_money(
    tmp_path, args, loads_decimal
):
    book = str(tmp_path / "book.db")
    today = {"SALESFLOW_TODAY": "2026-03-16"}
    assert run(["--db", book, "demo", "--customers", "30"], **today)["code"] in (0, None)
    added = run(
        ["--db", book, "sale", "add", "1", "--amount", "12345.6", "--rep", "钱多多"], **today
    )
    assert added["code"] in (0, None)
    done = run(["--db", book, *args], **today)
    assert done["decimal"] is loads_decimal
    lines = done["out"].splitlines()
    assert len(lines) > 3  # it listed something
    if loads_decimal:  # the amount as money: two decimals, thousands grouped, right-aligned
        from salesflow.widths import text_width

        [sale] = [line for line in lines if "钱多多" in line]
        ends = text_width(sale[: sale.index("12,345.60")]) + len("12,345.60")  # display column
        assert lines[0][:ends].endswith("Amount")  # the heading (ASCII) ends where it ends
