"""Import of customers, products, sales and contacts from CSV files (GB18030-aware) and
workbooks (.xlsx, .xls, .ods): header aliases in English and Chinese, all-or-nothing,
streaming.

Each row goes through the same record rules as the commands (validate.py); the import
adds only what a file needs: header mapping, line numbers (a workbook's row numbers as
Excel shows them), duplicates, bulk writes.
"""

import codecs
import csv
import hashlib
import io
import json
import operator
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from salesflow import workbook
from salesflow.choices import IMPORT_KINDS, ON_DUPLICATE
from salesflow.db import Change, Row
from salesflow.errors import BadInput, BadValue, Conflict, NotFound
from salesflow.i18n import N_, _
from salesflow.inputs import (
    PLAIN_MONEY,
    file_label,
    normalise_phone,
    parse_date,
    parse_moment,
    parse_money,
    parse_quantity,
)
from salesflow.validate import (
    CUSTOMER_TEXT_FIELDS,
    SCORE_FIELDS,
    CustomerFields,
    SaleParty,
    contact_columns,
    customer_columns,
    product_columns,
    sale_columns,
)

KINDS = IMPORT_KINDS

CUSTOMER_FIELDS = (
    "id",
    "ref",
    "name",
    "company",
    "phone",
    "email",
    "address",
    "source",
    "owner",
    "department",
    "store",
    "tier",
    "tier_locked",
    "tags",
    "notes",
    "created",
    "economic",
    "buying",
    "suppliers",
    "urgency",
    "quick_effect",
    "price_fit",
    "profile",
)
FIELDS = {
    "customers": CUSTOMER_FIELDS,
    "products": ("id", "name", "sku", "category", "price", "cycle_days"),
    "sales": (
        "id",
        "customer_ref",
        "customer",
        "customer_id",
        "product",
        "quantity",
        "price",
        "amount",
        "date",
        "rep",
        "department",
        "store",
        "deal_id",
    ),
    "contacts": (
        "id",
        "customer_ref",
        "customer",
        "customer_id",
        "date",
        "channel",
        "summary",
        "outcome",
        "next",
        "by",
        "deal_id",
    ),
    # a return names the sale it takes back by the sale's id; the customer and product
    # columns of an export are there to read, not read back
    "returns": (
        "id",
        "sale_id",
        "date",
        "customer_id",
        "customer",
        "product",
        "quantity",
        "amount",
        "reason",
        "exchange_sale_id",
    ),
}

_NAME = {
    "姓名",
    "客户",
    "客户名称",
    "客户姓名",
    "名称",
    "会员姓名",
    "顾客",
    "customer name",
    "full name",
    "client",
}
_REF = {
    "会员卡号",
    "会员号",
    "卡号",
    "客户编号",
    "会员编号",
    "member card",
    "member no",
    "card no",
    "card number",
    "membership",
}
_SHARED = {
    "phone": {"电话", "手机", "手机号", "手机号码", "联系电话", "mobile", "tel", "telephone"},
    "email": {"邮箱", "电子邮件", "电子邮箱", "e-mail", "mail"},
    "company": {"公司", "单位", "公司名称", "organization", "organisation"},
    "address": {"地址", "联系地址"},
    "source": {"来源", "客户来源"},
    "department": {"部门", "dept"},
    "store": {"门店", "销售点", "店铺", "网点", "shop"},
    "tier": {"等级", "会员等级", "级别", "客户等级"},
    "tags": {"标签", "tag"},
    "notes": {"备注", "note", "remark", "remarks", "说明"},
    "created": {"created_at", "入会日期", "创建日期", "注册日期", "加入日期", "建档日期"},
    "economic": {"经济状况"},
    "buying": {"购买特征"},
    "suppliers": {"供应商", "主要供应商"},
    "urgency": {"急迫性", "紧迫性"},
    "quick_effect": {"见效", "见效快"},
    "price_fit": {"价格接受度", "价格"},
    "profile": {"档案"},
    "sku": {"编码", "货号", "商品编码", "产品编码"},
    "category": {"类别", "分类", "品类"},
    "cycle_days": {"周期", "使用周期", "消耗周期", "cycle"},
    "product": {"产品", "商品", "品名", "产品名称", "商品名称", "item"},
    "quantity": {"数量", "qty", "件数"},
    "amount": {"金额", "总额", "销售额", "实收", "实收金额", "total"},
    "channel": {"方式", "渠道", "联系方式"},
    "summary": {"内容", "摘要", "跟进内容", "记录", "跟进记录"},
    "outcome": {"结果", "跟进结果"},
    "next": {"next_at", "下次跟进", "下次联系", "下次跟进日期"},
}
ALIASES: dict[str, dict[str, str]] = {}
for _kind in KINDS:
    table: dict[str, str] = {}
    for _field in FIELDS[_kind]:
        table[_field] = _field
        for alias in _SHARED.get(_field, ()):
            table[alias] = _field
    ALIASES[_kind] = table
ALIASES["customers"].update({alias: "name" for alias in _NAME} | {a: "ref" for a in _REF})
ALIASES["customers"].update(
    {
        "销售员": "owner",
        "业务员": "owner",
        "负责人": "owner",
        "客户经理": "owner",
        "salesperson": "owner",
    }
)
ALIASES["products"].update(
    {
        "产品": "name",
        "商品": "name",
        "品名": "name",
        "产品名称": "name",
        "商品名称": "name",
        "价格": "price",
        "单价": "price",
        "售价": "price",
    }
)
for _kind in ("sales", "contacts"):
    ALIASES[_kind].update({alias: "customer" for alias in _NAME | {"name"}})
    ALIASES[_kind].update({alias: "customer_ref" for alias in _REF | {"ref"}})
