"""Each customer's buying rhythm: BG/NBD for how often and how long, Gamma-Gamma for how much.

The models are those of Fader, Hardie & Lee (2005), "Counting your customers the easy way"
(BG/NBD) and "RFM and CLV" (Gamma-Gamma). Everything here works on plain numbers, as the
papers define them, for each customer:

- `frequency` x: purchases after the first one (repeat purchases);
- `recency` t_x: weeks from the first purchase to the last one (0 when x is 0);
- `age` T: weeks from the first purchase to the end of the observed period;
- `mean_spend`: the average value of the repeat purchases (the first one is left out, as the
  Gamma-Gamma paper does, because it is often unlike the ones that follow).

numpy and scipy are imported inside the functions: the CLI pays for them only when a
prediction is asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from salesflow.errors import SalesflowError
from salesflow.i18n import _

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Numbers = npt.ArrayLike
    FloatArray = npt.NDArray[np.float64]
    IndexArray = npt.NDArray[np.intp]

# Four parameters cannot be told apart by fewer customers than this; the fit would only echo
# the starting point.
MIN_CUSTOMERS = 5
MIN_REPEAT_CUSTOMERS = 3

# The optimiser searches the logs of the parameters inside ±LOG_BOUND, where the special
# functions keep their precision. A maximum found beyond ±LOG_RUNAWAY (a parameter above
# 3 million or below 1/3 million) is a likelihood still climbing towards a limit that is no
# parameter value at all: the history does not pin that parameter down.
LOG_BOUND = 20.0
LOG_RUNAWAY = 15.0
# The conditional expectation divides by a - 1; closer than this to a = 1 the closed form
# cancels badly and the integral is used instead.
NEAR_ONE = 1e-6
# The largest slope (mean log-likelihood per customer, per unit of a log-parameter) at which a
# stalled search counts as having found the maximum: moving a parameter 1% would gain less
# than 1e-6 per customer. Near the concentration ceiling the likelihood is flat to rounding
# at about that scale, and the line search stalls there.
GRADIENT_AT_MAXIMUM = 1e-4
# Beyond this concentration a + b the dropout chance is one number for every customer (the
# fit stops a + b at exp(LOG_RUNAWAY)): 2F1's parameters are then too large for scipy, and
# the expectation at the posterior mean chance differs from the exact one by about
# 1 / (a + b).
POINT_MASS = 1e6
# How often a search that stopped on a slope still plain starts again from where it stopped.
RESTARTS = 5


class TooLittleHistory(SalesflowError):
    """The purchase history cannot support a model fit."""

    exit_code = 1


@dataclass(frozen=True)
class PurchaseRhythm:
    """Fitted BG/NBD parameters.

    Purchase rates across customers follow Gamma(r, alpha) with alpha per week; the chance of
    dropping out after each purchase follows Beta(a, b).
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@dataclass(frozen=True)
class SpendModel:
    """Fitted Gamma-Gamma parameters and how many repeat customers they were fitted on."""

    p: float
    q: float
    gamma: float
    repeat_customers: int


