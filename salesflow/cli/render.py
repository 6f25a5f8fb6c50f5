"""Rendering plain rows for the terminal: Rich tables on a terminal, plain aligned text in
a pipe, CSV and JSON streams, workbooks, and where they go (stdout or a private file)."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from salesflow.cli.options import CSV, JSON, TABLE, XLSX, Format
from salesflow.cli.root import tell
from salesflow.cli.startup import lazy
from salesflow.errors import BadValue
from salesflow.i18n import N_, _, current_language

if TYPE_CHECKING:
    from rich.console import Console

    from salesflow import output, workbook
else:
    output, workbook = lazy("output", "workbook")

Column = tuple[str, str]  # (key in the row, heading marked with N_(), shown translated)
WORKBOOK_SUFFIX = ".xlsx"
# Rows looked at to decide each workbook column's kind (money, date, integer…).
KIND_SAMPLE_ROWS = 1000


def emit(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[Column],
    fmt: Format,
    destination: Path | None,
    *,
    keys: Sequence[str],
    title: str | None = None,
    total: Mapping[str, Any] | None = None,
) -> None:
    """Render records as a table, CSV or JSON on stdout or into a file, or as a workbook
    into a file (`--format xlsx`, or a FILE.xlsx); CSV, JSON and workbooks stream, so a
    large listing never sits in memory whole. `total` ends a table (bold in a workbook);
    CSV and JSON, being data, carry no total."""
    if writes_workbook(fmt, destination):
        assert destination is not None
        emit_workbook(rows, destination, keys=keys, title=title, total=total)
        return
    if total is not None and fmt is TABLE:
        rows = [*rows, dict(total)]
    if fmt is JSON:
        deliver_chunks(output.json_chunks(rows), destination)
    elif fmt is CSV:
        deliver_chunks(output.csv_chunks(keys, rows), destination)
    elif destination is None and sys.stdout.isatty():
        rich_table(list(rows), columns, title)
    else:
        deliver(plain_table(list(rows), columns), destination)


def needed_keys(
    fmt: Format, destination: Path | None, columns: Sequence[Column], keys: Sequence[str]
) -> Sequence[str]:
    """What a listing must read for `emit`: a table only its columns, anything else (CSV,
    JSON, a workbook) every key."""
    if fmt is TABLE and not writes_workbook(fmt, destination):
        return [key for key, _heading in columns]
    return keys


def headings(columns: Sequence[Column]) -> list[Column]:
    """The columns with their headings in the user's language (keys unchanged)."""
    return [(key, _(heading)) for key, heading in columns]


# Words from the vocabularies, as a table shows them under another language; the data
# (JSON, CSV) keeps the values themselves. Marked "key:value" so each is its own message.
VALUE_LABELS = {
    "channel": {
        "call": N_("channel:call"),
        "visit": N_("channel:visit"),
        "email": N_("channel:email"),
        "sms": N_("channel:sms"),
        "wechat": N_("channel:wechat"),
        "meeting": N_("channel:meeting"),
        "showroom": N_("channel:showroom"),
        "other": N_("channel:other"),
        "web": N_("channel:web"),
        "event": N_("channel:event"),
    },
    "role": {
        "decision-maker": N_("role:decision-maker"),
        "coach": N_("role:coach"),
        "influencer": N_("role:influencer"),
        "purchasing": N_("role:purchasing"),
        "technical": N_("role:technical"),
        "quality": N_("role:quality"),
        "user": N_("role:user"),
        "gatekeeper": N_("role:gatekeeper"),
        "agent": N_("role:agent"),
    },
    "attitude": {
        "supporter": N_("attitude:supporter"),
        "neutral": N_("attitude:neutral"),
        "opponent": N_("attitude:opponent"),
    },
    "status": {
        "open": N_("status:open"),
        "won": N_("status:won"),
        "lost": N_("status:lost"),
        "available": N_("status:available"),
        "reserved": N_("status:reserved"),
        "sold": N_("status:sold"),
    },
    "outcome": {
        "worked": N_("outcome:worked"),
        "failed": N_("outcome:failed"),
    },
}


