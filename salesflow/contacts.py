"""The contact log: every call, visit and message, and when to follow up."""

import sqlite3
from datetime import date
from typing import Any

from salesflow.customers import get_customer
from salesflow.db import Change, Row
from salesflow.errors import NotFound
from salesflow.lookup import require_deal_of
from salesflow.validate import contact_columns

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
    customer = get_customer(change.conn, customer_id)
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
        },
    )
    change.summary = f"logged contact #{contact_id} with customer #{customer_id}"
    return contact_id


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
    deal_id: int | None = None,
    limit: int | None = None,
) -> list[Row]:
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
    sql = CONTACT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY k.at, k.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [contact_row(row) for row in conn.execute(sql, params)]
