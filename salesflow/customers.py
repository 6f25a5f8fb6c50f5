"""Customers: their profile, finding them by what a user types, listing, deleting and
merging duplicates.

Functions take an open connection (or a `Change`) first and return plain dicts with the
public keys of SPEC §3.
"""

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, BadValue, Conflict, NotFound
from salesflow.i18n import N_, _
from salesflow.inputs import normalise_phone
from salesflow.lookup import candidate_list, contains, require_id
from salesflow.validate import (
    CUSTOMER_TEXT_FIELDS,
    SCORE_FIELDS,
    CustomerFields,
    customer_columns,
    tier_letter,
)

__all__ = ["CustomerFields"]

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

CUSTOMER_SELECT = """
    SELECT c.*, r.name AS referred_by
    FROM customers c LEFT JOIN customers r ON r.id = c.referred_by_id
"""


def customer_row(row: sqlite3.Row) -> Row:
    return customer_records([row], row.keys())[0]


def customer_records(rows: Iterable[Sequence[Any]], names: Sequence[str]) -> list[Row]:
    """Customer records from rows of CUSTOMER_SELECT (or `selecting` some keys) whose
    columns are `names`: the positions of the keys are found once, not per row (a list
    reads thousands)."""
    from operator import itemgetter

    keys = [key for key in CUSTOMER_KEYS if key in names]
    positions = [names.index(key) for key in keys]
    # itemgetter of one position gives the value itself, not a tuple of one
    values = itemgetter(*positions) if len(positions) > 1 else lambda row: [row[positions[0]]]
    loads = json.loads
    tags, profile, locked = ("tags" in keys, "profile" in keys, "tier_locked" in keys)
    records = []
    for row in rows:
        record = dict(zip(keys, values(row), strict=True))
        if tags:
            text = record["tags"]
            record["tags"] = [] if text == "[]" else loads(text)
        if profile:
            text = record["profile"]
            record["profile"] = {} if text == "{}" else loads(text)
        if locked:
            record["tier_locked"] = bool(record["tier_locked"])
        records.append(record)
    return records


def selecting(keys: Sequence[str]) -> str:
    """CUSTOMER_SELECT reading only `keys` (a table shows a few of a customer's columns)."""
    if list(keys) == list(CUSTOMER_KEYS):
        return CUSTOMER_SELECT
    unknown = set(keys) - set(CUSTOMER_KEYS)
    if not keys or unknown:
        raise ValueError(f"not customer keys: {sorted(unknown)}")
    columns = ", ".join("r.name AS referred_by" if k == "referred_by" else f"c.{k}" for k in keys)
    return f"SELECT {columns} FROM customers c LEFT JOIN customers r ON r.id = c.referred_by_id"


def get_customer(conn: sqlite3.Connection, customer_id: int) -> Row:
    row = conn.execute(CUSTOMER_SELECT + " WHERE c.id = ?", [customer_id]).fetchone()
    if row is None:
        raise NotFound(_("no customer #{id}").format(id=customer_id))
    return customer_row(row)


def find_customer(conn: sqlite3.Connection, reference: str) -> int:
    """Resolve what a user typed (id, #id, ref, phone, email, name, part of a name)."""
    text = reference.strip()
    if not text:
        raise BadValue(_("an empty customer reference matches nothing"))
    if re.fullmatch(r"#\d+", text):
        return require_id(conn, "customers", int(text[1:]), _("no customer #{id}"))
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
        candidates = conn.execute(
            "SELECT id FROM customers WHERE name LIKE ? ESCAPE '\\' ORDER BY id", [contains(text)]
        ).fetchall()
    if len(candidates) == 1:
        return candidates[0][0]
    if not candidates:
        raise NotFound(_("no customer matches {reference!r}").format(reference=reference))
    raise Ambiguous(
        _("{reference!r} matches {count} customers: {candidates}; use the #id").format(
            reference=reference,
            count=len(candidates),
            candidates=candidate_list(conn, "customers", [row[0] for row in candidates]),
        )
    )


def add_customer(
    change: Change, fields: CustomerFields, today: date, *, referred_by_id: int | None = None
) -> int:
    values = _customer_values(change.conn, None, fields)
    if referred_by_id is not None:
        values["referred_by_id"] = referred_by_id
    values.setdefault("created_at", today.isoformat())
    customer_id = change.insert("customers", values)
    change.describe(N_("added customer #{id}"), id=customer_id)
    return customer_id


