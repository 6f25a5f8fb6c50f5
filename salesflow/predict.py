"""Who is still buying and what they are worth: the book's purchase history as of a day,
fitted once with BG/NBD and Gamma-Gamma (salesflow.rhythm), listed per customer.

A purchase is a day on which a customer's net sales are above zero; several order lines on
one day are one purchase, and a day that nets to nothing (a gift) is none. In the papers'
terms, per customer:

- `frequency`: purchase days after the first;
- `recency_weeks`: weeks from the first purchase day to the last;
- `age_weeks`: weeks from the first purchase day to the as-of day;
- mean spend: the average net amount of the purchase days after the first.

The models are fitted on every customer with a purchase, whatever the listing's filters:
a filter narrows what is shown, not what the book teaches about rhythms.

numpy and scipy load only when a prediction is computed (through salesflow.rhythm).
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from salesflow.errors import BadValue
from salesflow.i18n import _
from salesflow.settings import Value
from salesflow.summaries import net_cents
from salesflow.validate import tier_letter

if TYPE_CHECKING:
    from salesflow.db import Row
    from salesflow.rhythm import PurchaseRhythm, SpendModel

DAYS_PER_WEEK = 7.0
DEFAULT_HORIZON = "90d"
# Beyond ten years a forecast says more about the model than about the customer.
MAX_HORIZON_DAYS = 3650

PREDICTION_KEYS = [
    "customer_id",
    "customer",
    "frequency",
    "recency_weeks",
    "age_weeks",
    "p_alive",
    "expected_purchases",
    "expected_value",
]
MODEL_KEYS = ["r", "alpha", "a", "b", "log_likelihood", "p", "q", "gamma", "repeat_customers"]


def alert_threshold(values: dict[str, Value]) -> float:
    """`predict.alert` from loaded settings, as a number."""
    return float(values["predict.alert"])


# Net sales per customer per day: the one place that says what a purchase is worth. The
# returns dated by the as-of day are subtracted from the day of the sale they take back,
# so a day that nets to zero or less (returned in full, or a gift) is no purchase anywhere
# below; `amount_cents` here is the net amount of each order line.
NET_SALES_PER_DAY = f"""
    SELECT customer_id, date AS day, sum(amount_cents) AS net_cents
    FROM (SELECT s.customer_id, s.date, {net_cents("s", ":as_of")} AS amount_cents
          FROM sales s WHERE s.date <= :as_of)
    GROUP BY customer_id, date
"""

PURCHASE_HISTORY = f"""
    WITH purchase_days AS MATERIALIZED (
        {NET_SALES_PER_DAY} HAVING sum(amount_cents) > 0
    ),
    per_customer AS (
        SELECT customer_id, min(day) AS first_day, max(day) AS last_day,
               count(*) - 1 AS frequency, sum(net_cents) AS total_cents
        FROM purchase_days GROUP BY customer_id
    )
    SELECT c.customer_id, c.first_day, c.last_day, c.frequency,
           c.total_cents - p.net_cents AS repeat_cents
    FROM per_customer c
    JOIN purchase_days p ON p.customer_id = c.customer_id AND p.day = c.first_day
    ORDER BY c.customer_id
"""


@dataclass(frozen=True)
class History:
    """Every purchasing customer's history as of a day, column by column, in weeks."""

    as_of: date
    customer_ids: list[int]
    first_days: list[date]
    last_days: list[date]
    frequency: list[int]
    recency_weeks: list[float]
    age_weeks: list[float]
    mean_spend: list[float]  # money per repeat purchase day; 0 without a repeat


@dataclass(frozen=True)
class Fit:
    """Both models fitted on one history; `spend` is None when spend could not be estimated
    (then `spend_problem` says why) and expected values are left out."""

    rhythm: PurchaseRhythm
    spend: SpendModel | None
    spend_problem: str | None


@dataclass(frozen=True)
class Forecast:
    fit: Fit
    horizon_days: int
    rows: list[Row]


