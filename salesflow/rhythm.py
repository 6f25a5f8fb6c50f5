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

    purchase_counts, at_count = np.unique(x, return_inverse=True)
    counts_at = (purchase_counts, at_count.ravel())

    def objective(search: FloatArray) -> tuple[float, FloatArray]:
        params = _bgnbd_from_search(search)
        log_likelihood, gradient = _bgnbd_log_likelihood(params, x, t_x, big_t, weight, counts_at)
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
    log_likelihood, _gradient = _bgnbd_log_likelihood(
        np.array([r, alpha, a, b]), x, t_x, big_t, weight, counts_at
    )
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
    columns = np.column_stack([x[repeat], spend[repeat] / scale])
    unique, inverse = np.unique(columns, axis=0, return_inverse=True)
    unique_weight = np.asarray(
        np.bincount(inverse.ravel(), weights=weight[repeat]), dtype=np.float64
    )
    ux, um = unique[:, 0], unique[:, 1]

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        log_likelihood, gradient = _gamma_gamma_log_likelihood(
            np.exp(log_params), ux, um, unique_weight
        )
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
    import numpy as np

    table = np.column_stack([column.ravel() for column in columns])
    weight = _counts(counts, len(table))
    unique, inverse = np.unique(table, axis=0, return_inverse=True)
    merged = np.asarray(
        np.bincount(inverse.ravel(), weights=weight, minlength=len(unique)), dtype=np.float64
    )
    keep = merged > 0
    unique, merged = unique[keep], merged[keep]
    return unique[:, 0], unique[:, 1], unique[:, 2], merged


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
    with np.errstate(all="ignore"):
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, ceiling) for ceiling in highest],
            options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9},
        )
    best = np.asarray(result.x, dtype=np.float64)
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
    slope = np.asarray(result.jac, dtype=np.float64)
    slope = np.where((best >= np.array(highest)) & (slope < 0), 0.0, slope)
    slope = np.where((best <= -LOG_BOUND) & (slope > 0), 0.0, slope)
    flat = bool(np.all(np.abs(slope) < GRADIENT_AT_MAXIMUM))
    if not (result.success or flat) or not np.all(np.isfinite(best)) or not np.isfinite(result.fun):
        raise TooLittleHistory(
            _(
                "too little purchase history to fit the {model} model: the fit did not "
                "converge after {steps} steps"
            ).format(model=model, steps=int(result.nit))
        )
    return best


def _bgnbd_log_likelihood(
    params: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    weight: FloatArray,
    counts_at: tuple[FloatArray, IndexArray],
) -> tuple[float, FloatArray]:
    """Weighted BG/NBD log-likelihood (eq. 6 of the paper) and its gradient in (r, alpha, a, b).

    ln L = ln G(r+x) - ln G(r) + r ln alpha + ln(A1 + [x>0] A2), with A1 and A2 kept as logs
    and combined with logaddexp, so no term overflows however long the history.
    `counts_at` holds the distinct values of x and where each row's x sits among them.
    """
    import numpy as np
    from scipy.special import betaln, digamma, gammaln  # type: ignore[import-untyped]

    r, alpha, a, b = (float(value) for value in params)
    # The special functions depend on x alone, and a book has far fewer distinct purchase
    # counts than customers: evaluate them once per count, the fit's costliest step.
    counts, at_count = counts_at
    # x - 1 only matters for repeat customers; the others get a harmless stand-in.
    counts_less_one = np.maximum(counts - 1.0, 0.0)
    base = betaln(a, b)
    beta_first = (betaln(a, b + counts) - base)[at_count]
    beta_second = (betaln(a + 1.0, b + counts_less_one) - base)[at_count]
    log_gamma_rx = gammaln(r + counts)[at_count]
    digamma_rx = digamma(r + counts)[at_count]
    digamma_abx = digamma(a + b + counts)[at_count]
    digamma_bx = digamma(b + counts)[at_count]
    digamma_bx_less_one = digamma(b + counts_less_one)[at_count]

    repeat = x > 0
    log_age = np.log(alpha + big_t)
    log_recency = np.log(alpha + t_x)
    log_first = beta_first - (r + x) * log_age
    log_second = np.where(repeat, beta_second - (r + x) * log_recency, -np.inf)
    log_sum = np.logaddexp(log_first, log_second)
    share_first = np.exp(log_first - log_sum)
    share_second = 1.0 - share_first
    per_customer = log_gamma_rx - gammaln(r) + r * math.log(alpha) + log_sum

    digamma_ab = digamma(a + b)
    d_r = (
        digamma_rx
        - digamma(r)
        + math.log(alpha)
        - share_first * log_age
        - share_second * log_recency
    )
    d_alpha = r / alpha - (r + x) * (share_first / (alpha + big_t) + share_second / (alpha + t_x))
    d_a = digamma_ab - digamma_abx + share_second / a
    d_b = (
        share_first * digamma_bx
        + share_second * digamma_bx_less_one
        - digamma(b)
        + digamma_ab
        - digamma_abx
    )
    # numpy's own summation rather than BLAS: the same sums on every machine and thread count.
    totals = np.sum(np.stack([per_customer, d_r, d_alpha, d_a, d_b]) * weight, axis=1)
    return float(totals[0]), totals[1:]


def _gamma_gamma_log_likelihood(
    params: FloatArray, x: FloatArray, spend: FloatArray, weight: FloatArray
) -> tuple[float, FloatArray]:
    """Weighted Gamma-Gamma log-likelihood and its gradient in (p, q, gamma).

    Each term is the log density of the mean of x spends, each Gamma(p, nu) with the
    customer's nu drawn from Gamma(q, gamma).
    """
    import numpy as np
    from scipy.special import digamma, gammaln  # type: ignore[import-untyped]

    p, q, gamma = (float(value) for value in params)
    px = p * x
    log_total = np.log(gamma + x * spend)
    per_customer = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * math.log(gamma)
        + (px - 1.0) * np.log(spend)
        + px * np.log(x)
        - (px + q) * log_total
    )
    digamma_pxq = digamma(px + q)
    d_p = x * (digamma_pxq - digamma(px) + np.log(spend) + np.log(x) - log_total)
    d_q = digamma_pxq - digamma(q) + math.log(gamma) - log_total
    d_gamma = q / gamma - (px + q) / (gamma + x * spend)
    totals = np.sum(np.stack([per_customer, d_p, d_q, d_gamma]) * weight, axis=1)
    return float(totals[0]), totals[1:]


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