def shown_rows(rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """Rows as a table shows them: a true flag reads "yes", and vocabulary words (channels,
    roles, statuses…) read as words, in the user's language."""
    if current_language() == "en":
        return rows  # output.display_text already writes "yes"; the words are English
    yes = _("yes")
    return [{key: shown_value(key, value, yes) for key, value in row.items()} for row in rows]


def word(key: str, value: str) -> str:
    """A vocabulary value (a channel, a status…) as a sentence shows it to the user."""
    if current_language() == "en":
        return value
    label = VALUE_LABELS.get(key, {}).get(value)
    return _(label) if label else value


def shown_value(key: str, value: Any, yes: str) -> Any:
    if isinstance(value, bool):
        return yes if value else ""
    label = VALUE_LABELS.get(key, {}).get(value) if isinstance(value, str) else None
    return _(label) if label else value


def plain_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    """Aligned plain text (pipes, files, cron mail) with translated headings."""
    return output.plain_table(shown_rows(rows), headings(columns))


def writes_workbook(fmt: Format, destination: Path | None) -> bool:
    """A workbook for `--format xlsx`, and for a FILE.xlsx unless CSV or JSON is asked for
    (then the name is refused: a .xlsx file that holds text does not open)."""
    named_workbook = destination is not None and destination.suffix.lower() == WORKBOOK_SUFFIX
    if fmt is XLSX:
        if destination is None:
            raise BadValue(
                _("a workbook is written to a file, not to a terminal: add -o FILE.xlsx")
            )
        return True
    if named_workbook and fmt is not TABLE:
        refuse_text_into_workbook(destination)
    return named_workbook


def refuse_text_into_workbook(destination: Path | None) -> None:
    raise BadValue(
        _(
            "{path} is named as a workbook, but this output is text: use --format xlsx, "
            "or a name that does not end in .xlsx"
        ).format(path=destination)
    )


def emit_workbook(
    rows: Iterable[dict[str, Any]],
    destination: Path,
    *,
    keys: Sequence[str],
    title: str | None,
    total: Mapping[str, Any] | None,
) -> None:
    """One sheet named for the content, one typed column per key (headed by the key, as
    CSV and JSON are, so a listing written as a workbook imports back)."""
    source = iter(rows)
    sample = list(itertools.islice(source, KIND_SAMPLE_ROWS))
    columns = [
        workbook.Column(
            key,
            key,
            workbook.column_kind(
                key, [row.get(key) for row in sample] + ([total.get(key)] if total else [])
            ),
        )
        for key in keys
    ]
    workbook.write_workbook(
        destination,
        title or command_title(),
        columns,
        itertools.chain(sample, source),
        total_row=total,
        force=True,
    )
    tell(_("Wrote {path}").format(path=destination))


def command_title() -> str:
    """The running command's words ("customer list"), to name a sheet after its content."""
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    words = []
    while ctx is not None and ctx.parent is not None:
        words.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(words)) or "salesflow"


def deliver(text: str, destination: Path | None) -> None:
    deliver_chunks((text,), destination)


def deliver_chunks(chunks: Iterable[str], destination: Path | None) -> None:
    if destination is not None and destination.suffix.lower() == WORKBOOK_SUFFIX:
        refuse_text_into_workbook(destination)
    if destination is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return
    output.write_private_stream(destination, chunks, force=True)
    tell(_("Wrote {path}").format(path=destination))


def rich_console() -> Console:
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False)


def rich_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[Column], title: str | None
) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, header_style="bold")
    for key, heading in headings(columns):
        justify: Literal["right", "left"] = "right" if output.numeric_column(rows, key) else "left"
        table.add_column(heading, justify=justify, overflow="fold")
    for row in shown_rows(rows):
        table.add_row(*(Text(output.display_text(row.get(key))) for key, _heading in columns))
    rich_console().print(table)


def emit_record(
    record: dict[str, Any], fmt: Format, destination: Path | None, keys: Sequence[str]
) -> None:
    """One record: JSON object, one-row CSV, a field/value listing, or a one-row workbook."""
    if writes_workbook(fmt, destination):
        emit([record], [], XLSX, destination, keys=keys)
    elif fmt is JSON:
        deliver(output.to_json(record), destination)
    elif fmt is CSV:
        deliver(output.to_csv([record], keys), destination)
    else:
        pairs = [
            {"field": field_name(key), "value": record.get(key)}
            for key in keys
            if record.get(key) not in (None, [], {}, "", False)
        ]
        emit(pairs, [("field", N_("Field")), ("value", N_("Value"))], TABLE, destination, keys=keys)


