"""The daily work: the morning list (remind, and done/snooze/stop to work it down), member
tiers, target customers, settings."""

from __future__ import annotations

import itertools
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from salesflow.cli.options import (
    JSON,
    TABLE,
    AsOfOpt,
    CustomerArg,
    FormatOpt,
    Kind,
    LimitOpt,
    OutputOpt,
)
from salesflow.cli.render import deliver, emit, emit_record, rich_table
from salesflow.cli.root import APP_SETTINGS, app, group, open_book, tell, to_date, today
from salesflow.cli.startup import lazy
from salesflow.errors import BadValue
from salesflow.i18n import _

if TYPE_CHECKING:
    from datetime import date

    from salesflow import customers, db, inputs, output, reminders, sales, settings
    from salesflow import tiers as grading
else:
    customers, db, inputs, output, reminders, sales, settings, grading = lazy(
        "customers", "db", "inputs", "output", "reminders", "sales", "settings", "tiers"
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


REMINDER_COLUMNS = [
    ("key", "Key"),
    ("customer_id", "#"),
    ("customer", "Customer"),
    ("tier", "Tier"),
    ("owner", "Owner"),
    ("due", "Due"),
    ("days_overdue", "Overdue"),
    ("detail", "Detail"),
]
STATE_COLUMN = ("state_text", "State")

remind_app = typer.Typer(**{**APP_SETTINGS, "no_args_is_help": False})
app.add_typer(remind_app, name="remind")

KeysArg = Annotated[
    list[str],
    typer.Argument(
        metavar="KEY...", help="Keys from `salesflow remind` (a unique start of one is enough)."
    ),
]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why, kept with the record.")]
GivenOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="The day it was handled (default today); the list as of an earlier day is not "
        "affected.",
    ),
]


@remind_app.callback(invoke_without_command=True)
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
    everything: Annotated[
        bool, typer.Option("--all", help="Also list the items done or snoozed, with their state.")
    ] = False,
    brief: Annotated[
        bool,
        typer.Option(
            "--brief", help="Counts per kind and the most overdue items: short enough to mail."
        ),
    ] = False,
    per_kind: Annotated[
        int | None,
        typer.Option(min=1, max=1000, help="With --brief: items shown per kind (default 10)."),
    ] = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List who needs attention today; prints nothing at all when nothing is due (cron).

    Example: salesflow remind --kind follow-up --days-ahead 3
    """
    if ctx.invoked_subcommand is not None:
        ctx.meta["remind.as_of"] = as_of  # `remind --as-of D done KEY` means `done --as-of D`
        return
    if per_kind is not None and not brief:
        raise BadValue(_("--per-kind goes with --brief"))
    if brief and (everything or fmt not in (TABLE, JSON)):
        raise BadValue(_("--brief is text or JSON counting what is due; it takes no --all"))
    evaluated = to_date(as_of) or today()
    wanted = frozenset(k.value for k in kind) if kind else None
    with open_book(ctx) as conn:
        config = settings.load(conn)
        if brief:
            summary = reminders.brief(
                conn,
                evaluated,
                config=config,
                per_kind=per_kind or BRIEF_PER_KIND,
                kinds=wanted,
                owner=owner,
                days_ahead=days_ahead,
            )
            if fmt is JSON:
                deliver(output.to_json(summary), destination)
            elif summary["due"]:
                deliver(brief_text(summary), destination)
            return  # cron mails nothing when nothing is due
        items = reminders.reminders(
            conn,
            evaluated,
            config=config,
            kinds=wanted,
            owner=owner,
            days_ahead=days_ahead,
            everything=everything,
        )
        keys = [*reminders.REMINDER_KEYS, *(reminders.STATE_KEYS if everything else ())]
        if fmt is not TABLE:
            emit(items, REMINDER_COLUMNS, fmt, destination, keys=keys)
            return
        sections = [
            (section_heading(kind_name, rows, everything), rows)
            for kind_name, group in itertools.groupby(items, key=lambda item: item["kind"])
            for rows in [[{**row, "state_text": state_text(row)} for row in group]]
        ]
    if not sections:
        return  # cron mails nothing when nothing is due
    columns = [*REMINDER_COLUMNS, STATE_COLUMN] if everything else REMINDER_COLUMNS
    if destination is None and sys.stdout.isatty():
        for heading, rows in sections:
            rich_table(rows, columns, heading)
        return
    text = "\n".join(
        f"{heading}\n{output.plain_table(rows, columns)}" for heading, rows in sections
    )
    deliver(text, destination)


BRIEF_PER_KIND = 10


def section_heading(kind: str, rows: list[dict[str, Any]], everything: bool) -> str:
    """`used-up: 12 due`, and with --all how many are snoozed and done."""
    counts = {state: sum(row.get("state", "due") == state for row in rows) for state in
              ("due", "snoozed", "done")}  # fmt: skip
    heading = _("{kind}: {count} due").format(kind=kind, count=counts["due"])
    if everything:
        heading += _(", {snoozed} snoozed, {done} done").format(
            snoozed=counts["snoozed"], done=counts["done"]
        )
    return heading


def state_text(item: dict[str, Any]) -> str | None:
    """An item's state as the table shows it (the JSON keeps the parts apart)."""
    if item.get("state") == "snoozed":
        return _("snoozed until {day}").format(day=item["snoozed_until"])
    if item.get("state") == "done":
        return _("done on {day}").format(day=item["done_at"])
    return _("due") if "state" in item else None