def purchase_history(conn: sqlite3.Connection, as_of: date) -> History:
    """The purchase days of every customer up to and including `as_of`."""
    customer_ids: list[int] = []
    first_days: list[date] = []
    last_days: list[date] = []
    frequency: list[int] = []
    recency: list[float] = []
    age: list[float] = []
    mean_spend: list[float] = []
    for customer_id, first_text, last_text, repeats, repeat_cents in conn.execute(
        PURCHASE_HISTORY, {"as_of": as_of.isoformat()}
    ):
        first_day, last_day = date.fromisoformat(first_text), date.fromisoformat(last_text)
        customer_ids.append(customer_id)
        first_days.append(first_day)
        last_days.append(last_day)
        frequency.append(repeats)
        recency.append((last_day - first_day).days / DAYS_PER_WEEK)
        age.append((as_of - first_day).days / DAYS_PER_WEEK)
        mean_spend.append(repeat_cents / 100.0 / repeats if repeats else 0.0)
    return History(as_of, customer_ids, first_days, last_days, frequency, recency, age, mean_spend)


def fit(history: History) -> Fit:
    """BG/NBD on every customer, Gamma-Gamma on the repeat customers.

    Raises `rhythm.TooLittleHistory` when the purchase rhythm cannot be fitted; a spend
    model that cannot be fitted is reported in `Fit.spend_problem` instead, because the
    chance of buying and the purchases to expect stand without it.
    """
    from salesflow import rhythm

    purchases = rhythm.fit_bgnbd(history.frequency, history.recency_weeks, history.age_weeks)
    try:
        spend = rhythm.fit_gamma_gamma(history.frequency, history.mean_spend)
    except rhythm.TooLittleHistory as problem:
        return Fit(purchases, None, str(problem))
    return Fit(purchases, spend, None)


def fit_book(conn: sqlite3.Connection, as_of: date) -> tuple[History, Fit]:
    history = purchase_history(conn, as_of)
    return history, fit(history)


def model_parameters(history: History, fitted: Fit) -> Row:
    """The fitted parameters as one record: alpha is per week; the spend parameters are None
    when spend could not be estimated, and repeat_customers counts who bought again."""
    purchases, spend = fitted.rhythm, fitted.spend
    return {
        "r": _significant(purchases.r),
        "alpha": _significant(purchases.alpha),
        "a": _significant(purchases.a),
        "b": _significant(purchases.b),
        "log_likelihood": round(purchases.log_likelihood, 3),
        "p": _significant(spend.p) if spend else None,
        "q": _significant(spend.q) if spend else None,
        "gamma": _significant(spend.gamma) if spend else None,
        "repeat_customers": sum(1 for repeats in history.frequency if repeats > 0),
    }


def parse_horizon(text: str, as_of: date) -> int:
    """A forecast horizon as typed (`90d`, `12w`, `3m`, `1y`; a bare number is days) → days
    from `as_of` (months and years are calendar ones)."""
    match = re.fullmatch(r"(\d{1,5})\s*([dwmy]?)", text.strip().lower())
    if not match:
        raise BadValue(
            _(
                "cannot read horizon {text!r}: use days, weeks, months or years like 90d, 12w, "
                "3m or 1y"
            ).format(text=text)
        )
    count, unit = int(match[1]), match[2] or "d"
    if unit in "dw":
        days = count * (7 if unit == "w" else 1)
    else:
        from dateutil.relativedelta import relativedelta

        months = count * (12 if unit == "y" else 1)
        try:
            days = (as_of + relativedelta(months=months) - as_of).days
        except (OverflowError, ValueError):
            days = MAX_HORIZON_DAYS + 1
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise BadValue(
            _("horizon {text!r} must be between 1 day and {most} days").format(
                text=text, most=MAX_HORIZON_DAYS
            )
        )
    return days


