"""Spreadsheet workbooks: reading .xlsx/.xls/.ods into text rows, writing typed .xlsx.

Reading gives what the CSV import already consumes: a header and rows of strings, each row
with the number Excel shows beside it. Cells come in the way the person who typed them
means them: a phone stored as a number is its digits, money is exact to the cent, dates are
ISO text. A workbook is a zip of XML (or an OLE2 container for .xls), so it is checked
before any parser sees it: not a workbook, password-protected, damaged, a zip bomb or an XML
document type declaration (entity expansion) are refused with `BadWorkbook`.

Writing streams rows into a real workbook of one sheet through XlsxWriter in its
constant-memory mode: numbers as numbers, dates as dates, text as inline strings that no
spreadsheet runs as a formula or turns into a link.

python-calamine and XlsxWriter are imported inside the functions that read and write, so
loading this module costs start-up nothing beyond the standard library.
"""

import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from math import isfinite
from pathlib import Path
from typing import IO, Any

from salesflow.errors import BadInput, BadValue, Conflict, NotFound
from salesflow.i18n import _
from salesflow.output import cell_text, text_width

# A workbook larger than these is refused before it is unpacked. Excel's ceiling is
# 1,048,576 rows, and a million rows of ten columns (as `write_workbook` exports them)
# unpack to about 460 MB of XML: 1 GiB lets a full export of sales come back in.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
# Real workbooks have a few dozen parts; thousands mean a crafted archive.
MAX_ENTRIES = 10_000
# Sheet XML compresses about 10:1 and rarely past 100:1; deflate tops out near 1032:1, so a
# part above this ratio is almost all repetition, the shape of a zip bomb. Small parts are
# exempt: a ratio means nothing for a few kilobytes.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
# How far into an XML part a document type declaration is looked for; the prolog of a
# workbook part is an XML declaration and nothing else.
PROLOG_BYTES = 64 * 1024

# The file names each format goes by, keyed by the format `check_workbook` finds inside.
SUFFIXES_OF = {".xlsx": (".xlsx", ".xlsm"), ".ods": (".ods",), ".xls": (".xls",)}
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Encrypted OOXML is an OLE2 container holding these two streams (MS-OFFCRYPTO); directory
# entries store their names in UTF-16LE.
ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ZIP_FLAG_ENCRYPTED = 0x1
READ_CHUNK = 1024 * 1024

# Excel keeps 15 significant digits and shows no more; a binary float rounded there is the
# decimal the person typed or saw (0.30000000000000004 → 0.3, 59.970000000000006 → 59.97).
SIGNIFICANT_DIGITS = 15  # also in number_text's ".15g"
# Serial 2958465 is 9999-12-31, the last day Excel can hold.
LAST_SERIAL = 2_958_465
# The 1904 date system (old Mac Excel) counts from 1904-01-01 (serial 0), 1462 days later.
DAYS_TO_1904 = 1462
PHANTOM_LEAP_DAY = 60  # Excel counts 1900-02-29, which never existed (Lotus 1-2-3's bug)

Cell = str | int | float | bool | date | datetime | time | timedelta | None
Rows = Iterator[tuple[int, list[str]]]


class BadWorkbook(BadInput):
    """The file cannot be read safely as a workbook (exit 65, nothing imported)."""


# ---------------------------------------------------------------- reading


@dataclass
class Sheet:
    """One sheet opened for reading: its name, its header and its data rows, and whether
    its workbook counts dates in the 1904 date system (see `excel_serial_to_date`)."""

    name: str
    header: list[str]
    rows: Rows
    date_1904: bool = False


def read_sheet(
    path: Path | str, *, sheet: str | int | None = None, header_row: int | None = None
) -> tuple[list[str], Rows]:
    """The header and the data rows of one sheet, every cell as text.

    `sheet` is a name or a 1-based number (default: the first visible worksheet);
    `header_row` is the 1-based row holding the header, everything above it (merged title
    rows) skipped; without it the first non-empty row is the header. Rows come as
    (row number Excel shows, cells), empty rows skipped, trailing empty cells dropped.

    A date typed into a number-formatted cell arrives as its serial number ("46086"); the
    importer should pass a plain number found in a date field through `excel_serial_to_date`
    (only for workbooks: in CSV such a number is a typing error).
    """
    opened = open_sheet(path, sheet=sheet, header_row=header_row)
    return opened.header, opened.rows


