"""The contact log: every call, visit and message, and when to follow up."""

import sqlite3
from collections.abc import Sequence
from datetime import date
from itertools import repeat
from typing import Any

from salesflow.customers import get_customer
from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, BadValue, NotFound
from salesflow.i18n import N_, _
from salesflow.lookup import require_deal_of
from salesflow.validate import channel as channel_name_of
from salesflow.validate import contact_columns, contact_moment

# A contact's keys, in the order records hold them: each key's column, and the table it
# needs joined beyond the contact itself.
CONTACT_FIELDS = {
    "id": ("k.id", None),
    "customer_id": ("k.customer_id", None),
    "customer": ("c.name", "JOIN customers c ON c.id = k.customer_id"),
    "at": ("k.at", None),
    "channel": ("k.channel", None),
    "by": ("k.rep", None),
    "summary": ("k.summary", None),
    "outcome": ("k.outcome", None),
    "next_at": ("k.next_at", None),
    "deal_id": ("k.deal_id", None),
    "deal": ("d.title", "LEFT JOIN deals d ON d.id = k.deal_id"),
    "stakeholder_id": ("k.stakeholder_id", None),
    "stakeholder": ("p.name", "LEFT JOIN stakeholders p ON p.id = k.stakeholder_id"),
}
CONTACT_KEYS = tuple(CONTACT_FIELDS)


def selecting(keys: Sequence[str]) -> str:
    """SELECT the contacts' `keys`, in their order, joining only what they need (a table
    shows a few of a contact's columns, and a log holds tens of thousands)."""
    unknown = set(keys) - set(CONTACT_FIELDS)
    if not keys or unknown:
        raise ValueError(f"not contact keys: {sorted(unknown)}")
    columns = ", ".join(CONTACT_FIELDS[key][0] for key in keys)
    joins = (CONTACT_FIELDS[key][1] for key in keys)
    return f"SELECT {columns} FROM contacts k " + " ".join(dict.fromkeys(j for j in joins if j))


CONTACT_SELECT = selecting(CONTACT_KEYS)


def contact_row(row: Sequence[Any]) -> Row:
    """A row of CONTACT_SELECT as a record (its columns are CONTACT_KEYS, in order)."""
    return dict(zip(CONTACT_KEYS, row, strict=True))


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
    with_name: str | None = None,
    now: str | None = None,
) -> int:
    """Log a contact; with `now`, one dated after it is refused (plan it as a follow-up)."""
    customer = get_customer(change.conn, customer_id)
    if now is not None:
        contact_moment(at, now)
    stakeholder_id = (
        find_stakeholder(change.conn, customer_id, with_name) if with_name is not None else None
    )
    channel_name, rep, summary, outcome = contact_columns(
        customer["owner"], channel_name=channel, summary=summary, by=by, outcome=outcome
    )
    if deal_id is not None:
        require_deal_of(change.conn, deal_id, customer_id)
    contact_id = change.insert(
        "contacts",
        {
            "customer_id": customer_id,
            "at": at,
            "channel": channel_name,
            "rep": rep,
            "summary": summary,
            "outcome": outcome,
            "next_at": next_at.isoformat() if next_at else None,
            "deal_id": deal_id,
            "stakeholder_id": stakeholder_id,
        },
    )
    change.describe(
        N_("logged contact #{id} with customer #{customer}"), id=contact_id, customer=customer_id
    )
    return contact_id


def find_stakeholder(conn: sqlite3.Connection, customer_id: int, name: str) -> int:
    """One of the customer's stakeholders by id, exact name, or a unique part of the name."""
    people = conn.execute(
        "SELECT id, name FROM stakeholders WHERE customer_id = ? ORDER BY id", [customer_id]
    ).fetchall()
    wanted = name.strip().lstrip("#") if name.strip().startswith("#") else name.strip()
    for person in people:
        if str(person["id"]) == wanted and name.strip().startswith("#"):
            return int(person["id"])
    exact = [p["id"] for p in people if p["name"].strip().casefold() == wanted.casefold()]
    matches = exact or [p["id"] for p in people if wanted.casefold() in p["name"].casefold()]
    if len(matches) == 1:
        return int(matches[0])
    if not matches or not wanted:
        raise NotFound(
            _("no stakeholder of this customer matches {name!r}").format(name=name),
            hint="stakeholder-add",
        )
    raise Ambiguous(
        _("{name!r} matches {count} of the customer's stakeholders; use #ID").format(
            name=name, count=len(matches)
        )
    )