def forecast(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    horizon_days: int,
    customer_id: int | None = None,
    tier: str | None = None,
    owner: str | None = None,
    limit: int | None = None,
) -> Forecast:
    """Per customer with a purchase: the chance they still buy, the purchases to expect in
    the next `horizon_days` and their expected value, highest value first.

    `tier` is A-D or `none`; filters narrow the listing, the fit uses the whole book.
    """
    import numpy as np

    from salesflow import rhythm

    history, fitted = fit_book(conn, as_of)
    names = _customers_shown(conn, customer_id=customer_id, tier=tier, owner=owner)
    shown = [index for index, row_id in enumerate(history.customer_ids) if row_id in names]
    x = np.array([history.frequency[i] for i in shown], dtype=np.float64)
    t_x = np.array([history.recency_weeks[i] for i in shown], dtype=np.float64)
    big_t = np.array([history.age_weeks[i] for i in shown], dtype=np.float64)
    alive = rhythm.p_alive(fitted.rhythm, x, t_x, big_t)
    purchases = rhythm.expected_purchases(
        fitted.rhythm, x, t_x, big_t, horizon_days / DAYS_PER_WEEK
    )
    worth = np.zeros_like(purchases)
    if fitted.spend is not None:
        mean_spend = np.array([history.mean_spend[i] for i in shown], dtype=np.float64)
        worth = purchases * rhythm.expected_spend(fitted.spend, x, mean_spend)
    values = [_money(value) if fitted.spend else None for value in worth]
    rows = [
        {
            "customer_id": history.customer_ids[index],
            "customer": names[history.customer_ids[index]],
            "frequency": history.frequency[index],
            "recency_weeks": round(history.recency_weeks[index], 2),
            "age_weeks": round(history.age_weeks[index], 2),
            "p_alive": round(float(alive[position]), 4),
            "expected_purchases": round(float(purchases[position]), 3),
            "expected_value": values[position],
        }
        for position, index in enumerate(shown)
    ]
    # Unrounded numbers order the list, so rounding never reorders it.
    order = sorted(
        range(len(rows)),
        key=lambda position: (
            -float(worth[position]),
            -float(purchases[position]),
            rows[position]["customer_id"],
        ),
    )
    rows = [rows[position] for position in order[:limit]]
    return Forecast(fitted, horizon_days, rows)


def fallen_below(
    conn: sqlite3.Connection, as_of: date, *, threshold: float, min_purchases: int = 1
) -> list[Row]:
    """Each customer with at least `min_purchases` purchase days: their chance of still
    buying as of `as_of` and `below_since`, the day it fell below `threshold` (None while it
    has not).

    The day comes from the model fitted as of `as_of`: after the last purchase nothing in a
    customer's history changes but their age, and the chance of still buying only falls
    with age, so it crossed the threshold once, on a day the closed form gives. A customer
    whose chance was already below it on their last purchase day is below since that day.
    Customers who never bought again are certainly alive in the model, never below.
    """
    import numpy as np

    from salesflow import rhythm

    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold must lie strictly between 0 and 1")
    history, fitted = fit_book(conn, as_of)
    kept = [i for i, repeats in enumerate(history.frequency) if repeats + 1 >= min_purchases]
    x = np.array([history.frequency[i] for i in kept], dtype=np.float64)
    t_x = np.array([history.recency_weeks[i] for i in kept], dtype=np.float64)
    big_t = np.array([history.age_weeks[i] for i in kept], dtype=np.float64)
    params = fitted.rhythm
    alive = rhythm.p_alive(params, x, t_x, big_t)
    # p_alive < threshold  <=>  (r + x) ln((alpha + T) / (alpha + t_x)) > needed
    needed = (
        math.log((1.0 - threshold) / threshold)
        - math.log(params.a)
        + np.log(params.b + np.maximum(x - 1.0, 0.0))
    )
    with np.errstate(over="ignore"):
        crossing_weeks = (params.alpha + t_x) * np.exp(needed / (params.r + x)) - params.alpha
    rows = []
    for position, index in enumerate(kept):
        below_since = None
        if x[position] > 0 and alive[position] < threshold:
            last_day = history.last_days[index]
            days = crossing_weeks[position] * DAYS_PER_WEEK
            crossed = history.first_days[index] + timedelta(days=math.floor(days) + 1)
            below_since = min(max(crossed, last_day), as_of) if math.isfinite(days) else as_of
        rows.append(
            {
                "customer_id": history.customer_ids[index],
                "purchase_days": history.frequency[index] + 1,
                "p_alive": float(alive[position]),
                "below_since": below_since,
            }
        )
    return rows


def _customers_shown(
    conn: sqlite3.Connection,
    *,
    customer_id: int | None,
    tier: str | None,
    owner: str | None,
) -> dict[int, str]:
    """The names of the customers the filters let through, by id."""
    where: list[str] = []
    params: list[object] = []
    if customer_id is not None:
        where.append("id = ?")
        params.append(customer_id)
    if tier is not None:
        if tier.strip().lower() == "none":
            where.append("tier IS NULL")
        else:
            where.append("tier = ?")
            params.append(tier_letter(tier))
    if owner is not None:
        where.append("owner = ? COLLATE NOCASE")
        params.append(owner)
    sql = "SELECT id, name FROM customers" + (" WHERE " + " AND ".join(where) if where else "")
    return dict(conn.execute(sql, params).fetchall())


def _money(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _significant(value: float, digits: int = 6) -> float:
    """Enough digits to compare with published estimates, without float noise."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))