def open_sheet(
    path: Path | str,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
    any_name: bool = False,
) -> Sheet:
    """`read_sheet`, also naming the sheet it read.

    With `any_name` a file is read by its content whatever it is called (a workbook saved
    as `list.csv`); otherwise only workbook names are read.
    """
    path = Path(path)
    if header_row is not None and header_row < 1:
        raise BadValue(_("the header row must be 1 or more, not {row}").format(row=header_row))
    content = check_workbook(path, any_name=any_name)
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        if path.suffix.lower() in SUFFIXES_OF[content]:
            with CalamineWorkbook.from_path(path) as book:
                name = _pick_sheet(path, book.sheet_names, book.sheets_metadata, sheet)
                grid = book.get_sheet_by_name(name)
        else:
            # Named for another format (an .xlsx saved as .xls): the reader goes by content.
            with path.open("rb") as handle, CalamineWorkbook.from_filelike(handle) as book:
                name = _pick_sheet(path, book.sheet_names, book.sheets_metadata, sheet)
                grid = book.get_sheet_by_name(name)
    except PasswordError:
        raise BadWorkbook(_encrypted(path)) from None
    except CalamineError:
        raise BadWorkbook(
            _(
                "{path} cannot be read as a workbook; save it again from the spreadsheet program"
            ).format(path=path)
        ) from None
    if grid.start is None:
        raise BadWorkbook(
            _("sheet {sheet} of {path} is empty: a header row is required").format(
                sheet=name, path=path
            )
        )
    rows = _text_rows(grid.iter_rows())
    for number, cells in rows:
        if header_row is None or number == header_row:
            return Sheet(name, cells, rows, content == ".xlsx" and _counts_from_1904(path))
        if number > header_row:
            break
    if header_row is None:
        raise BadWorkbook(
            _("sheet {sheet} of {path} is empty: a header row is required").format(
                sheet=name, path=path
            )
        )
    raise BadWorkbook(
        _("row {row} of sheet {sheet} is empty: the header must be on that row").format(
            row=header_row, sheet=name
        )
    )


