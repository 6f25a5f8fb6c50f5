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

import json
import math
import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from salesflow.errors import BadValue
from salesflow.i18n import _
from salesflow.settings import Value
from salesflow.summaries import net_cents
from salesflow.validate import tier_letter

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from salesflow.db import Row
    from salesflow.rhythm import PurchaseRhythm, SpendModel

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
    DayArray = npt.NDArray[np.datetime64]

DAYS_PER_WEEK = 7.0
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
def _net_sales_per_day(only: str = "") -> str:
    return f"""
    SELECT customer_id, date AS day, sum(amount_cents) AS net_cents
    FROM (SELECT s.customer_id, s.date, {net_cents("s", ":as_of")} AS amount_cents
          FROM sales s WHERE s.date <= :as_of{only})
    GROUP BY customer_id, date
"""


NET_SALES_PER_DAY = _net_sales_per_day()


def _purchase_history(only: str = "") -> str:
    return f"""
    WITH purchase_days AS MATERIALIZED (
        {_net_sales_per_day(only)} HAVING sum(amount_cents) > 0
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


PURCHASE_HISTORY = _purchase_history()
# The same for the customers in the JSON array :customers only.
PURCHASE_HISTORY_OF = _purchase_history(
    " AND s.customer_id IN (SELECT value FROM json_each(:customers))"
)

# The same columns in one ordered pass over the sales_customer_day index, for customers
# none of whose sales up to the as-of day has been taken back by then (RETURNED_BY finds
# the others, whose rows PURCHASE_HISTORY_OF gives): each of their sales is worth its
# amount, so a day is a purchase day when it has a sale above zero (not a gift alone), and
# it is worth the sum of its amounts.
SALES_PER_CUSTOMER = """
    SELECT s.customer_id, min(s.date) AS first_day, max(s.date) AS last_day,
           count(DISTINCT s.date) - 1 AS frequency,
           sum(s.amount_cents) - (SELECT sum(f.amount_cents) FROM sales f
                                  WHERE f.customer_id = s.customer_id AND f.date = min(s.date))
               AS repeat_cents
    FROM sales s WHERE s.date <= :as_of AND s.amount_cents > 0
    GROUP BY s.customer_id ORDER BY s.customer_id
"""
RETURNED_BY = """
    SELECT DISTINCT s.customer_id FROM returns rt JOIN sales s ON s.id = rt.sale_id
    WHERE rt.date <= :as_of AND s.date <= :as_of
"""


@dataclass(frozen=True)
class History:
    """Every purchasing customer's history as of a day, column by column, in weeks."""

    as_of: date
    customer_ids: IntArray  # ascending
    first_days: DayArray  # numpy days (datetime64[D])
    last_days: DayArray
    frequency: IntArray
    recency_weeks: FloatArray
    age_weeks: FloatArray
    mean_spend: FloatArray  # money per repeat purchase day; 0 without a repeat


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
    import numpy as np

    params = {"as_of": as_of.isoformat()}
    reader = conn.cursor()
    reader.row_factory = None  # plain tuples: tens of thousands of rows
    rows = reader.execute(SALES_PER_CUSTOMER, params).fetchall()
    special = {row[0] for row in reader.execute(RETURNED_BY, params)}
    if special:
        rows = [row for row in rows if row[0] not in special]
        params["customers"] = json.dumps(sorted(special))
        rows += reader.execute(PURCHASE_HISTORY_OF, params).fetchall()
        rows.sort()
    reader.close()
    columns = list(zip(*rows, strict=True)) or [()] * 5
    customer_ids = np.array(columns[0], dtype=np.int64)
    first_days = np.array(columns[1], dtype="datetime64[D]")
    last_days = np.array(columns[2], dtype="datetime64[D]")
    frequency = np.array(columns[3], dtype=np.int64)
    repeat_cents = np.array(columns[4], dtype=np.float64)
    until = np.datetime64(as_of, "D")
    recency = (last_days - first_days).astype(np.int64) / DAYS_PER_WEEK
    age = (until - first_days).astype(np.int64) / DAYS_PER_WEEK
    mean_spend = np.zeros(len(frequency))
    repeat = frequency > 0
    mean_spend[repeat] = repeat_cents[repeat] / 100.0 / frequency[repeat]
    return History(as_of, customer_ids, first_days, last_days, frequency, recency, age, mean_spend)


