"""Business rules: tiers, sale defaults, and (as the book grows) reminders and gates.

Pure functions over plain data; the database and "today" come in as parameters.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from salesflow.db import Row
from salesflow.errors import BadValue

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
        exact = product["price"] * 100 * Decimal(str(quantity))
        amount_cents = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
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
