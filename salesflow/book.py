"""The salesperson's book: customers, the contact log, products and sales.

Functions take an open connection first and return plain dicts with the public keys of
SPEC §3 (money as `Decimal`, references as `<thing>_id` plus `<thing>` name).
"""

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from salesflow import rules
from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, BadValue, Conflict, NotFound
from salesflow.inputs import cents_to_decimal, normalise_phone

CUSTOMER_TEXT_FIELDS = (
    "ref",
    "company",
    "phone",
    "email",
    "address",
    "source",
    "owner",
    "department",
    "store",
    "economic",
    "buying",
    "suppliers",
    "notes",
)
SCORE_FIELDS = ("urgency", "quick_effect", "price_fit")
CUSTOMER_KEYS = (
    "id",
    "ref",
    "name",
    "company",
    "phone",
    "email",
    "address",
    "source",
    "referred_by_id",
    "referred_by",
    "owner",
    "department",
    "store",
    "tier",
    "tier_locked",
    "economic",
    "buying",
    "suppliers",
    "urgency",
    "quick_effect",
    "price_fit",
    "tags",
    "profile",
    "notes",
    "created_at",
    "last_contact_at",
    "next_follow_up",
    "last_sale_on",
)
CONTACT_KEYS = (
    "id",
    "customer_id",
    "customer",
    "at",
    "channel",
    "by",
    "summary",
    "outcome",
    "next_at",
    "deal_id",
    "deal",
)
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
CHANNELS = ("call", "visit", "email", "sms", "wechat", "meeting", "showroom", "other")
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class CustomerFields:
    """What `customer add` / `customer edit` may set; None means "leave as it is"."""

    name: str | None = None
    text: dict[str, str | None] | None = None
    referred_by_id: int | None = None
    clear_referred_by: bool = False
    tier: str | None = None  # A-D, "none" (locked, no tier) or "auto" (unlock)
    scores: dict[str, int | None] | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    set_facts: tuple[tuple[str, str], ...] = ()
    unset_facts: tuple[str, ...] = ()
    created: date | None = None


# ---------------------------------------------------------------- customers


CUSTOMER_SELECT = """
    SELECT c.*, r.name AS referred_by
    FROM customers c LEFT JOIN customers r ON r.id = c.referred_by_id
"""


def customer_row(row: sqlite3.Row) -> Row:
    columns = set(row.keys())
    record = {key: row[key] for key in CUSTOMER_KEYS if key in columns}
    record["tags"] = json.loads(row["tags"])
    record["profile"] = json.loads(row["profile"])
    record["tier_locked"] = bool(row["tier_locked"])
    return record


def get_customer(conn: sqlite3.Connection, customer_id: int) -> Row:
    row = conn.execute(CUSTOMER_SELECT + " WHERE c.id = ?", [customer_id]).fetchone()
    if row is None:
        raise NotFound(f"no customer #{customer_id}")
    return customer_row(row)


def find_customer(conn: sqlite3.Connection, reference: str) -> int:
    """Resolve what a user typed (id, #id, ref, phone, email, name, part of a name)."""
    text = reference.strip()
    if not text:
        raise BadValue("an empty customer reference matches nothing")
    if re.fullmatch(r"#\d+", text):
        return _require_id(conn, "customers", int(text[1:]), "customer")
    if text.isdigit():
        found = conn.execute("SELECT id FROM customers WHERE id = ?", [int(text)]).fetchone()
        if found:
            return found[0]
    exact = conn.execute(
        "SELECT id FROM customers WHERE ref = ? OR (email = ? COLLATE NOCASE)"
        " OR (phone_norm IS NOT NULL AND phone_norm = ?)",
        [text, text, normalise_phone(text) or "\x00"],
    ).fetchall()
    if len(exact) == 1:
        return exact[0][0]
    candidates = (
        exact
        or conn.execute("SELECT id FROM customers WHERE name = ? COLLATE NOCASE", [text]).fetchall()
    )
    if not candidates:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        candidates = conn.execute(
            "SELECT id FROM customers WHERE name LIKE ? ESCAPE '\\' ORDER BY id", [pattern]
        ).fetchall()
    if len(candidates) == 1:
        return candidates[0][0]
    if not candidates:
        raise NotFound(f"no customer matches {reference!r}")
    raise Ambiguous(
        f"{reference!r} matches {len(candidates)} customers: "
        + _candidate_list(conn, "customers", [row[0] for row in candidates])
        + "; use the #id"
    )