def fit_bgnbd(
    frequency: Sequence[float] | Numbers,
    recency: Sequence[float] | Numbers,
    age: Sequence[float] | Numbers,
    *,
    counts: Sequence[int] | Numbers | None = None,
    min_customers: int = MIN_CUSTOMERS,
) -> PurchaseRhythm:
    """Maximum-likelihood BG/NBD parameters for customers given as (x, t_x, T) in weeks.

    `counts`, when given, says how many customers each row stands for. Raises
    `TooLittleHistory` when there are too few customers or repeat purchases, or when the
    likelihood has no maximum the optimiser can reach.
    """
    import numpy as np

    x, t_x, big_t, weight = _grouped(_purchase_columns(frequency, recency, age), counts)
    customers = int(weight.sum())
    if customers < min_customers:
        raise TooLittleHistory(
            _(
                "too little purchase history to predict: {customers} customers with purchases, "
                "at least {needed} needed"
            ).format(customers=customers, needed=min_customers)
        )
    if not np.any(x > 0):
        raise TooLittleHistory(
            _(
                "too little purchase history to predict: none of the {customers} customers "
                "has bought a second time yet"
            ).format(customers=customers)
        )

    book = _BgnbdBook.of(x, t_x, big_t, weight)

    def objective(search: FloatArray) -> tuple[float, FloatArray]:
        params = _bgnbd_from_search(search)
        log_likelihood, gradient = _bgnbd_log_likelihood(params, book)
        r, alpha, a, b = params
        d_r, d_alpha, d_a, d_b = gradient
        # The chain rule from (r, alpha, a, b) to the search coordinates.
        search_gradient = np.array(
            [r * d_r, alpha * d_alpha, a * b / (a + b) * (d_a - d_b), a * d_a + b * d_b]
        )
        # The mean per customer keeps the gradient's scale independent of the book's size,
        # so one tolerance suits a book of 50 customers and one of 100,000.
        return -log_likelihood / customers, -search_gradient / customers

    # Start from about ten purchases over a typical customer's history and an even chance of
    # dropping out after each: alpha follows the ages, so histories of weeks or decades alike
    # start close to their answer.
    mean_age = float(np.average(big_t, weights=weight))
    start = np.array([0.0, math.log(max(mean_age / 10.0, 1e-3)), 0.0, math.log(2.0)])
    best = _maximise(
        objective,
        start,
        model="BG/NBD",
        names=("r", "alpha", "a, b", "a, b"),
        ceilings=(LOG_BOUND, LOG_BOUND, LOG_BOUND, LOG_RUNAWAY),
    )
    r, alpha, a, b = (float(value) for value in _bgnbd_from_search(best))
    log_likelihood, _gradient = _bgnbd_log_likelihood(np.array([r, alpha, a, b]), book)
    return PurchaseRhythm(r=r, alpha=alpha, a=a, b=b, log_likelihood=log_likelihood)


def p_alive(
    params: PurchaseRhythm,
    frequency: Numbers,
    recency: Numbers,
    age: Numbers,
) -> FloatArray:
    """Probability that each customer is still buying at the end of their observed period."""
    import numpy as np
    from scipy.special import expit  # type: ignore[import-untyped]

    x, t_x, big_t = _purchase_columns(frequency, recency, age)
    return np.asarray(expit(-_log_odds_gone(params, x, t_x, big_t)), dtype=np.float64)


