"""Member tiers by RFM (自动划分会员等级) and the ranking of target customers
(选择目标客户)."""

import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from salesflow.choices import TIERS
from salesflow.db import Change, Row
from salesflow.i18n import N_
from salesflow.inputs import cents_to_decimal
from salesflow.summaries import kept, net_cents


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

    R = days since the last sale, F = distinct sale days, M = total amount, all net of
    the returns dated on or before `as_of`: a sale returned in full is no purchase.
    Customers without sales lose an automatic tier; locked (manual) tiers are reported,
    not changed.
    """
    metrics = conn.execute(
        f"""SELECT c.id, c.name, c.tier, c.tier_locked, max(s.date) AS last_sale,
                  count(DISTINCT s.date) AS frequency,
                  sum({net_cents("s", ":as_of")}) AS monetary
           FROM sales s JOIN customers c ON c.id = s.customer_id
           WHERE s.date <= :as_of AND {kept("s", ":as_of")}
           GROUP BY s.customer_id ORDER BY c.id""",
        {"as_of": as_of.isoformat()},
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
            graded.append(ungraded(row["id"], row["name"], None, row["tier"], locked=False))
    return graded


def ungraded(
    customer_id: int, name: str, tier: str | None, previous: str | None, *, locked: bool
) -> Row:
    """A customer without sales to grade: no RFM figures, the tier they end up with."""
    return {
        "customer_id": customer_id,
        "customer": name,
        "recency_days": None,
        "frequency": 0,
        "monetary": None,
        "r": None,
        "f": None,
        "m": None,
        "score": None,
        "tier": tier,
        "previous_tier": previous,
        "locked": locked,
    }


def tier_changes(graded: list[Row]) -> list[Row]:
    return [row for row in graded if row["tier"] != row["previous_tier"] and not row["locked"]]


def members(conn: sqlite3.Connection, graded: list[Row]) -> list[Row]:
    """Every customer once the grading is applied: the graded ones, then those it leaves
    alone (no sales, with a manual tier or none), so counting these rows per tier gives
    `tier_counts` — the same answer in a table, CSV and JSON."""
    listed = {row["customer_id"] for row in graded}
    rest = [
        ungraded(row["id"], row["name"], row["tier"], row["tier"], locked=bool(row["tier_locked"]))
        for row in conn.execute("SELECT id, name, tier, tier_locked FROM customers ORDER BY id")
        if row["id"] not in listed
    ]
    return [*graded, *rest]


def tier_counts(everyone: list[Row]) -> list[Row]:
    """Customers per tier in a `members` listing (untiered last, as `none`)."""
    counts = dict.fromkeys((*TIERS, None), 0)
    for row in everyone:
        counts[row["tier"]] += 1
    return [{"tier": tier or "none", "customers": count} for tier, count in counts.items()]


def apply_tiers(change: Change, graded: list[Row]) -> int:
    changed = tier_changes(graded)
    for row in changed:
        change.update("customers", row["customer_id"], {"tier": row["tier"]})
    change.describe(N_("graded members: {count} tier changes"), count=len(changed))
    return len(changed)


TIER_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, None: 4}


TARGET_KEYS = [
    "customer_id",
    "customer",
    "urgency",
    "quick_effect",
    "price_fit",
    "score",
    "tier",
    "owner",
    "store",
    "phone",
    "email",
]
# What an SMS platform takes: a name and a mobile number per line.
SMS_KEYS = ["name", "mobile"]


@dataclass(frozen=True)
class TargetFilter:
    """Which customers a target list takes (None: no condition)."""

    tier: str | None = None  # A-D, or "none" for customers without a tier
    owner: str | None = None
    store: str | None = None
    tag: str | None = None
    min_score: int | None = None


def targets(
    conn: sqlite3.Connection,
    *,
    limit: int | None = None,
    where: TargetFilter | None = None,
    by: str = "score",
    as_of: date | None = None,
    horizon_days: int = 90,
) -> list[Row]:
    """Customers ranked by urgency + quick effect + price fit (选择目标客户), or (`by`
    value) by the value their purchase rhythm predicts over the horizon as of `as_of`
    (customers added later left out); filtered by tier, owner, store, tag and a lowest
    score. Ties go by tier, then name."""
    where = where or TargetFilter()
    conditions, params = _conditions(where)
    as_of = as_of or date.today()
    if by == "value":  # a forecast as of a day: customers not yet there then are left out
        day = as_of.isoformat()
        conditions.append(
            "(c.created_at <= ? OR EXISTS (SELECT 1 FROM sales s"
            " WHERE s.customer_id = c.id AND s.date <= ?))"
        )  # a customer added with their past purchases was there when they bought
        params += [day, day]
    sql = (
        "SELECT id, name, urgency, quick_effect, price_fit, tier, owner, store, phone,"
        " phone_norm, email FROM customers c"
        + (" WHERE " + " AND ".join(conditions) if conditions else "")
    )
    rows = [
        {
            "customer_id": row["id"],
            "customer": row["name"],
            "urgency": row["urgency"],
            "quick_effect": row["quick_effect"],
            "price_fit": row["price_fit"],
            "score": (row["urgency"] or 0) + (row["quick_effect"] or 0) + (row["price_fit"] or 0),
            "tier": row["tier"],
            "owner": row["owner"],
            "store": row["store"],
            "phone": row["phone"],
            "email": row["email"],
            "mobile": row["phone_norm"],
        }
        for row in conn.execute(sql, params)
    ]
    if where.min_score is not None:
        rows = [row for row in rows if row["score"] >= where.min_score]
    if by == "value":
        worth = _expected_values(conn, as_of, horizon_days)
        for row in rows:
            row["expected_value"] = worth.get(row["customer_id"])
        rows.sort(
            key=lambda row: (
                row["expected_value"] is None,
                -(row["expected_value"] or 0),
                -row["score"],
                TIER_ORDER[row["tier"]],
                row["customer"],
            )
        )
    else:
        rows.sort(key=lambda row: (-row["score"], TIER_ORDER[row["tier"]], row["customer"]))
    return rows[:limit] if limit is not None else rows


def _conditions(where: TargetFilter) -> tuple[list[str], list[Any]]:
    from salesflow.validate import tier_letter

    conditions: list[str] = []
    params: list[Any] = []
    if where.tier is not None:
        if where.tier.strip().lower() == "none":
            conditions.append("c.tier IS NULL")
        else:
            conditions.append("c.tier = ?")
            params.append(tier_letter(where.tier))
    for column, value in (("owner", where.owner), ("store", where.store)):
        if value is not None:
            conditions.append(f"c.{column} = ? COLLATE NOCASE")
            params.append(value.strip())
    if where.tag is not None:
        conditions.append("EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = ? COLLATE NOCASE)")
        params.append(where.tag.strip())
    return conditions, params


def _expected_values(conn: sqlite3.Connection, as_of: date, horizon_days: int) -> dict[int, Any]:
    """Each purchasing customer's expected value over the horizon, from one fit of the
    book (customers without a purchase have none)."""
    from salesflow import predict

    return predict.expected_values(conn, as_of, horizon_days=horizon_days)


def sms_rows(rows: list[Row]) -> list[Row]:
    """A target list as an SMS platform takes it: name and mobile, customers with a phone."""
    return [{"name": row["customer"], "mobile": row["mobile"]} for row in rows if row["mobile"]]