def _candidate_list(conn: sqlite3.Connection, table: str, ids: list[int]) -> str:
    shown = ids[:10]
    marks = ",".join("?" for _ in shown)
    names = dict(conn.execute(f"SELECT id, name FROM {table} WHERE id IN ({marks})", shown))
    listed = ", ".join(f"#{row_id} {names[row_id]}" for row_id in shown)
    return listed + (f" and {len(ids) - len(shown)} more" if len(ids) > len(shown) else "")


def _require_id(conn: sqlite3.Connection, table: str, row_id: int, what: str) -> int:
    if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", [row_id]).fetchone() is None:
        raise NotFound(f"no {what} #{row_id}")
    return row_id


def add_customer(change: Change, fields: CustomerFields, today: date) -> int:
    values = _customer_values(change.conn, None, fields)
    values.setdefault("created_at", today.isoformat())
    customer_id = change.insert("customers", values)
    change.summary = f"added customer #{customer_id}"
    return customer_id


def edit_customer(change: Change, customer_id: int, fields: CustomerFields) -> None:
    values = _customer_values(change.conn, customer_id, fields)
    if fields.referred_by_id == customer_id:
        raise Conflict("a customer cannot be referred by themselves")
    change.update("customers", customer_id, values)
    change.summary = f"edited customer #{customer_id}"


def _customer_values(conn: sqlite3.Connection, customer_id: int | None, fields: CustomerFields):
    current = get_customer(conn, customer_id) if customer_id else None
    values: dict[str, Any] = {}
    if fields.name is not None:
        name = fields.name.strip()
        if not name:
            raise BadValue("a customer needs a name")
        values["name"] = name
    for key, value in (fields.text or {}).items():
        cleaned = value.strip() if value is not None else None
        values[key] = cleaned or None
    if values.get("email") and not EMAIL_SHAPE.fullmatch(values["email"]):
        raise BadValue(f"email {values['email']!r} does not look like an address")
    if "phone" in values:
        values["phone_norm"] = normalise_phone(values["phone"])
    if values.get("ref"):
        clash = conn.execute(
            "SELECT id FROM customers WHERE ref = ? AND id IS NOT ?", [values["ref"], customer_id]
        ).fetchone()
        if clash:
            raise Conflict(f"ref {values['ref']!r} already belongs to customer #{clash[0]}")
    if fields.referred_by_id is not None:
        values["referred_by_id"] = fields.referred_by_id
    elif fields.clear_referred_by:
        values["referred_by_id"] = None
    if fields.tier is not None:
        values.update(rules.manual_tier(fields.tier, current))
    for key, score in (fields.scores or {}).items():
        values[key] = score
    if fields.add_tags or fields.remove_tags or current is None:
        tags = [t for t in (current["tags"] if current else []) if t not in fields.remove_tags]
        for tag in fields.add_tags:
            tag = tag.strip()
            if tag and tag not in tags:
                tags.append(tag)
        values["tags"] = json.dumps(tags, ensure_ascii=False)
    if fields.set_facts or fields.unset_facts or current is None:
        profile = dict(current["profile"] if current else {})
        for key in fields.unset_facts:
            if key not in profile:
                raise NotFound(f"the profile has no fact {key!r}")
            del profile[key]
        profile.update(dict(fields.set_facts))
        values["profile"] = json.dumps(profile, ensure_ascii=False)
    if fields.created is not None:
        values["created_at"] = fields.created.isoformat()
    return values


def list_customers(
    conn: sqlite3.Connection,
    *,
    tier: str | None = None,
    owner: str | None = None,
    tag: str | None = None,
    source: str | None = None,
    store: str | None = None,
    search: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    where, params = [], []
    if tier is not None:
        if tier.lower() == "none":
            where.append("c.tier IS NULL")
        else:
            where.append("c.tier = ?")
            params.append(rules.tier_letter(tier))
    for column, value in (("owner", owner), ("source", source), ("store", store)):
        if value is not None:
            where.append(f"c.{column} = ? COLLATE NOCASE")
            params.append(value)
    if tag is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = ?)")
        params.append(tag)
    if search:
        pattern = f"%{search}%"
        where.append(
            "(c.name LIKE ? OR c.company LIKE ? OR c.phone LIKE ? OR c.email LIKE ?"
            " OR c.ref LIKE ? OR c.notes LIKE ? OR c.phone_norm LIKE ?)"
        )
        params += [pattern] * 6 + [f"%{normalise_phone(search) or search}%"]
    sql = CUSTOMER_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [customer_row(row) for row in conn.execute(sql, params)]


