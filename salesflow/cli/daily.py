"""The daily work: the morning list (remind, and done/snooze/stop to work it down), member
tiers, target customers, settings."""

import itertools
import os
import sys
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import typer

from salesflow.cli.options import (
    BY_SCORE,
    ICS,
    JSON,
    REMIND_TABLE,
    TABLE,
    AsOfOpt,
    CustomerArg,
    Format,
    FormatOpt,
    HorizonOpt,
    Kind,
    LimitOpt,
    MinScoreOpt,
    OutputOpt,
    OwnerOpt,
    RecordFormatOpt,
    RemindFormat,
    RemindFormatOpt,
    StoreOpt,
    TagFilterOpt,
    TargetByOpt,
    TargetLayoutOpt,
    TierOpt,
    horizon_or_default,
)
from salesflow.cli.render import (
    WORKBOOK_SUFFIX,
    deliver,
    emit,
    emit_record,
    plain_table,
    refuse_text_into_workbook,
    rich_table,
)
from salesflow.cli.root import APP_SETTINGS, app, group, open_book, tell, to_date, today
from salesflow.cli.startup import lazy
from salesflow.errors import BadValue, Conflict
from salesflow.i18n import N_, _, current_language

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable, Mapping
    from datetime import date
    from pathlib import Path

    from salesflow import calendar as ical
    from salesflow import (
        customers,
        db,
        inputs,
        notify,
        output,
        predict,
        reminders,
        sales,
        settings,
    )
    from salesflow import tiers as grading
else:
    customers, db, inputs, output, reminders, sales, settings, grading = lazy(
        "customers", "db", "inputs", "output", "reminders", "sales", "settings", "tiers"
    )
    (predict,) = lazy("predict")
    ical, notify = lazy("calendar", "notify")

config_app = group("config", "Reminder cadences and thresholds, tier thresholds.")

