"""The salesflow command line: parse, call the domain, render. The only package that
talks to the terminal.

One module per command group; `app` (the root and the failure → exit code rule),
`options` (shared options and choice enums), `render` (tables, CSV, JSON, files) and
`startup` (what keeps start-up fast, and the program's entry points).
"""

from salesflow.cli import customers, daily, data, deals, reports, sales  # noqa: F401  (registers)
from salesflow.cli.app import app
from salesflow.cli.startup import main, run

__all__ = ["app", "main", "run"]