def delete_customer(change: Change, customer_id: int) -> None:
    """Delete a customer and everything recorded about them (undo brings it all back)."""
    conn = change.conn
    deal_ids = [
        r[0] for r in conn.execute("SELECT id FROM deals WHERE customer_id = ?", [customer_id])
    ]
    for deal_id in deal_ids:
        for table, key in (
            ("objection_uses", "deal_id"),
            ("deal_checks", "deal_id"),
            ("deal_history", "deal_id"),
        ):
            for (rowid,) in conn.execute(f"SELECT rowid FROM {table} WHERE {key} = ?", [deal_id]):
                change.delete(table, rowid)
    for table in ("contacts", "sales", "stakeholders"):
        for (rowid,) in conn.execute(
            f"SELECT id FROM {table} WHERE customer_id = ?", [customer_id]
        ):
            change.delete(table, rowid)
    for deal_id in deal_ids:
        change.delete("deals", deal_id)
    for (referred,) in conn.execute(
        "SELECT id FROM customers WHERE referred_by_id = ?", [customer_id]
    ):
        change.update("customers", referred, {"referred_by_id": None})
    change.delete("customers", customer_id)
    change.summary = f"deleted customer #{customer_id}"


def customer_history_counts(conn: sqlite3.Connection, customer_id: int) -> dict[str, int]:
    return {
        table: conn.execute(
            f"SELECT count(*) FROM {table} WHERE customer_id = ?", [customer_id]
        ).fetchone()[0]
        for table in ("contacts", "sales", "deals")
    }


# ---------------------------------------------------------------- contacts


CONTACT_SELECT = """
    SELECT k.*, k.rep AS by, c.name AS customer, d.title AS deal
    FROM contacts k JOIN customers c ON c.id = k.customer_id
    LEFT JOIN deals d ON d.id = k.deal_id
"""


def contact_row(row: sqlite3.Row) -> Row:
    return {key: row[key] for key in CONTACT_KEYS}