def field_name(key: str) -> str:
    """A record's field as a field/value listing names it: the key, in the user's language
    (FIELD_NAMES marks the keys of the records the commands show)."""
    return _(key)


FIELD_NAMES = (
    N_("id"),
    N_("ref"),
    N_("name"),
    N_("company"),
    N_("phone"),
    N_("email"),
    N_("address"),
    N_("source"),
    N_("referred_by"),
    N_("referred_by_id"),
    N_("owner"),
    N_("department"),
    N_("store"),
    N_("tier"),
    N_("tier_locked"),
    N_("economic"),
    N_("buying"),
    N_("suppliers"),
    N_("urgency"),
    N_("quick_effect"),
    N_("price_fit"),
    N_("tags"),
    N_("profile"),
    N_("notes"),
    N_("created_at"),
    N_("last_contact_at"),
    N_("next_follow_up"),
    N_("last_sale_on"),
    N_("customer_id"),
    N_("customer"),
    N_("title"),
    N_("pipeline"),
    N_("stage"),
    N_("stage_label"),
    N_("amount"),
    N_("probability"),
    N_("expected_close"),
    N_("status"),
    N_("lost_reason"),
    N_("stage_entered_at"),
    N_("closed_on"),
    N_("unit_id"),
    N_("unit"),
    N_("unit_status"),
    N_("deposit_total"),
    N_("contract_no"),
    N_("contract_amount"),
    N_("technique_id"),
    N_("technique"),
    N_("sale_id"),
    N_("sale_ids"),
    N_("forced"),
    N_("role"),
    N_("attitude"),
    N_("last_contact"),
    N_("text"),
    N_("response"),
    N_("uses"),
    N_("worked"),
    N_("worked_pct"),
    N_("at"),
    N_("channel"),
    N_("by"),
    N_("summary"),
    N_("outcome"),
    N_("next_at"),
    N_("deal_id"),
    N_("deal"),
    N_("product_id"),
    N_("product"),
    N_("sku"),
    N_("category"),
    N_("price"),
    N_("cycle_days"),
    N_("quantity"),
    N_("date"),
    N_("rep"),
    N_("returned_amount"),
    N_("return_id"),
    N_("reason"),
    N_("number"),
    N_("answer"),
    N_("answered_on"),
    N_("replaced"),
    N_("code"),
    N_("project"),
    N_("kind"),
    N_("area"),
    N_("label_zh"),
    N_("description"),
    N_("builtin"),
    N_("logged"),
    N_("already_reached"),
    N_("reached"),
    N_("contacts"),
    N_("stopped_on"),
    N_("last_bought"),
    N_("note"),
    N_("book"),
    N_("target"),
    N_("follower_of"),
    N_("txid"),
    N_("refreshed_at"),
)


# The kinds of record, as a sentence names them ("Exported {kind} to {path}") and as a
# count of them reads ("3 contacts").
RECORD_KINDS = {
    "customers": N_("customers"),
    "products": N_("products"),
    "sales": N_("sales"),
    "contacts": N_("contacts"),
    "deals": N_("deals"),
    "returns": N_("returns"),
    "stakeholders": N_("stakeholders"),
    "objections": N_("objections"),
}
RECORD_COUNTS = {
    "customers": N_("{count} customers"),
    "products": N_("{count} products"),
    "sales": N_("{count} sales"),
    "contacts": N_("{count} contacts"),
    "deals": N_("{count} deals"),
    "returns": N_("{count} returns"),
    "stakeholders": N_("{count} stakeholders"),
    "objections": N_("{count} objections"),
}


def record_kind(kind: str) -> str:
    return _(RECORD_KINDS[kind]) if kind in RECORD_KINDS else kind


def counted(kind: str, count: int) -> str:
    """`3 contacts`, in the user's language."""
    return (
        _(RECORD_COUNTS[kind]).format(count=count) if kind in RECORD_COUNTS else f"{count} {kind}"
    )


def confirm_added(message: str, record: dict[str, Any], fmt: Format) -> None:
    """Say what was added (stderr) and, for --format json or csv, print it on stdout.

    `message` is the whole sentence, translated, naming the record's `#id`.
    """
    tell(message)
    if fmt is JSON:
        deliver(output.to_json(record), None)
    elif fmt is CSV:
        deliver(output.to_csv([record], list(record)), None)


# ---------------------------------------------------------------- customers
