"""Every command group and root command: the module that defines each one, and what the
root help says of it.

A run imports only the module of the command it runs (`load`); the root help, tab
completion of the first word and an unknown command's suggestions are built from these
tables without importing any command module (salesflow/cli/startup.py). The whole tree,
for the tests and for anything that walks it, is `app` here (`load_all`).

A new command group goes in a new module, listed in MODULES and named in GROUPS (a new
root command in COMMANDS); tests/test_command_table.py compares these tables with what the
modules register, text for text, and prints the entry to paste when they differ.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

# The command modules, in the order they register: the order `--help` lists commands in.
MODULES = (
    "campaigns",
    "customers",
    "daily",
    "data",
    "deals",
    "predict",
    "replica",
    "reports",
    "sales",
    "techniques",
    "units",
)
# Root commands and then groups, as `--help` lists them: (name, module, help as Typer
# takes it from the docstring; the whole text, since the translation catalog is keyed on it).
COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "log",
        "customers",
        "Log a contact with a customer, and when to follow up.\n\n"
        'Example: salesflow log 张三 "Demo went well" --channel visit --next +1w',
    ),
    (
        "tiers",
        "daily",
        "Grade members into tiers A–D by RFM; show counts and changes, --apply writes them.\n\n"
        "The table counts customers per tier; CSV and JSON list every customer with the tier\n"
        "they would have, so counting those rows gives the same numbers.\n\n"
        "Example: salesflow tiers --apply",
    ),
    (
        "targets",
        "daily",
        "Rank target customers (选择目标客户) by score or predicted value, with phone "
        "and email.\n\n"
        "Example: salesflow targets --tier A --store 南京路店 --for sms --format csv -o sms.csv",
    ),
    (
        "demo",
        "data",
        "Fill the database with a realistic demo book (dates relative to today).\n\n"
        "Example: salesflow --db /tmp/demo.db demo --customers 500 && salesflow --db "
        "/tmp/demo.db remind",
    ),
    (
        "import",
        "data",
        "Import customers, products, sales or contacts from CSV, a workbook or .vcf (all or "
        "nothing).\n\n"
        "Example: salesflow import customers 会员.xlsx --header-row 3 --on-duplicate update",
    ),
    (
        "export",
        "data",
        "Export records as CSV (Excel-safe), JSON, a typed workbook or vCards, to stdout or "
        "a file.\n\n"
        "Example: salesflow export sales --headers zh -o sales.xlsx",
    ),
    (
        "history",
        "data",
        "List recorded changes, newest first.\n\nExample: salesflow history --limit 10",
    ),
    (
        "undo",
        "data",
        "Revert the latest change: an edit, a deletion, a whole import, a merge, a tier run.\n\n"
        "Example: salesflow undo",
    ),
    (
        "redo",
        "data",
        "Apply again the change undone last (until a new change is made).\n\n"
        "Example: salesflow undo && salesflow redo",
    ),
    (
        "backup",
        "data",
        "Write a consistent copy of the database, even while it is in use.\n\n"
        "Example: salesflow backup ~/backups/crm-$(date +%F).db",
    ),
    (
        "check",
        "data",
        "Check the database file: integrity, schema version, derived data; exit 1 if damaged.\n\n"
        "Example: salesflow check",
    ),
    (
        "predict",
        "predict",
        "List who is still buying: chance of buying, expected purchases and value per customer.\n\n"
        "Example: salesflow predict --horizon 3m --owner 李娜 --limit 20",
    ),
    (
        "replicate",
        "replica",
        "Replicate the book continuously in the foreground, or once with --once.\n\n"
        "Example: salesflow replicate --once",
    ),
    (
        "restore",
        "replica",
        "Restore the replica (as it was at --at) into a new, checked file.\n\n"
        "Example: salesflow restore -o ~/crm-before.db --at '-3d 09:00'",
    ),
    (
        "follow",
        "replica",
        "Keep PATH a read-only copy of the replica, refreshed until stopped.\n\n"
        "Example: salesflow follow s3://crm-backup/book -o ~/crm-follower.db",
    ),
)
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("campaign", "campaigns", "Campaigns to a target list: SMS, web, events, calls, visits."),
    ("customer", "customers", "Add, find, show and change customers."),
    ("contact", "customers", "Read and correct the contact log (write it with `salesflow log`)."),
    ("config", "daily", "Reminder cadences and thresholds, tier thresholds."),
    (
        "remind",
        "daily",
        "List who needs attention today; prints nothing at all when nothing is due (cron).\n\n"
        "Example: salesflow remind --kind follow-up --days-ahead 3",
    ),
    ("pipeline", "deals", "Sales processes: stages, probabilities, checkpoints."),
    ("deal", "deals", "Deals moving through a pipeline's stage gates."),
    ("stakeholder", "deals", "The customer's people and who of ours maintains them."),
    ("objection", "deals", "A shared library of objections and answers that work."),
    ("replica", "replica", "Where the book is replicated, and how far the replica is behind."),
    ("report", "reports", "Sales, pipeline, funnel, activity and member reports."),
    ("product", "sales", "Products you sell, with price and consumption cycle."),
    ("sale", "sales", "Record and list sales (one order line each)."),
    ("technique", "techniques", "Closing techniques (成交技巧) and how often each one wins."),
    ("unit", "units", "Units sold one at a time (apartments, unique pieces) and who holds each."),
)
WHERE = {name: module for name, module, _help in (*COMMANDS, *GROUPS)}


def load(name: str) -> bool:
    """Import the module that defines the root command or group `name`; False if none does."""
    module = WHERE.get(name)
    if module is None:
        return False
    importlib.import_module(f"salesflow.cli.{module}")
    return True


def load_all() -> typer.Typer:
    """The root app with every command and group registered, in the tables' order."""
    for module in MODULES:
        importlib.import_module(f"salesflow.cli.{module}")
    from salesflow.cli.root import app
    from salesflow.cli.startup import command_name

    order = {name: number for number, name in enumerate(WHERE)}
    last = len(order)
    app.registered_commands.sort(key=lambda info: order.get(command_name(info), last))
    app.registered_groups.sort(key=lambda info: order.get(info.name or "", last))
    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # the Typer app with every command group (imports every module)
        return load_all()
    raise AttributeError(name)
