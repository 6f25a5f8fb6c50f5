"""BG/NBD and Gamma-Gamma: the published CDNOW estimates, hand-computed values, refusals."""

import math
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from salesflow import rhythm
from salesflow.errors import SalesflowError
from salesflow.rhythm import PurchaseRhythm, SpendModel, TooLittleHistory

CDNOW = Path(__file__).parent / "data" / "CDNOW_sample.txt"
CALIBRATION_END = date(1997, 9, 30)
# Fader, Hardie & Lee (2005), "Counting your customers the easy way", and (2005) "RFM and CLV".
PUBLISHED_BGNBD = PurchaseRhythm(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4)
PUBLISHED_SPEND = SpendModel(p=6.25, q=3.74, gamma=15.44, repeat_customers=946)
# A small parameter set for the hand-computed values: nothing special about it.
HAND = PurchaseRhythm(r=0.25, alpha=4.0, a=0.8, b=2.5, log_likelihood=0.0)


def cdnow_summary() -> dict[str, np.ndarray]:
    """The papers' calibration summary, built from the transaction log as they define it."""
    spend_by_day: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for line in CDNOW.read_text().splitlines():
        _master, customer, day, _cds, dollars = line.split()
        when = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        if when <= CALIBRATION_END:
            spend_by_day[customer][when] += float(dollars)
    frequency, recency, age, mean_spend = [], [], [], []
    for days in spend_by_day.values():
        ordered = sorted(days)
        repeats = len(ordered) - 1
        frequency.append(repeats)
        recency.append((ordered[-1] - ordered[0]).days / 7)
        age.append((CALIBRATION_END - ordered[0]).days / 7)
        mean_spend.append(sum(days[day] for day in ordered[1:]) / repeats if repeats else 0.0)
    return {
        "frequency": np.array(frequency, dtype=float),
        "recency": np.array(recency),
        "age": np.array(age),
        "mean_spend": np.array(mean_spend),
    }


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    return cdnow_summary()


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: dict[str, np.ndarray]) -> PurchaseRhythm:
    return rhythm.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["age"])


def closed_form_p_alive(params: PurchaseRhythm, x: int, t_x: float, big_t: float) -> float:
    if x == 0:
        return 1.0
    odds = (
        params.a
        / (params.b + x - 1)
        * ((params.alpha + big_t) / (params.alpha + t_x)) ** (params.r + x)
    )
    return 1.0 / (1.0 + odds)


def gauss_series(a: float, b: float, c: float, z: float) -> float:
    """2F1(a, b; c; z) summed term by term; the tests keep |z| well below 1."""
    total, term, n = 1.0, 1.0, 0
    while abs(term) > 1e-17 * abs(total):
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
    return total


