"""The daily work: the morning list (remind), member tiers, target customers, settings."""

from __future__ import annotations

import itertools
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from salesflow.cli.root import app, group, open_book, tell, to_date, today
from salesflow.cli.options import TABLE, AsOfOpt, FormatOpt, Kind, LimitOpt, OutputOpt
from salesflow.cli.render import deliver, emit, rich_table
from salesflow.cli.startup import lazy

if TYPE_CHECKING:
    from salesflow import db, output, reminders, settings
    from salesflow import tiers as grading
else:
    db, output, reminders, settings, grading = lazy(
        "db", "output", "reminders", "settings", "tiers"
    )

config_app = group("config", "Reminder cadences and thresholds, tier thresholds.")

TIER_COLUMNS = [
    ("customer_id", "#"),
    ("customer", "Customer"),
    ("recency_days", "R days"),
    ("frequency", "F days"),
    ("monetary", "M amount"),
    ("r", "R"),
    ("f", "F"),
    ("m", "M"),
    ("score", "Score"),
    ("previous_tier", "Was"),
    ("tier", "Now"),
]
TIER_KEYS = [
    "customer_id",
    "customer",
    "recency_days",
    "frequency",
    "monetary",
    "r",
    "f",
    "m",
    "score",
    "tier",
    "previous_tier",
    "locked",
]
TARGET_KEYS = ["customer_id", "customer", "urgency", "quick_effect", "price_fit", "score", "tier"]
TARGET_COLUMNS = [
    ("customer_id", "#"),
    ("customer", "Customer"),
    ("urgency", "Urgency"),
    ("quick_effect", "Quick effect"),
    ("price_fit", "Price fit"),
    ("score", "Score"),
    ("tier", "Tier"),
]
REMINDER_COLUMNS = [
    ("customer_id", "#"),
    ("customer", "Customer"),
    ("tier", "Tier"),
    ("owner", "Owner"),
    ("due", "Due"),
    ("days_overdue", "Overdue"),
    ("detail", "Detail"),
]


@app.command("tiers")
def tiers(
    ctx: typer.Context,
    apply: Annotated[bool, typer.Option("--apply", help="Write the new tiers (undoable).")] = False,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Grade members into tiers A–D by RFM; show counts and changes, --apply writes them.

    Example: salesflow tiers --apply
    """
    evaluated = to_date(as_of) or today()
    with open_book(ctx, write=apply) as conn:
        graded = grading.grade_members(conn, evaluated, settings.load(conn))
        counts = grading.tier_counts(conn, graded)
        if apply:
            with db.change(conn, "tiers --apply") as change:
                applied = grading.apply_tiers(change, graded)
    changes = grading.tier_changes(graded)
    if fmt is not TABLE:
        emit(graded, TIER_COLUMNS, fmt, destination, keys=TIER_KEYS)
    else:
        emit(
            counts,
            [("tier", "Tier"), ("customers", "Customers")],
            fmt,
            destination,
            keys=["tier", "customers"],
            title="Members per tier",
        )
        if changes and destination is None:
            sys.stdout.write("\nChanges\n" if not sys.stdout.isatty() else "\n")
            emit(changes, TIER_COLUMNS, fmt, None, keys=TIER_KEYS, title="Changes")
    if apply:
        tell(f"Applied {applied} tier changes")
    elif changes:
        tell(f"{len(changes)} tier changes; run `salesflow tiers --apply` to write them")


@app.command("targets")
def targets(
    ctx: typer.Context,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Rank target customers by urgency + quick effect + price fit (选择目标客户).

    Example: salesflow targets --limit 20
    """
    with open_book(ctx) as conn:
        rows = grading.targets(conn, limit=limit)
    emit(rows, TARGET_COLUMNS, fmt, destination, keys=TARGET_KEYS)


@app.command("remind")
def remind(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    kind: Annotated[
        list[Kind] | None, typer.Option("--kind", help="Only this kind (repeatable).")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Only this salesperson's customers and deals.")
    ] = None,
    days_ahead: Annotated[
        int, typer.Option(min=0, max=3650, help="Also list follow-ups due in the next N days.")
    ] = 0,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List who needs attention today; prints nothing at all when nothing is due (cron).

    Example: salesflow remind --kind follow-up --days-ahead 3
    """
    evaluated = to_date(as_of) or today()
    wanted = frozenset(k.value for k in kind) if kind else None
    with open_book(ctx) as conn:
        items = reminders.reminders(
            conn,
            evaluated,
            config=settings.load(conn),
            kinds=wanted,
            owner=owner,
            days_ahead=days_ahead,
        )
        if fmt is not TABLE:
            emit(items, REMINDER_COLUMNS, fmt, destination, keys=reminders.REMINDER_KEYS)
            return
        sections = [
            (f"{kind_name}: {len(rows)} due", rows)
            for kind_name, group in itertools.groupby(items, key=lambda item: item["kind"])
            for rows in [list(group)]
        ]
    if not sections:
        return  # cron mails nothing when nothing is due
    if destination is None and sys.stdout.isatty():
        for heading, rows in sections:
            rich_table(rows, REMINDER_COLUMNS, heading)
        return
    text = "\n".join(
        f"{heading}\n{output.plain_table(rows, REMINDER_COLUMNS)}" for heading, rows in sections
    )
    deliver(text, destination)


CONFIG_COLUMNS = [("key", "Key"), ("value", "Value"), ("default", "Default"), ("help", "Meaning")]


@config_app.command("list")
def config_list(ctx: typer.Context, fmt: FormatOpt = TABLE, destination: OutputOpt = None) -> None:
    """Show every setting with its value and default.

    Example: salesflow config list
    """
    with open_book(ctx) as conn:
        rows = settings.list_settings(conn)
    emit(rows, CONFIG_COLUMNS, fmt, destination, keys=["key", "value", "default", "help"])


@config_app.command("get")
def config_get(
    ctx: typer.Context, key: Annotated[str, typer.Argument(metavar="KEY", help="Setting name.")]
) -> None:
    """Print one setting's value.

    Example: salesflow config get cadence.A
    """
    with open_book(ctx) as conn:
        value = settings.get(conn, key)
    deliver(f"{value}\n", None)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="Setting name (see config list).")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="A whole number.")],
) -> None:
    """Change a setting (validated; undoable).

    Example: salesflow config set no_repurchase.days 60
    """
    with open_book(ctx, write=True) as conn, db.change(conn, "config set") as change:
        stored = settings.set_value(change, key, value)
    tell(f"Set {key} = {stored}")
