"""Business rules: tiers, sale defaults, and (as the book grows) reminders and gates.

Pure functions over plain data; the database and "today" come in as parameters.
"""

import json
import sqlite3
from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
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

# The latest contact and sale as of T: the summary columns when they are not after T
# (the everyday case, one row read per customer), else looked up in the history.
CUSTOMERS_AS_OF = """
    SELECT c.id AS customer_id, c.name, c.owner, c.tier, c.created_at, c.profile,
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

USED_UP_AS_OF = """
    SELECT * FROM (
        SELECT l.customer_id, c.name, c.owner, c.tier, l.bought, p.name AS product,
               p.cycle_days,
               (SELECT sum(quantity) FROM sales x WHERE x.customer_id = l.customer_id
                  AND x.product_id = l.product_id AND x.date = l.bought) AS quantity
        FROM (
            SELECT customer_id, product_id, max(date) AS bought FROM sales
            WHERE date <= :today
              AND product_id IN (SELECT id FROM products WHERE cycle_days IS NOT NULL)
            GROUP BY customer_id, product_id
        ) l
        JOIN products p ON p.id = l.product_id
        JOIN customers c ON c.id = l.customer_id
        WHERE c.created_at <= :today AND (:owner IS NULL OR c.owner = :owner)
    )
    WHERE date(bought, '+' || CAST(quantity * cycle_days AS INTEGER) || ' days') <= :used_up_limit
"""

DEALS_AS_OF = """
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


def reminders(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    config: dict[str, int],
    kinds: frozenset[str] | None = None,
    owner: str | None = None,
    days_ahead: int = 0,
) -> list[Row]:
    """Who needs attention as of `as_of`; records dated after it do not exist here.

    Sorted by kind (in REMINDER_KINDS order), then tier A→D→none, then most overdue.
    """
    wanted = frozenset(REMINDER_KINDS) if kinds is None else kinds
    params = {
        "today": as_of.isoformat(),
        "next_day": (as_of + timedelta(days=1)).isoformat(),
        "owner": owner,
        "used_up_limit": (as_of + timedelta(days=config["used_up.lead_days"])).isoformat(),
    }
    items: list[Row] = []
    if wanted & CUSTOMER_KINDS:
        for row in conn.execute(CUSTOMERS_AS_OF, params):
            items += _customer_reminders(row, as_of, wanted, config, days_ahead)
    if "used-up" in wanted:
        for row in conn.execute(USED_UP_AS_OF, params):
            quantity = row["quantity"]
            lasts = int(quantity * row["cycle_days"])
            shown = int(quantity) if float(quantity).is_integer() else quantity
            due = date.fromisoformat(row["bought"]) + timedelta(days=lasts)
            detail = f"{row['product']} ×{shown} bought {row['bought']}, lasts {lasts} days"
            items.append(_item("used-up", row, as_of, due, detail, product=row["product"]))
    if wanted & DEAL_KINDS:
        for row in conn.execute(DEALS_AS_OF, params):
            items += _deal_reminders(row, as_of, wanted)
    items.sort(
        key=lambda item: (
            REMINDER_KINDS.index(item["kind"]),
            TIER_ORDER[item["tier"]],
            -item["days_overdue"],
            item["customer_id"],
            item["deal_id"] or 0,
            item["product"] or "",
        )
    )
    return items


def _customer_reminders(
    row: sqlite3.Row, as_of: date, wanted: frozenset[str], config: dict[str, int], ahead: int
) -> list[Row]:
    found = []
    last_contact, follow_up, last_sale = (
        row["last_contact"],
        row["next_follow_up"],
        row["last_sale"],
    )
    created = date.fromisoformat(row["created_at"])
    if "follow-up" in wanted and follow_up:
        due = date.fromisoformat(follow_up)
        if due <= as_of + timedelta(days=ahead):
            detail = f"follow-up planned at the contact of {last_contact[:10]}"
            found.append(_item("follow-up", row, as_of, due, detail))
    if "no-contact" in wanted and last_contact and not (follow_up and follow_up > str(as_of)):
        cadence = config[f"cadence.{row['tier'] or 'none'}"]
        due = date.fromisoformat(last_contact[:10]) + timedelta(days=cadence)
        if due <= as_of:
            detail = f"last contact {last_contact[:10]}; cadence {cadence} days"
            found.append(_item("no-contact", row, as_of, due, detail))
    if "never-contacted" in wanted and not last_contact:
        detail = f"in the book since {row['created_at']}, never contacted"
        found.append(_item("never-contacted", row, as_of, created, detail))
    if "no-repurchase" in wanted and last_sale:
        due = date.fromisoformat(last_sale) + timedelta(days=config["no_repurchase.days"])
        if due <= as_of:
            found.append(_item("no-repurchase", row, as_of, due, f"last sale {last_sale}"))
    if "never-purchased" in wanted and not last_sale:
        due = created + timedelta(days=config["never_purchased.days"])
        if due <= as_of:
            detail = f"in the book since {row['created_at']}, no purchase"
            found.append(_item("never-purchased", row, as_of, due, detail))
    if "birthday" in wanted and '"birthday"' in row["profile"]:
        birthday = json.loads(row["profile"]).get("birthday")
        due = next_birthday(birthday, as_of) if isinstance(birthday, str) else None
        if due is not None and (due - as_of).days <= config["birthday.days"]:
            detail = f"birthday {due.isoformat()}"
            if len(birthday) == 10:
                detail += f" (turns {due.year - int(birthday[:4])})"
            found.append(_item("birthday", row, as_of, due, detail))
    return found


def next_birthday(birthday: str, as_of: date) -> date | None:
    """The first birthday on or after `as_of` (29 February falls on the 28th otherwise)."""
    try:
        month, day = int(birthday[-5:-3]), int(birthday[-2:])
    except ValueError:
        return None
    for year in (as_of.year, as_of.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            if (month, day) != (2, 29):
                return None
            candidate = date(year, 2, 28)
        if candidate >= as_of:
            return candidate
    return None


def _deal_reminders(row: sqlite3.Row, as_of: date, wanted: frozenset[str]) -> list[Row]:
    found = []
    if "stale-deal" in wanted and row["max_days"]:
        due = date.fromisoformat(row["entered_at"]) + timedelta(days=row["max_days"])
        if due <= as_of:
            detail = (
                f"{row['title']}: in {row['stage']} since {row['entered_at']} "
                f"(max {row['max_days']} days)"
            )
            found.append(_item("stale-deal", row, as_of, due, detail, deal_id=row["id"]))
    if "close-overdue" in wanted and row["expected_close"]:
        due = date.fromisoformat(row["expected_close"])
        if due < as_of:
            detail = f"{row['title']}: expected to close {row['expected_close']}"
            found.append(_item("close-overdue", row, as_of, due, detail, deal_id=row["id"]))
    return found


def _item(
    kind: str,
    row: sqlite3.Row,
    as_of: date,
    due: date,
    detail: str,
    *,
    deal_id: int | None = None,
    product: str | None = None,
) -> Row:
    return {
        "kind": kind,
        "customer_id": row["customer_id"],
        "customer": row["name"],
        "owner": row["owner"],
        "tier": row["tier"],
        "due": due.isoformat(),
        "days_overdue": (as_of - due).days,
        "detail": detail,
        "deal_id": deal_id,
        "product": product,
    }
