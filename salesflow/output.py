"""Turning plain rows into text: JSON, CSV (spreadsheet-safe) and plain aligned tables.

Nothing here knows about terminals; cli.py decides where the text goes and draws Rich
tables when stdout is a terminal.
"""

import io
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from operator import itemgetter
from pathlib import Path
from types import NoneType
from typing import Any

from salesflow.errors import Conflict, NotFound
from salesflow.i18n import _
from salesflow.widths import WIDTHS, learn, text_width

Column = tuple[str, str]  # (key in the row, heading)


class _NoMoney:
    """Stands for Decimal while no module has loaded `decimal`: nothing is one."""


def money() -> type[Any]:
    """The type amounts come in, decimal.Decimal. A value can be one only once `decimal`
    is loaded, so output without money (the morning list, customers, contacts) does not
    load it: about 1 ms of their start-up."""
    module = sys.modules.get("decimal")
    return module.Decimal if module is not None else _NoMoney


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def json_value(value: Any) -> Any:
    if isinstance(value, money()):
        # Amounts carry at most two decimals, so the shortest float text is exact.
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(data: Any) -> str:
    import json  # (csv, json and tempfile load with the output that needs them)

    return json.dumps(data, ensure_ascii=False, indent=2, default=json_value) + "\n"


def cell_text(value: Any) -> str:
    """The text of one value in CSV (money with two decimals, lists joined)."""
    if type(value) is str:  # most cells, every one of a long export: nothing to convert
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, money()):
        return f"{value:.2f}"
    if isinstance(value, list):
        return ", ".join(cell_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}={cell_text(item)}" for key, item in value.items())
    return str(value)


def formula_safe(text: str) -> str:
    """Prefix `'` to a cell a spreadsheet would run as a formula, unless it is a number."""
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(rows: Iterable[dict[str, Any]], keys: Sequence[str], *, raw: bool = False) -> str:
    return "".join(csv_chunks(keys, rows, raw=raw))


def csv_chunks(
    keys: Sequence[str],
    rows: Iterable[dict[str, Any]],
    *,
    raw: bool = False,
    headings: Sequence[str] | None = None,
) -> Iterator[str]:
    """CSV text in chunks, streaming; formula-like cells defused unless `raw`. The header
    row holds `headings` when given (e.g. Chinese), else the keys."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headings or keys)
    for number, row in enumerate(rows, start=1):
        cells = (cell_text(row.get(key)) for key in keys)
        writer.writerow(cells if raw else (formula_safe(cell) for cell in cells))
        if number % 2000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(rows: Iterable[dict[str, Any]], *, batch: int = 1000) -> Iterator[str]:
    """A JSON array, one object per line, streamed in batches (C encoder: no indent)."""
    import json

    yield "["
    encode = json.JSONEncoder(ensure_ascii=False, default=json_value).encode
    separator = "\n  "
    lines: list[str] = []
    for row in rows:
        lines.append(encode(row))
        if len(lines) == batch:
            yield separator + (",\n  ".join(lines))
            separator, lines = ",\n  ", []
    if lines:
        yield separator + ",\n  ".join(lines)
    yield "\n]\n"


def display_text(value: Any) -> str:
    """A value as a table shows it: thousands separators, control characters escaped."""
    if isinstance(value, money()):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return "yes" if value else ""
    text = cell_text(value)
    return CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


def is_numeric(value: Any) -> bool:
    return isinstance(value, int | float | money()) and not isinstance(value, bool)


def numeric_column(rows: Sequence[dict[str, Any]], key: str) -> bool:
    """Right-align a column whose every value is a number."""
    values = [row.get(key) for row in rows if row.get(key) is not None]
    return bool(values) and all(is_numeric(value) for value in values)


def plain_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    """Aligned plain text, nothing truncated, for pipes, files and cron mail.

    Column by column, since a listing can hold a hundred thousand cells, and with no Python
    call per cell: each cell's text once (`column_texts`); an all-ASCII column is padded by
    the line's format (`%-12s`, one `%` per line for every such column); any other is
    padded to its width in terminal columns text by distinct text (names, stores, reps,
    channels repeat down a column). The last column is not padded: every line's trailing
    blanks are stripped anyway.
    """
    cells: list[list[str]] = []
    shapes: list[str] = []
    last = len(columns) - 1
    for number, (key, heading) in enumerate(columns):
        try:
            values = list(map(itemgetter(key), rows))
        except KeyError:  # a row without the key shows an empty cell
            values = [row.get(key) for row in rows]
        kinds = set(map(type, values))
        kinds.discard(NoneType)
        texts = [heading, *column_texts(values, kinds)]
        number_types = int | float | money()
        right = bool(kinds) and all(
            issubclass(kind, number_types) and not issubclass(kind, bool) for kind in kinds
        )  # as numeric_column: every value a number
        cells.append(texts)
        joined = "".join(texts)
        if number == last and not right:  # nothing follows it: no width to measure
            shapes.append("%s")
        elif joined.isascii():  # one terminal column per character: % pads it
            shapes.append(f"%{'' if right else '-'}{max(map(len, texts))}s")
        else:
            distinct = set(texts)
            learn("".join(distinct))  # every character of the column measured at once
            measured = WIDTHS.get
            widths = {
                text: len(text) if text.isascii() else measured(text) or text_width(text)
                for text in distinct
            }
            width = max(widths.values())
            if right:
                shaped = {text: " " * (width - w) + text for text, w in widths.items()}
            else:
                shaped = {text: text + " " * (width - w) for text, w in widths.items()}
            cells[-1] = list(map(shaped.__getitem__, texts))
            shapes.append("%s")
    if not cells:
        return "\n" * (len(rows) + 1)
    line = "  ".join(shapes)
    return "\n".join(map(str.rstrip, map(line.__mod__, zip(*cells, strict=True)))) + "\n"


def column_texts(values: list[Any], kinds: set[type] | None = None) -> list[str]:
    """`display_text` of every value of a column; `kinds`, the types of its values other
    than None, picks a path for the common columns (texts, whole numbers) that makes no call
    per cell."""
    if kinds is None:
        kinds = set(map(type, values)) - {NoneType}
    if kinds <= {str}:
        texts = ["" if value is None else value for value in values] if None in values else values
        if "".join(texts).isprintable():  # no control character anywhere: nothing to escape
            return texts
        return [text if text.isprintable() else display_text(text) for text in texts]
    if kinds <= {int}:
        return ["" if value is None else str(value) for value in values]
    return [display_text(value) for value in values]


def write_private_file(path: Path, data: bytes, *, force: bool) -> None:
    """Write atomically, mode 0600; an existing file is replaced only with `force`."""
    write_private_stream(path, (data,), force=force)


def write_private_stream(path: Path, chunks: Iterable[str | bytes], *, force: bool) -> None:
    """Write chunks to a temporary file beside `path`, then move it into place (0600)."""
    if path.exists() and not force:
        raise Conflict(_("{path} already exists").format(path=path), hint="force")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise NotFound(
            _("cannot write {path}: folder {folder} does not exist").format(
                path=path, folder=folder
            )
        )
    import tempfile

    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, 0o600)
        with os.fdopen(handle, "wb") as file:
            for chunk in chunks:
                file.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