ALIASES["sales"].update({"单价": "price", "unit price": "price", "unitprice": "price"})
ALIASES["sales"].update(
    {
        "日期": "date",
        "销售日期": "date",
        "购买日期": "date",
        "下单日期": "date",
        "order date": "date",
        "销售员": "rep",
        "业务员": "rep",
        "salesperson": "rep",
        "sales rep": "rep",
        "经手人": "rep",
    }
)
ALIASES["contacts"].update(
    {
        "日期": "date",
        "at": "date",
        "跟进日期": "date",
        "联系日期": "date",
        "时间": "date",
        "跟进人": "by",
        "销售员": "by",
        "业务员": "by",
        "rep": "by",
    }
)
REQUIRED = {
    "customers": (("name",),),
    "products": (("name",),),
    "sales": (("customer_ref", "customer", "customer_id"), ("date",)),
    "contacts": (("customer_ref", "customer", "customer_id"), ("date",), ("summary",)),
    "returns": (("sale_id",), ("date",)),
}
ALIASES["returns"].update(
    {
        "日期": "date",
        "退货日期": "date",
        "原因": "reason",
        "退货原因": "reason",
        "销售单号": "sale_id",
        "sale": "sale_id",
    }
)
# The Chinese column headings `export --headers zh` writes; the import reads them back.
CHINESE_HEADINGS = {
    "customers": {
        "id": "记录号", "ref": "会员卡号", "name": "姓名", "company": "公司", "phone": "手机",
        "email": "邮箱", "address": "地址", "source": "来源", "owner": "销售员",
        "department": "部门", "store": "门店", "tier": "会员等级", "tier_locked": "等级锁定",
        "tags": "标签", "notes": "备注", "created": "入会日期", "economic": "经济状况",
        "buying": "购买特征", "suppliers": "主要供应商", "urgency": "急迫性",
        "quick_effect": "见效快", "price_fit": "价格接受度", "profile": "档案",
    },
    "products": {
        "id": "记录号", "name": "产品名称", "sku": "商品编码", "category": "类别",
        "price": "单价", "cycle_days": "使用周期",
    },
    "sales": {
        "id": "记录号", "date": "销售日期", "customer_id": "客户记录号",
        "customer_ref": "会员卡号", "customer": "客户", "product": "产品", "quantity": "数量",
        "amount": "金额", "rep": "销售员", "department": "部门", "store": "门店",
        "deal_id": "商机号",
    },
    "contacts": {
        "id": "记录号", "date": "跟进日期", "customer_id": "客户记录号",
        "customer_ref": "会员卡号", "customer": "客户", "channel": "联系方式",
        "summary": "跟进内容", "outcome": "跟进结果", "next": "下次跟进日期", "by": "跟进人",
        "deal_id": "商机号",
    },
    "returns": {
        "id": "记录号", "sale_id": "销售单号", "date": "退货日期", "customer_id": "客户记录号",
        "customer": "客户", "product": "产品", "quantity": "数量", "amount": "金额",
        "reason": "退货原因", "exchange_sale_id": "换货销售单号",
    },
}  # fmt: skip
for _kind, _headings in CHINESE_HEADINGS.items():
    ALIASES[_kind].update({heading: name for name, heading in _headings.items()})
BATCH_PROGRESS = 5000
# Fields holding a day: in a workbook a plain number there is an Excel date serial (a
# date typed into a cell formatted as a number), at most seven digits (9999-12-31 is
# 2958465); a longer number is left to the date rules.
DATE_FIELDS = {
    "customers": ("created",),
    "sales": ("date",),
    "contacts": ("date", "next"),
    "returns": ("date",),
}
EXCEL_SERIAL = re.compile(r"\d{1,7}(\.\d+)?")


