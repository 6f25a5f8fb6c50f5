"""The rules of each record, stated once: what a command line or a file row says, in;
the columns to store, out.

Pure functions: no database, no terminal. The commands and the import both call them,
so a customer added by `customer add` and one read from a spreadsheet are stored alike.
Each raises `BadValue` naming the bad value; the import adds the row's line number.
"""

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from salesflow.choices import CHANNEL_ALIASES, CHANNELS, TIERS
from salesflow.errors import BadValue, NotFound
from salesflow.i18n import _
from salesflow.inputs import normalise_phone, parse_fact

CUSTOMER_TEXT_FIELDS = (
    "ref",
    "company",
    "phone",
    "email",
    "address",
    "source",
    "owner",
    "department",
    "store",
    "economic",
    "buying",
    "suppliers",
    "notes",
)
SCORE_FIELDS = ("urgency", "quick_effect", "price_fit")
EMAIL_SHAPE = r"[^@\s]+@[^@\s]+\.[^@\s]+"

Row = dict[str, Any]


# ---------------------------------------------------------------- customers


@dataclass
class CustomerFields:
    """What a command or a file row says about a customer; None means "not given"."""

    name: str | None = None
    text: dict[str, str | None] | None = None
    tier: str | None = None  # A-D or "none" (locked), "auto" (unlocked)
    tier_locked: bool | None = None  # an export's lock flag, when the file carries one
    scores: dict[str, str | int | None] | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    set_facts: tuple[tuple[str, str], ...] = ()
    unset_facts: tuple[str, ...] = ()
    created: date | None = None


def tier_letter(text: str) -> str:
    """A tier as typed (`a`, `B`) → its letter; anything else is refused."""
    letter = text.strip().upper()
    if letter not in TIERS:
        raise BadValue(_("tier {text!r} must be one of A, B, C, D").format(text=text))
    return letter


def manual_tier(choice: str, locked: bool | None = None) -> dict[str, Any]:
    """Columns for a tier set by hand: a letter or `none` locks it, `auto` unlocks it.

    A locked tier is left alone by automatic grading until it is set back to `auto`;
    `auto` keeps the present tier until the next grading replaces it. `locked` (from an
    export's tier_locked column) says whether a letter was set by hand or by grading.
    """
    value = choice.strip().lower()
    if value == "auto":
        return {"tier_locked": 0}
    tier = None if value in ("none", "") else tier_letter(choice)
    return {"tier": tier, "tier_locked": 1 if locked is None else int(locked)}


def score(name: str, value: str | int) -> int:
    """A target-selection score (urgency, quick effect, price fit): 1-5."""
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 5:
        raise BadValue(_("{name} must be 1-5, not {value!r}").format(name=name, value=text))
    return int(text)


def customer_columns(fields: CustomerFields, current: Row | None = None) -> Row:
    """The customer columns `fields` set, on top of `current` (None for a new customer).

    Only what is given is returned; an empty text clears its column.
    """
    values: Row = {}
    if fields.name is not None:
        name = fields.name.strip()
        if not name:
            raise BadValue(_("a customer needs a name"))
        values["name"] = name
    for key, value in (fields.text or {}).items():
        cleaned = value.strip() if value is not None else None
        values[key] = cleaned or None
    if values.get("email") and not re.fullmatch(EMAIL_SHAPE, values["email"]):
        raise BadValue(
            _("email {email!r} does not look like an address").format(email=values["email"])
        )
    if "phone" in values:
        values["phone_norm"] = normalise_phone(values["phone"])
    if fields.tier is not None:
        values.update(manual_tier(fields.tier, fields.tier_locked))
    for key, given in (fields.scores or {}).items():
        values[key] = None if given in (None, "") else score(key, given)  # type: ignore[arg-type]
    if fields.add_tags or fields.remove_tags:
        tags = [t for t in (current["tags"] if current else []) if t not in fields.remove_tags]
        for tag in fields.add_tags:
            tag = tag.strip()
            if tag and tag not in tags:
                tags.append(tag)
        values["tags"] = json.dumps(tags, ensure_ascii=False)
    if fields.set_facts or fields.unset_facts:
        profile = dict(current["profile"] if current else {})
        for key in fields.unset_facts:
            if key not in profile:
                raise NotFound(_("the profile has no fact {key!r}").format(key=key))
            del profile[key]
        profile.update(parse_fact(f"{key}={value}") for key, value in fields.set_facts)
        values["profile"] = json.dumps(profile, ensure_ascii=False)
    if fields.created is not None:
        values["created_at"] = fields.created.isoformat()
    return values


