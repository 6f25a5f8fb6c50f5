"""Every command group, registered on the root app in the order `--help` lists them."""

from salesflow.cli import customers, daily, data, deals, replica, reports, sales  # noqa: F401
from salesflow.cli.root import app

__all__ = ["app"]