@dataclass
class ImportResult:
    kind: str
    file: str
    encoding: str
    delimiter: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    created_customers: int = 0
    # of them, customers a log named by number alone: the number is their ref and name
    numbered_customers: int = 0
    created_products: int = 0
    dry_run: bool = False
    invalid: list[tuple[int, str, list[str]]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    sheet: str | None = None  # the sheet read, for a workbook; rows are then Excel's rows
    # a vCard file: each row is a card, its line the card's BEGIN:VCARD line and its cells
    # the card's number and text
    cards: bool = False

    hints: set[str] = field(default_factory=set)

    def reject(self, source: "SourceRow", error: "RowError") -> None:
        """Keep a bad row with its reason; the way out it names is said once, at the end."""
        self.invalid.append((source.line, str(error), source.cells))
        if error.hint:
            self.hints.add(error.hint)

    def summary(self) -> Row:
        return {
            "kind": self.kind,
            "file": self.file,
            "encoding": self.encoding or None,
            "sheet": self.sheet,
            "rows": self.rows,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "invalid": len(self.invalid),
            "created_customers": self.created_customers,
            "customers_named_by_number": self.numbered_customers,
            "created_products": self.created_products,
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class ImportOptions:
    encoding: str = "auto"
    mapping: tuple[str, ...] = ()
    dry_run: bool = False
    skip_invalid: bool = False
    on_duplicate: str = "error"
    create_customers: bool = False
    again: bool = False
    sheet: str | None = None  # a workbook's sheet: its name or 1-based number
    header_row: int | None = None  # a workbook's header row, 1-based


class RowError(Exception):
    """One row cannot be imported; the message is its reason, `hint` the way out."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


# ---------------------------------------------------------------- reading the file


def sniff_encoding(path: Path, requested: str) -> tuple[str, str, bool]:
    """The encoding to read with (strict UTF-8 with or without BOM, else GB18030), the
    file's SHA-256 and whether it holds a NUL byte, in one streaming pass."""
    digest = hashlib.sha256()
    has_nul = False
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    is_utf8 = True
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                has_nul = has_nul or b"\x00" in chunk
                if is_utf8:
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError:
                        is_utf8 = False
        if is_utf8:
            utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        is_utf8 = False
    except OSError as error:
        raise BadInput(
            _("cannot read {path}: {reason}").format(path=path, reason=error.strerror)
        ) from None
    if requested == "auto":
        return ("utf-8-sig" if is_utf8 else "gb18030"), digest.hexdigest(), has_nul
    if requested in ("utf-8", "utf8"):
        return "utf-8-sig", digest.hexdigest(), has_nul
    if requested in ("gb18030", "gbk", "gb2312"):
        return "gb18030", digest.hexdigest(), has_nul
    raise BadValue(
        _("the encoding must be auto, utf-8 or gb18030, not {requested!r}").format(
            requested=requested
        )
    )


def pick_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def normalise_header(text: str) -> str:
    return re.sub(r"[\s_]+", " ", text.strip().lstrip("\ufeff").lower()).strip()


def map_headers(
    kind: str, headers: list[str], mapping: tuple[str, ...]
) -> tuple[dict[int, str], list[str]]:
    """Column index → canonical field, and the columns that are not used."""
    explicit = {}
    for item in mapping:
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or target.strip() not in FIELDS[kind]:
            raise BadValue(
                _("the mapping {item!r} must be SRC=FIELD, FIELD one of {fields}").format(
                    item=item, fields=", ".join(FIELDS[kind])
                )
            )
        explicit[normalise_header(source)] = target.strip()
    aliases = {normalise_header(alias): name for alias, name in ALIASES[kind].items()}
    columns: dict[int, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = normalise_header(header)
        field_name = explicit.get(key) or aliases.get(key) or aliases.get(key.replace(" ", "_"))
        if field_name is None:
            ignored.append(header)
            continue
        if field_name in columns.values():
            raise BadInput(
                _("two columns map to {field!r} (the second is {header!r})").format(
                    field=field_name, header=header
                ),
                hint="map",
            )
        columns[index] = field_name
    for alternatives in REQUIRED[kind]:
        if not any(name in columns.values() for name in alternatives):
            raise BadInput(
                _("the file has no {columns} column (headers: {headers})").format(
                    columns=" or ".join(alternatives), headers=", ".join(headers)
                ),
                hint="map",
            )
    return columns, ignored


class SourceRow(NamedTuple):
    line: int
    cells: list[str]
    values: dict[str, str]


def read_rows(
    path: Path,
    encoding: str,
    mapping: tuple[str, ...],
    kind: str,
    result: ImportResult,
    progress: Callable[[int, int], None] | None,
    *,
    has_nul: bool = True,
) -> Iterator[SourceRow]:
    """Stream the data rows with the physical line each starts on."""
    size = path.stat().st_size
    try:
        with path.open("r", encoding=encoding, errors="strict", newline="") as handle:
            first = handle.readline()
            result.delimiter = pick_delimiter(first)
            handle.seek(0)
            reader = csv.reader(handle, delimiter=result.delimiter)
            try:
                headers = next(reader)
            except StopIteration:
                raise BadInput(
                    _("{path} is empty: a header row is required").format(path=path)
                ) from None
            result.headers = headers
            columns, result.ignored_columns = map_headers(kind, headers, mapping)
            names, indexes = list(columns.values()), list(columns)
            width = max(indexes) + 1
            pick = (
                operator.itemgetter(*indexes)
                if len(indexes) > 1
                else (lambda cells: (cells[indexes[0]],))
            )
            line = reader.line_num + 1
            for cells in reader:
                start, line = line, reader.line_num + 1
                if len(cells) < width:
                    cells += [""] * (width - len(cells))
                if not "".join(cells).strip():
                    continue
                if has_nul and any("\x00" in cell for cell in cells):
                    result.rows += 1
                    result.invalid.append((start, _("contains a NUL character"), cells))
                    continue
                yield SourceRow(
                    start, cells, dict(zip(names, map(str.strip, pick(cells)), strict=True))
                )
                if progress and result.rows % BATCH_PROGRESS == 0:
                    progress(handle.buffer.tell(), size)  # type: ignore[attr-defined]
    except UnicodeDecodeError:
        raise BadInput(
            _("{path} is not valid {encoding} text").format(
                path=path, encoding=encoding.replace("-sig", "")
            ),
            hint="encoding",
        ) from None
    except csv.Error as error:
        raise BadInput(
            _("{path} line {line}: unreadable CSV ({reason})").format(
                path=path, line=reader.line_num, reason=error
            )
        ) from None


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as error:
        raise BadInput(
            _("cannot read {path}: {reason}").format(path=path, reason=error.strerror)
        ) from None
    return digest.hexdigest()


def read_sheet_rows(
    path: Path, options: ImportOptions, kind: str, result: ImportResult
) -> Iterator[SourceRow]:
    """The data rows of a workbook's sheet with the row numbers Excel shows.

    Cells arrive as text the way a person means them (workbook.py); a plain number in a
    date field is an Excel date serial and becomes its date.
    """
    sheet = workbook.open_sheet(
        path, sheet=options.sheet, header_row=options.header_row, any_name=True
    )
    result.sheet, result.headers = sheet.name, sheet.header
    columns, result.ignored_columns = map_headers(kind, sheet.header, options.mapping)
    return _sheet_rows(sheet, columns, DATE_FIELDS.get(kind, ()), result)


def _sheet_rows(
    sheet: workbook.Sheet,
    columns: dict[int, str],
    date_fields: tuple[str, ...],
    result: ImportResult,
) -> Iterator[SourceRow]:
    width = max(columns) + 1
    serial_fields = [name for name in date_fields if name in columns.values()]
    for number, cells in sheet.rows:
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        values = {name: cells[index].strip() for index, name in columns.items()}
        try:
            for name in serial_fields:
                if EXCEL_SERIAL.fullmatch(values[name]):
                    values[name] = workbook.excel_serial_to_date(
                        values[name], date_1904=sheet.date_1904
                    )
        except BadValue as error:
            result.rows += 1
            result.invalid.append(
                (number, _("{field}: {problem}").format(field=name, problem=error), cells)
            )
            continue
        yield SourceRow(number, cells, values)


VCARD_SUFFIXES = (".vcf", ".vcard")


def is_vcard(path: Path) -> bool:
    """A phone's contacts file: by its name, or by its first line (BEGIN:VCARD)."""
    if path.suffix.lower() in VCARD_SUFFIXES:
        return True
    from salesflow.vcard import looks_like_vcard

    try:
        with path.open("rb") as handle:
            return looks_like_vcard(handle.read(64))
    except OSError:
        return False  # the CSV reader says why it cannot be read


def read_card_rows(path: Path, result: ImportResult) -> Iterator[SourceRow]:
    """The cards of a vCard file as customer rows: the card's fields, its profile facts as
    JSON (the way exports write them). A card that cannot be read is an invalid row
    whose reason names the line it is on."""
    from salesflow import vcard

    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadInput(
            _("cannot read {path}: {reason}").format(path=path, reason=error.strerror)
        ) from None
    cards, problems = vcard.scan_cards(data)
    texts = vcard.card_texts(data)
    result.headers = ["card", "vcard"]
    by_number: dict[int, vcard.Card | vcard.CardProblem] = {c.number: c for c in cards}
    by_number.update((problem.number, problem) for problem in problems)
    for number in sorted(by_number):
        found = by_number[number]
        cells = [str(number), texts.get(number, "")]
        if isinstance(found, vcard.CardProblem):
            result.rows += 1
            result.invalid.append((found.line, found.reason, cells))
            continue
        values = dict(found.fields)
        if found.profile:
            values["profile"] = json.dumps(found.profile, ensure_ascii=False)
        yield SourceRow(found.line, cells, values)


def _keep_profile(existing: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """A card brings the facts a phone knows; the customer's other facts stay."""
    if "profile" not in incoming:
        return incoming
    facts = {**json.loads(existing.get("profile") or "{}"), **json.loads(incoming["profile"])}
    return {**incoming, "profile": json.dumps(facts, ensure_ascii=False)}


def rejects_vcf(result: ImportResult) -> str:
    """The rejected cards as the file had them, to be fixed and imported again."""
    return "".join(cells[1] for _line, _reason, cells in result.invalid if len(cells) > 1)


# ---------------------------------------------------------------- field parsers


def _row_rule(rule: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Apply a record rule to a row: its refusal becomes the row's reason."""
    try:
        return rule(*args, **kwargs)
    except (BadValue, NotFound) as error:
        raise RowError(str(error)) from None


def _date(text: str, what: str = "date") -> str:
    try:
        return parse_date(text, None).isoformat()
    except BadValue as error:
        raise RowError(_("{field}: {problem}").format(field=what, problem=error)) from None


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in re.split(r"[,;，；、|]", text) if tag.strip()]


def _profile(text: str) -> tuple[tuple[str, str], ...]:
    """Profile facts from a cell: JSON (as exports write them) or `key=value; key=value`."""
    if not text:
        return ()
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            raise RowError(_("profile is not valid JSON")) from None
        if not isinstance(loaded, dict):
            raise RowError(_("profile must be an object of facts"))
        return tuple((str(key), str(value)) for key, value in loaded.items())
    facts = []
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise RowError(_("profile fact {text!r} must be KEY=VALUE").format(text=part.strip()))
        facts.append((key.strip(), value.strip()))
    return tuple(facts)


# ---------------------------------------------------------------- customers and products


def customer_values(values: dict[str, str], today: date) -> dict[str, Any]:
    """A file row's customer columns, by the same rule as `customer add`."""
    locked = values.get("tier_locked", "").strip().lower()
    if locked and locked not in LOCK_WORDS:
        raise RowError(
            _("tier_locked must be true or false, not {text!r}").format(text=values["tier_locked"])
        )
    fields = CustomerFields(
        name=values.get("name", ""),
        text={key: values[key] for key in CUSTOMER_TEXT_FIELDS if values.get(key)},
        tier=values.get("tier") or ("none" if LOCK_WORDS.get(locked) else None),
        tier_locked=LOCK_WORDS.get(locked),
        scores={key: values[key] for key in SCORE_FIELDS if values.get(key)},
        add_tags=tuple(_tags(values.get("tags", ""))),
        set_facts=_profile(values.get("profile", "")),
        created=(
            date.fromisoformat(_date(values["created"], "created"))
            if values.get("created")
            else today
        ),
    )
    row = _row_rule(customer_columns, fields)
    if values.get("id"):
        if not values["id"].isdigit():
            raise RowError(_("id must be a number, not {text!r}").format(text=values["id"]))
        row["id"] = int(values["id"])
    return row


# How a file says a tier was set by hand (exports write true/false).
LOCK_WORDS = {"true": True, "1": True, "yes": True, "是": True,
              "false": False, "0": False, "no": False, "否": False}  # fmt: skip


def _identity(row: dict[str, Any]) -> list[tuple[str, str]]:
    keys = []
    if row.get("ref"):
        keys.append(("ref", row["ref"]))
    if row.get("email"):
        keys.append(("email", row["email"].lower()))
    if row.get("phone_norm"):
        keys.append(("phone", row["phone_norm"]))
    return keys or [("name", row["name"])]


def _same(existing: dict[str, Any], incoming: dict[str, Any]) -> bool:
    return all(
        existing.get(key) == value
        for key, value in incoming.items()
        if key not in ("id", "created_at")
    )


class Ledger:
    """Known records by their identity keys: those in the book and those read so far."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, keys: list[tuple[str, str]], record: dict[str, Any]) -> None:
        for key in keys:
            self.by_key.setdefault(key, record)

    def find(self, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for key in keys:
            record = self.by_key.get(key)
            if record is not None and all(record is not other for other in found):
                found.append(record)
        return found


def _import_records(
    change: Change,
    rows: Iterator[SourceRow],
    result: ImportResult,
    options: ImportOptions,
    *,
    table: str,
    parse: Callable[[dict[str, str]], dict[str, Any]],
    identity: Callable[[dict[str, Any]], list[tuple[str, str]]],
    existing: Iterator[dict[str, Any]],
    merge: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Customers and products: new rows inserted, duplicates per --on-duplicate, rows
    identical to what the book holds left alone (so re-running changes nothing).
    `merge(known, incoming)` completes a duplicate's incoming values from the known record
    before they are compared and written."""
    ledger = Ledger()
    for record in existing:
        ledger.add(identity(record), {"_id": record["id"], "_row": record})
    pending: list[dict[str, Any]] = []
    updates: dict[int, dict[str, Any]] = {}
    for source in rows:
        result.rows += 1
        try:
            incoming = parse(source.values)
            keys = identity(incoming)
            matches = ledger.find(keys)
            if len(matches) > 1:
                ids = [
                    str(m["_id"]) if m.get("_id") else _("line {line}").format(line=m["_line"])
                    for m in matches
                ]
                raise RowError(
                    _("matches several records ({records})").format(records=", ".join(ids))
                )
        except RowError as error:
            result.reject(source, error)
            continue
        if not matches:
            entry: dict[str, Any] = {"_line": source.line, "_row": incoming}
            ledger.add(keys, entry)
            pending.append(entry)
            continue
        match = matches[0]
        target = match["_row"]
        if merge is not None:
            incoming = merge(target, incoming)
        if _same(target, incoming):
            result.unchanged += 1
        elif options.on_duplicate == "skip":
            result.skipped += 1
        elif options.on_duplicate == "update":
            changed = {k: v for k, v in incoming.items() if k not in ("id", "created_at")}
            target.update(changed)
            if "_id" in match:
                updates.setdefault(match["_id"], {}).update(changed)
            result.updated += 1
        else:
            duplicate = (
                _("duplicate of #{id} with different data").format(id=match["_id"])
                if "_id" in match
                else _("duplicate of line {line} with different data").format(line=match["_line"])
            )
            result.reject(source, RowError(duplicate, hint="on-duplicate"))
    if options.dry_run or (result.invalid and not options.skip_invalid):
        result.imported = len(pending)
        return
    for record_id, values in updates.items():
        change.update(table, record_id, values)
    if not pending:
        return
    taken = {row[0] for row in change.conn.execute(f"SELECT id FROM {table}")}
    columns = sorted({key for entry in pending for key in entry["_row"]})
    for entry in pending:
        if entry["_row"].get("id") in taken:
            entry["_row"]["id"] = None
        taken.add(entry["_row"].get("id"))
    defaults = TABLE_DEFAULTS.get(table, {})
    # A row that brings back a free id below the newest one (an export re-imported after a
    # deletion) is written on its own: the bulk load records one id range for undo.
    newest = max((row_id for row_id in taken if row_id is not None), default=0)
    returning = [entry for entry in pending if (entry["_row"].get("id") or newest + 1) <= newest]
    written_alone = {id(entry) for entry in returning}
    for entry in returning:
        change.insert(table, {key: entry["_row"].get(key, defaults.get(key)) for key in columns})
    result.imported = len(returning) + change.insert_many(
        table,
        columns,
        (
            [entry["_row"].get(key, defaults.get(key)) for key in columns]
            for entry in pending
            if id(entry) not in written_alone
        ),
    )


TABLE_DEFAULTS = {"customers": {"tier_locked": 0, "tags": "[]", "profile": "{}"}}


def product_values(values: dict[str, str]) -> dict[str, Any]:
    """A file row's product columns, by the same rule as `product add`."""
    row = _row_rule(
        product_columns,
        values.get("name", ""),
        sku=values.get("sku") or None,
        category=values.get("category") or None,
        price_cents=_row_rule(parse_money, values["price"]) if values.get("price") else None,
        cycle_days=values.get("cycle_days") or None,
    )
    if values.get("id", "").isdigit():
        row["id"] = int(values["id"])
    return row


def _product_identity(row: dict[str, Any]) -> list[tuple[str, str]]:
    keys = [("name", row["name"].lower())]
    if row.get("sku"):
        keys.append(("sku", row["sku"]))
    return keys


def _existing(conn: sqlite3.Connection, sql: str) -> Iterator[dict[str, Any]]:
    for row in conn.execute(sql):
        yield dict(zip(row.keys(), row, strict=True))


# ---------------------------------------------------------------- sales and contacts


class Known(NamedTuple):
    """What a sales or contacts row needs of its customer."""

    id: int
    name: str
    owner: str | None
    department: str | None
    store: str | None


class KnownProduct(NamedTuple):
    id: int
    price_cents: int | None


class CustomerIndex:
    """Customers of the book by id, ref, name, phone and email, for resolving rows fast."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.by_id: dict[int, Known] = {}
        self.by_ref: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        self.by_contact: dict[str, int] = {}
        # What `remember` does for each, without a call or a Row look-up per customer: a
        # sales file is checked against every customer of the book.
        by_id, by_ref, by_name, by_contact = self.by_id, self.by_ref, self.by_name, self.by_contact
        cursor = conn.cursor()
        cursor.row_factory = None
        for id_, ref, name, phone_norm, email, owner, department, store in cursor.execute(
            "SELECT id, ref, name, phone_norm, email, owner, department, store FROM customers"
        ):
            by_id[id_] = Known(id_, name, owner, department, store)
            if ref:
                by_ref[ref] = id_
            same_name = by_name.get(name)
            if same_name is None:
                by_name[name] = [id_]
            else:
                same_name.append(id_)
            if phone_norm and phone_norm not in by_contact:
                by_contact[phone_norm] = id_
            if email and (email := email.lower()) and email not in by_contact:
                by_contact[email] = id_

    def remember(self, row: Any) -> None:
        self.by_id[row["id"]] = Known(
            row["id"], row["name"], row["owner"], row["department"], row["store"]
        )
        if row["ref"]:
            self.by_ref[row["ref"]] = row["id"]
        self.by_name.setdefault(row["name"], []).append(row["id"])
        for key in (row["phone_norm"], (row["email"] or "").lower()):
            if key:
                self.by_contact.setdefault(key, row["id"])

    def resolve(self, values: dict[str, str]) -> int | None:
        ref, name = values.get("customer_ref", ""), values.get("customer", "")
        if ref:
            return self.by_ref.get(ref)
        given_id = values.get("customer_id", "")
        if given_id.isdigit() and int(given_id) in self.by_id:
            known = self.by_id[int(given_id)]
            if not name or known.name == name:
                return known.id
        if not name:
            return None
        ids = self.by_name.get(name, [])
        if len(ids) > 1:
            raise RowError(
                _("customer name matches {count} customers; add a customer_ref").format(
                    count=len(ids)
                )
            )
        if ids:
            return ids[0]
        if name.startswith("#") and name[1:].isdigit() and int(name[1:]) in self.by_id:
            return int(name[1:])
        key = normalise_phone(name) if re.fullmatch(r"[\d\s+()-]+", name) else name.lower()
        return self.by_contact.get(key or "")


def _customer_for(
    change: Change,
    index: CustomerIndex,
    values: dict[str, str],
    result: ImportResult,
    options: ImportOptions,
    today: date,
) -> Known:
    customer_id = index.resolve(values)
    if customer_id is None:
        wanted = values.get("customer_ref") or values.get("customer") or values.get("customer_id")
        if not options.create_customers:
            raise RowError(
                _("unknown customer {wanted!r}").format(wanted=wanted), hint="create-customers"
            )
        name = values.get("customer")
        if not name and values.get("customer_ref"):
            # A POS export names members by number only: the number is the name too.
            name = values["customer_ref"]
            result.numbered_customers += 1
        if not name:
            raise RowError(
                _("unknown customer {wanted!r} and no customer name to create it").format(
                    wanted=wanted
                )
            )
        new = {
            "name": name,
            "ref": values.get("customer_ref") or None,
            "created_at": today.isoformat(),
        }
        dry_id = -(len(index.by_id) + 1)
        new_id = dry_id if options.dry_run else change.insert("customers", new)
        index.remember(
            {
                **new,
                "id": new_id,
                "phone_norm": None,
                "email": None,
                "owner": None,
                "department": None,
                "store": None,
            }
        )
        result.created_customers += 1
        customer_id = new_id
    return index.by_id[customer_id]


SALE_COLUMNS = (
    "customer_id",
    "product_id",
    "quantity",
    "amount_cents",
    "date",
    "rep",
    "department",
    "store",
)
CONTACT_COLUMNS = ("customer_id", "at", "channel", "rep", "summary", "outcome", "next_at")


def _history_rows(
    change: Change,
    rows: Iterator[SourceRow],
    result: ImportResult,
    options: ImportOptions,
    kind: str,
    today: date,
) -> Iterator[tuple[Any, ...]]:
    """Valid rows as tuples for the bulk insert; invalid ones go to `result.invalid`."""
    index = CustomerIndex(change.conn)
    products: dict[str, KnownProduct] = {}
    for row in change.conn.execute("SELECT id, name, sku, price_cents FROM products"):
        known = KnownProduct(row["id"], row["price_cents"])
        products[row["name"].lower()] = known
        if row["sku"]:
            products.setdefault(row["sku"].lower(), known)
    if kind == "sales":
        yield from _sales_rows(change, rows, result, options, today, index, products)
        return
    for source in rows:
        result.rows += 1
        try:
            customer = _customer_for(change, index, source.values, result, options, today)
            parsed = _contact(source.values, customer, products)
        except RowError as error:
            result.reject(source, error)
            continue
        yield parsed


def _sales_rows(
    change: Change,
    rows: Iterator[SourceRow],
    result: ImportResult,
    options: ImportOptions,
    today: date,
    index: CustomerIndex,
    products: dict[str, KnownProduct],
) -> Iterator[tuple[Any, ...]]:
    """Sales rows as tuples. The common row of a purchase log (a known member number, a
    whole quantity, a plain amount, an ISO date, no unit price) is read here in a few
    steps; every other row goes through the customer and sale rules (`_customer_for`,
    `_sale`), which give the same sale for a common row, only slower."""
    by_ref, by_id = index.by_ref, index.by_id
    plain_amount = re.compile(PLAIN_MONEY).fullmatch
    iso_day = date.fromisoformat
    named: dict[str, KnownProduct] = {}  # each product as the file spells it
    for source in rows:
        result.rows += 1
        values = source.values
        get = values.get
        product = get("product", "")
        known_product = None
        if product:
            known_product = named.get(product)
            if known_product is None:
                known_product = products.get(product.lower())
                if known_product is None:
                    known_product = products[product.lower()] = _new_product(
                        change, product, result, options
                    )
                named[product] = known_product
        ref = get("customer_ref")
        quantity = get("quantity")
        amount = get("amount")
        day = get("date", "")
        if (
            ref
            and (customer_id := by_ref.get(ref)) is not None
            and quantity
            and quantity.isdigit()
            and quantity.strip("0")  # 0, 00…: the rules refuse it
            and amount
            and (money := plain_amount(amount))
            and not get("price")
            and len(day) == 10
            and day[4] == "-"
            and day[7] == "-"
        ):
            try:
                sale_date = iso_day(day).isoformat()
            except ValueError:
                pass  # the rules word the refusal
            else:
                customer = by_id[customer_id]
                whole, fraction = money.groups()
                yield (
                    customer_id,
                    known_product.id if known_product else None,
                    int(quantity),
                    int(whole) * 100 + int(fraction.ljust(2, "0"))
                    if fraction
                    else int(whole) * 100,
                    sale_date,
                    (get("rep") or "").strip() or customer.owner,
                    (get("department") or "").strip() or customer.department,
                    (get("store") or "").strip() or customer.store,
                )
                continue
        try:
            customer = _customer_for(change, index, values, result, options, today)
            parsed = _sale(values, customer, products)
        except RowError as error:
            result.reject(source, error)
            continue
        yield parsed


def _new_product(
    change: Change, name: str, result: ImportResult, options: ImportOptions
) -> KnownProduct:
    """A product a purchase log names but the book does not know yet (no price, no cycle):
    added, and counted in the import's summary."""
    result.created_products += 1
    if options.dry_run:
        return KnownProduct(-result.created_products, None)
    return KnownProduct(change.insert("products", {"name": name}), None)


def _sale(values: dict[str, str], customer: Any, products: dict[str, Any]) -> tuple[Any, ...]:
    product = None
    if values.get("product"):
        product = products.get(values["product"].lower())
        if product is None:
            raise RowError(_("unknown product {name!r}").format(name=values["product"]))
    text = values.get("quantity")
    # Whole numbers are the common case: read without Decimal.
    quantity = (
        int(text)
        if text and text.isdigit() and text.strip("0")
        else (_row_rule(parse_quantity, text) if text else 1)
    )
    amount, rep, department, store = _row_rule(
        sale_columns,
        SaleParty(customer.owner, customer.department, customer.store),
        product.price_cents if product else None,
        quantity=quantity,
        amount_cents=_row_rule(parse_money, values["amount"]) if values.get("amount") else None,
        unit_price_cents=_row_rule(parse_money, values["price"]) if values.get("price") else None,
        rep=values.get("rep"),
        department=values.get("department"),
        store=values.get("store"),
    )
    sale_date = _date(values.get("date", ""))
    return (customer.id, product.id if product else None, quantity, amount, sale_date, rep,
            department, store)  # fmt: skip


def _contact(values: dict[str, str], customer: Any, products: dict[str, Any]) -> tuple[Any, ...]:
    channel, rep, summary, outcome = _row_rule(
        contact_columns,
        customer.owner,
        channel_name=values.get("channel"),
        summary=values.get("summary", ""),
        by=values.get("by"),
        outcome=values.get("outcome"),
    )
    next_at = _date(values["next"], "next") if values.get("next") else None
    at = _row_rule(parse_moment, values.get("date", ""), None)
    return (customer.id, at, channel, rep, summary, outcome, next_at)


# ---------------------------------------------------------------- the import


def import_file(
    change: Change,
    kind: str,
    path: Path,
    options: ImportOptions,
    *,
    today: date,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import one CSV file or workbook sheet as one change. Raises BadInput (nothing
    written) when a row is invalid, unless `options.skip_invalid`; writes nothing with
    `options.dry_run`. A file is a workbook by its name or its content."""
    if kind not in KINDS:
        raise BadValue(
            _("cannot import {kind!r}; use one of {kinds}").format(
                kind=kind, kinds=", ".join(KINDS)
            )
        )
    if options.on_duplicate not in ON_DUPLICATE:
        raise BadValue(
            _("duplicates are an error, skipped or updated, not {choice!r}").format(
                choice=options.on_duplicate
            )
        )
    cards = is_vcard(path)
    is_sheet = not cards and workbook.is_workbook(path)
    if cards:
        _card_options(kind, path, options)
        digest = file_digest(path)
        result = ImportResult(kind, str(path), "", "", dry_run=options.dry_run, cards=True)
    elif is_sheet:
        digest = file_digest(path)
        result = ImportResult(kind, str(path), "", "", dry_run=options.dry_run)
    else:
        if options.sheet is not None or options.header_row is not None:
            raise BadValue(
                _(
                    "{path} is a CSV file: only a workbook has sheets and a header row to choose"
                ).format(path=path)
            )
        encoding, digest, has_nul = sniff_encoding(path, options.encoding)
        result = ImportResult(
            kind, str(path), encoding.replace("-sig", ""), ",", dry_run=options.dry_run
        )
    conn = change.conn
    if kind in ("sales", "contacts", "returns") and not options.again:
        earlier = conn.execute(
            "SELECT id, file, at, rows FROM imports WHERE kind = ? AND sha256 = ?", [kind, digest]
        ).fetchone()
        if earlier:
            raise Conflict(
                _(ALREADY_IMPORTED[kind]).format(
                    id=earlier["id"], file=earlier["file"], at=earlier["at"], rows=earlier["rows"]
                ),
                hint="again",
            )
    rows = (
        read_card_rows(path, result)
        if cards
        else read_sheet_rows(path, options, kind, result)
        if is_sheet
        else read_rows(path, encoding, options.mapping, kind, result, progress, has_nul=has_nul)
    )
    if kind == "customers":
        _import_records(
            change,
            rows,
            result,
            options,
            table="customers",
            parse=lambda values: customer_values(values, today),
            identity=_identity,
            existing=_existing(conn, "SELECT * FROM customers"),
            merge=_keep_profile if cards else None,
        )
    elif kind == "products":
        _import_records(
            change,
            rows,
            result,
            options,
            table="products",
            parse=product_values,
            identity=_product_identity,
            existing=_existing(
                conn, "SELECT id, name, sku, category, price_cents, cycle_days FROM products"
            ),
        )
    elif kind == "returns":
        _import_returns(change, rows, result, options)
    else:
        valid = _history_rows(change, rows, result, options, kind, today)
        columns = SALE_COLUMNS if kind == "sales" else CONTACT_COLUMNS
        if options.dry_run:
            result.imported = sum(1 for _ in valid)
        else:
            result.imported = change.insert_many(kind, columns, valid)
    if result.invalid and not options.skip_invalid:
        raise ImportRefused(result)
    if not options.dry_run:
        change.insert(
            "imports",
            {
                "change_id": change.id,
                "kind": kind,
                "file": file_label(path),
                "sha256": digest,
                "rows": result.rows,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        change.describe(IMPORTED[kind], count=result.imported, file=file_label(path))
    return result


# What an import says in the history, per kind (a sentence each, so each reads naturally
# in every language; in English "imported 12 customers from members.csv").
IMPORTED = {
    "customers": N_("imported {count} customers from {file}"),
    "products": N_("imported {count} products from {file}"),
    "sales": N_("imported {count} sales from {file}"),
    "contacts": N_("imported {count} contacts from {file}"),
    "returns": N_("imported {count} returns from {file}"),
}


# A history file (sales, contacts, returns) imported twice would count everything twice.
ALREADY_IMPORTED = {
    "sales": N_(
        "this sales file was already imported (import #{id} of {file} at {at}, {rows} rows)"
    ),
    "contacts": N_(
        "this contacts file was already imported (import #{id} of {file} at {at}, {rows} rows)"
    ),
    "returns": N_(
        "this returns file was already imported (import #{id} of {file} at {at}, {rows} rows)"
    ),
}


def _card_options(kind: str, path: Path, options: ImportOptions) -> None:
    """A vCard file holds people and names its own fields and character set."""
    if kind != "customers":
        raise BadValue(
            _("{path} is a vCard file of people: import it as customers").format(path=path)
        )
    if options.sheet is not None or options.header_row is not None or options.mapping:
        raise BadValue(
            _("{path} is a vCard file: it has no sheets, header row or columns to map").format(
                path=path
            )
        )
    if options.encoding != "auto":
        raise BadValue(
            _("{path} is a vCard file: its cards name their own character set").format(path=path)
        )


def _import_returns(
    change: Change, rows: Iterator[SourceRow], result: ImportResult, options: ImportOptions
) -> None:
    """Returns, each linked to its sale by the sale's id and refused like `sale return`
    refuses (more than is kept, dated before the sale); one by one, so a later row sees
    the earlier returns of the same sale. A dry run takes them back at the end."""
    from salesflow import sales

    conn = change.conn
    conn.execute("SAVEPOINT returns_import")
    try:
        for source in rows:
            result.rows += 1
            values = source.values
            try:
                sale_id = _whole_number(values.get("sale_id", ""), "sale_id")
                exchange = values.get("exchange_sale_id", "")
                exchange_id = _whole_number(exchange, "exchange_sale_id") if exchange else None
                known = (
                    exchange_id is None
                    or conn.execute("SELECT 1 FROM sales WHERE id = ?", [exchange_id]).fetchone()
                )
                if not known:
                    raise RowError(
                        _("no sale #{id} to name as the exchange").format(id=exchange_id)
                    )
                text = values.get("quantity")
                amount = values.get("amount")
                quantity = _row_rule(parse_quantity, text) if text else None
                cents = _row_rule(parse_money, amount) if amount else None
                try:
                    _row_rule(
                        sales.record_return,
                        change,
                        sale_id,
                        return_date=date.fromisoformat(_date(values.get("date", ""))),
                        quantity=quantity,
                        amount_cents=cents,
                        reason=values.get("reason"),
                        exchange_sale_id=exchange_id,
                    )
                except Conflict as error:
                    raise RowError(str(error)) from None
            except RowError as error:
                result.reject(source, error)
                continue
            result.imported += 1
    finally:
        if options.dry_run:
            conn.execute("ROLLBACK TO returns_import")
        conn.execute("RELEASE returns_import")


def _whole_number(text: str, what: str) -> int:
    if not text.strip().isdigit():
        raise RowError(
            _("{column} must be a sale's id, not {text!r}").format(column=what, text=text)
        )
    return int(text.strip())


class ImportRefused(BadInput):
    """Invalid rows in an all-or-nothing import; carries the result with every reason."""

    def __init__(self, result: ImportResult) -> None:
        count = len(result.invalid)
        refusal = (
            _("1 invalid row in {file}; nothing was imported")
            if count == 1
            else _("{count} invalid rows in {file}; nothing was imported")
        )
        super().__init__(refusal.format(count=count, file=result.file), hint="skip-invalid")
        self.result = result


def rejects_csv(result: ImportResult) -> str:
    """The rejected rows as CSV: physical line (a workbook's row), reason, then the
    original cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_where(result), "reason", "cells..."])
    for line, reason, cells in result.invalid:
        writer.writerow([line, reason, *cells])
    return buffer.getvalue()


def _where(result: ImportResult) -> str:
    return "line" if result.sheet is None else "row"


def write_rejects_workbook(result: ImportResult, path: Path) -> None:
    """The rejected rows as a workbook: Excel's row (or the CSV line), the reason, then
    the original cells under the file's own headings, so the sheet can be fixed and
    imported again (the first two columns are not read back)."""
    width = max((len(cells) for _line, _reason, cells in result.invalid), default=0)
    width = max(width, len(result.headers))
    headings = [*result.headers, *[""] * (width - len(result.headers))]
    where = _where(result)
    columns = [
        workbook.Column(where, where, workbook.ColumnKind.INTEGER),
        workbook.Column("reason", "reason"),
        *(
            workbook.Column(str(index), heading or f"column {index + 1}")
            for index, heading in enumerate(headings)
        ),
    ]
    rows = (
        {where: line, "reason": reason, **{str(index): cell for index, cell in enumerate(cells)}}
        for line, reason, cells in result.invalid
    )
    workbook.write_workbook(path, "rejects", columns, rows, force=True)