def log_contact(
    change: Change,
    customer_id: int,
    summary: str,
    *,
    at: str,
    channel: str,
    by: str | None,
    outcome: str | None,
    next_at: date | None,
    deal_id: int | None,
) -> int:
    if not summary.strip():
        raise BadValue("a contact needs a summary of what happened")
    if channel not in CHANNELS:
        raise BadValue(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
    customer = get_customer(change.conn, customer_id)
    if deal_id is not None:
        _require_deal_of(change.conn, deal_id, customer_id)
    contact_id = change.insert(
        "contacts",
        {
            "customer_id": customer_id,
            "at": at,
            "channel": channel,
            "rep": (by or "").strip() or customer["owner"],
            "summary": summary.strip(),
            "outcome": (outcome or "").strip() or None,
            "next_at": next_at.isoformat() if next_at else None,
            "deal_id": deal_id,
        },
    )
    change.summary = f"logged contact #{contact_id} with customer #{customer_id}"
    return contact_id


def _require_deal_of(conn: sqlite3.Connection, deal_id: int, customer_id: int) -> None:
    row = conn.execute("SELECT customer_id FROM deals WHERE id = ?", [deal_id]).fetchone()
    if row is None:
        raise NotFound(f"no deal #{deal_id}")
    if row[0] != customer_id:
        raise Conflict(f"deal #{deal_id} belongs to another customer")


def get_contact(conn: sqlite3.Connection, contact_id: int) -> Row:
    row = conn.execute(CONTACT_SELECT + " WHERE k.id = ?", [contact_id]).fetchone()
    if row is None:
        raise NotFound(f"no contact #{contact_id}")
    return contact_row(row)


def list_contacts(
    conn: sqlite3.Connection,
    *,
    customer_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    by: str | None = None,
    channel: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    where, params = [], []
    if customer_id is not None:
        where.append("k.customer_id = ?")
        params.append(customer_id)
    if start is not None:
        where.append("k.at >= ?")
        params.append(start.isoformat())
    if end is not None:
        where.append("k.at < date(?, '+1 day')")
        params.append(end.isoformat())
    if by is not None:
        where.append("k.rep = ? COLLATE NOCASE")
        params.append(by)
    if channel is not None:
        where.append("k.channel = ?")
        params.append(channel)
    sql = CONTACT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY k.at, k.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [contact_row(row) for row in conn.execute(sql, params)]


# ---------------------------------------------------------------- products


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
    name = name.strip()
    if not name:
        raise BadValue("a product needs a name")
    if change.conn.execute("SELECT 1 FROM products WHERE name = ?", [name]).fetchone():
        raise Conflict(f"a product named {name!r} already exists")
    sku = (sku or "").strip() or None
    if sku and change.conn.execute("SELECT 1 FROM products WHERE sku = ?", [sku]).fetchone():
        raise Conflict(f"SKU {sku!r} already belongs to another product")
    if cycle_days is not None and cycle_days <= 0:
        raise BadValue("--cycle-days must be a positive number of days")
    product_id = change.insert(
        "products",
        {
            "name": name,
            "sku": sku,
            "category": (category or "").strip() or None,
            "price_cents": price_cents,
            "cycle_days": cycle_days,
        },
    )
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
        return _require_id(conn, "products", int(text[1:]), "product")
    if text.isdigit():
        found = conn.execute("SELECT id FROM products WHERE id = ?", [int(text)]).fetchone()
        if found:
            return found[0]
    exact = conn.execute(
        "SELECT id FROM products WHERE sku = ? OR name = ?", [text, text]
    ).fetchall()
    if len(exact) == 1:
        return exact[0][0]
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    candidates = (
        exact
        or conn.execute(
            "SELECT id FROM products WHERE name LIKE ? ESCAPE '\\' ORDER BY id", [pattern]
        ).fetchall()
    )
    if len(candidates) == 1:
        return candidates[0][0]
    if not candidates:
        raise NotFound(f"no product matches {reference!r}")
    raise Ambiguous(
        f"{reference!r} matches {len(candidates)} products: "
        + _candidate_list(conn, "products", [row[0] for row in candidates])
        + "; use the #id"
    )


def list_products(conn: sqlite3.Connection, *, limit: int | None = None) -> list[Row]:
    sql = "SELECT * FROM products ORDER BY name"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [product_row(row) for row in conn.execute(sql)]


# ---------------------------------------------------------------- sales


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
    product = get_product(change.conn, product_id) if product_id is not None else None
    if deal_id is not None:
        _require_deal_of(change.conn, deal_id, customer_id)
    values = rules.sale_defaults(
        customer,
        product,
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
            "date": sale_date.isoformat(),
            "deal_id": deal_id,
            **values,
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
    where, params = [], []
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


# ---------------------------------------------------------------- merge

MERGE_FILLS = (*CUSTOMER_TEXT_FIELDS, *SCORE_FIELDS, "referred_by_id")


def merge_customers(change: Change, keep_id: int, duplicate_id: int) -> dict[str, int]:
    """Fold a duplicate into the keeper: history moves over, facts the keeper lacks are
    copied, the duplicate is deleted. One change, so undo restores both."""
    if keep_id == duplicate_id:
        raise Conflict("a customer cannot be merged into itself")
    conn = change.conn
    keeper, duplicate = get_customer(conn, keep_id), get_customer(conn, duplicate_id)
    moved = {}
    for table in ("contacts", "sales", "deals", "stakeholders"):
        ids = [row[0] for row in conn.execute(
            f"SELECT id FROM {table} WHERE customer_id = ?", [duplicate_id]
        )]  # fmt: skip
        for row_id in ids:
            change.update(table, row_id, {"customer_id": keep_id})
        moved[table] = len(ids)
    for (referred,) in conn.execute(
        "SELECT id FROM customers WHERE referred_by_id = ?", [duplicate_id]
    ).fetchall():
        change.update("customers", referred, {"referred_by_id": None if referred == keep_id
                                              else keep_id})  # fmt: skip
    fills: dict[str, Any] = {
        key: duplicate[key]
        for key in MERGE_FILLS
        if keeper[key] in (None, "")
        and duplicate[key] not in (None, "")
        and not (key == "referred_by_id" and duplicate[key] == keep_id)
    }
    if "phone" in fills:
        fills["phone_norm"] = normalise_phone(fills["phone"])
    fills["created_at"] = min(keeper["created_at"], duplicate["created_at"])
    tags = keeper["tags"] + [tag for tag in duplicate["tags"] if tag not in keeper["tags"]]
    fills["tags"] = json.dumps(tags, ensure_ascii=False)
    profile = {**duplicate["profile"], **keeper["profile"]}
    fills["profile"] = json.dumps(profile, ensure_ascii=False)
    if "ref" in fills:
        change.update("customers", duplicate_id, {"ref": None})
    change.update("customers", keep_id, fills)
    change.delete("customers", duplicate_id)
    change.summary = f"merged customer #{duplicate_id} into #{keep_id}"
    return moved
