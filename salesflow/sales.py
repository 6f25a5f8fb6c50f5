"""Products you sell and the sales of them (one order line each)."""

import re
import sqlite3
from datetime import date
from typing import Any

from salesflow.customers import get_customer
from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, Conflict, NotFound
from salesflow.i18n import _
from salesflow.inputs import cents_to_decimal
from salesflow.lookup import candidate_list, contains, require_deal_of, require_id
from salesflow.validate import SaleParty, product_columns, sale_columns

PRODUCT_KEYS = ("id", "name", "sku", "category", "price", "cycle_days")
SALE_KEYS = (
    "id",
    "customer_id",
    "customer",
    "product_id",
    "product",
    "quantity",
    "amount",
    "date",
    "rep",
    "department",
    "store",
    "deal_id",
    "deal",
)


def product_row(row: sqlite3.Row) -> Row:
    record = {key: row[key] for key in PRODUCT_KEYS if key != "price"}
    record["price"] = cents_to_decimal(row["price_cents"])
    return record


def add_product(
    change: Change,
    name: str,
    *,
    sku: str | None,
    category: str | None,
    price_cents: int | None,
    cycle_days: int | None,
) -> int:
    values = product_columns(
        name, sku=sku, category=category, price_cents=price_cents, cycle_days=cycle_days
    )
    if change.conn.execute("SELECT 1 FROM products WHERE name = ?", [values["name"]]).fetchone():
        raise Conflict(_("a product named {name!r} already exists").format(name=values["name"]))
    if (
        values.get("sku")
        and change.conn.execute("SELECT 1 FROM products WHERE sku = ?", [values["sku"]]).fetchone()
    ):
        raise Conflict(
            _("SKU {sku!r} already belongs to another product").format(sku=values["sku"])
        )
    product_id = change.insert("products", values)
    change.summary = f"added product #{product_id}"
    return product_id


def get_product(conn: sqlite3.Connection, product_id: int) -> Row:
    row = conn.execute("SELECT * FROM products WHERE id = ?", [product_id]).fetchone()
    if row is None:
        raise NotFound(f"no product #{product_id}")
    return product_row(row)


def find_product(conn: sqlite3.Connection, reference: str) -> int:
    """Resolve a product by id, #id, SKU, exact name or a unique part of its name."""
    text = reference.strip()
    if re.fullmatch(r"#\d+", text):
        return require_id(conn, "products", int(text[1:]), "product")
    if text.isdigit():
        found = conn.execute("SELECT id FROM products WHERE id = ?", [int(text)]).fetchone()
        if found:
            return found[0]
    exact = conn.execute(
        "SELECT id FROM products WHERE sku = ? OR name = ?", [text, text]
    ).fetchall()
    if len(exact) == 1:
        return exact[0][0]
    candidates = (
        exact
        or conn.execute(
            "SELECT id FROM products WHERE name LIKE ? ESCAPE '\\' ORDER BY id", [contains(text)]
        ).fetchall()
    )
    if len(candidates) == 1:
        return candidates[0][0]
    if not candidates:
        raise NotFound(f"no product matches {reference!r}")
    raise Ambiguous(
        f"{reference!r} matches {len(candidates)} products: "
        + candidate_list(conn, "products", [row[0] for row in candidates])
        + "; use the #id"
    )


def list_products(conn: sqlite3.Connection, *, limit: int | None = None) -> list[Row]:
    sql = "SELECT * FROM products ORDER BY name"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [product_row(row) for row in conn.execute(sql)]


SALE_SELECT = """
    SELECT s.*, c.name AS customer, p.name AS product, d.title AS deal
    FROM sales s JOIN customers c ON c.id = s.customer_id
    LEFT JOIN products p ON p.id = s.product_id
    LEFT JOIN deals d ON d.id = s.deal_id
"""


def sale_row(row: sqlite3.Row) -> Row:
    record = {key: row[key] for key in SALE_KEYS if key != "amount"}
    record["amount"] = cents_to_decimal(row["amount_cents"])
    quantity = row["quantity"]
    record["quantity"] = int(quantity) if float(quantity).is_integer() else quantity
    return record


def add_sale(
    change: Change,
    customer_id: int,
    product_id: int | None,
    *,
    quantity: float,
    amount_cents: int | None,
    sale_date: date,
    rep: str | None,
    department: str | None,
    store: str | None,
    deal_id: int | None,
) -> int:
    customer = get_customer(change.conn, customer_id)
    product = (
        change.conn.execute("SELECT * FROM products WHERE id = ?", [product_id]).fetchone()
        if product_id is not None
        else None
    )
    if product_id is not None and product is None:
        raise NotFound(_("no product #{id}").format(id=product_id))
    if deal_id is not None:
        require_deal_of(change.conn, deal_id, customer_id)
    amount, rep, department, store = sale_columns(
        SaleParty(customer["owner"], customer["department"], customer["store"]),
        product["price_cents"] if product else None,
        quantity=quantity,
        amount_cents=amount_cents,
        rep=rep,
        department=department,
        store=store,
    )
    sale_id = change.insert(
        "sales",
        {
            "customer_id": customer_id,
            "product_id": product_id,
            "quantity": quantity,
            "amount_cents": amount,
            "date": sale_date.isoformat(),
            "rep": rep,
            "department": department,
            "store": store,
            "deal_id": deal_id,
        },
    )
    change.summary = f"recorded sale #{sale_id} for customer #{customer_id}"
    return sale_id


def get_sale(conn: sqlite3.Connection, sale_id: int) -> Row:
    row = conn.execute(SALE_SELECT + " WHERE s.id = ?", [sale_id]).fetchone()
    if row is None:
        raise NotFound(f"no sale #{sale_id}")
    return sale_row(row)


def list_sales(
    conn: sqlite3.Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    customer_id: int | None = None,
    product_id: int | None = None,
    rep: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    where: list[str] = []
    params: list[Any] = []
    if start is not None:
        where.append("s.date >= ?")
        params.append(start.isoformat())
    if end is not None:
        where.append("s.date <= ?")
        params.append(end.isoformat())
    for column, value in (("customer_id", customer_id), ("product_id", product_id)):
        if value is not None:
            where.append(f"s.{column} = ?")
            params.append(value)
    if rep is not None:
        where.append("s.rep = ? COLLATE NOCASE")
        params.append(rep)
    sql = SALE_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY s.date, s.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [sale_row(row) for row in conn.execute(sql, params)]