def fit(history: History, *, spend: bool = True) -> Fit:
    """BG/NBD on every customer, Gamma-Gamma on the repeat customers (unless `spend` is
    False: the chance of buying needs no spend model).

    Raises `rhythm.TooLittleHistory` when the purchase rhythm cannot be fitted; a spend
    model that cannot be fitted is reported in `Fit.spend_problem` instead, because the
    chance of buying and the purchases to expect stand without it.
    """
    from salesflow import rhythm

    purchases = rhythm.fit_bgnbd(history.frequency, history.recency_weeks, history.age_weeks)
    if not spend:
        return Fit(purchases, None, None)
    try:
        spending = rhythm.fit_gamma_gamma(history.frequency, history.mean_spend)
    except rhythm.TooLittleHistory as problem:
        return Fit(purchases, None, str(problem))
    return Fit(purchases, spending, None)


def fit_book(conn: sqlite3.Connection, as_of: date, *, spend: bool = True) -> tuple[History, Fit]:
    history = purchase_history(conn, as_of)
    return history, fit(history, spend=spend)


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
        "repeat_customers": int((history.frequency > 0).sum()),
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

    history, fitted = fit_book(conn, as_of)
    if customer_id is None and tier is None and owner is None:
        names = None
        shown = np.arange(len(history.customer_ids))
    else:
        names = _customers_shown(conn, customer_id=customer_id, tier=tier, owner=owner)
        wanted = np.fromiter(names, dtype=np.int64, count=len(names))
        shown = np.flatnonzero(np.isin(history.customer_ids, wanted))
    alive, purchases, worth = _predictions(history, fitted, shown, horizon_days)
    ids = history.customer_ids[shown]
    # Unrounded numbers order the list, so rounding never reorders it.
    order = np.lexsort((ids, -purchases, -worth))[:limit]
    picked = shown[order]
    if names is None:
        names = _names(conn, ids[order])
    values = _money_values(worth[order]) if fitted.spend else [None] * len(order)
    rows = [
        {
            "customer_id": row_id,
            "customer": names[row_id],
            "frequency": repeats,
            "recency_weeks": round(recency, 2),
            "age_weeks": round(age, 2),
            "p_alive": round(chance, 4),
            "expected_purchases": round(expected, 3),
            "expected_value": value,
        }
        for row_id, repeats, recency, age, chance, expected, value in zip(
            ids[order].tolist(),
            history.frequency[picked].tolist(),
            history.recency_weeks[picked].tolist(),
            history.age_weeks[picked].tolist(),
            alive[order].tolist(),
            purchases[order].tolist(),
            values,
            strict=True,
        )
    ]
    return Forecast(fitted, horizon_days, rows)


def expected_values(
    conn: sqlite3.Connection, as_of: date, *, horizon_days: int
) -> dict[int, Decimal | None]:
    """Each purchasing customer's expected value over the horizon, from one fit of the whole
    book: what `forecast` lists as expected_value, by customer id (None for everyone when
    spend could not be estimated)."""
    import numpy as np

    history, fitted = fit_book(conn, as_of)
    ids = history.customer_ids.tolist()
    if fitted.spend is None:
        return dict.fromkeys(ids)
    everyone = np.arange(len(ids))
    _alive, _purchases, worth = _predictions(history, fitted, everyone, horizon_days)
    return dict(zip(ids, _money_values(worth), strict=True))


