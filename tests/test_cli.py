"""The command-line contract: help, output formats, files, errors and exit codes."""

import json
import os
import stat
import subprocess
import sys

import pytest
from typer.main import get_command

from salesflow.cli import app


def all_commands(command=None, path=()):
    command = command or get_command(app)
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from all_commands(sub, (*path, name))


@pytest.mark.parametrize("path", [path for path, _ in all_commands()], ids=" ".join)
def test_every_command_has_help_with_an_example(cli, path, isolated_book):
    result = cli(*path, "--help")
    assert "Usage:" in result.stdout
    command = dict(all_commands())[path]
    if not hasattr(command, "commands"):
        assert "Example:" in result.stdout, path
    assert not isolated_book.exists()  # help never opens the database


def test_plain_table_is_not_truncated_when_piped(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "20")
    name = "一个非常非常长的公司客户名字" * 3
    cli("customer", "add", name, "--company", "X" * 80)
    output = cli("customer", "list").stdout
    assert name in output and "X" * 80 in output
    assert "\x1b" not in output


def test_plain_table_aligns_chinese_text_by_display_width(cli):
    cli("customer", "add", "张三", "--owner", "OWNER1")
    cli("customer", "add", "Bobo", "--owner", "OWNER2")
    lines = cli("customer", "list").stdout.splitlines()
    owners = ("OWNER1", "OWNER2")
    owner_columns = [line.index(owner) for line, owner in zip(lines[1:], owners, strict=True)]
    # 张三 is four columns wide like Bobo but two characters long: two chars earlier.
    assert owner_columns[0] + 2 == owner_columns[1]


def test_control_characters_are_escaped_in_tables_but_kept_in_json(cli):
    cli("customer", "add", "evil\x1b[31mred")
    assert "\x1b" not in cli("customer", "list").stdout
    assert cli.json("customer", "list")[0]["name"] == "evil\x1b[31mred"


def test_output_file_is_private_and_holds_the_format(cli, tmp_path):
    cli("customer", "add", "张三")
    target = tmp_path / "out.json"
    result = cli("customer", "list", "--format", "json", "-o", target)
    assert result.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text(encoding="utf-8"))[0]["name"] == "张三"


def test_csv_output_defuses_formulas_but_keeps_numbers(cli):
    cli("customer", "add", "=HYPERLINK(1)", "--phone", "-123", "--company", "+cmd|' /C calc'")
    cli("customer", "add", "@SUM(A1)", "--company", "－1+1")
    rows = cli("customer", "list", "--format", "csv").stdout.splitlines()
    assert rows[1].startswith("1,,'=HYPERLINK(1),'+cmd|' /C calc',-123,")
    assert "'@SUM(A1)" in rows[2] and "'－1+1" in rows[2]


def test_bad_option_value_is_a_usage_error(cli):
    result = cli("customer", "list", "--format", "xml", code=2)
    assert "Error" in result.stderr
    assert cli("customer", "add", "x", "--urgency", "9", code=2).stdout == ""


def test_invalid_salesflow_today_is_a_usage_error(cli, monkeypatch):
    monkeypatch.setenv("SALESFLOW_TODAY", "someday")
    result = cli("customer", "add", "x", code=2)
    assert result.stderr.startswith("Error: SALESFLOW_TODAY")


def run_installed(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "salesflow", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def test_python_dash_m_runs_and_non_database_is_refused_without_traceback(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database", encoding="utf-8")
    result = run_installed("--db", str(notes), "customer", "add", "x")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert notes.read_text(encoding="utf-8") == "not a database"


def test_busy_database_exits_75(tmp_path):
    import sqlite3

    path = tmp_path / "book.db"
    assert run_installed("--db", str(path), "customer", "add", "x").returncode == 0
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    result = run_installed(
        "--db", str(path), "customer", "add", "y", env={"SALESFLOW_BUSY_TIMEOUT": "0.3"}
    )
    holder.execute("ROLLBACK")
    assert result.returncode == 75
    assert result.stderr.startswith("Error: the database is busy")


def test_unexpected_errors_are_one_line_without_data(monkeypatch, capsys):
    from salesflow import cli, customers

    def explode(*args, **kwargs):
        raise KeyError("张三 secret")

    monkeypatch.setattr(customers, "list_customers", explode)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["customer", "list"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: internal error (KeyError)")
    assert "secret" not in err and len(err.splitlines()) == 1


def test_main_runs_only_the_invoked_command_and_restores_the_tree(capsys):
    from salesflow import cli

    def tree():
        return {
            group.name: [c.callback for c in group.typer_instance.registered_commands]
            for group in cli.app.registered_groups
        } | {"": [c.callback for c in cli.app.registered_commands]}

    before = tree()
    assert len(before["customer"]) > 1
    with pytest.raises(SystemExit) as root_help:
        cli.main(["--help"])
    assert root_help.value.code == 0
    listed = capsys.readouterr().out
    assert all(group in listed for group in ("customer", "deal", "report", "config", "remind"))
    with pytest.raises(SystemExit) as sub_help:
        cli.main(["--db", "x.db", "customer", "add", "--help"])
    assert sub_help.value.code == 0 and "--referred-by" in capsys.readouterr().out
    assert tree() == before  # every command and group is back after each run


@pytest.mark.parametrize(
    ("line", "candidates"),
    [
        ("salesflow cust", ["customer"]),
        ("salesflow c", ["campaign", "check", "config", "contact", "customer"]),
        ("salesflow --db book.db cust", ["customer"]),
        ("salesflow customer a", ["add"]),
        ("salesflow customer list --for", ["--format"]),
        ("salesflow customer list --format j", ["json"]),
        ("salesflow deal list --status ", ["lost", "open", "won"]),
        ("salesflow zz", []),
    ],
)
def test_tab_completion_completes_partial_words(tmp_path, line, candidates):
    """What bash's completion function sends and reads back, against the real program."""
    words = line.split()
    current = len(words) if line.endswith(" ") else len(words) - 1
    env = {
        "_SALESFLOW_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(current),
        "SALESFLOW_DB": str(tmp_path / "default.db"),
    }
    result = run_installed(env=env, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert sorted(result.stdout.split()) == candidates
    assert list(tmp_path.iterdir()) == []  # completing never opens or creates a database


def test_unwritable_output_path_is_a_clean_error(cli, tmp_path):
    cli("customer", "add", "x")
    missing = tmp_path / "no" / "such" / "folder" / "out.csv"
    for args in (
        ["export", "customers", "-o", missing],
        ["customer", "list", "--format", "csv", "-o", missing],
    ):
        result = cli(*args, code=1)
        assert result.stderr.startswith(f"Error: cannot write {missing}: folder")
    assert not missing.parent.exists()


def test_the_program_flushes_everything_before_its_fast_exit(tmp_path):
    source = tmp_path / "c.csv"
    source.write_text(
        "name,notes\n" + "".join(f"客户{n},{'备注' * 50}\n" for n in range(3000)), encoding="utf-8"
    )
    db = str(tmp_path / "book.db")
    assert run_installed("--db", db, "import", "customers", str(source)).returncode == 0
    listed = run_installed("--db", db, "customer", "list", "--format", "json")
    assert listed.returncode == 0
    assert len(json.loads(listed.stdout)) == 3000
    missing = run_installed("--db", db, "customer", "show", "nobody")
    assert (missing.returncode, missing.stderr) == (1, "Error: no customer matches 'nobody'\n")