def get_contact(conn: sqlite3.Connection, contact_id: int) -> Row:
    row = conn.execute(CONTACT_SELECT + " WHERE k.id = ?", [contact_id]).fetchone()
    if row is None:
        raise NotFound(_("no contact #{id}").format(id=contact_id))
    return contact_row(row)


def list_contacts(
    conn: sqlite3.Connection,
    *,
    customer_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    by: str | None = None,
    channel: str | None = None,
    deal_id: int | None = None,
    limit: int | None = None,
    keys: Sequence[str] = CONTACT_KEYS,
) -> list[Row]:
    """Contacts matching every filter given, oldest first; each record holds `keys`."""
    where: list[str] = []
    params: list[Any] = []
    if customer_id is not None:
        where.append("k.customer_id = ?")
        params.append(customer_id)
    if deal_id is not None:
        where.append("k.deal_id = ?")
        params.append(deal_id)
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
    sql = selecting(keys) + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY k.at, k.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a log holds tens of thousands of contacts
    # each row a record by position, as contact_row makes one, with no Python call per row
    return list(map(dict, map(zip, repeat(keys), cursor.execute(sql, params))))


def edit_contact(
    change: Change,
    contact_id: int,
    *,
    now: str,
    summary: str | None = None,
    at: str | None = None,
    channel: str | None = None,
    by: str | None = None,
    outcome: str | None = None,
    next_at: date | None = None,
    clear_next: bool = False,
    deal_id: int | None = None,
    clear_deal: bool = False,
) -> list[str]:
    """Correct a logged contact; only what is given changes, '' empties the outcome, the
    follow-up and the deal, and gives the contact back to the customer's owner (by).
    Refuses what `log` refuses. Returns the fields changed."""
    conn = change.conn
    stored = conn.execute("SELECT * FROM contacts WHERE id = ?", [contact_id]).fetchone()
    if stored is None:
        raise NotFound(_("no contact #{id}").format(id=contact_id))
    owner = get_customer(conn, stored["customer_id"])["owner"]
    values: dict[str, Any] = {}
    if summary is not None:
        values["summary"] = contact_columns(
            owner, channel_name=stored["channel"], summary=summary, by=None, outcome=None
        )[2]
    if at is not None:
        values["at"] = contact_moment(at, now)
    if channel is not None:
        values["channel"] = channel_name_of(channel)
    if by is not None:
        values["rep"] = by.strip() or owner
    if outcome is not None:
        values["outcome"] = outcome.strip() or None
    if clear_next:
        values["next_at"] = None
    elif next_at is not None:
        values["next_at"] = next_at.isoformat()
    if clear_deal:
        values["deal_id"] = None
    elif deal_id is not None:
        require_deal_of(conn, deal_id, stored["customer_id"])
        values["deal_id"] = deal_id
    if not values:
        raise BadValue(_("nothing to change"), hint="contact-fields")
    changed = [FIELD_NAMES.get(key, key) for key, value in values.items() if stored[key] != value]
    change.update("contacts", contact_id, values)
    change.describe_edit(
        N_("edited contact #{id}"), N_("edited contact #{id} ({fields})"), changed, id=contact_id
    )
    return changed


FIELD_NAMES = {"rep": "by", "next_at": "next", "deal_id": "deal"}


def delete_contact(change: Change, contact_id: int) -> Row:
    """Delete a logged contact (the customer's last contact and follow-up follow)."""
    contact = get_contact(change.conn, contact_id)
    change.delete("contacts", contact_id)
    change.describe(N_("deleted contact #{id}"), id=contact_id)
    return contact