# ---------------------------------------------------------------- products


def product_columns(
    name: str | None,
    *,
    sku: str | None = None,
    category: str | None = None,
    price_cents: int | None = None,
    cycle_days: str | int | None = None,
) -> Row:
    """A product's columns; only what is given is returned (an empty text clears)."""
    values: Row = {}
    if name is not None:
        values["name"] = name.strip()
        if not values["name"]:
            raise BadValue(_("a product needs a name"))
    for key, text in (("sku", sku), ("category", category)):
        if text is not None:
            values[key] = text.strip() or None
    if price_cents is not None:
        values["price_cents"] = price_cents
    if cycle_days not in (None, ""):
        days = str(cycle_days).strip()
        if not days.isdigit() or int(days) <= 0:
            raise BadValue(
                _("the cycle must be a positive whole number of days, not {days!r}").format(
                    days=days
                )
            )
        values["cycle_days"] = int(days)
    return values


# ---------------------------------------------------------------- sales


class SaleParty(NamedTuple):
    """Who a sale defaults to: the customer's owner, department and store."""

    owner: str | None
    department: str | None
    store: str | None


def line_amount(price_cents: int, quantity: float) -> int:
    """Price × quantity to the cent, halves rounded up."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(price_cents) * Decimal(str(quantity))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sale_columns(
    customer: SaleParty,
    product_price_cents: int | None,
    *,
    quantity: float,
    amount_cents: int | None,
    unit_price_cents: int | None = None,
    rep: str | None = None,
    department: str | None = None,
    store: str | None = None,
) -> tuple[int, str | None, str | None, str | None]:
    """A sale's amount, rep, department and store.

    The amount defaults to the unit price given (purchase logs often carry one), else the
    product's price, times the quantity; rep, department and store to the customer's.
    """
    if amount_cents is None:
        price = unit_price_cents if unit_price_cents is not None else product_price_cents
        if price is None:
            raise BadValue(
                _("no amount, and no unit or product price to compute it from"), hint="amount"
            )
        amount_cents = line_amount(price, quantity)
    return (
        amount_cents,
        (rep or "").strip() or customer.owner,
        (department or "").strip() or customer.department,
        (store or "").strip() or customer.store,
    )


# ---------------------------------------------------------------- contacts


def channel(text: str | None) -> str:
    """A contact channel by its name or a common alias (电话, 微信…); empty means other."""
    value = (text or "").strip().lower() or "other"
    value = CHANNEL_ALIASES.get(value, value)
    if value not in CHANNELS:
        raise BadValue(
            _("channel {text!r} is not one of {choices}").format(
                text=text, choices=", ".join(CHANNELS)
            )
        )
    return value


def contact_columns(
    owner: str | None,
    *,
    channel_name: str | None,
    summary: str,
    by: str | None,
    outcome: str | None,
) -> tuple[str, str | None, str, str | None]:
    """A contact's channel, rep (the customer's owner unless someone else), summary and
    outcome."""
    if not summary.strip():
        raise BadValue(_("a contact needs a summary of what happened"))
    return (
        channel(channel_name),
        (by or "").strip() or owner,
        summary.strip(),
        (outcome or "").strip() or None,
    )


def contact_moment(at: str, now: str) -> str:
    """A contact's time as logged: not later than `now` (a contact that has not happened
    yet is a follow-up to plan). Either may be a day alone or a day with HH:MM; a day
    alone is not later than any time on it."""
    later_day = at[:10] > now[:10]
    later_time = len(at) > 10 and len(now) > 10 and at > now
    if later_day or later_time:
        raise BadValue(
            _("a contact cannot be logged at {at}, after now ({now})").format(at=at, now=now),
            hint="next",
        )
    return at
