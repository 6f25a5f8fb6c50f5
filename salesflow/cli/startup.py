"""Start-up: what makes `salesflow` start as fast as a bare `import typer`.

Every tab completion and every cron run of `remind` pays for start-up, so:
- domain modules load on first use (`lazy`), typed for the checker through
  `if TYPE_CHECKING:` imports in each command module (annotations naming them are quoted);
- command modules hold their annotations as objects (no `from __future__ import
  annotations`): Typer reads the invoked command's signature at every run, and a string
  annotation is compiled and evaluated there, about a millisecond for `remind`;
- a run imports only the module of the command it runs, and Typer converts only that
  command (`only_invoked`); the root help, completion of the first word and an unknown
  command's suggestions come from the tables in salesflow/cli/commands.py (`summaries`);
- the `salesflow` program starts with the garbage collector off until the command runs
  (`resume_collection`), and leaves with `os._exit` once output is flushed (`run`);
- typer is pinned below 0.29: from 0.29 on it builds a pydantic model for every option,
  about 70 ms more at every start.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

from salesflow.i18n import _

if TYPE_CHECKING:
    import typer


class Lazy:
    """A domain module imported on first use: `--help`, completion and the cron run of
    `remind` pay only for what they touch."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)  # introspection must not trigger the import
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


def lazy(*names: str) -> tuple[Any, ...]:
    """Lazy stand-ins for the domain modules `salesflow.<name>`."""
    return tuple(Lazy(f"salesflow.{name}") for name in names)


def invoked(args: list[str]) -> str | None:
    """The root command or group that `args` runs: its first word that is not an option."""
    words = iter(args)
    for word in words:
        if word == "--db":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _summary() -> None:
    """Stands in for a command in the root help; never run."""


def summaries(typer_app: typer.Typer, keep: str | None = None) -> None:
    """Every root command and group by its name and help from the tables in
    salesflow/cli/commands.py, without importing a command module: enough for the root help,
    completing the first word and suggesting a name for a mistyped one. `keep` (a loaded
    command or group) stays as its module registered it, e.g. to complete its options."""
    import typer
    from typer.models import CommandInfo, TyperInfo

    from salesflow.cli import commands
    from salesflow.cli.root import APP_SETTINGS

    real = {command_name(c): c for c in typer_app.registered_commands if command_name(c) == keep}
    real_groups = {g.name: g for g in typer_app.registered_groups if g.name == keep}
    typer_app.registered_commands = [
        real.get(name) or CommandInfo(name=name, callback=_summary, help=text)
        for name, _module, text in commands.COMMANDS
    ]
    typer_app.registered_groups = [
        real_groups.get(name) or TyperInfo(typer.Typer(help=text, **APP_SETTINGS), name=name)
        for name, _module, text in commands.GROUPS
    ]


def command_name(info: Any) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


@contextmanager
def only_invoked(typer_app: typer.Typer, args: list[str]) -> Iterator[None]:
    """Import the module of the command `args` runs, and trim the command tree to that
    command while Typer converts and runs it.

    Typer inspects the signature of every registered command at start-up; salesflow has
    dozens, and every cron run and tab completion would pay for all of them, and for
    importing every command module. The root help (no command named) and an unknown command
    list every command and group by name and help from the tables, importing none.
    """
    from salesflow.cli import commands

    word = invoked(args)
    known = word if word is not None and commands.load(word) else None
    with _restored(typer_app):  # as registered, with the module just imported
        if known is not None:
            _trim(typer_app, args, known)
        else:
            summaries(typer_app)
        yield


@contextmanager
def completing(typer_app: typer.Typer) -> Iterator[None]:
    """The tree for a tab completion: the command or group being completed as its module
    registers it (so its subcommands and options complete), every other one by its name
    and help from the tables."""
    from salesflow.cli import commands

    named = [invoked(_split(os.environ.get(name, ""))[1:]) for name in COMPLETION_WORDS]
    loaded = [word for word in named if word is not None and commands.load(word)]
    with _restored(typer_app):
        summaries(typer_app, keep=loaded[0] if loaded else None)
        yield


