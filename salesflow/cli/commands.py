"""Every command group, registered on the root app in the order `--help` lists them."""

from salesflow.cli import customers, daily, data, deals, reports, sales  # noqa: F401  (registers)
from salesflow.cli.root import app

__all__ = ["app"]