def paper_expected_purchases(
    params: PurchaseRhythm, x: int, t_x: float, big_t: float, horizon: float
) -> float:
    """Eq. 10 of the BG/NBD paper exactly as printed, with no transformation of 2F1."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = horizon / (alpha + big_t + horizon)
    numerator = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + big_t) / (alpha + big_t + horizon)) ** (r + x)
            * gauss_series(r + x, b + x, a + b + x - 1, z)
        )
    )
    return numerator * closed_form_p_alive(params, x, t_x, big_t)


def test_cdnow_summary_has_the_papers_customers(cdnow):
    assert len(cdnow["frequency"]) == 2357
    assert int((cdnow["frequency"] > 0).sum()) == 946
    assert cdnow["age"].max() == pytest.approx(272 / 7)  # first buyers of 1997-01-01


def test_bgnbd_reproduces_the_published_cdnow_estimates(cdnow_fit):
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(cdnow_fit, name) == pytest.approx(getattr(PUBLISHED_BGNBD, name), rel=5e-3)


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(cdnow):
    fitted = rhythm.fit_gamma_gamma(cdnow["frequency"], cdnow["mean_spend"])
    assert fitted.repeat_customers == 946
    for name in ("p", "q", "gamma"):
        assert getattr(fitted, name) == pytest.approx(getattr(PUBLISHED_SPEND, name), rel=5e-3)


def test_fits_are_deterministic_and_ignore_row_order(cdnow, cdnow_fit):
    order = np.random.default_rng(1).permutation(len(cdnow["frequency"]))
    again = rhythm.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["age"])
    shuffled = rhythm.fit_bgnbd(
        cdnow["frequency"][order], cdnow["recency"][order], cdnow["age"][order]
    )
    assert again == cdnow_fit
    assert shuffled == cdnow_fit


def test_counts_stand_for_repeated_rows(cdnow, cdnow_fit):
    rows = np.column_stack([cdnow["frequency"], cdnow["recency"], cdnow["age"]])
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    grouped = rhythm.fit_bgnbd(unique[:, 0], unique[:, 1], unique[:, 2], counts=counts)
    assert len(unique) < len(rows)
    assert grouped == cdnow_fit


def test_p_alive_matches_the_closed_form():
    book = [(0, 0.0, 10.0), (1, 2.0, 10.0), (3, 9.0, 10.0), (5, 1.0, 10.0), (2, 0.5, 0.5)]
    x, t_x, big_t = (list(column) for column in zip(*book, strict=True))
    computed = rhythm.p_alive(HAND, x, t_x, big_t)
    for index, customer in enumerate(book):
        assert computed[index] == pytest.approx(closed_form_p_alive(HAND, *customer), rel=1e-12)


def test_a_customer_who_never_bought_again_is_certainly_alive():
    assert rhythm.p_alive(HAND, [0, 0, 0], [0, 0, 0], [0.0, 10.0, 1e5]).tolist() == [1.0] * 3


def test_expected_purchases_match_the_papers_formula():
    book = [(0, 0.0, 10.0), (1, 2.0, 10.0), (3, 9.0, 10.0), (5, 1.0, 10.0), (12, 30.0, 40.0)]
    x, t_x, big_t = (list(column) for column in zip(*book, strict=True))
    for horizon in (1.0, 4.0, 13.0):
        computed = rhythm.expected_purchases(HAND, x, t_x, big_t, horizon)
        for index, customer in enumerate(book):
            expected = paper_expected_purchases(HAND, *customer, horizon)
            assert computed[index] == pytest.approx(expected, rel=1e-9)


def test_expected_purchases_over_no_time_are_zero():
    assert rhythm.expected_purchases(HAND, [0, 4], [0, 5], [10, 10], 0.0).tolist() == [0.0, 0.0]


def test_expected_purchases_pass_smoothly_through_a_equal_one():
    def at(a: float) -> np.ndarray:
        params = PurchaseRhythm(r=0.5, alpha=3.0, a=a, b=2.0, log_likelihood=0.0)
        return rhythm.expected_purchases(params, [0, 2, 5], [0, 3, 10], [20, 20, 20], 10.0)

    either_side = (at(1.0 - 1e-3) + at(1.0 + 1e-3)) / 2
    for a in (1.0, 1.0 + 1e-12):
        assert at(a) == pytest.approx(either_side, rel=1e-5)


def test_the_numerical_integral_agrees_with_the_closed_form():
    # The integral is what answers wherever scipy's 2F1 fails; it must give the same numbers.
    cases = [(0, 0.0, 10.0, 13.0), (2, 30.43, 38.86, 39.0), (100, 500.0, 520.0, 1000.0)]
    cases.append((100_000, 10_000.0, 10_000.0, 13.0))
    for x, t_x, big_t, horizon in cases:
        closed = rhythm.expected_purchases(PUBLISHED_BGNBD, x, t_x, big_t, horizon)
        alive = rhythm.p_alive(PUBLISHED_BGNBD, x, t_x, big_t)
        integral = alive * rhythm._expected_if_alive(PUBLISHED_BGNBD, x, big_t, horizon)
        assert float(closed) == pytest.approx(float(integral), rel=1e-7)


def test_a_customer_gone_quiet_is_less_likely_alive_than_one_who_bought_lately():
    ages = [52.0, 52.0]
    p = rhythm.p_alive(PUBLISHED_BGNBD, [10, 10], [10.0, 50.0], ages)
    expected = rhythm.expected_purchases(PUBLISHED_BGNBD, [10, 10], [10.0, 50.0], ages, 13.0)
    assert p[0] < p[1]
    assert expected[0] < expected[1]


def test_silence_means_more_for_a_weekly_buyer_than_for_a_twice_a_year_buyer():
    # Weekly for 43 weeks then two months silent, against every 26 weeks and two months silent.
    p = rhythm.p_alive(PUBLISHED_BGNBD, [43, 3], [43.0, 78.0], [52.0, 86.0])
    assert p[0] < 0.1
    assert p[1] > 0.7


def test_zero_repeats_long_histories_and_huge_counts_stay_finite():
    x = [0, 0, 0, 1, 1_000_000, 100_000, 50]
    t_x = [0.0, 0.0, 0.0, 0.01, 5_000.0, 1.0, 1.0]
    big_t = [0.0, 1e5, 0.5, 1e5, 5_200.0, 10_000.0, 5_000.0]
    for horizon in (0.5, 13.0, 5_000.0):
        p = rhythm.p_alive(PUBLISHED_BGNBD, x, t_x, big_t)
        expected = rhythm.expected_purchases(PUBLISHED_BGNBD, x, t_x, big_t, horizon)
        ceiling = (
            p
            * horizon
            * (PUBLISHED_BGNBD.r + np.array(x))
            / (PUBLISHED_BGNBD.alpha + np.array(big_t))
        )
        assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
        assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
        assert np.all(expected <= ceiling * (1 + 1e-9))


def test_a_fit_survives_customers_with_huge_counts(cdnow):
    frequency = np.append(cdnow["frequency"], [1_000_000, 50_000])
    recency = np.append(cdnow["recency"], [5_000.0, 4_000.0])
    age = np.append(cdnow["age"], [5_200.0, 5_200.0])
    fitted = rhythm.fit_bgnbd(frequency, recency, age)
    values = [fitted.r, fitted.alpha, fitted.a, fitted.b, fitted.log_likelihood]
    assert all(math.isfinite(value) for value in values)


def test_results_keep_the_callers_shape():
    assert rhythm.p_alive(HAND, 2, 3.0, 10.0).shape == ()
    grid = rhythm.expected_purchases(HAND, [[0], [2]], [[0.0], [3.0]], 10.0, [1.0, 4.0, 13.0])
    assert grid.shape == (2, 3)
    assert grid[1, 1] == pytest.approx(paper_expected_purchases(HAND, 2, 3.0, 10.0, 4.0))


def test_expected_spend_weighs_own_average_against_the_books():
    model = SpendModel(p=6.0, q=4.0, gamma=15.0, repeat_customers=10)
    spend = rhythm.expected_spend(model, [0, 1, 4, 1000], [99.0, 50.0, 50.0, 50.0])
    book_average = 6.0 * 15.0 / (4.0 - 1.0)
    assert spend[0] == pytest.approx(book_average)
    assert spend[1] == pytest.approx(6.0 * (15.0 + 50.0) / (6.0 + 3.0))
    assert spend[2] == pytest.approx(6.0 * (15.0 + 200.0) / (24.0 + 3.0))
    assert book_average < spend[1] < spend[2] < spend[3] < 50.0


def test_spend_in_cents_gives_the_same_model_scaled(cdnow):
    dollars = rhythm.fit_gamma_gamma(cdnow["frequency"], cdnow["mean_spend"])
    cents = rhythm.fit_gamma_gamma(cdnow["frequency"], cdnow["mean_spend"] * 100)
    assert cents.p == pytest.approx(dollars.p, rel=1e-6)
    assert cents.q == pytest.approx(dollars.q, rel=1e-6)
    assert cents.gamma == pytest.approx(dollars.gamma * 100, rel=1e-6)


def test_too_few_customers_is_refused():
    with pytest.raises(TooLittleHistory, match="4 customers with purchases, at least 5"):
        rhythm.fit_bgnbd([1, 0, 2, 0], [3.0, 0.0, 5.0, 0.0], [10.0] * 4)


def test_a_book_where_nobody_bought_again_is_refused():
    with pytest.raises(TooLittleHistory, match="none of the 6 customers has bought a second"):
        rhythm.fit_bgnbd([0] * 6, [0.0] * 6, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])


def test_a_history_that_does_not_pin_the_model_down_is_refused():
    # Everyone buys at the same pace and nobody has dropped out: the rate and dropout
    # distributions collapse to points, which no finite parameter describes.
    with pytest.raises(TooLittleHistory, match="BG/NBD model: the purchases do not pin down"):
        rhythm.fit_bgnbd([2] * 6, [5.0] * 6, [10.0] * 6)


def test_too_little_history_is_a_domain_error_with_exit_code_one():
    assert issubclass(TooLittleHistory, SalesflowError)
    assert TooLittleHistory.exit_code == 1


def test_spend_with_too_few_repeat_customers_is_refused():
    with pytest.raises(TooLittleHistory, match="2 customers have bought a second time"):
        rhythm.fit_gamma_gamma([0, 0, 1, 3], [0.0, 0.0, 10.0, 12.0])


def test_spend_without_a_finite_book_average_is_refused():
    # Customers' spend levels drawn with q = 0.7: the average across customers is unbounded.
    chance = np.random.default_rng(5)
    level = chance.gamma(0.7, 1 / 10.0, 2000)
    frequency = chance.integers(1, 6, 2000)
    mean_spend = chance.gamma(4.0 * frequency, 1 / level) / frequency
    with pytest.raises(TooLittleHistory, match=r"the fitted q is 0\.6"):
        rhythm.fit_gamma_gamma(frequency, mean_spend)


def test_identical_spends_do_not_pin_the_spend_model_down():
    with pytest.raises(TooLittleHistory, match="Gamma-Gamma model: the purchases do not pin"):
        rhythm.fit_gamma_gamma([1, 1, 1, 1], [10.0, 10.0, 10.0, 10.0])


@pytest.mark.parametrize(
    ("frequency", "recency", "age", "message"),
    [
        ([1, -1], [2.0, 0.0], [5.0, 5.0], "whole number"),
        ([1.5, 0], [2.0, 0.0], [5.0, 5.0], "whole number"),
        ([1, 0], [6.0, 0.0], [5.0, 5.0], "between 0 and age"),
        ([1, 0], [0.0, 0.0], [5.0, 5.0], "positive recency"),
        ([1, 0], [float("nan"), 0.0], [5.0, 5.0], "finite"),
    ],
)
def test_impossible_histories_are_a_callers_bug(frequency, recency, age, message):
    with pytest.raises(ValueError, match=message):
        rhythm.p_alive(HAND, frequency, recency, age)
    with pytest.raises(ValueError, match=message):
        rhythm.fit_bgnbd(frequency * 3, recency * 3, age * 3)


def test_bad_counts_horizons_and_spends_are_a_callers_bug():
    with pytest.raises(ValueError, match="counts"):
        rhythm.fit_bgnbd([1, 0], [2.0, 0.0], [5.0, 5.0], counts=[3])
    with pytest.raises(ValueError, match="horizon_weeks"):
        rhythm.expected_purchases(HAND, [1], [2.0], [5.0], -1.0)
    with pytest.raises(ValueError, match="mean_spend must be positive"):
        rhythm.fit_gamma_gamma([1, 2, 3], [10.0, 0.0, 5.0])


def one_dropout_chance_book(chance: float, customers: int = 400) -> tuple[list, list, list]:
    """BG/NBD histories in which every customer drops out with the same chance per purchase."""
    rng = np.random.default_rng(7)
    frequency, recency, age = [], [], []
    for _customer in range(customers):
        rate, big_t = rng.gamma(2.0, 1 / 4.0), float(rng.integers(10, 100))
        clock, repeats, last = 0.0, 0, 0.0
        while True:
            clock += rng.exponential(1 / rate)
            if clock > big_t:
                break
            repeats, last = repeats + 1, clock
            if rng.random() < chance:
                break
        frequency.append(repeats)
        recency.append(last)
        age.append(big_t)
    return frequency, recency, age


def test_one_dropout_chance_for_everyone_is_fitted_not_refused():
    # The likelihood pushes a and b up together; searched apart, their mean stays pinned
    # down (test_predict's book goes all the way to the ceiling of a + b).
    frequency, recency, age = one_dropout_chance_book(0.1)
    fitted = rhythm.fit_bgnbd(frequency, recency, age)
    assert fitted.a + fitted.b > 100
    assert fitted.a / (fitted.a + fitted.b) == pytest.approx(0.1, abs=0.04)
    assert fitted.r / fitted.alpha == pytest.approx(0.5, rel=0.25)


def test_expected_purchases_at_one_dropout_chance_agree_with_the_integral():
    params = PurchaseRhythm(r=2.0, alpha=4.0, a=3e5, b=2.7e6, log_likelihood=0.0)
    for x, t_x, big_t, horizon in [(0, 0.0, 10.0, 13.0), (5, 8.0, 10.0, 13.0), (40, 50, 80, 52)]:
        computed = rhythm.expected_purchases(params, x, t_x, big_t, horizon)
        alive = rhythm.p_alive(params, x, t_x, big_t)
        integral = alive * rhythm._expected_if_alive(params, x, big_t, horizon)
        assert float(computed) == pytest.approx(float(integral), rel=1e-5)
