"""Business rules: tiers, sale defaults, and (as the book grows) reminders and gates.

Pure functions over plain data; the database and "today" come in as parameters.
"""

import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from salesflow.db import Change, Row
from salesflow.errors import BadValue
from salesflow.inputs import cents_to_decimal

TIERS = ("A", "B", "C", "D")


def tier_letter(text: str) -> str:
    """A tier as typed (`a`, `B`) → its letter; anything else is a usage error."""
    letter = text.strip().upper()
    if letter not in TIERS:
        raise BadValue(f"tier {text!r} must be one of A, B, C, D")
    return letter


def manual_tier(choice: str, current: Row | None) -> dict[str, Any]:
    """Columns for a tier set by hand: a letter or `none` locks it, `auto` unlocks it.

    A locked tier is left alone by automatic grading until it is set back to `auto`;
    `auto` keeps the present tier until the next grading replaces it.
    """
    value = choice.strip().lower()
    if value == "auto":
        return {"tier_locked": 0}
    if value == "none":
        return {"tier": None, "tier_locked": 1}
    return {"tier": tier_letter(choice), "tier_locked": 1}


def line_amount(price_cents: int, quantity: float) -> int:
    """Price × quantity to the cent, halves rounded up."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(price_cents) * Decimal(str(quantity))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sale_defaults(
    customer: Row,
    product: Row | None,
    *,
    quantity: float,
    amount_cents: int | None,
    rep: str | None,
    department: str | None,
    store: str | None,
) -> dict[str, Any]:
    """A sale's rep, department and store default to the customer's; its amount to
    the product's price × quantity, rounded to the cent."""
    if amount_cents is None:
        if product is None or product["price"] is None:
            raise BadValue("give --amount, or a product that has a price")
        amount_cents = line_amount(int(product["price"] * 100), quantity)
    return {
        "amount_cents": amount_cents,
        "rep": (rep or "").strip() or customer["owner"],
        "department": (department or "").strip() or customer["department"],
        "store": (store or "").strip() or customer["store"],
    }


# ---------------------------------------------------------------- deals


def deal_probability(status: str, override: int | None, stage_probability: int) -> int:
    """A won deal is certain, a lost one is gone; otherwise the deal's own figure when set,
    else its stage's."""
    if status == "won":
        return 100
    if status == "lost":
        return 0
    return stage_probability if override is None else override


def missing_checkpoints(checklist: list[Row], leaving: set[str]) -> list[Row]:
    """The stage gate: required items, in the stages being left, not yet done."""
    return [
        item
        for item in checklist
        if item["stage"] in leaving and item["required"] and not item["done"]
    ]


def coverage_gaps(stakeholders: list[Row]) -> list[Row]:
    """Where the stakeholder map leaves the account exposed (分层销售和维护): no coach,
    no decision maker, a decision maker nobody of ours owns, a role nobody maintains."""
    gaps: list[Row] = []
    roles = {person["role"] for person in stakeholders}
    if "coach" not in roles:
        gaps.append(_gap("no-coach", "coach", None, "no coach (引线人) identified"))
    if "decision-maker" not in roles:
        gaps.append(
            _gap("no-decision-maker", "decision-maker", None, "no decision maker identified")
        )
    for person in stakeholders:
        if person["role"] == "decision-maker" and not person["owner"]:
            gaps.append(
                _gap(
                    "decision-maker-unowned",
                    "decision-maker",
                    person,
                    f"decision maker {person['name']} has no owner on our side",
                )
            )
    for role in sorted(roles - {"decision-maker"}):
        people = [person for person in stakeholders if person["role"] == role]
        if not any(person["owner"] for person in people):
            gaps.append(
                _gap("role-unmaintained", role, None, f"nobody of ours maintains the {role} role")
            )
    return gaps


def _gap(kind: str, role: str, person: Row | None, message: str) -> Row:
    return {
        "kind": kind,
        "role": role,
        "stakeholder_id": person["id"] if person else None,
        "stakeholder": person["name"] if person else None,
        "message": message,
    }