def is_workbook(path: Path) -> bool:
    """Whether a file is to be read as a workbook: by its name, or by its first bytes
    (a zip or an OLE2 container, which no CSV file starts with)."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(OLE2_MAGIC))
    except OSError:
        return False
    return magic.startswith(ZIP_MAGIC) or magic == OLE2_MAGIC


def _pick_sheet(
    path: Path, names: list[str], sheets: Sequence[Any], wanted: str | int | None
) -> str:
    if wanted is None:
        from python_calamine import SheetTypeEnum, SheetVisibleEnum

        for entry in sheets:
            if entry.typ == SheetTypeEnum.WorkSheet and entry.visible == SheetVisibleEnum.Visible:
                return str(entry.name)
        if names:
            return names[0]
    elif isinstance(wanted, str) and wanted in names:
        return wanted
    elif isinstance(wanted, str):
        folded = [name for name in names if name.casefold() == wanted.strip().casefold()]
        if len(folded) == 1:
            return folded[0]
        if wanted.strip().isdigit():
            return _pick_sheet(path, names, sheets, int(wanted))
    elif 1 <= wanted <= len(names):
        return names[wanted - 1]
    raise BadValue(
        _("{path} has no sheet {sheet}; its sheets are: {names}").format(
            path=path, sheet=wanted, names=", ".join(names) or _("(none)")
        )
    )


def _text_rows(grid: Iterable[list[Any]]) -> Rows:
    # The reader yields one list per sheet row from row 1 on (empty lists for rows above
    # the data), so the position is the row number Excel shows.
    # The common cell types go straight to their conversion: a million rows pass here.
    fast: dict[type, Callable[[Any], str]] = {float: number_text, date: date.isoformat}
    for number, values in enumerate(grid, start=1):
        cells = [
            value if type(value) is str else fast.get(type(value), cell_as_text)(value)
            for value in values
        ]
        while cells and not cells[-1].strip():
            cells.pop()
        if cells:
            yield number, cells


def cell_as_text(value: Cell) -> str:
    """One cell the way the person who typed it means it (see the module's docstring)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, datetime):
        return _moment_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        moment = _to_the_second(datetime.combine(date(2000, 1, 1), value))
        return moment.strftime("%H:%M")
    seconds = round(value.total_seconds())
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def number_text(value: float) -> str:
    """A number cell as plain decimal text: no `.0`, no exponent, no binary-float noise."""
    if value.is_integer() and abs(value) < 10**SIGNIFICANT_DIGITS:
        return str(int(value))
    text = format(value, ".15g")
    if "e" not in text and text != "-0":
        return text  # the common case, without Decimal
    text = format(Decimal(text), "f")
    return "0" if text in ("-0", "0") else text


def _to_the_second(moment: datetime) -> datetime:
    # A time is a fraction of a day in the file; a reader's float error can land a
    # microsecond short of the minute the person typed.
    if moment.microsecond >= 500_000:
        moment += timedelta(seconds=1)
    return moment.replace(microsecond=0)


def _moment_text(moment: datetime) -> str:
    moment = _to_the_second(moment)
    if moment.hour == moment.minute == 0:
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M")


def excel_serial_to_date(value: float | str, *, date_1904: bool = False) -> str:
    """An Excel date serial number as ISO text, as `read_sheet` gives dates.

    Call it for a plain number in a date field of a workbook: a date typed into a cell
    formatted as a number reads as its serial ("46086" is 2026-03-05). A fraction of a day
    adds the time ("46086.5" is "2026-03-05 12:00"). `date_1904`: the workbook counts in
    the 1904 date system (`Sheet.date_1904`), where serial 0 is 1904-01-01.
    """
    first, last = (0, LAST_SERIAL - DAYS_TO_1904) if date_1904 else (1, LAST_SERIAL)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    refused = BadValue(
        _("{value} is not an Excel date serial (a number from {first} to {last})").format(
            value=value, first=first, last=last
        )
    )
    if not first <= number < last + 1:
        raise refused
    whole = int(number)
    seconds = round((number - whole) * 86_400)
    whole, seconds = whole + seconds // 86_400, seconds % 86_400  # 23:59:59.99 is midnight
    if whole > last:
        raise refused
    if date_1904:
        return _moment_text(datetime(1904, 1, 1) + timedelta(days=whole, seconds=seconds))
    if whole == PHANTOM_LEAP_DAY:
        raise BadValue(
            _("Excel date serial {value} is 1900-02-29, a day that never existed").format(
                value=value
            )
        )
    # Before the phantom day Excel's count is one ahead of the calendar's.
    epoch = datetime(1899, 12, 31) if whole < PHANTOM_LEAP_DAY else datetime(1899, 12, 30)
    return _moment_text(epoch + timedelta(days=whole, seconds=seconds))


# ---------------------------------------------------------------- checks before parsing


def check_workbook(path: Path, *, any_name: bool = False) -> str:
    """Refuse a file no workbook parser should see; return the format its content has.

    The answer is ".xlsx", ".ods" or ".xls" whatever the file is called; without
    `any_name` the file must also be called like a workbook.
    """
    suffix = path.suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES and not any_name:
        raise BadWorkbook(
            _("{path}: a workbook's name ends in {suffixes}").format(
                path=path, suffixes=", ".join(WORKBOOK_SUFFIXES)
            )
        )
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(OLE2_MAGIC))
            if magic == OLE2_MAGIC:
                if _holds_encrypted_package(handle):
                    raise BadWorkbook(_encrypted(path))
                return ".xls"
    except FileNotFoundError:
        raise NotFound(_("{path} does not exist").format(path=path)) from None
    except IsADirectoryError:
        raise BadWorkbook(_("{path} is a folder, not a workbook").format(path=path)) from None
    except PermissionError:
        raise BadWorkbook(_("{path} cannot be read: permission denied").format(path=path)) from None
    if magic.startswith(ZIP_MAGIC):
        return _check_archive(path)
    raise BadWorkbook(_not_a_workbook(path))