def expected_purchases(
    params: PurchaseRhythm,
    frequency: Numbers,
    recency: Numbers,
    age: Numbers,
    horizon_weeks: Numbers,
) -> FloatArray:
    """Expected purchases of each customer in the next `horizon_weeks` (eq. 10 of the paper).

    The paper's (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z), z = t/(alpha+T+t), is evaluated by
    Euler's transformation as (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): the exponent and
    the first two parameters no longer grow with x, so nothing overflows for long histories
    or large counts, and the series converges fast where x is large. Where scipy's 2F1 still
    fails (a result that is not finite or breaks the bound 0 <= E <= P(alive) * t *
    (r+x)/(alpha+T)) the expectation is integrated numerically over the dropout probability.
    """
    import numpy as np
    from scipy.special import expit, hyp2f1  # type: ignore[import-untyped]

    x, t_x, big_t = _purchase_columns(frequency, recency, age)
    x, t_x, big_t, horizon = np.broadcast_arrays(
        x, t_x, big_t, np.asarray(horizon_weeks, dtype=np.float64)
    )
    result_shape = x.shape
    # Flat copies: the fallback below fixes single entries, whatever the callers' shapes.
    x, t_x, big_t, horizon = (np.ravel(column) for column in (x, t_x, big_t, horizon))
    if np.any(~np.isfinite(horizon)) or np.any(horizon < 0):
        raise ValueError("horizon_weeks must be finite and not negative")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    alive = expit(-_log_odds_gone(params, x, t_x, big_t))
    # Purchases while alive are Poisson; the posterior mean rate bounds the expectation.
    ceiling = alive * horizon * (r + x) / (alpha + big_t)
    reach = horizon / (alpha + big_t + horizon)

    def closed_form(at_a: float) -> FloatArray:
        with np.errstate(all="ignore"):
            hyper = np.exp((at_a - 1.0) * np.log1p(-reach)) * hyp2f1(
                at_a + b - 1.0 - r, at_a - 1.0, at_a + b + x - 1.0, reach
            )
            return np.asarray(alive * (at_a + b + x - 1.0) / (at_a - 1.0) * (1.0 - hyper))

    if a + b >= POINT_MASS:
        dropout = a / (a + b + x)
        expected = alive * -np.expm1(-(r + x) * np.log1p(dropout * horizon / (alpha + big_t)))
        expected /= dropout
    elif abs(a - 1.0) < NEAR_ONE:
        # The expectation is smooth through a = 1; interpolating between points either side
        # keeps the cancellation in 1 - 2F1 away from a zero divisor.
        below, above = closed_form(1.0 - 1e-4), closed_form(1.0 + 1e-4)
        expected = below + (above - below) * (a - (1.0 - 1e-4)) / 2e-4
    else:
        expected = closed_form(a)
    expected = np.where(horizon == 0, 0.0, expected)
    suspect = (
        ~np.isfinite(expected)
        | (expected < -1e-12 * (1.0 + ceiling))
        | (expected > ceiling * (1.0 + 1e-8) + 1e-12)
    )
    for index in np.flatnonzero(suspect):
        expected[index] = alive[index] * _expected_if_alive(
            params, float(x[index]), float(big_t[index]), float(horizon[index])
        )
    return np.clip(expected, 0.0, ceiling).reshape(result_shape)