TIER_COLUMNS = [
    ("customer_id", "#"),
    ("customer", N_("Customer")),
    ("recency_days", N_("R days")),
    ("frequency", N_("F days")),
    ("monetary", N_("M amount")),
    ("r", N_("R")),
    ("f", N_("F")),
    ("m", N_("M")),
    ("score", N_("Score")),
    ("previous_tier", N_("Was")),
    ("tier", N_("Now")),
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
TARGET_COLUMNS = [
    ("customer_id", "#"),
    ("customer", N_("Customer")),
    ("urgency", N_("Urgency")),
    ("quick_effect", N_("Quick effect")),
    ("price_fit", N_("Price fit")),
    ("score", N_("Score")),
    ("tier", N_("Tier")),
    ("owner", N_("Owner")),
    ("store", N_("Store")),
    ("phone", N_("Phone")),
    ("email", N_("Email")),
]
VALUE_COLUMN = ("expected_value", N_("Expected value"))
SMS_COLUMNS = [("name", N_("Name")), ("mobile", N_("Mobile"))]


@app.command("tiers")
def tiers(
    ctx: typer.Context,
    apply: Annotated[bool, typer.Option("--apply", help="Write the new tiers (undoable).")] = False,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Grade members into tiers A–D by RFM; show counts and changes, --apply writes them.

    The table counts customers per tier; CSV and JSON list every customer with the tier
    they would have, so counting those rows gives the same numbers.

    Example: salesflow tiers --apply
    """
    evaluated = to_date(as_of) or today()
    with open_book(ctx, write=apply) as conn:
        graded = grading.grade_members(conn, evaluated, settings.load(conn))
        everyone = grading.members(conn, graded)
        if apply:
            with db.change(conn, "tiers --apply") as change:
                applied = grading.apply_tiers(change, graded)
    changes = grading.tier_changes(graded)
    if fmt is not TABLE:
        emit(everyone, TIER_COLUMNS, fmt, destination, keys=TIER_KEYS)
    else:
        emit(
            [{**row, "tier": tier_word(row["tier"])} for row in grading.tier_counts(everyone)],
            [("tier", N_("Tier")), ("customers", N_("Customers"))],
            fmt,
            destination,
            keys=["tier", "customers"],
            title=_("Members per tier"),
        )
        if changes and destination is None:
            title = _("Changes")
            sys.stdout.write(f"\n{title}\n" if not sys.stdout.isatty() else "\n")
            emit(changes, TIER_COLUMNS, fmt, None, keys=TIER_KEYS, title=title)
    if apply:
        tell(_("Applied {count} tier changes").format(count=applied))
    elif changes:
        tell(
            _("{count} tier changes; run `salesflow tiers --apply` to write them").format(
                count=len(changes)
            )
        )


def tier_word(tier: str) -> str:
    """A tier as a table names it: A–D as they are, `none` in the user's language."""
    return _(N_("none")) if tier == "none" else tier


@app.command("targets")
def targets(
    ctx: typer.Context,
    tier: TierOpt = None,
    owner: OwnerOpt = None,
    store: StoreOpt = None,
    tag: TagFilterOpt = None,
    min_score: MinScoreOpt = None,
    limit: LimitOpt = None,
    by: TargetByOpt = BY_SCORE,
    horizon: HorizonOpt = None,
    as_of: AsOfOpt = None,
    layout: TargetLayoutOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Rank target customers (选择目标客户) by score or predicted value, with phone and email.

    Example: salesflow targets --tier A --store 南京路店 --for sms --format csv -o sms.csv
    """
    valued = by.value == "value"
    if not valued and (horizon is not None or as_of is not None):
        raise BadValue(_("--horizon and --as-of go with --by value (a score has no date)"))
    evaluated = to_date(as_of) or today()
    # a score reads no sales: the forecast's module is loaded for a value ranking only
    horizon_days = predict.parse_horizon(horizon_or_default(horizon), evaluated) if valued else 0
    chosen = grading.TargetFilter(tier=tier, owner=owner, store=store, tag=tag, min_score=min_score)
    with open_book(ctx) as conn:
        rows = grading.targets(
            conn,
            where=chosen,
            limit=limit,
            by=by.value,
            as_of=evaluated,
            horizon_days=horizon_days,
        )
    if valued and rows and all(row["expected_value"] is None for row in rows):
        tell(_("No expected values to rank by (`salesflow predict` says why): ranked by score"))
    if layout is not None:
        emit(grading.sms_rows(rows), SMS_COLUMNS, fmt, destination, keys=grading.SMS_KEYS)
        return
    columns, keys = TARGET_COLUMNS, grading.TARGET_KEYS
    if valued:
        columns, keys = [*columns, VALUE_COLUMN], [*keys, "expected_value"]
    emit([{key: row[key] for key in keys} for row in rows], columns, fmt, destination, keys=keys)


REMINDER_COLUMNS = [
    ("key", N_("Key")),
    ("customer_id", "#"),
    ("customer", N_("Customer")),
    ("tier", N_("Tier")),
    ("owner", N_("Owner")),
    ("due", N_("Due")),
    ("days_overdue", N_("Overdue")),
    ("detail", N_("Detail")),
]
STATE_COLUMN = ("state_text", N_("State"))

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
        int,
        typer.Option(
            min=0,
            max=3650,
            help="Also list the follow-ups, birthdays and expected closes of the next N days.",
        ),
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
        typer.Option(
            min=1, max=1000, help="With --brief or --notify: items shown per kind (default 10)."
        ),
    ] = None,
    post_to_chat: Annotated[
        bool,
        typer.Option(
            "--notify",
            help="Post the brief to the team chat robot (settings notify.*); nothing due "
            "posts nothing.",
        ),
    ] = False,
    fmt: RemindFormatOpt = REMIND_TABLE,
    destination: OutputOpt = None,
) -> None:
    """List who needs attention today; prints nothing at all when nothing is due (cron).

    Example: salesflow remind --kind follow-up --days-ahead 3
    """
    if ctx.invoked_subcommand is not None:
        ctx.meta["remind.as_of"] = as_of  # `remind --as-of D done KEY` means `done --as-of D`
        return
    check_remind_options(fmt, brief, post_to_chat, everything, per_kind, destination)
    evaluated = to_date(as_of) or today()
    wanted = frozenset(k.value for k in kind) if kind else None
    with open_book(ctx) as conn:
        config = settings.load(conn)
        if wanted and reminders.SLIPPING in wanted and config["remind.slipping"] != "on":
            raise Conflict(
                _(
                    "the slipping reminder is off; turn it on with "
                    "`salesflow config set remind.slipping on`"
                )
            )
        if post_to_chat:
            post_brief(
                conn,
                evaluated,
                config,
                per_kind=per_kind or BRIEF_PER_KIND,
                kinds=wanted,
                owner=owner,
                days_ahead=days_ahead,
            )
            return  # nothing printed: cron mails nothing
        if fmt == ICS:
            items = reminders.reminders(
                conn,
                evaluated,
                config=config,
                kinds=wanted,
                owner=owner,
                days_ahead=days_ahead,
                detail_args=True,  # events are read by people: details in their language
            )
            write_calendar(items, config, destination)
            return
        listing = Format(fmt.value)
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
            if listing is JSON:
                deliver(output.to_json(summary), destination)
            elif summary["due"]:
                deliver(brief_text(summary), destination)
            return  # cron mails nothing when nothing is due
        # JSON and CSV carry the English detail alone; an English table shows it too (the
        # parts word it the same, tested), another language words it anew.
        reworded = listing is TABLE and current_language() != "en"
        items = reminders.reminders(
            conn,
            evaluated,
            config=config,
            kinds=wanted,
            owner=owner,
            days_ahead=days_ahead,
            everything=everything,
            detail_args=reworded,
        )
        keys = [*reminders.REMINDER_KEYS, *(reminders.STATE_KEYS if everything else ())]
        if listing is not TABLE:
            emit(items, REMINDER_COLUMNS, listing, destination, keys=keys)
            return
        shown = shown_item if reworded or everything else None
        sections = [
            (section_heading(kind_name, rows, everything), rows)
            for kind_name, group in itertools.groupby(items, key=lambda item: item["kind"])
            for rows in [list(group) if shown is None else [shown(row) for row in group]]
        ]
    if not sections:
        return  # cron mails nothing when nothing is due
    columns = [*REMINDER_COLUMNS, STATE_COLUMN] if everything else REMINDER_COLUMNS
    if destination is None and sys.stdout.isatty():
        for heading, rows in sections:
            rich_table(rows, columns, heading)
        return
    text = "\n".join(f"{heading}\n{plain_table(rows, columns)}" for heading, rows in sections)
    deliver(text, destination)


def shown_item(item: dict[str, Any]) -> dict[str, Any]:
    """A reminder as the table shows it: its detail and state in the user's language (an
    English item without --all is shown as it comes)."""
    return {**item, "detail": reminders.detail_text(item), "state_text": state_text(item)}


BRIEF_PER_KIND = 10


def check_remind_options(
    fmt: RemindFormat,
    brief: bool,
    post_to_chat: bool,
    everything: bool,
    per_kind: int | None,
    destination: "Path | None",
) -> None:
    """Refuse the combinations that mean nothing, before the book is opened."""
    if per_kind is not None and not (brief or post_to_chat):
        raise BadValue(_("--per-kind goes with --brief or --notify"))
    if post_to_chat and (everything or destination is not None or fmt != REMIND_TABLE):
        raise BadValue(_("--notify posts the brief to the chat; it takes no --all, -o or --format"))
    if brief and (everything or fmt not in (REMIND_TABLE, JSON)):
        raise BadValue(_("--brief is text or JSON counting what is due; it takes no --all"))
    if fmt == ICS and everything:
        raise BadValue(_("a calendar holds the items still due; it takes no --all"))
    if fmt == ICS and destination is not None and destination.suffix.lower() == WORKBOOK_SUFFIX:
        refuse_text_into_workbook(destination)


# ---------------------------------------------------------------- the list elsewhere

# What each kind asks of the salesperson, as a chat heading and a calendar event's title.
KIND_LABELS = {
    "follow-up": N_("Follow-ups"),
    "no-contact": N_("Time to get in touch"),
    "never-contacted": N_("Never contacted"),
    "used-up": N_("Running out"),
    "no-repurchase": N_("Not bought again"),
    "never-purchased": N_("Not bought yet"),
    "stale-deal": N_("Stalled deals"),
    "close-overdue": N_("Deals past their close date"),
    "birthday": N_("Birthdays"),
    "slipping": N_("Slipping away"),
}
EVENT_SUMMARIES = {
    "follow-up": N_("Follow up: {customer}"),
    "no-contact": N_("Get in touch: {customer}"),
    "never-contacted": N_("First contact: {customer}"),
    "used-up": N_("{product} runs out: {customer}"),
    "no-repurchase": N_("Not bought again: {customer}"),
    "never-purchased": N_("Not bought yet: {customer}"),
    "stale-deal": N_("Deal #{deal} stalled: {customer}"),
    "close-overdue": N_("Deal #{deal} past its close date: {customer}"),
    "birthday": N_("Birthday: {customer}"),
    "slipping": N_("Slipping away: {customer}"),
}


# A kind as the list's headings name it: in English its machine value.
KIND_NAMES = {
    "follow-up": N_("follow-up"),
    "no-contact": N_("no-contact"),
    "never-contacted": N_("never-contacted"),
    "used-up": N_("used-up"),
    "no-repurchase": N_("no-repurchase"),
    "never-purchased": N_("never-purchased"),
    "stale-deal": N_("stale-deal"),
    "close-overdue": N_("close-overdue"),
    "birthday": N_("birthday"),
    "slipping": N_("slipping"),
}


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def event_summary(item: "Mapping[str, Any]") -> str:
    """A calendar event's title: what to do and for whom, e.g. `Follow up: 张三 (A)`."""
    customer = str(item["customer"]) + (f" ({item['tier']})" if item.get("tier") else "")
    template = EVENT_SUMMARIES.get(item["kind"], "{customer}")
    return _(template).format(
        customer=customer, product=item.get("product") or "", deal=item.get("deal_id")
    )


def event_description(item: "Mapping[str, Any]") -> str:
    """A calendar event's notes: the situation, when it fell due, and how to tick it off."""
    lines = [
        reminders.detail_text(item),
        _("Due {day} ({when}).").format(day=item["due"], when=when_text(item["days_overdue"])),
        _("Handled? salesflow remind done {key}").format(key=item["key"]),
    ]
    return "\n".join(line for line in lines if line)


def write_calendar(
    items: "Iterable[dict[str, Any]]", config: "Mapping[str, Any]", destination: "Path | None"
) -> None:
    """The items as an iCalendar file. Written even when nothing is due: a calendar that
    subscribes to the file must see yesterday's events go."""
    from datetime import UTC, datetime

    data = ical.reminder_calendar(
        items,
        alarm_time=ical.parse_alarm_time(str(config["calendar.alarm_time"])),
        summary_for=event_summary,
        description_for=event_description,
        now=datetime.now(UTC),
        name=_("salesflow reminders"),
    )
    if destination is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    output.write_private_file(destination, data, force=True)
    if sys.stderr.isatty():  # a cron job refreshing the file mails nothing
        tell(_("Wrote {path}").format(path=destination))


def robot_settings(config: "Mapping[str, Any]") -> "tuple[notify.Robot, str, str | None]":
    """The robot to post to: notify.kind, and the address and secret from the environment
    (SALESFLOW_NOTIFY_URL, SALESFLOW_NOTIFY_SECRET) or else the settings."""
    url = os.environ.get("SALESFLOW_NOTIFY_URL", "").strip() or str(config["notify.url"])
    secret = os.environ.get("SALESFLOW_NOTIFY_SECRET", "").strip() or str(config["notify.secret"])
    return notify.robot_target(str(config["notify.kind"]), url, secret)


def post_brief(
    conn: "sqlite3.Connection",
    evaluated: "date",
    config: "Mapping[str, Any]",
    *,
    per_kind: int,
    kinds: frozenset[str] | None,
    owner: str | None,
    days_ahead: int,
) -> None:
    """Post the morning list to the chat robot: the brief for people, every item as JSON
    for a plain webhook. Nothing due posts nothing; a failure raises DeliveryFailed."""
    platform, url, secret = robot_settings(config)  # refused even on a quiet morning
    if platform is notify.Robot.WEBHOOK:
        items = list(
            reminders.reminders(
                conn, evaluated, config=config, kinds=kinds, owner=owner, days_ahead=days_ahead
            )
        )
        empty = notify.Brief(title="", total="")
        payloads = notify.messages(platform, empty, items=items, as_of=evaluated)
    else:
        summary = reminders.brief(
            conn,
            evaluated,
            config=config,
            per_kind=per_kind,
            kinds=kinds,
            owner=owner,
            days_ahead=days_ahead,
        )
        payloads = notify.messages(platform, chat_brief(summary))
    if not payloads:
        return
    sent = notify.post(platform, url, payloads, secret=secret)
    if sys.stderr.isatty():  # cron: silence on success
        tell(_("Posted the morning list to the chat ({count} messages)").format(count=sent))


def chat_brief(summary: dict[str, Any]) -> "notify.Brief":
    """The brief as the chat shows it: a heading per kind, its counts, its items."""
    sections = []
    for section in summary["kinds"]:
        lines = [brief_line(item) for item in section["items"]]
        if section["more"]:
            lines.append(_("… and {count} more").format(count=section["more"]))
        sections.append(
            notify.BriefSection(
                heading=kind_label(section["kind"]),
                counts=_("{due} due, {new} new today").format(
                    due=section["due"], new=section["new_today"]
                ),
                lines=tuple(lines),
            )
        )
    return notify.Brief(
        title=_("Morning list {day}").format(day=summary["as_of"]),
        total=_("Total: {due} due, {new} new today").format(
            due=summary["due"], new=summary["new_today"]
        ),
        sections=tuple(sections),
    )


def section_heading(kind: str, rows: list[dict[str, Any]], everything: bool) -> str:
    """`used-up: 12 due`, and with --all how many are snoozed and done."""
    # without --all the list holds only what is due
    states = Counter(row["state"] for row in rows) if everything else Counter(due=len(rows))
    heading = _("{kind}: {count} due").format(kind=kind_name(kind), count=states["due"])
    if everything:
        heading += _(", {snoozed} snoozed, {done} done").format(
            snoozed=states["snoozed"], done=states["done"]
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
                kind=kind_name(section["kind"]), due=section["due"], new=section["new_today"]
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
    when = when_text(item["days_overdue"])
    who = output.display_text(item["customer"])
    if item["tier"]:
        who += f" ({item['tier']})"
    parts = [f"{item['key']} {who}", when]
    if item["product"]:
        parts.append(output.display_text(item["product"]))
    elif item["deal_id"] is not None:
        parts.append(_("deal #{id}").format(id=item["deal_id"]))
    return " · ".join(parts)


def when_text(days: int) -> str:
    """`5 days overdue`, `due today`, `due in 3 days`."""
    if days > 0:
        return _("1 day overdue") if days == 1 else _("{days} days overdue").format(days=days)
    if days == 0:
        return _("due today")
    return _("due tomorrow") if days == -1 else _("due in {days} days").format(days=-days)


def given_on(ctx: typer.Context, as_of: str | None) -> "date":
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
    fmt: RecordFormatOpt = TABLE,
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
    fmt: RecordFormatOpt = TABLE,
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
    ("product", N_("Product")),
    ("stopped_on", N_("Stopped")),
    ("last_bought", N_("Last bought")),
    ("note", N_("Note")),
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
    fmt: RecordFormatOpt = TABLE,
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


CONFIG_COLUMNS = [
    ("key", N_("Key")),
    ("value", N_("Value")),
    ("default", N_("Default")),
    ("help", N_("Meaning")),
]


@config_app.command("list")
def config_list(ctx: typer.Context, fmt: FormatOpt = TABLE, destination: OutputOpt = None) -> None:
    """Show every setting with its value and default.

    Example: salesflow config list
    """
    with open_book(ctx) as conn:
        rows = settings.list_settings(conn)
    if fmt is TABLE:
        rows = [{**row, "help": _(str(row["help"]))} for row in rows]
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
    tell(_("Set {key} = {value}").format(key=key, value=stored))