# Where shells hand over the words of the line being completed: bash (Click's protocol),
# zsh, fish and PowerShell (Typer's).
COMPLETION_WORDS = ("COMP_WORDS", "_TYPER_COMPLETE_ARGS")


def _split(line: str) -> list[str]:
    import shlex

    try:
        return shlex.split(line)
    except ValueError:  # an unclosed quote in the word being typed
        return line.split()


@contextmanager
def _restored(typer_app: typer.Typer) -> Iterator[None]:
    """Put every command and group back as registered, whatever the run trimmed."""
    groups = [
        typer_app,
        *(g.typer_instance for g in typer_app.registered_groups if g.typer_instance),
    ]
    saved = [(t, t.registered_commands, t.registered_groups) for t in groups]
    try:
        yield
    finally:
        for owner, commands, subgroups in saved:
            owner.registered_commands, owner.registered_groups = commands, subgroups


def _trim(typer_app: typer.Typer, args: list[str], word: str) -> None:
    commands = [c for c in typer_app.registered_commands if command_name(c) == word]
    groups = [g for g in typer_app.registered_groups if g.name == word]
    typer_app.registered_commands, typer_app.registered_groups = commands, groups
    if groups:
        following = [arg for arg in args[args.index(word) + 1 :] if not arg.startswith("-")]
        sub_app = groups[0].typer_instance
        assert sub_app is not None
        names = {command_name(c): c for c in sub_app.registered_commands}
        named = next((names[word] for word in following if word in names), None)
        if named is not None:
            sub_app.registered_commands = [named]
        elif _runs_alone(sub_app) and not {"--help", "-h"} & set(args):
            sub_app.registered_commands = []  # e.g. `remind` listing: no subcommand to convert


def _runs_alone(typer_app: typer.Typer) -> bool:
    """Whether a group does its own work when no subcommand is named (like `remind`)."""
    callback = typer_app.registered_callback
    return bool(callback and callback.invoke_without_command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: the last net, so nothing a user does ends in a traceback."""
    args = sys.argv[1:] if argv is None else argv
    from salesflow.cli.root import app

    tree = (
        completing(app)
        if any(name.endswith("_COMPLETE") for name in os.environ)
        else only_invoked(app, args)
    )
    try:
        with tree:
            resume_collection()
            app(args=args, prog_name="salesflow")
    except SystemExit:
        raise
    except BrokenPipeError:
        # The reader (head, less) went away; say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as error:
        from salesflow.cli.root import failure

        found = failure(error)  # e.g. a bad SALESFLOW_TODAY, found before any command ran
        if found is not None:
            sys.stderr.write(_("Error: {message}").format(message=found[0]) + "\n")
            raise SystemExit(found[1]) from None
        if os.environ.get("SALESFLOW_DEBUG"):
            raise
        sys.stderr.write(
            _(
                "Error: internal error ({kind}); nothing more was changed. "
                "Set SALESFLOW_DEBUG=1 to see details."
            ).format(kind=type(error).__name__)
            + "\n"
        )
        raise SystemExit(1) from None


def resume_collection() -> None:
    """Turn the cyclic garbage collector back on for the command's own work.

    The `salesflow` program (`salesflow.cli.run`) starts with it off: importing typer and
    the command's module allocates tens of thousands of objects and frees almost none, and
    collecting them over and over costs about 3 ms of every start. What start-up allocated
    lives until the process ends, so it is frozen out of every later collection.

    The command's own work builds lists of thousands of rows, almost none of them in a
    reference cycle: the youngest generation is collected every YOUNG_OBJECTS allocations
    rather than every 700 (about 1 ms less on a morning list of 2,500 items).
    """
    if not gc.isenabled():
        gc.freeze()
        gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
        gc.enable()


YOUNG_OBJECTS = 10_000


def run() -> NoReturn:
    """The `salesflow` program: main(), then leave without tearing the interpreter down.

    Every module and object is about to vanish with the process; freeing them one by one
    costs about 15 ms, paid by every cron run and every tab completion. Output is flushed
    and every database connection was closed by its command, so nothing is lost.
    """
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away: nothing more to say
        code = code or 1
    os._exit(code)
