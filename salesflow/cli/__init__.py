"""The salesflow command line: parse, call the domain, render. The only package that
talks to the terminal.

One module per command group (customers, sales, deals, daily, reports, data…), named in
`commands` and imported only when run; `root` (the root app and the failure → exit code
rule), `options` (shared options and choice enums), `render` (tables, CSV, JSON, files),
`startup` (what keeps start-up fast) and `typer_i18n` (Typer's own words in the user's
language).

Importing this package loads nothing else: the language must be chosen, and Typer's own
words prepared, before typer itself is imported (it reads gettext when imported).
"""

import os
import sys
from typing import Any, NoReturn

from salesflow.errors import BadValue


def speak(argv: list[str]) -> None:
    """Choose the language for this run and prepare Typer to speak it."""
    from salesflow.i18n import choose_language

    language = choose_language(argv, os.environ)
    if language != "en":  # English changes nothing and loads nothing
        from salesflow.cli.typer_i18n import prepare

        prepare(language)


def main(argv: list[str] | None = None) -> None:
    """Run salesflow in this process (raises SystemExit with the exit code)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        speak(args)
    except BadValue as error:
        sys.stderr.write(f"Error: {error}\n")
        raise SystemExit(error.exit_code) from None
    from salesflow.cli import startup

    startup.main(args)


def run() -> NoReturn:
    """The `salesflow` program."""
    import gc

    gc.disable()  # until the command runs: see startup.resume_collection
    try:
        speak(sys.argv[1:])
    except BadValue as error:
        sys.stderr.write(f"Error: {error}\n")
        sys.stderr.flush()
        os._exit(error.exit_code)
    from salesflow.cli import startup

    startup.run()


def __getattr__(name: str) -> Any:
    if name == "app":  # the Typer app with every command group (loads typer)
        from salesflow.cli.commands import app

        return app
    raise AttributeError(name)