def _predictions(
    history: History, fitted: Fit, positions: IntArray, horizon_days: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Chance of still buying, purchases to expect and their value (zero without a spend
    model) for the customers at `positions` of the history."""
    import numpy as np

    from salesflow import rhythm

    x = history.frequency[positions].astype(np.float64)
    t_x = history.recency_weeks[positions]
    big_t = history.age_weeks[positions]
    alive = rhythm.p_alive(fitted.rhythm, x, t_x, big_t)
    purchases = rhythm.expected_purchases(
        fitted.rhythm, x, t_x, big_t, horizon_days / DAYS_PER_WEEK
    )
    worth = np.zeros_like(purchases)
    if fitted.spend is not None:
        mean_spend = history.mean_spend[positions]
        worth = purchases * rhythm.expected_spend(fitted.spend, x, mean_spend)
    return alive, purchases, worth


def fallen_below(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    threshold: float,
    min_purchases: int = 1,
    below_only: bool = False,
) -> list[Row]:
    """Each customer with at least `min_purchases` purchase days: their chance of still
    buying as of `as_of` and `below_since`, the day it fell below `threshold` (None while it
    has not; with `below_only` those customers are left out).

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
    history, fitted = fit_book(conn, as_of, spend=False)
    kept = np.flatnonzero(history.frequency + 1 >= min_purchases)
    x = history.frequency[kept].astype(np.float64)
    t_x = history.recency_weeks[kept]
    big_t = history.age_weeks[kept]
    params = fitted.rhythm
    alive = rhythm.p_alive(params, x, t_x, big_t)
    # p_alive < threshold  <=>  (r + x) ln((alpha + T) / (alpha + t_x)) > needed
    needed = (
        math.log((1.0 - threshold) / threshold)
        - math.log(params.a)
        + np.log(params.b + np.maximum(x - 1.0, 0.0))
    )
    with np.errstate(over="ignore", invalid="ignore"):
        crossing_weeks = (params.alpha + t_x) * np.exp(needed / (params.r + x)) - params.alpha
        days = crossing_weeks * DAYS_PER_WEEK
    below = (x > 0) & (alive < threshold)
    # The day after `days` from the first purchase, kept between the last purchase and the
    # as-of day (and the as-of day when the closed form gives no number).
    first_days, last_days = history.first_days[kept], history.last_days[kept]
    until = np.datetime64(as_of, "D")
    recency_days = (last_days - first_days).astype(np.float64)
    age_days = (until - first_days).astype(np.float64)
    finite = np.isfinite(days)
    offset = np.floor(np.clip(np.where(finite, days, 0.0), recency_days - 1.0, age_days)) + 1.0
    crossed = first_days + offset.astype(np.int64).astype("timedelta64[D]")
    since = np.where(finite, np.minimum(np.maximum(crossed, last_days), until), until)
    if below_only:
        kept, alive, since, below = kept[below], alive[below], since[below], below[below]
    below_since = [
        day if fell else None
        for day, fell in zip(since.astype(object).tolist(), below.tolist(), strict=True)
    ]
    return [
        {
            "customer_id": row_id,
            "purchase_days": repeats + 1,
            "p_alive": chance,
            "below_since": day,
        }
        for row_id, repeats, chance, day in zip(
            history.customer_ids[kept].tolist(),
            history.frequency[kept].tolist(),
            alive.tolist(),
            below_since,
            strict=True,
        )
    ]


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


def _names(conn: sqlite3.Connection, ids: IntArray) -> dict[int, str]:
    """The names of the customers with these ids, by id."""
    return dict(
        conn.execute(
            "SELECT id, name FROM customers WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(ids.tolist())],
        ).fetchall()
    )


def _money(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _money_values(values: FloatArray) -> list[Decimal]:
    """`_money` of each value: whole cents by float arithmetic where that cannot differ
    from rounding the value's decimal form half up, `_money` itself where it might (a
    value near half a cent, a large or zero one, or no number)."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        scaled = np.abs(values) * 100.0
        cents = np.floor(scaled + 0.5)
        doubtful = ~(np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6) | ~(scaled < 1e8)
    doubtful |= values == 0.0
    whole = np.where(doubtful, 0, np.copysign(cents, values)).astype(np.int64).tolist()
    money = [Decimal(value).scaleb(-2) for value in whole]
    for position in np.flatnonzero(doubtful).tolist():
        money[position] = _money(float(values[position]))
    return money


def _significant(value: float, digits: int = 6) -> float:
    """Enough digits to compare with published estimates, without float noise."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))