def share_pct(part: int, whole: int) -> float | None:
    """A share as a percentage with one decimal; None when there is nothing to share."""
    return None if not whole else round(100 * part / whole, 1)


# ---------------------------------------------------------------- member tiers (RFM)


def rfm_score(worse: int, customers: int) -> int:
    """1–5 from how many customers are strictly worse on a metric; ties share a score."""
    return min(5, 1 + (5 * worse) // customers)


def tier_for(score: int, thresholds: dict[str, int]) -> str:
    for tier in ("A", "B", "C"):
        if score >= thresholds[f"tiers.{tier}"]:
            return tier
    return "D"


def grade_members(conn: sqlite3.Connection, as_of: date, thresholds: dict[str, int]) -> list[Row]:
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


# ---------------------------------------------------------------- targets

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


# ---------------------------------------------------------------- reminders

REMINDER_KINDS = (
    "follow-up",
    "no-contact",
    "never-contacted",
    "used-up",
    "no-repurchase",
    "never-purchased",
    "stale-deal",
    "close-overdue",
    "birthday",
)
CUSTOMER_KINDS = frozenset(REMINDER_KINDS[:3] + REMINDER_KINDS[4:6] + ("birthday",))
DEAL_KINDS = frozenset({"stale-deal", "close-overdue"})

REMINDER_KEYS = ("kind", "customer_id", "customer", "owner", "tier", "due", "days_overdue",
                 "detail", "deal_id", "product")  # fmt: skip

# The latest contact and sale as of T: the summary columns when they are not after T
# (the everyday case, one row read per customer), else looked up in the history.
CUSTOMERS_AS_OF = """
    SELECT c.id AS customer_id, c.name, c.owner, c.tier, c.created_at,
        CASE WHEN c.last_contact_at IS NULL OR c.last_contact_at < :next_day
             THEN c.last_contact_at
             ELSE (SELECT max(at) FROM contacts WHERE customer_id = c.id AND at < :next_day)
        END AS last_contact,
        CASE WHEN c.last_contact_at IS NULL OR c.last_contact_at < :next_day
             THEN c.next_follow_up
             ELSE (SELECT next_at FROM contacts WHERE customer_id = c.id AND at < :next_day
                   ORDER BY at DESC, id DESC LIMIT 1)
        END AS next_follow_up,
        CASE WHEN c.last_sale_on IS NULL OR c.last_sale_on <= :today
             THEN c.last_sale_on
             ELSE (SELECT max(date) FROM sales WHERE customer_id = c.id AND date <= :today)
        END AS last_sale
    FROM customers c
    WHERE c.created_at <= :today AND (:owner IS NULL OR c.owner = :owner)
"""

# One SELECT per kind, each returning (kind, customer_id, customer, owner, tier, due,
# detail, deal_id, product) for the due items only.
KIND_SQL = {
    "follow-up": """
        SELECT 1, customer_id, name, owner, tier, next_follow_up,
               'follow-up planned at the contact of ' || substr(last_contact, 1, 10), NULL, NULL
        FROM book WHERE next_follow_up <= :follow_limit""",
    "no-contact": """
        SELECT 2, customer_id, name, owner, tier,
               date(substr(last_contact, 1, 10), '+' || cadence || ' days'),
               'last contact ' || substr(last_contact, 1, 10) || '; cadence ' || cadence
               || ' days', NULL, NULL
        FROM (SELECT *, CASE tier WHEN 'A' THEN :cadence_A WHEN 'B' THEN :cadence_B
                                  WHEN 'C' THEN :cadence_C WHEN 'D' THEN :cadence_D
                                  ELSE :cadence_none END AS cadence,
                        CASE tier WHEN 'A' THEN :silent_A WHEN 'B' THEN :silent_B
                                  WHEN 'C' THEN :silent_C WHEN 'D' THEN :silent_D
                                  ELSE :silent_none END AS silent_before
              FROM book WHERE last_contact IS NOT NULL
                AND (next_follow_up IS NULL OR next_follow_up <= :today))
        WHERE last_contact < silent_before""",
    "never-contacted": """
        SELECT 3, customer_id, name, owner, tier, created_at,
               'in the book since ' || created_at || ', never contacted', NULL, NULL
        FROM book WHERE last_contact IS NULL""",
    "used-up": """
        SELECT 4, c.id, c.name, c.owner, c.tier, u.due,
               p.name || ' ×' || CASE WHEN u.quantity = CAST(u.quantity AS INTEGER)
                                      THEN CAST(u.quantity AS INTEGER) ELSE u.quantity END
               || ' bought ' || u.bought || ', lasts '
               || CAST(u.quantity * p.cycle_days AS INTEGER) || ' days', NULL, p.name
        FROM (
            SELECT customer_id, product_id, last_date AS bought, last_quantity AS quantity,
                   runs_out AS due
            FROM customer_products
            WHERE runs_out <= :used_up_limit AND last_date <= :today
            UNION ALL
            SELECT f.customer_id, f.product_id, f.bought, f.quantity,
                   date(f.bought, '+' || CAST(f.quantity * p.cycle_days AS INTEGER) || ' days')
            FROM (SELECT customer_id, product_id, bought,
                         (SELECT sum(quantity) FROM sales s WHERE s.customer_id = b.customer_id
                          AND s.product_id = b.product_id AND s.date = b.bought) AS quantity
                  FROM (SELECT customer_id, product_id,
                               (SELECT max(date) FROM sales s
                                WHERE s.customer_id = cp.customer_id
                                  AND s.product_id = cp.product_id AND s.date <= :today) AS bought
                        FROM customer_products cp WHERE last_date > :today) b
                  WHERE bought IS NOT NULL) f
            JOIN products p ON p.id = f.product_id AND p.cycle_days IS NOT NULL
        ) u
        JOIN products p ON p.id = u.product_id
        JOIN customers c ON c.id = u.customer_id
        WHERE u.due <= :used_up_limit AND c.created_at <= :today
          AND (:owner IS NULL OR c.owner = :owner)""",
    "no-repurchase": """
        SELECT 5, customer_id, name, owner, tier, date(last_sale, '+' || :repurchase_days
               || ' days'), 'last sale ' || last_sale, NULL, NULL
        FROM book WHERE last_sale <= :repurchase_before""",
    "never-purchased": """
        SELECT 6, customer_id, name, owner, tier,
               date(created_at, '+' || :never_purchased_days || ' days'),
               'in the book since ' || created_at || ', no purchase', NULL, NULL
        FROM book WHERE last_sale IS NULL AND created_at <= :joined_before""",
    "stale-deal": """
        SELECT 7, customer_id, name, owner, tier, due,
               title || ': in ' || stage || ' since ' || entered_at || ' (max '
               || max_days || ' days)', id, NULL
        FROM (SELECT *, date(entered_at, '+' || max_days || ' days') AS due FROM open_deals
              WHERE max_days IS NOT NULL)
        WHERE due <= :today""",
    "close-overdue": """
        SELECT 8, customer_id, name, owner, tier, expected_close,
               title || ': expected to close ' || expected_close, id, NULL
        FROM open_deals WHERE expected_close < :today""",
    "birthday": """
        SELECT 9, customer_id, name, owner, tier, due,
               'birthday ' || due || CASE WHEN length(birthday) = 10 THEN ' (turns '
                   || (CAST(substr(due, 1, 4) AS INTEGER) - CAST(substr(birthday, 1, 4) AS INTEGER))
                   || ')' ELSE '' END, NULL, NULL
        FROM (SELECT *, CASE WHEN this_year >= :today THEN this_year ELSE next_year END AS due
              FROM (SELECT *,
                      :this_year || '-' || CASE WHEN month_day = '02-29' AND NOT :this_leap
                                           THEN '02-28' ELSE month_day END AS this_year,
                      :next_year || '-' || CASE WHEN month_day = '02-29' AND NOT :next_leap
                                           THEN '02-28' ELSE month_day END AS next_year
                    FROM (SELECT customer_id, name, owner, tier, birthday,
                                 substr(birthday, -5) AS month_day
                          FROM (SELECT id AS customer_id, name, owner, tier,
                                       json_extract(profile, '$.birthday') AS birthday
                                FROM customers WHERE profile LIKE '%"birthday"%'
                                  AND created_at <= :today
                                  AND (:owner IS NULL OR owner = :owner))
                          WHERE birthday GLOB '*[0-1][0-9]-[0-3][0-9]')))
        WHERE due <= :birthday_limit""",
}
OPEN_DEALS_AS_OF = """
    SELECT d.id, d.title, d.owner, d.expected_close, c.id AS customer_id, c.name, c.tier,
           h.entered_at, s.key AS stage, s.max_days
    FROM deals d
    JOIN customers c ON c.id = d.customer_id
    JOIN deal_history h ON h.id = (SELECT id FROM deal_history WHERE deal_id = d.id
                                   AND entered_at <= :today ORDER BY id DESC LIMIT 1)
    JOIN stages s ON s.id = h.stage_id
    WHERE d.created_at <= :today AND (d.status = 'open' OR d.closed_on > :today)
      AND (:owner IS NULL OR d.owner = :owner)
"""


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def reminders(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    config: dict[str, int],
    kinds: frozenset[str] | None = None,
    owner: str | None = None,
    days_ahead: int = 0,
) -> Iterator[Row]:
    """Who needs attention as of `as_of`; records dated after it do not exist here.

    Streams items sorted by kind (in REMINDER_KINDS order), then tier A→D→none, then
    most overdue first. Each kind is one SELECT over the summary columns and indexes, so
    only the due rows leave SQLite.
    """
    wanted = [kind for kind in REMINDER_KINDS if kinds is None or kind in kinds]
    day = timedelta(days=1)
    params: dict[str, Any] = {
        "today": as_of.isoformat(),
        "next_day": (as_of + day).isoformat(),
        "owner": owner,
        "follow_limit": (as_of + timedelta(days=days_ahead)).isoformat(),
        "used_up_limit": (as_of + timedelta(days=config["used_up.lead_days"])).isoformat(),
        "repurchase_days": config["no_repurchase.days"],
        "repurchase_before": (as_of - timedelta(days=config["no_repurchase.days"])).isoformat(),
        "never_purchased_days": config["never_purchased.days"],
        "joined_before": (as_of - timedelta(days=config["never_purchased.days"])).isoformat(),
        "birthday_limit": (as_of + timedelta(days=config["birthday.days"])).isoformat(),
        "this_year": f"{as_of.year:04d}",
        "next_year": f"{as_of.year + 1:04d}",
        "this_leap": _leap(as_of.year),
        "next_leap": _leap(as_of.year + 1),
    }
    for tier in (*TIERS, "none"):
        cadence = config[f"cadence.{tier}"]
        params[f"cadence_{tier}"] = cadence
        # last contact L is due when L + cadence <= T, i.e. L is before T - cadence + 1 day
        params[f"silent_{tier}"] = (as_of - timedelta(days=cadence) + day).isoformat()
    if not wanted or not conn.execute("SELECT 1 FROM customers LIMIT 1").fetchone():
        return  # no customers, nothing due (every deal belongs to a customer)
    sql = (
        f"WITH book AS MATERIALIZED ({CUSTOMERS_AS_OF}), open_deals AS ({OPEN_DEALS_AS_OF}),"
        " items (k, customer_id, customer, owner, tier, due, detail, deal_id, product) AS ("
        + " UNION ALL ".join(KIND_SQL[kind] for kind in wanted)
        + """)
        SELECT k, customer_id, customer, owner, tier, due,
               CAST(julianday(:today) - julianday(due) AS INTEGER), detail, deal_id, product
        FROM items
        ORDER BY k, CASE tier WHEN 'A' THEN 0 WHEN 'B' THEN 1 WHEN 'C' THEN 2
                              WHEN 'D' THEN 3 ELSE 4 END,
                 julianday(due), customer_id, deal_id, product"""
    )
    for row in conn.execute(sql, params):
        yield dict(zip(REMINDER_KEYS, (REMINDER_KINDS[row[0] - 1], *row[1:]), strict=True))
