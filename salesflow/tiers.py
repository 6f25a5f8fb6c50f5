"""Member tiers by RFM (自动划分会员等级) and the ranking of target customers
(选择目标客户)."""

import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from datetime import date
from typing import Any

from salesflow.choices import TIERS
from salesflow.db import Change, Row
from salesflow.inputs import cents_to_decimal


def rfm_score(worse: int, customers: int) -> int:
    """1–5 from how many customers are strictly worse on a metric; ties share a score."""
    return min(5, 1 + (5 * worse) // customers)


def tier_for(score: int, thresholds: Mapping[str, Any]) -> str:
    for tier in ("A", "B", "C"):
        if score >= thresholds[f"tiers.{tier}"]:
            return tier
    return "D"


def grade_members(
    conn: sqlite3.Connection, as_of: date, thresholds: Mapping[str, Any]
) -> list[Row]:
    """RFM over sales dated on or before `as_of` (自动划分会员等级).

    R = days since the last sale, F = distinct sale days, M = total amount. Customers
    without sales lose an automatic tier; locked (manual) tiers are reported, not changed.
    """
    metrics = conn.execute(
        """SELECT c.id, c.name, c.tier, c.tier_locked, max(s.date) AS last_sale,
                  count(DISTINCT s.date) AS frequency, sum(s.amount_cents) AS monetary
           FROM sales s JOIN customers c ON c.id = s.customer_id
           WHERE s.date <= ? GROUP BY s.customer_id ORDER BY c.id""",
        [as_of.isoformat()],
    ).fetchall()
    count = len(metrics)
    recencies = sorted((as_of - date.fromisoformat(row["last_sale"])).days for row in metrics)
    frequencies = sorted(row["frequency"] for row in metrics)
    totals = sorted(row["monetary"] for row in metrics)
    graded = []
    for row in metrics:
        recency = (as_of - date.fromisoformat(row["last_sale"])).days
        r = rfm_score(count - bisect_right(recencies, recency), count)
        f = rfm_score(bisect_left(frequencies, row["frequency"]), count)
        m = rfm_score(bisect_left(totals, row["monetary"]), count)
        locked = bool(row["tier_locked"])
        graded.append(
            {
                "customer_id": row["id"],
                "customer": row["name"],
                "recency_days": recency,
                "frequency": row["frequency"],
                "monetary": cents_to_decimal(row["monetary"]),
                "r": r,
                "f": f,
                "m": m,
                "score": r + f + m,
                "tier": row["tier"] if locked else tier_for(r + f + m, thresholds),
                "previous_tier": row["tier"],
                "locked": locked,
            }
        )
    graded_ids = {row["customer_id"] for row in graded}
    for row in conn.execute(
        "SELECT id, name, tier FROM customers WHERE tier IS NOT NULL AND tier_locked = 0"
    ):
        if row["id"] not in graded_ids:
            graded.append(
                {
                    "customer_id": row["id"],
                    "customer": row["name"],
                    "recency_days": None,
                    "frequency": 0,
                    "monetary": None,
                    "r": None,
                    "f": None,
                    "m": None,
                    "score": None,
                    "tier": None,
                    "previous_tier": row["tier"],
                    "locked": False,
                }
            )
    return graded


def tier_changes(graded: list[Row]) -> list[Row]:
    return [row for row in graded if row["tier"] != row["previous_tier"] and not row["locked"]]


def tier_counts(conn: sqlite3.Connection, graded: list[Row]) -> list[Row]:
    """Customers per tier once the grading is applied (untiered last, as `none`)."""
    tiers = {row["id"]: row["tier"] for row in conn.execute("SELECT id, tier FROM customers")}
    tiers.update({row["customer_id"]: row["tier"] for row in graded})
    counts = dict.fromkeys((*TIERS, None), 0)
    for tier in tiers.values():
        counts[tier] += 1
    return [{"tier": tier or "none", "customers": count} for tier, count in counts.items()]


def apply_tiers(change: Change, graded: list[Row]) -> int:
    changed = tier_changes(graded)
    for row in changed:
        change.update("customers", row["customer_id"], {"tier": row["tier"]})
    change.summary = f"graded members: {len(changed)} tier changes"
    return len(changed)


TIER_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, None: 4}


def targets(conn: sqlite3.Connection, *, limit: int | None = None) -> list[Row]:
    """Customers ranked by urgency + quick effect + price fit (选择目标客户)."""
    rows = [
        {
            "customer_id": row["id"],
            "customer": row["name"],
            "urgency": row["urgency"],
            "quick_effect": row["quick_effect"],
            "price_fit": row["price_fit"],
            "score": (row["urgency"] or 0) + (row["quick_effect"] or 0) + (row["price_fit"] or 0),
            "tier": row["tier"],
        }
        for row in conn.execute(
            "SELECT id, name, urgency, quick_effect, price_fit, tier FROM customers"
        )
    ]
    rows.sort(key=lambda row: (-row["score"], TIER_ORDER[row["tier"]], row["customer"]))
    return rows[:limit] if limit is not None else rows