def _counts_from_1904(path: Path) -> bool:
    """Whether an .xlsx (already checked by `check_workbook`: no DTD, no bomb) uses the 1904
    date system: `<workbookPr date1904="1"/>` in its workbook part, read with the standard
    XML parser up to that element. Its date cells read right either way; a date typed as a
    plain number needs to know."""
    from xml.etree.ElementTree import Element, ParseError, XMLPullParser

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        part = WORKBOOK_PART if WORKBOOK_PART in names else None
        if part is None:  # named otherwise: the part of the main content type
            part = next((n for n in sorted(names) if n.lower().endswith("/workbook.xml")), None)
        if part is None:
            return False
        parser: XMLPullParser[Element] = XMLPullParser(events=("start",))
        try:
            with archive.open(part) as xml:
                # The element comes near the top of the part: only its first MiB is read,
                # so no crafted part (one enormous token) costs more than that.
                for _chunk in range(WORKBOOK_PREFIX_CHUNKS):
                    data = xml.read(READ_CHUNK // WORKBOOK_PREFIX_CHUNKS)
                    if not data:
                        break
                    parser.feed(data)
                    for event in parser.read_events():
                        element = event[-1]  # a start event: (name, element)
                        if not isinstance(element, Element):
                            continue
                        if element.tag.rpartition("}")[2] == "workbookPr":
                            return element.get("date1904", "").strip().lower() in ("1", "true")
        except (ParseError, ValueError, LookupError):  # unreadable, or an encoding expat lacks
            pass
    return False  # what calamine reads of it is read in the 1900 system


WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_PREFIX_CHUNKS = 16


def _holds_encrypted_package(handle: IO[bytes]) -> bool:
    # Directory sectors may sit anywhere in the container, so the whole file is searched,
    # in overlapping chunks so a name split across two reads is still found.
    overlap = max(len(name) for name in ENCRYPTED_STREAMS)
    found: set[bytes] = set()
    tail = b""
    while chunk := handle.read(READ_CHUNK):
        window = tail + chunk
        found.update(name for name in ENCRYPTED_STREAMS if name in window)
        if len(found) == len(ENCRYPTED_STREAMS):
            return True
        tail = window[-overlap:]
    return False


def _check_archive(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _refuse_bombs(path, entries)
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" in names:
                content = ".xlsx"
            elif "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE:
                content = ".ods"
            else:
                raise BadWorkbook(_not_a_workbook(path))
            if any(entry.flag_bits & ZIP_FLAG_ENCRYPTED for entry in entries):
                raise BadWorkbook(_encrypted(path))
            for entry in entries:
                _verify_part(path, archive, entry)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        # BadZipFile covers a broken directory and a CRC mismatch; a part that unpacks
        # beyond its declared size fails its CRC, so declared sizes are proven here.
        raise BadWorkbook(
            _("{path} is damaged (its zip archive cannot be read); save it again").format(path=path)
        ) from None
    return content


def _refuse_bombs(path: Path, entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise BadWorkbook(
            _("{path} holds {count} parts, more than the {limit} a workbook may have").format(
                path=path, count=len(entries), limit=MAX_ENTRIES
            )
        )
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_UNPACKED_BYTES:
        raise BadWorkbook(
            _(
                "{path} would unpack to {size} MB, more than the {limit} MB a workbook may hold"
            ).format(path=path, size=unpacked // 2**20, limit=MAX_UNPACKED_BYTES // 2**20)
        )
    for entry in entries:
        packed = max(entry.compress_size, 1)
        if (
            entry.file_size >= RATIO_CHECKED_FROM_BYTES
            and entry.file_size > MAX_COMPRESSION_RATIO * packed
        ):
            raise BadWorkbook(
                _(
                    "{path} has a part compressed {ratio} to 1 (at most {limit} to 1 is "
                    "accepted); it looks like a zip bomb"
                ).format(path=path, ratio=entry.file_size // packed, limit=MAX_COMPRESSION_RATIO)
            )


def _verify_part(path: Path, archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """Read one part to its end (checking its CRC) and refuse a DTD in an XML part."""
    is_xml = entry.filename.lower().endswith((".xml", ".rels", ".vml"))
    with archive.open(entry) as part:
        head = part.read(PROLOG_BYTES if is_xml else READ_CHUNK)
        if is_xml and _declares_doctype(head):
            raise BadWorkbook(
                _(
                    "{path} declares an XML document type in its part {part}; workbooks never "
                    "need one (it can expand entities), so the file is refused"
                ).format(path=path, part=entry.filename)
            )
        while part.read(READ_CHUNK):
            pass


def _declares_doctype(head: bytes) -> bool:
    """Whether the prolog of an XML part holds a declaration (`<!DOCTYPE`, `<!ENTITY`).

    Comments and processing instructions are stepped over, so padding cannot push a
    DOCTYPE out of sight; a prolog that fills the whole head counts as one.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head[: len(head) // 2 * 2].decode("utf-16", errors="replace").encode("utf-8")
    elif head.startswith((b"<\x00", b"\x00<")):  # UTF-16 without its mark, as XML parsers read it
        codec = "utf-16-le" if head[0] else "utf-16-be"
        head = head[: len(head) // 2 * 2].decode(codec, errors="replace").encode("utf-8")
    position = 0
    while True:
        start = head.find(b"<", position)
        if start < 0:
            return len(head) >= PROLOG_BYTES
        if head.startswith(b"<!--", start):
            closing, step = head.find(b"-->", start + 4), 3
        elif head.startswith(b"<?", start):
            closing, step = head.find(b"?>", start + 2), 2
        else:
            return head.startswith(b"<!", start)
        if closing < 0:
            return True
        position = closing + step


def _not_a_workbook(path: Path) -> str:
    return _("{path} is not a workbook (.xlsx, .xls or .ods)").format(path=path)


def _encrypted(path: Path) -> str:
    return _("{path} is password-protected; save an unprotected copy and use that").format(
        path=path
    )


# ---------------------------------------------------------------- writing


class ColumnKind(StrEnum):
    """How a column's values are stored and shown in the workbook."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    MONEY = "money"  # amounts in currency units (Decimal), shown with two decimals
    PERCENT = "percent"  # percentage points as salesflow holds them: 12.5 means 12.5 %
    DATE = "date"  # date or ISO text
    DATETIME = "datetime"  # datetime or ISO text; a value without a time shows as a date


@dataclass(frozen=True)
class Column:
    """One column of an exported sheet: the row's key, its heading and its kind."""

    key: str
    heading: str
    kind: ColumnKind = ColumnKind.TEXT


NUMBER_FORMATS = {
    ColumnKind.INTEGER: "0",
    ColumnKind.MONEY: "#,##0.00",
    ColumnKind.PERCENT: "0.0%",
    ColumnKind.DATE: "yyyy-mm-dd",
    ColumnKind.DATETIME: "yyyy-mm-dd hh:mm",
}
# Widths come from the headings and the first rows: constant-memory mode writes each row
# out as soon as the next begins, and columns must be sized before the first row, so a
# bounded sample is held back and measured. Later, longer cells are not fitted.
WIDTH_SAMPLE_ROWS = 1000
MAX_COLUMN_WIDTH = 60
MAX_SHEET_NAME = 31
FORBIDDEN_IN_SHEET_NAMES = r"[\[\]:*?/\\\x00-\x1f]"
# Excel's sheet holds 1,048,576 rows; the header takes one.
MAX_DATA_ROWS = 1_048_575
# Integers beyond Excel's 15 digits would be rounded, so they are written as text.
LARGEST_EXACT_INTEGER = 10**15
FIRST_EXCEL_DAY = date(1900, 1, 1)  # Excel has no dates before it: such values stay text
# A column repeats its days; each distinct value is parsed once, up to this many.
MOMENTS_REMEMBERED = 100_000
WORKBOOK_OPTIONS = {
    # One row in memory at a time, text written inline: a million rows in constant memory.
    "constant_memory": True,
    # Text stays text: never a formula, a link or a number read from it.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    # A sheet's XML past 2 GiB (a million rows of long text) still packs; below that the
    # zip is the same as without it.
    "use_zip64": True,
}


def sheet_title(name: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, no edge quotes."""
    cleaned = re.sub(FORBIDDEN_IN_SHEET_NAMES, "_", name).strip()
    cleaned = cleaned.strip("'")[:MAX_SHEET_NAME].strip().strip("'")
    if not cleaned:
        return "Sheet1"
    if cleaned.casefold() == "history":  # reserved by Excel
        return cleaned + "_"
    return cleaned


def write_workbook(
    path: Path | str,
    sheet_name: str,
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    *,
    total_row: Mapping[str, Any] | None = None,
    force: bool = False,
) -> int:
    """Write one sheet of typed cells atomically (mode 0600); return the rows written.

    The header is bold and frozen; `total_row` is appended in bold. An existing file is
    replaced only with `force`. Rows are streamed: memory does not grow with their number.
    """
    path = Path(path)
    if path.exists() and not force:
        raise Conflict(_("{path} already exists").format(path=path), hint="force")
    folder = path.parent
    if not folder.is_dir():
        raise NotFound(
            _("cannot write {path}: folder {folder} does not exist").format(
                path=path, folder=folder
            )
        )
    import xlsxwriter

    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)  # mkstemp made it 0600; XlsxWriter reopens and truncates it in place
    try:
        # Row data spills to scratch files; beside the target they use its disk, not a
        # /tmp that may live in memory, and go away even when writing fails midway.
        with tempfile.TemporaryDirectory(dir=folder, prefix=f".{path.name}.") as scratch:
            book = xlsxwriter.Workbook(temporary, {**WORKBOOK_OPTIONS, "tmpdir": scratch})
            try:
                written = _fill_sheet(book, sheet_title(sheet_name), columns, rows, total_row)
            except BaseException:
                _abandon(book)
                raise
            book.close()
        with open(temporary, "rb") as finished:
            os.fsync(finished.fileno())
        _move_into_place(Path(temporary), path, force=force)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return written


def _abandon(book: Any) -> None:
    """Close the scratch file of rows a failed export leaves open (closing the workbook
    would first pack every row written so far)."""
    for sheet in book.worksheets():
        scratch = getattr(sheet, "row_data_fh", None)
        if scratch is not None:
            scratch.close()


def _move_into_place(temporary: Path, path: Path, *, force: bool) -> None:
    if force:
        os.replace(temporary, path)
        return
    # A hard link never replaces, so a file that appeared while the rows were written is
    # kept; filesystems without links fall back to the earlier existence check.
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise Conflict(_("{path} already exists").format(path=path), hint="force") from None
    except OSError:
        os.replace(temporary, path)
        return
    temporary.unlink()


def _fill_sheet(
    book: Any,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    total_row: Mapping[str, Any] | None,
) -> int:
    """Widths, the frozen bold header, the rows and the bold total, in that order (in
    constant-memory mode a row is final once the next one begins)."""
    sheet = book.add_worksheet(title)
    plain = _Formats(book, bold=False)
    bold = _Formats(book, bold=True)
    source = iter(rows)
    sample = [row for _, row in zip(range(WIDTH_SAMPLE_ROWS), source, strict=False)]
    for index, column in enumerate(columns):
        values = [row.get(column.key) for row in sample]
        if total_row is not None:
            values.append(total_row.get(column.key))
        sheet.set_column(index, index, _column_width(column, values))
    heading = [_text_writer(sheet, index, bold.general) for index in range(len(columns))]
    for write, column in zip(heading, columns, strict=True):
        write(0, column.heading)
    sheet.freeze_panes(1, 0)
    writers = [
        (column.key, _cell_writer(sheet, index, column.kind, plain))
        for index, column in enumerate(columns)
    ]
    last_row = MAX_DATA_ROWS - (total_row is not None)
    written = 0
    for written, row in enumerate(_chain(sample, source), start=1):
        if written > last_row:
            raise Conflict(
                _(
                    "more than {count} rows do not fit on one sheet of a workbook; "
                    "write them as CSV instead"
                ).format(count=last_row)
            )
        get = row.get
        for key, write in writers:
            value = get(key)
            if value is not None and value != "":
                write(written, value)
    if total_row is not None:
        for index, column in enumerate(columns):
            value = total_row.get(column.key)
            if value is not None and value != "":
                _cell_writer(sheet, index, column.kind, bold)(written + 1, value)
    return written


class _Formats:
    """The formats of one weight (plain or bold) for every column kind, made once."""

    def __init__(self, book: Any, *, bold: bool) -> None:
        weight = {"bold": True} if bold else {}
        # Plain text and plain numbers need no format of their own, only the weight.
        self.general = book.add_format(weight) if bold else None
        self.of = {
            kind: book.add_format({**weight, "num_format": pattern})
            for kind, pattern in NUMBER_FORMATS.items()
        }


# The worksheet of XlsxWriter writes text of the shape `<r>…</r>` unescaped in
# constant-memory mode (it takes it for a rich string it built itself), so such text
# would end up as XML in the sheet: a formula even. It goes in as a rich string of two
# runs in the cell's own font instead, each run escaped; readers join the runs.
RICH_START, RICH_END = "<r>", "</r>"


def _text_writer(sheet: Any, column: int, style: Any) -> Callable[[int, Any], None]:
    """A function writing one value of the column as text into a given row."""
    from xlsxwriter.format import Format

    write_string = sheet.write_string
    write_rich_string = sheet.write_rich_string
    run_font = style if style is not None else Format()  # the default font, for plain text
    cell_style = () if style is None else (style,)

    def text(row: int, value: Any) -> None:
        shown = value if type(value) is str else cell_text(value)
        if shown.startswith(RICH_START) and shown.endswith(RICH_END):
            write_rich_string(row, column, shown[:1], run_font, shown[1:], *cell_style)
        else:
            write_string(row, column, shown, style)

    return text


def _cell_writer(
    sheet: Any, column: int, kind: ColumnKind, formats: _Formats
) -> Callable[[int, Any], None]:
    """A function writing one value of the column into a given row, typed by `kind`.

    The writer and its format are chosen here, once per column; a value the kind cannot
    hold (a word in a money column) stays the text it is.
    """
    text = _text_writer(sheet, column, formats.general)
    if kind == ColumnKind.TEXT:
        return text
    if kind in (ColumnKind.DATE, ColumnKind.DATETIME):
        return _moment_writer(sheet, column, kind, formats, text)
    write_number = sheet.write_number
    style = formats.of.get(kind, formats.general)

    if kind == ColumnKind.PERCENT:

        def percent(row: int, value: Any) -> None:
            amount = _as_number(value, kind)
            if amount is None:
                text(row, value)
            else:
                write_number(row, column, amount, style)

        return percent

    def number(row: int, value: Any) -> None:
        # The types a million rows bring, each converted once and written straight away.
        cls = value.__class__
        if cls is int:
            if -LARGEST_EXACT_INTEGER < value < LARGEST_EXACT_INTEGER:
                write_number(row, column, value, style)
                return
        elif cls is Decimal:
            if value.is_finite() and isfinite(converted := float(value)):
                write_number(row, column, converted, style)
                return
        elif cls is float and isfinite(value):
            write_number(row, column, value, style)
            return
        amount = _as_number(value, kind)
        if amount is None:
            text(row, value)
        else:
            write_number(row, column, amount, style)

    return number


def _moment_writer(
    sheet: Any,
    column: int,
    kind: ColumnKind,
    formats: _Formats,
    text: Callable[[int, Any], None],
) -> Callable[[int, Any], None]:
    """A function writing one date or datetime of the column: each distinct value is
    parsed once, then handed to XlsxWriter as a date with its format."""
    write_datetime = sheet.write_datetime
    day_style = formats.of[ColumnKind.DATE]
    moment_style = formats.of[kind]
    known: dict[Any, tuple[date, Any] | None] = {}

    def prepared(value: Any) -> tuple[date, Any] | None:
        when = _as_moment(value)
        if when is None:
            return None
        if isinstance(when, datetime):
            if when.tzinfo is not None:
                return None
            when = when.replace(microsecond=0)
            if kind == ColumnKind.DATE or when.time() == time():
                when = when.date()
        if (when.date() if isinstance(when, datetime) else when) < FIRST_EXCEL_DAY:
            return None
        return when, (moment_style if isinstance(when, datetime) else day_style)

    def moment(row: int, value: Any) -> None:
        try:
            found = known[value]
        except KeyError:
            found = known[value] = prepared(value)
            if len(known) > MOMENTS_REMEMBERED:
                known.clear()
        except TypeError:  # not hashable: not a date either
            found = None
        if found is None:
            text(row, value)
        else:
            write_datetime(row, column, found[0], found[1])

    return moment


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?")


def column_kind(key: str, values: Iterable[Any]) -> ColumnKind:
    """The kind of a column of plain rows, from its key and the values it holds.

    Keys ending in `_pct` hold percentage points; Decimal amounts are money; whole numbers
    are integers; dates, and text that is an ISO date, are dates (with a time: datetimes).
    Anything mixed with text stays text, so no value is ever read as something else.
    """
    if key.endswith("_pct"):
        return ColumnKind.PERCENT
    present = [value for value in values if value is not None and value != ""]
    if not present or any(isinstance(value, bool) for value in present):
        return ColumnKind.TEXT
    if all(isinstance(value, int | float | Decimal) for value in present):
        if any(isinstance(value, Decimal) for value in present):
            return ColumnKind.MONEY
        if all(isinstance(value, int) for value in present):
            return ColumnKind.INTEGER
        return ColumnKind.NUMBER
    if all(_is_day(value) for value in present):
        return ColumnKind.DATE
    if all(_is_day(value) or _is_moment(value) for value in present):
        return ColumnKind.DATETIME
    return ColumnKind.TEXT


def _is_day(value: Any) -> bool:
    if isinstance(value, date):
        return not isinstance(value, datetime)
    return (
        isinstance(value, str)
        and ISO_DATE.fullmatch(value) is not None
        and _as_moment(value) is not None
    )


def _is_moment(value: Any) -> bool:
    if isinstance(value, datetime):
        return value.tzinfo is None
    return (
        isinstance(value, str)
        and ISO_MOMENT.fullmatch(value) is not None
        and _as_moment(value) is not None
    )


def _chain(first: list[Mapping[str, Any]], rest: Iterator[Mapping[str, Any]]) -> Iterator[Any]:
    yield from first
    first.clear()  # the sample is not kept alive for the rest of the export
    yield from rest


def _as_number(value: Any, kind: ColumnKind) -> float | int | None:
    """The value as the number to store, or None when it is not one (then it stays text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) >= LARGEST_EXACT_INTEGER:
            return None
        return value / 100 if kind == ColumnKind.PERCENT else value
    if isinstance(value, float) and kind != ColumnKind.PERCENT:
        return value if isfinite(value) else None
    try:
        exact = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not exact.is_finite():
        return None
    if kind == ColumnKind.PERCENT:
        exact /= 100
    amount = float(exact)
    return amount if isfinite(amount) else None  # beyond a float's range: kept as text


def _as_moment(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return (date if len(value) == 10 else datetime).fromisoformat(value.strip())
    except ValueError:
        return None


def _column_width(column: Column, values: list[Any]) -> float:
    shown = [_shown_width(column.kind, value) for value in values if value is not None]
    widest = max([text_width(column.heading) + 1, *shown])  # +1: the heading is bold
    return min(widest + 2, MAX_COLUMN_WIDTH)


def _shown_width(kind: ColumnKind, value: Any) -> int:
    """Roughly how many characters a cell shows, CJK counted as two."""
    if kind in (ColumnKind.DATE, ColumnKind.DATETIME) and (when := _as_moment(value)):
        return 16 if isinstance(when, datetime) and kind == ColumnKind.DATETIME else 10
    if kind != ColumnKind.TEXT and (amount := _as_number(value, kind)) is not None:
        if kind == ColumnKind.MONEY:
            return len(f"{amount:,.2f}")
        if kind == ColumnKind.PERCENT:
            return len(f"{amount * 100:.1f}%")
        return len(number_text(float(amount)))
    return max((text_width(line) for line in cell_text(value).splitlines()), default=0)
