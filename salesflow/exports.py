"""Export of the book's records in the shape the import reads back (CSV, JSON or a
workbook of typed columns)."""

import json
import sqlite3
from collections.abc import Iterator

from salesflow.choices import EXPORT_KINDS
from salesflow.db import Row
from salesflow.errors import BadValue
from salesflow.i18n import _
from salesflow.imports import CUSTOMER_FIELDS
from salesflow.inputs import cents_to_decimal
from salesflow.workbook import Column, ColumnKind

EXPORT_SQL = {
    "customers": (
        CUSTOMER_FIELDS,
        """SELECT id, ref, name, company, phone, email, address, source, owner, department,
                  store, CASE WHEN tier IS NULL AND tier_locked THEN 'none' ELSE tier END AS tier,
                  CASE WHEN tier_locked THEN 'true' ELSE 'false' END AS tier_locked, tags, notes,
                  created_at AS created, economic, buying, suppliers, urgency, quick_effect,
                  price_fit, profile
           FROM customers ORDER BY id""",
    ),
    "products": (
        ("id", "name", "sku", "category", "price", "cycle_days"),
        "SELECT id, name, sku, category, price_cents AS price, cycle_days FROM products"
        " ORDER BY id",
    ),
    "sales": (
        (
            "id",
            "date",
            "customer_id",
            "customer_ref",
            "customer",
            "product",
            "quantity",
            "amount",
            "rep",
            "department",
            "store",
            "deal_id",
        ),
        """SELECT s.id, s.date, s.customer_id, c.ref AS customer_ref, c.name AS customer,
                  coalesce(p.name, s.product_name) AS product, s.quantity,
                  s.amount_cents AS amount, s.rep, s.department,
                  s.store, s.deal_id
           FROM sales s JOIN customers c ON c.id = s.customer_id
           LEFT JOIN products p ON p.id = s.product_id ORDER BY s.id""",
    ),
    "contacts": (
        (
            "id",
            "date",
            "customer_id",
            "customer_ref",
            "customer",
            "channel",
            "summary",
            "outcome",
            "next",
            "by",
            "deal_id",
        ),
        """SELECT k.id, k.at AS date, k.customer_id, c.ref AS customer_ref, c.name AS customer,
                  k.channel, k.summary, k.outcome, k.next_at AS next, k.rep AS by, k.deal_id
           FROM contacts k JOIN customers c ON c.id = k.customer_id ORDER BY k.id""",
    ),
}
EXPORT_SQL["returns"] = (
    (
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
    """SELECT r.id, r.sale_id, r.date, s.customer_id, c.name AS customer,
              coalesce(p.name, s.product_name) AS product, r.quantity,
              r.amount_cents AS amount, r.reason, r.exchange_sale_id
       FROM returns r JOIN sales s ON s.id = r.sale_id
       JOIN customers c ON c.id = s.customer_id
       LEFT JOIN products p ON p.id = s.product_id ORDER BY r.id""",
)
MONEY_COLUMNS = {"price", "amount"}


# How each exported column is typed in a workbook; the others are text. Phones, refs and
# member numbers stay text so that leading zeros and long digits survive.
WORKBOOK_KINDS = {
    "id": ColumnKind.INTEGER,
    "customer_id": ColumnKind.INTEGER,
    "deal_id": ColumnKind.INTEGER,
    "sale_id": ColumnKind.INTEGER,
    "exchange_sale_id": ColumnKind.INTEGER,
    "urgency": ColumnKind.INTEGER,
    "quick_effect": ColumnKind.INTEGER,
    "price_fit": ColumnKind.INTEGER,
    "cycle_days": ColumnKind.INTEGER,
    "probability": ColumnKind.INTEGER,
    "quantity": ColumnKind.NUMBER,
    "price": ColumnKind.MONEY,
    "amount": ColumnKind.MONEY,
    "created": ColumnKind.DATE,
    "next": ColumnKind.DATE,
    "expected_close": ColumnKind.DATE,
    "closed_on": ColumnKind.DATE,
}
# Per kind where one key means something else (a contact's date has its time).
WORKBOOK_KINDS_OF = {
    "sales": {"date": ColumnKind.DATE},
    "returns": {"date": ColumnKind.DATE},
    "contacts": {"date": ColumnKind.DATETIME},
    "deals": {"created_at": ColumnKind.DATE},
}


# Deals are exported, not imported: their Chinese headings are for reading only.
DEAL_HEADINGS = {
    "id": "记录号", "customer_id": "客户记录号", "customer": "客户", "title": "名称",
    "pipeline": "销售流程", "stage": "阶段", "amount": "金额", "probability": "赢率",
    "expected_close": "预计成交日期", "owner": "负责人", "status": "状态",
    "lost_reason": "丢单原因", "created_at": "创建日期", "closed_on": "结束日期",
}  # fmt: skip


def headings(kind: str, columns: tuple[str, ...], language: str) -> tuple[str, ...]:
    """The column headings of an export: the field names, or (`zh`) the Chinese headings
    the import reads back."""
    if language != "zh":
        return columns
    from salesflow.imports import CHINESE_HEADINGS

    chinese = CHINESE_HEADINGS.get(kind, DEAL_HEADINGS)
    return tuple(chinese.get(column, column) for column in columns)


def workbook_columns(kind: str, keys: tuple[str, ...], language: str = "en") -> list[Column]:
    """The typed columns of an export as a workbook, headed as the import reads them."""
    kinds = WORKBOOK_KINDS | WORKBOOK_KINDS_OF.get(kind, {})
    named = headings(kind, keys, language)
    return [
        Column(key, heading, kinds.get(key, ColumnKind.TEXT))
        for key, heading in zip(keys, named, strict=True)
    ]


DEAL_EXPORT_COLUMNS = (
    "id", "customer_id", "customer", "title", "pipeline", "stage", "amount", "probability",
    "expected_close", "owner", "status", "lost_reason", "created_at", "closed_on",
)  # fmt: skip


def customer_cards(conn: sqlite3.Connection) -> Iterator[str]:
    """Every customer as a vCard 3.0 card that a phone imports, streamed."""
    from salesflow.vcard import write_cards

    _columns, rows = export_records(conn, "customers")
    return write_cards(rows)


def export_records(conn: sqlite3.Connection, kind: str) -> tuple[tuple[str, ...], Iterator[Row]]:
    """The columns and a stream of rows of one kind, in import-compatible shape."""
    if kind not in EXPORT_KINDS:
        raise BadValue(
            _("cannot export {kind!r}; use one of {kinds}").format(
                kind=kind, kinds=", ".join(EXPORT_KINDS)
            )
        )
    if kind == "deals":  # the deal rules (probability of won/lost deals) live in deals.py
        from salesflow import deals

        return DEAL_EXPORT_COLUMNS, iter(deals.list_deals(conn))
    columns, sql = EXPORT_SQL[kind]

    def rows() -> Iterator[Row]:
        for row in conn.execute(sql):
            record = dict(zip(columns, row, strict=True))
            for key in MONEY_COLUMNS & record.keys():
                if record[key] is not None:
                    record[key] = cents_to_decimal(record[key])
            if "tags" in record:
                record["tags"] = json.loads(record["tags"])
            if record.get("profile") == "{}":
                record["profile"] = None  # kept as JSON text: it round-trips exactly
            if isinstance(record.get("quantity"), float) and record["quantity"].is_integer():
                record["quantity"] = int(record["quantity"])
            yield record

    return columns, rows()
