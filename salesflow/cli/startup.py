"""Start-up: what makes `salesflow` start as fast as a bare `import typer`.

Every tab completion and every cron run of `remind` pays for start-up, so:
- domain modules load on first use (`lazy`), typed for the checker through
  `if TYPE_CHECKING:` imports in each command module;
- Typer converts only the command being run (`only_invoked` trims the tree for the run);
- the `salesflow` program leaves with `os._exit` once output is flushed (`run`);
- typer is pinned below 0.29: from 0.29 on it builds a pydantic model for every option,
  about 70 ms more at every start.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
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


def summary_only(info: Any) -> Any:
    """A stand-in for a command in the root help: its name and docstring, no options."""
    from typer.models import CommandInfo

    def stub() -> None:
        """Replaced by the real command whenever it is run."""

    stub.__doc__ = info.callback.__doc__
    return CommandInfo(name=command_name(info), callback=stub)


def command_name(info: Any) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


@contextmanager
def only_invoked(typer_app: typer.Typer, args: list[str]) -> Iterator[None]:
    """Trim the command tree to what `args` runs while Typer converts and runs it.

    Typer inspects the signature of every registered command at start-up; salesflow has
    dozens, and every cron run and tab completion would pay for all of them. The root help
    (no command named) keeps every command and group, without the groups' commands.
    """
    groups = [
        typer_app,
        *(g.typer_instance for g in typer_app.registered_groups if g.typer_instance),
    ]
    saved = [(t, t.registered_commands, t.registered_groups) for t in groups]
    try:
        _trim(typer_app, args)
        yield
    finally:
        for owner, commands, subgroups in saved:
            owner.registered_commands, owner.registered_groups = commands, subgroups


def _trim(typer_app: typer.Typer, args: list[str]) -> None:
    words = iter(args)
    for word in words:
        if word == "--db":
            next(words, None)
        elif not word.startswith("-"):
            break
    else:
        # Root help: names and summaries only, so no command's options need converting.
        typer_app.registered_commands = [summary_only(c) for c in typer_app.registered_commands]
        for group in typer_app.registered_groups:
            if group.typer_instance:
                group.typer_instance.registered_commands = []
        return
    commands = [c for c in typer_app.registered_commands if command_name(c) == word]
    groups = [g for g in typer_app.registered_groups if g.name == word]
    if not commands and not groups:
        return  # unknown: let the full tree report it
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
    completing = any(name.endswith("_COMPLETE") for name in os.environ)
    from salesflow.cli.commands import app

    try:
        with nullcontext() if completing else only_invoked(app, args):
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
