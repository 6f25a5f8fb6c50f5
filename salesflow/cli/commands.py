"""Every command group, registered on the root app in the order `--help` lists them."""

from salesflow.cli import (  # noqa: F401  (registers)
    campaigns,
    customers,
    daily,
    data,
    deals,
    predict,
    replica,
    reports,
    sales,
    techniques,
    units,
)
from salesflow.cli.root import app

__all__ = ["app"]
