"""Read-only aggregations over the book, returned as plain data for cli.py to render."""

import sqlite3

from salesflow.db import Row
from salesflow.inputs import cents_to_decimal


def customer_timeline(conn: sqlite3.Connection, customer_id: int) -> list[Row]:
    """Everything that happened with one customer, oldest first: contacts, purchases,
    deals opened and closed."""
    events: list[Row] = []
    for row in conn.execute(
        "SELECT id, at, channel, rep, summary, outcome, next_at FROM contacts"
        " WHERE customer_id = ?",
        [customer_id],
    ):
        detail = f"{row['channel']}: {row['summary']}"
        if row["outcome"]:
            detail += f" → {row['outcome']}"
        if row["next_at"]:
            detail += f" (next {row['next_at']})"
        events.append(_event(row["at"], "contact", row["id"], detail, row["rep"], None))
    for row in conn.execute(
        "SELECT s.id, s.date, s.quantity, s.amount_cents, s.rep, p.name AS product"
        " FROM sales s LEFT JOIN products p ON p.id = s.product_id WHERE s.customer_id = ?",
        [customer_id],
    ):
        quantity = row["quantity"]
        shown = int(quantity) if float(quantity).is_integer() else quantity
        detail = f"{row['product'] or 'sale'} × {shown}"
        events.append(
            _event(row["date"], "sale", row["id"], detail, row["rep"], row["amount_cents"])
        )
    for row in conn.execute(
        "SELECT d.id, d.title, d.created_at, d.status, d.closed_on, d.owner, d.amount_cents,"
        " s.key AS stage FROM deals d JOIN stages s ON s.id = d.stage_id"
        " WHERE d.customer_id = ?",
        [customer_id],
    ):
        events.append(
            _event(
                row["created_at"],
                "deal",
                row["id"],
                f"opened: {row['title']}",
                row["owner"],
                row["amount_cents"],
            )
        )
        if row["status"] != "open":
            events.append(
                _event(
                    row["closed_on"],
                    "deal",
                    row["id"],
                    f"{row['status']}: {row['title']}",
                    row["owner"],
                    row["amount_cents"],
                )
            )
    events.sort(key=lambda event: (event["date"] or "", event["kind"], event["id"]))
    return events


def _event(
    when: str, kind: str, record_id: int, detail: str, by: str | None, cents: int | None
) -> Row:
    return {
        "date": when,
        "kind": kind,
        "id": record_id,
        "detail": detail,
        "by": by,
        "amount": cents_to_decimal(cents),
    }
