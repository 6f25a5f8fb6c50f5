"""Rendering plain rows for the terminal: Rich tables on a terminal, plain aligned text in
a pipe, CSV and JSON streams, and where they go (stdout or a private file)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from salesflow.cli.root import tell
from salesflow.cli.options import CSV, JSON, TABLE, Format
from salesflow.cli.startup import lazy
from salesflow.i18n import _

if TYPE_CHECKING:
    from rich.console import Console

    from salesflow import output
else:
    (output,) = lazy("output")

Column = tuple[str, str]  # (key in the row, heading)


def emit(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[Column],
    fmt: Format,
    destination: Path | None,
    *,
    keys: Sequence[str],
    title: str | None = None,
) -> None:
    """Render records as a table, CSV or JSON on stdout or into a file; CSV and JSON
    stream, so a large listing never sits in memory whole."""
    if fmt is JSON:
        deliver_chunks(output.json_chunks(rows), destination)
    elif fmt is CSV:
        deliver_chunks(output.csv_chunks(keys, rows), destination)
    elif destination is None and sys.stdout.isatty():
        rich_table(list(rows), columns, title)
    else:
        deliver(output.plain_table(list(rows), columns), destination)


def deliver(text: str, destination: Path | None) -> None:
    deliver_chunks((text,), destination)


def deliver_chunks(chunks: Iterable[str], destination: Path | None) -> None:
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
    for key, heading in columns:
        justify: Literal["right", "left"] = "right" if output.numeric_column(rows, key) else "left"
        table.add_column(heading, justify=justify, overflow="fold")
    for row in rows:
        table.add_row(*(Text(output.display_text(row.get(key))) for key, _ in columns))
    rich_console().print(table)


def emit_record(
    record: dict[str, Any], fmt: Format, destination: Path | None, keys: Sequence[str]
) -> None:
    """One record: JSON object, one-row CSV, or a field/value listing."""
    if fmt is JSON:
        deliver(output.to_json(record), destination)
    elif fmt is CSV:
        deliver(output.to_csv([record], keys), destination)
    else:
        pairs = [
            {"field": key, "value": record.get(key)}
            for key in keys
            if record.get(key) not in (None, [], {}, "", False)
        ]
        emit(pairs, [("field", "Field"), ("value", "Value")], TABLE, destination, keys=keys)


def confirm_added(what: str, record: dict[str, Any], fmt: Format, label: str) -> None:
    tell(f"{what} #{record['id']} {label}".rstrip())
    if fmt is JSON:
        deliver(output.to_json(record), None)
    elif fmt is CSV:
        deliver(output.to_csv([record], list(record)), None)


# ---------------------------------------------------------------- customers