def edit_customer(
    change: Change,
    customer_id: int,
    fields: CustomerFields,
    *,
    referred_by_id: int | None = None,
    clear_referred_by: bool = False,
) -> None:
    """Change what `fields` gives; `referred_by_id` sets the referrer, `clear_referred_by`
    removes it."""
    values = _customer_values(change.conn, customer_id, fields)
    if referred_by_id == customer_id:
        raise Conflict(_("a customer cannot be referred by themselves"))
    if referred_by_id is not None or clear_referred_by:
        values["referred_by_id"] = referred_by_id
    change.update("customers", customer_id, values)
    change.describe(N_("edited customer #{id}"), id=customer_id)


def _customer_values(
    conn: sqlite3.Connection, customer_id: int | None, fields: CustomerFields
) -> Row:
    current = get_customer(conn, customer_id) if customer_id else None
    values = customer_columns(fields, current)
    if values.get("ref"):
        clash = conn.execute(
            "SELECT id FROM customers WHERE ref = ? AND id IS NOT ?", [values["ref"], customer_id]
        ).fetchone()
        if clash:
            raise Conflict(
                _("ref {ref!r} already belongs to customer #{id}").format(
                    ref=values["ref"], id=clash[0]
                )
            )
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
    keys: Sequence[str] = CUSTOMER_KEYS,
) -> list[Row]:
    """Customers matching every filter given, by id; each record holds `keys`."""
    where: list[str] = []
    params: list[Any] = []
    if tier is not None:
        if tier.lower() == "none":
            where.append("c.tier IS NULL")
        else:
            where.append("c.tier = ?")
            params.append(tier_letter(tier))
    if owner is not None and not owner.strip():
        where.append("(c.owner IS NULL OR trim(c.owner) = '')")  # '' asks for the unowned
        owner = None
    for column, value in (("owner", owner), ("source", source), ("store", store)):
        if value is not None:
            where.append(f"c.{column} = ? COLLATE NOCASE")
            params.append(value)
    if tag is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = ?)")
        params.append(tag)
    if search:
        searched = ("name", "company", "phone", "email", "ref", "notes", "profile", "phone_norm")
        where.append("(" + " OR ".join(f"c.{c} LIKE ? ESCAPE '\\'" for c in searched) + ")")
        params += [contains(search)] * (len(searched) - 1)
        params.append(contains(normalise_phone(search) or search))
    sql = selecting(keys) + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples, read by position
    cursor.execute(sql, params)
    return customer_records(cursor, [column[0] for column in cursor.description])


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
            ("deal_deposits", "deal_id"),
            ("deal_answers", "deal_id"),
        ):
            for (rowid,) in conn.execute(f"SELECT rowid FROM {table} WHERE {key} = ?", [deal_id]):
                change.delete(table, rowid)
    for (return_id,) in conn.execute(
        "SELECT r.id FROM returns r JOIN sales s ON s.id = r.sale_id WHERE s.customer_id = ?",
        [customer_id],
    ).fetchall():
        change.delete("returns", return_id)  # a sale goes with its returns
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
    change.describe(N_("deleted customer #{id}"), id=customer_id)


def customer_history_counts(conn: sqlite3.Connection, customer_id: int) -> dict[str, int]:
    return {
        table: conn.execute(
            f"SELECT count(*) FROM {table} WHERE customer_id = ?", [customer_id]
        ).fetchone()[0]
        for table in ("contacts", "sales", "deals")
    }


# ---------------------------------------------------------------- merge

MERGE_FILLS = (*CUSTOMER_TEXT_FIELDS, *SCORE_FIELDS, "referred_by_id")


def merge_customers(change: Change, keep_id: int, duplicate_id: int) -> dict[str, int]:
    """Fold a duplicate into the keeper: history moves over, facts the keeper lacks are
    copied, the duplicate is deleted. One change, so undo restores both."""
    if keep_id == duplicate_id:
        raise Conflict(_("a customer cannot be merged into itself"))
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
    change.describe(
        N_("merged customer #{duplicate} into #{kept}"), duplicate=duplicate_id, kept=keep_id
    )
    return moved
