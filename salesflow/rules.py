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