def brief_text(summary: dict[str, Any]) -> str:
    """The brief as mail text: a counts line per kind, its most overdue items, the total."""
    lines = []
    for section in summary["kinds"]:
        lines.append(
            _("{kind}: {due} due, {new} new today").format(
                kind=section["kind"], due=section["due"], new=section["new_today"]
            )
        )
        lines.extend(f"  {brief_line(item)}" for item in section["items"])
        if section["more"]:
            lines.append("  " + _("… and {count} more").format(count=section["more"]))
    lines.append(
        _("Total: {due} due, {new} new today").format(due=summary["due"], new=summary["new_today"])
    )
    return "\n".join(lines) + "\n"


def brief_line(item: dict[str, Any]) -> str:
    """`k3f9qab 张三 (A) · 5 days overdue · 洗发水`: one item, short enough for a phone."""
    days = item["days_overdue"]
    if days > 0:
        when = _("1 day overdue") if days == 1 else _("{days} days overdue").format(days=days)
    elif days == 0:
        when = _("due today")
    else:
        when = _("due tomorrow") if days == -1 else _("due in {days} days").format(days=-days)
    who = output.display_text(item["customer"])
    if item["tier"]:
        who += f" ({item['tier']})"
    parts = [f"{item['key']} {who}", when]
    if item["product"]:
        parts.append(output.display_text(item["product"]))
    elif item["deal_id"] is not None:
        parts.append(_("deal #{id}").format(id=item["deal_id"]))
    return " · ".join(parts)


def given_on(ctx: typer.Context, as_of: str | None) -> date:
    """The day a done, snooze or stop is recorded: --as-of here or before the subcommand."""
    return to_date(as_of or ctx.meta.get("remind.as_of")) or today()


STATE_KEYS_SHOWN = ["key", "kind", "customer_id", "customer", "due", "state", "snoozed_until",
                    "done_at"]  # fmt: skip


@remind_app.command("done")
def remind_done(
    ctx: typer.Context,
    keys: KeysArg,
    note: NoteOpt = None,
    as_of: GivenOpt = None,
    fmt: FormatOpt = TABLE,
) -> None:
    """Mark items handled: they leave the list until a new situation comes up (undoable).

    Example: salesflow remind done k3f9qab b71c0dm --note 已回访
    """
    given = given_on(ctx, as_of)
    with open_book(ctx, write=True) as conn:
        config = settings.load(conn)
        with db.change(conn, "remind done") as change:
            chosen = reminders.find_items(conn, given, keys, config=config)
            handled = reminders.answer(change, chosen, given, state="done", note=note)
    tell(
        _("Done: {count} reminders ({keys})").format(
            count=len(handled), keys=", ".join(item["key"] for item in handled)
        )
    )
    if fmt is not TABLE:
        emit(handled, REMINDER_COLUMNS, fmt, None, keys=STATE_KEYS_SHOWN)


@remind_app.command("snooze")
def remind_snooze(
    ctx: typer.Context,
    keys: KeysArg,
    until: Annotated[
        str,
        typer.Option(
            "--until", metavar="DATE", help="Hidden until this day (e.g. +3d, mon, 2026-12-01)."
        ),
    ],
    note: NoteOpt = None,
    as_of: GivenOpt = None,
    fmt: FormatOpt = TABLE,
) -> None:
    """Hide items until a day; then they come back if still due (undoable).

    Example: salesflow remind snooze k3f9qab --until +3d
    """
    given = given_on(ctx, as_of)
    ends = inputs.parse_date(until, given)
    with open_book(ctx, write=True) as conn:
        config = settings.load(conn)
        with db.change(conn, "remind snooze") as change:
            chosen = reminders.find_items(conn, given, keys, config=config)
            snoozed = reminders.answer(
                change, chosen, given, state="snoozed", until=ends, note=note
            )
    tell(
        _("Snoozed {count} reminders until {day} ({keys})").format(
            count=len(snoozed), day=ends.isoformat(), keys=", ".join(i["key"] for i in snoozed)
        )
    )
    if fmt is not TABLE:
        emit(snoozed, REMINDER_COLUMNS, fmt, None, keys=STATE_KEYS_SHOWN)


STOP_COLUMNS = [
    ("product", "Product"),
    ("stopped_on", "Stopped"),
    ("last_bought", "Last bought"),
    ("note", "Note"),
]


@remind_app.command("stop")
def remind_stop(
    ctx: typer.Context,
    customer: CustomerArg,
    product: Annotated[
        str, typer.Option("--product", help="Product: id, #id, SKU or (part of) its name.")
    ],
    note: NoteOpt = None,
    as_of: GivenOpt = None,
    fmt: FormatOpt = TABLE,
) -> None:
    """Stop used-up reminders of a product for a customer until they buy it again (undoable).

    Example: salesflow remind stop 张三 --product 洗发水 --note 改用别的牌子
    """
    given = given_on(ctx, as_of)
    with open_book(ctx, write=True) as conn:
        customer_id = customers.find_customer(conn, customer)
        product_id = sales.find_product(conn, product)
        with db.change(conn, "remind stop") as change:
            stopped = reminders.stop_product(change, customer_id, product_id, given, note=note)
        name = customers.get_customer(conn, customer_id)["name"]
    tell(
        _("Stopped used-up reminders of {product} for #{id} {name} until they buy it again").format(
            product=stopped["product"], id=customer_id, name=name
        )
    )
    if fmt is not TABLE:
        emit_record(stopped, fmt, None, ["customer_id", *reminders.STOP_KEYS])


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