def fit_gamma_gamma(
    frequency: Sequence[float] | Numbers,
    mean_spend: Sequence[float] | Numbers,
    *,
    counts: Sequence[int] | Numbers | None = None,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> SpendModel:
    """Maximum-likelihood Gamma-Gamma parameters from repeat customers' average spend.

    Customers with no repeat purchase are left out, so the whole book may be passed. Raises
    `TooLittleHistory` when too few customers have bought again, when the average spend per
    customer would be unbounded (q <= 1), or when the optimiser cannot reach a maximum.
    """
    import numpy as np

    x, spend = _spend_columns(frequency, mean_spend)
    weight = _counts(counts, len(x))
    repeat = x > 0
    if np.any(spend[repeat] <= 0):
        raise ValueError("mean_spend must be positive for customers with repeat purchases")
    repeat_customers = int(weight[repeat].sum())
    if repeat_customers < min_repeat_customers:
        raise TooLittleHistory(
            _(
                "too little purchase history to estimate spend: {customers} customers have "
                "bought a second time, at least {needed} needed"
            ).format(customers=repeat_customers, needed=min_repeat_customers)
        )
    # The model is scale-free in money: fit on spend divided by its typical value so that the
    # same starting point suits cents and yuan, then scale gamma back.
    scale = float(np.median(spend[repeat]))
    (ux, um), unique_weight = _merged((x[repeat], spend[repeat] / scale), weight[repeat])
    book = _SpendBook.of(ux, um, unique_weight)

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        log_likelihood, gradient = _gamma_gamma_log_likelihood(np.exp(log_params), book)
        return (
            -log_likelihood / repeat_customers,
            -gradient * np.exp(log_params) / repeat_customers,
        )

    best = _maximise(objective, np.zeros(3), model="Gamma-Gamma", names=("p", "q", "gamma"))
    p, q, gamma = (float(value) for value in np.exp(best))
    if q <= 1.0:
        raise TooLittleHistory(
            _(
                "spend differs too much between the {customers} repeat customers to estimate "
                "an average: the fitted q is {q:.3f}, it must exceed 1"
            ).format(customers=repeat_customers, q=q)
        )
    return SpendModel(p=p, q=q, gamma=gamma * scale, repeat_customers=repeat_customers)


def expected_spend(params: SpendModel, frequency: Numbers, mean_spend: Numbers) -> FloatArray:
    """Expected value of each customer's future purchases, given their repeat-purchase average.

    It weighs the customer's own average against the book's (p * gamma / (q - 1)) by how many
    repeat purchases back it; a customer with none gets the book's average.
    """
    import numpy as np

    x, spend = _spend_columns(frequency, mean_spend)
    p, q, gamma = params.p, params.q, params.gamma
    return np.asarray(p * (gamma + x * spend) / (p * x + q - 1.0), dtype=np.float64)


def _purchase_columns(
    frequency: Numbers, recency: Numbers, age: Numbers
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The three columns as float arrays, refusing values no purchase history can produce."""
    import numpy as np

    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(big_t))):
        raise ValueError("frequency, recency and age must be finite")
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("frequency must be a whole number of repeat purchases")
    if np.any(t_x < 0) or np.any(t_x > big_t):
        raise ValueError("recency must lie between 0 and age")
    if np.any((x > 0) & (t_x <= 0)):
        raise ValueError("a customer with repeat purchases must have a positive recency")
    return x, t_x, big_t


def _spend_columns(frequency: Numbers, mean_spend: Numbers) -> tuple[FloatArray, FloatArray]:
    import numpy as np

    x = np.asarray(frequency, dtype=np.float64)
    spend = np.asarray(mean_spend, dtype=np.float64)
    x, spend = np.broadcast_arrays(x, spend)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(spend))):
        raise ValueError("frequency and mean_spend must be finite")
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("frequency must be a whole number of repeat purchases")
    return x, spend


def _counts(counts: Sequence[int] | Numbers | None, rows: int) -> FloatArray:
    import numpy as np

    if counts is None:
        return np.ones(rows)
    weight = np.asarray(counts, dtype=np.float64).ravel()
    if weight.shape != (rows,) or np.any(weight < 0) or np.any(weight != np.floor(weight)):
        raise ValueError("counts must give a whole number of customers for every row")
    return weight


def _grouped(
    columns: tuple[FloatArray, FloatArray, FloatArray],
    counts: Sequence[int] | Numbers | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Identical (x, t_x, T) rows merged into one with a weight: books repeat them a lot."""
    (x, t_x, big_t), weight = _merged(columns, _counts(counts, columns[0].size))
    return x, t_x, big_t, weight


def _merged(
    columns: Sequence[FloatArray], weight: FloatArray
) -> tuple[list[FloatArray], FloatArray]:
    """Identical rows of `columns` merged into one whose weight is the sum of theirs, rows
    of no weight left out; the rows come sorted by the first column, then the next, …,
    whatever order they came in."""
    import numpy as np

    flat = [column.ravel() for column in columns]
    order = np.lexsort(flat[::-1])
    flat = [column[order] for column in flat]
    starts = np.ones(len(order), dtype=bool)
    for column in flat:
        starts[1:] &= column[1:] == column[:-1]
    starts[1:] = ~starts[1:]
    group = np.cumsum(starts) - 1
    merged = np.asarray(
        np.bincount(group, weights=weight[order], minlength=int(starts.sum())),
        dtype=np.float64,
    )
    keep = merged > 0
    first = np.flatnonzero(starts)[keep]
    return [column[first] for column in flat], merged[keep]


def _bgnbd_from_search(search: FloatArray) -> FloatArray:
    """(r, alpha, a, b) from the coordinates the fit searches: ln r, ln alpha, the logit of
    the mean dropout chance a / (a + b) and ln(a + b).

    Searching the mean and the concentration apart lets a book in which every customer has
    the same dropout chance reach that limit (a + b at its ceiling, the mean where the data
    put it) instead of running a and b off together.
    """
    import numpy as np
    from scipy.special import expit

    concentration = math.exp(float(search[3]))
    return np.array(
        [
            math.exp(float(search[0])),
            math.exp(float(search[1])),
            float(expit(search[2])) * concentration,
            float(expit(-search[2])) * concentration,
        ]
    )


def _maximise(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    start: FloatArray,
    *,
    model: str,
    names: Sequence[str],
    ceilings: Sequence[float] | None = None,
) -> FloatArray:
    """The minimiser of `objective` (value and gradient) over log-parameters, or a refusal.

    A coordinate given a ceiling below LOG_BOUND may stop at it: that limit has a meaning
    (see `_bgnbd_from_search`), so only the other coordinates are refused for running off.
    """
    import numpy as np
    from scipy.optimize import minimize  # type: ignore[import-untyped]

    highest = list(ceilings) if ceilings is not None else [LOG_BOUND] * len(start)
    best, steps = start, 0
    # The search stops where one step no longer lowers the objective beyond its rounding,
    # which along a long flat ridge can be far from the maximum while the slope is still
    # plain: it starts again from there (afresh, its curvature memory spent) a few times.
    for _attempt in range(1 + RESTARTS):
        with np.errstate(all="ignore"):
            result = minimize(
                objective,
                best,
                jac=True,
                method="L-BFGS-B",
                bounds=[(-LOG_BOUND, ceiling) for ceiling in highest],
                options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9},
            )
        best, steps = np.asarray(result.x, dtype=np.float64), steps + int(result.nit)
        flat = _flat(best, np.asarray(result.jac, dtype=np.float64), highest)
        if flat or not result.nit or not np.all(np.isfinite(best)):
            break
    # Checked first: a fit that stalls on its way to a limit also names what ran off.
    runaway = [
        name
        for name, value, ceiling in zip(names, best, highest, strict=True)
        if value < -LOG_RUNAWAY or (value > LOG_RUNAWAY and ceiling >= LOG_BOUND)
    ]
    if runaway:
        raise TooLittleHistory(
            _(
                "too little purchase history to fit the {model} model: the purchases do not "
                "pin down {parameters}"
            ).format(model=model, parameters=", ".join(dict.fromkeys(runaway)))
        )
    # The line search can fail where the objective is flat to rounding; that is a maximum
    # if no direction inside the bounds still climbs.
    if not (result.success or flat) or not np.all(np.isfinite(best)) or not np.isfinite(result.fun):
        raise TooLittleHistory(
            _(
                "too little purchase history to fit the {model} model: the fit did not "
                "converge after {steps} steps"
            ).format(model=model, steps=steps)
        )
    return best


def _flat(best: FloatArray, slope: FloatArray, highest: Sequence[float]) -> bool:
    """No direction inside the bounds climbs by more than GRADIENT_AT_MAXIMUM."""
    import numpy as np

    slope = np.where((best >= np.array(highest)) & (slope < 0), 0.0, slope)
    slope = np.where((best <= -LOG_BOUND) & (slope > 0), 0.0, slope)
    return bool(np.all(np.abs(slope) < GRADIENT_AT_MAXIMUM))


@dataclass(frozen=True)
class _BgnbdBook:
    """The rows of a BG/NBD fit arranged for its log-likelihood.

    Most of each customer's term depends on x alone or on T alone, and a book has far
    fewer distinct purchase counts and ages than customers: those parts are evaluated once
    per distinct value and weighted by how many customers share it. Only the mixing of
    "still buying at T" with "dropped out after the last purchase" needs each repeat
    customer's own (x, t_x, T).
    """

    customers: float
    counts: FloatArray  # the distinct values of x
    at_counts: FloatArray  # customers per distinct x
    ages: FloatArray  # the distinct values of T
    at_ages: FloatArray  # customers per distinct T
    purchases_at_ages: FloatArray  # sum of x over the customers of each distinct T
    recencies: FloatArray  # the distinct values of t_x among repeat customers
    # the repeat customers, row by row in order of x: their x, where their x, T and t_x
    # sit among the distinct values, and how many customers each row stands for
    repeat_x: FloatArray
    repeat_count: IndexArray
    repeat_age: IndexArray
    repeat_recency: IndexArray
    repeat_weight: FloatArray
    # where the rows of each distinct repeat x start, and which distinct x that is
    count_starts: IndexArray
    count_of_start: IndexArray
    # Room for the row-by-row numbers of one evaluation, written in place: fresh arrays of
    # this size on every evaluation cost more in page faults than the arithmetic.
    scratch: FloatArray

    @staticmethod
    def of(x: FloatArray, t_x: FloatArray, big_t: FloatArray, weight: FloatArray) -> _BgnbdBook:
        import numpy as np

        counts, at_count = np.unique(x, return_inverse=True)
        ages, at_age = np.unique(big_t, return_inverse=True)
        at_count, at_age = at_count.ravel(), at_age.ravel()
        repeat = np.flatnonzero(x > 0)
        repeat = repeat[np.argsort(x[repeat], kind="stable")]
        recencies, at_recency = np.unique(t_x[repeat], return_inverse=True)
        repeat_count = at_count[repeat]
        count_starts = np.flatnonzero(np.diff(repeat_count, prepend=-1))
        return _BgnbdBook(
            customers=float(weight.sum()),
            counts=counts,
            at_counts=_weights(at_count, weights=weight, minlength=len(counts)),
            ages=ages,
            at_ages=_weights(at_age, weights=weight, minlength=len(ages)),
            purchases_at_ages=_weights(at_age, weights=weight * x, minlength=len(ages)),
            recencies=recencies,
            repeat_x=x[repeat],
            repeat_count=repeat_count,
            repeat_age=at_age[repeat],
            repeat_recency=at_recency.ravel(),
            repeat_weight=weight[repeat],
            count_starts=count_starts,
            count_of_start=repeat_count[count_starts],
            scratch=np.empty((6, len(repeat))),
        )


def _weights(at: IndexArray, *, weights: FloatArray, minlength: int) -> FloatArray:
    """The weights summed by where each row sits among `minlength` distinct values."""
    import numpy as np

    return np.asarray(np.bincount(at, weights=weights, minlength=minlength), dtype=np.float64)


def _bgnbd_log_likelihood(params: FloatArray, book: _BgnbdBook) -> tuple[float, FloatArray]:
    """Weighted BG/NBD log-likelihood (eq. 6 of the paper) and its gradient in (r, alpha, a, b).

    Per customer, ln L = ln G(r+x) - ln G(r) + r ln alpha + ln(A1 + [x>0] A2) with
    ln A1 = B(a, b+x) - B(a, b) - (r+x) ln(alpha+T) and ln A2 the same with a+1, b+x-1 and
    t_x. Written as ln A1 + softplus(ln A2 - ln A1), everything but the softplus term
    depends on x or on T alone; the softplus term (and the share s of A2 in the sum, which
    the gradient needs) is computed for the repeat customers, in logs, so nothing
    overflows however long the history.
    """
    import numpy as np
    from scipy.special import betaln, digamma, gammaln  # type: ignore[import-untyped]

    r, alpha, a, b = (float(value) for value in params)
    customers = book.customers
    counts, at_counts = book.counts, book.at_counts
    # x - 1 only matters for repeat customers; the others get a harmless stand-in.
    counts_less_one = np.maximum(counts - 1.0, 0.0)
    base = betaln(a, b)
    beta_first = betaln(a, b + counts) - base
    beta_second = betaln(a + 1.0, b + counts_less_one) - base
    digamma_bx = digamma(b + counts)
    digamma_abx = digamma(a + b + counts)
    digamma_ab = digamma(a + b)
    log_alpha = math.log(alpha)
    log_age = np.log(alpha + book.ages)
    per_age = 1.0 / (alpha + book.ages)
    log_recency = np.log(alpha + book.recencies)
    per_recency = 1.0 / (alpha + book.recencies)

    # The repeat customers: d = ln A2 - ln A1, s = A2 / (A1 + A2) = expit(d), and
    # ln(A1 + A2) - ln A1 = softplus(d), both from exp(-|d|) so neither overflows. Each
    # step writes into the book's scratch rows (see _BgnbdBook.scratch).
    at_count, at_age, at_recency = book.repeat_count, book.repeat_age, book.repeat_recency
    weight = book.repeat_weight
    shape, log_gap, gap, small, work, more = book.scratch
    np.add(book.repeat_x, r, out=shape)
    log_age.take(at_age, out=log_gap)
    np.subtract(log_gap, log_recency.take(at_recency, out=work), out=log_gap)
    np.multiply(shape, log_gap, out=gap)
    np.add(gap, (beta_second - beta_first).take(at_count, out=work), out=gap)
    np.abs(gap, out=small)
    np.exp(np.negative(small, out=small), out=small)
    softplus = np.maximum(gap, 0.0, out=work)
    np.add(softplus, np.log1p(small, out=more), out=softplus)
    # numpy's own summation rather than BLAS: the same sums on every machine and thread count.
    mixing = float(np.sum(np.multiply(weight, softplus, out=more)))
    share = work
    np.copyto(share, small)
    np.copyto(share, 1.0, where=gap >= 0.0)
    np.divide(share, np.add(small, 1.0, out=more), out=share)
    weighted_share = np.multiply(share, weight, out=share)
    share_total = float(np.sum(weighted_share))
    share_r = float(np.sum(np.multiply(weighted_share, log_gap, out=more)))
    rate_gap = per_age.take(at_age, out=small)
    np.subtract(rate_gap, per_recency.take(at_recency, out=gap), out=rate_gap)
    np.multiply(rate_gap, shape, out=rate_gap)
    share_alpha = float(np.sum(np.multiply(rate_gap, weighted_share, out=more)))
    share_by_count = np.zeros(len(counts))
    if len(weight):
        share_by_count[book.count_of_start] = np.add.reduceat(weighted_share, book.count_starts)

    at_ages, purchases_at_ages = book.at_ages, book.purchases_at_ages
    log_likelihood = (
        float(np.sum(at_counts * (gammaln(r + counts) - gammaln(r) + r * log_alpha + beta_first)))
        - float(np.sum((r * at_ages + purchases_at_ages) * log_age))
        + mixing
    )
    d_r = (
        float(np.sum(at_counts * (digamma(r + counts) - digamma(r) + log_alpha)))
        - float(np.sum(at_ages * log_age))
        + share_r
    )
    d_alpha = (
        customers * r / alpha - float(np.sum((r * at_ages + purchases_at_ages) * per_age))
    ) + share_alpha
    d_a = float(np.sum(at_counts * (digamma_ab - digamma_abx))) + share_total / a
    d_b = float(
        np.sum(at_counts * (digamma_bx - digamma(b) + digamma_ab - digamma_abx))
        + np.sum(share_by_count * (digamma(b + counts_less_one) - digamma_bx))
    )
    return log_likelihood, np.array([d_r, d_alpha, d_a, d_b])


@dataclass(frozen=True)
class _SpendBook:
    """The repeat customers of a Gamma-Gamma fit arranged for its log-likelihood: the
    terms in x alone are evaluated once per distinct x, the sums that do not involve the
    parameters once per fit, and only ln(gamma + x * mean) and its reciprocal row by row."""

    customers: float
    counts: FloatArray  # the distinct values of x
    at_counts: FloatArray  # customers per distinct x
    spend_logs: float  # sum of ln(mean spend)
    spend_logs_by_x: float  # sum of x ln(mean spend)
    totals: FloatArray  # x * mean spend, row by row
    weight: FloatArray  # customers per row
    weight_by_x: FloatArray  # customers per row times x
    scratch: FloatArray  # room for the row-by-row numbers of one evaluation

    @staticmethod
    def of(x: FloatArray, spend: FloatArray, weight: FloatArray) -> _SpendBook:
        import numpy as np

        counts, at_count = np.unique(x, return_inverse=True)
        log_spend = np.log(spend)
        return _SpendBook(
            customers=float(np.sum(weight)),
            counts=counts,
            at_counts=_weights(at_count.ravel(), weights=weight, minlength=len(counts)),
            spend_logs=float(np.sum(weight * log_spend)),
            spend_logs_by_x=float(np.sum(weight * x * log_spend)),
            totals=x * spend,
            weight=weight,
            weight_by_x=weight * x,
            scratch=np.empty((2, len(x))),
        )


def _gamma_gamma_log_likelihood(params: FloatArray, book: _SpendBook) -> tuple[float, FloatArray]:
    """Weighted Gamma-Gamma log-likelihood and its gradient in (p, q, gamma).

    Each term is the log density of the mean of x spends, each Gamma(p, nu) with the
    customer's nu drawn from Gamma(q, gamma):
    ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m + px ln x - (px+q) ln(gamma+xm).
    """
    import numpy as np
    from scipy.special import digamma, gammaln  # type: ignore[import-untyped]

    p, q, gamma = (float(value) for value in params)
    customers, counts, at_counts = book.customers, book.counts, book.at_counts
    log_total, per_total = book.scratch
    np.log(np.add(book.totals, gamma, out=log_total), out=log_total)
    np.divide(1.0, np.add(book.totals, gamma, out=per_total), out=per_total)
    # numpy's own summation rather than BLAS: the same sums on every machine and thread count.
    logs = float(np.sum(book.weight * log_total))
    logs_by_x = float(np.sum(book.weight_by_x * log_total))
    inverses = float(np.sum(book.weight * per_total))
    inverses_by_x = float(np.sum(book.weight_by_x * per_total))

    pk = p * counts
    log_counts = np.log(counts)
    digamma_pkq = digamma(pk + q)
    log_gamma = math.log(gamma)
    log_likelihood = (
        float(np.sum(at_counts * (gammaln(pk + q) - gammaln(pk) + pk * log_counts)))
        + customers * (q * log_gamma - float(gammaln(q)))
        + p * book.spend_logs_by_x
        - book.spend_logs
        - p * logs_by_x
        - q * logs
    )
    d_p = (
        float(np.sum(at_counts * counts * (digamma_pkq - digamma(pk) + log_counts)))
        + book.spend_logs_by_x
        - logs_by_x
    )
    d_q = float(np.sum(at_counts * (digamma_pkq - digamma(q) + log_gamma))) - logs
    d_gamma = customers * q / gamma - p * inverses_by_x - q * inverses
    return log_likelihood, np.array([d_p, d_q, d_gamma])


def _log_odds_gone(
    params: PurchaseRhythm, x: FloatArray, t_x: FloatArray, big_t: FloatArray
) -> FloatArray:
    """ln of P(dropped out) / P(alive); minus infinity for customers who never bought again."""
    import numpy as np

    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (
            math.log(a)
            - np.log(b + np.where(repeat, x - 1.0, 1.0))
            + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
    return np.asarray(np.where(repeat, log_odds, -np.inf), dtype=np.float64)


def _expected_if_alive(params: PurchaseRhythm, x: float, big_t: float, horizon: float) -> float:
    """E[purchases in the horizon | alive at T] by integrating over the dropout probability.

    Alive at T, the rate is Gamma(r+x, alpha+T) and the dropout probability p is Beta(a, b+x);
    given p the expectation is (1 - E[exp(-rate * p * t)]) / p, which is bounded and falls as
    p grows. Integrating it over the quantiles of p rather than over p itself avoids the
    density's pole at 0 (a < 1) and its spike near 0 for customers with many purchases.
    """
    from scipy.integrate import quad  # type: ignore[import-untyped]
    from scipy.special import betaincinv  # type: ignore[import-untyped]

    shape = params.r + x
    reach = horizon / (params.alpha + big_t)

    def at_quantile(quantile: float) -> float:
        dropout = float(betaincinv(params.a, params.b + x, quantile))
        if dropout * reach < 1e-12:
            return shape * reach
        return -math.expm1(-shape * math.log1p(dropout * reach)) / dropout

    integral, _error = quad(at_quantile, 0.0, 1.0, limit=200)
    return float(integral)
