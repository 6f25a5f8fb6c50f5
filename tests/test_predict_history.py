"""The purchase history read in one pass over the sales index gives what the per-day
definition of a purchase gives, whatever gifts and returns the book holds; the listings
built from it keep their order and money rules."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from test_predict import TODAY, build_book

from salesflow import db, predict, rhythm

# name → (amount, date) of each sale, in the order they are imported (sale ids follow it)
SALES = {
    "Two lines a day": [(30, "2025-11-03"), (20, "2025-11-03"), (0, "2025-12-01"),
                        (80, "2025-12-15"), (100, "2026-02-02")],
    "Gifts only": [(0, "2025-10-01"), (0, "2025-11-01")],
    "Returns": [(60, "2025-09-01"), (40, "2025-10-01"), (25, "2025-10-01"),
                (90, "2025-11-01"), (70, "2025-12-01"), (55, "2026-01-05")],
    "First day returned": [(45, "2025-08-01"), (35, "2025-09-01"), (65, "2025-10-20")],
    "Returned later": [(50, "2025-06-01"), (50, "2025-07-01"), (50, "2025-08-01")],
    "Once": [(120, "2025-05-05")],
    "Gift and sale": [(0, "2025-04-01"), (75, "2025-04-01"), (0, "2025-05-01"),
                      (15, "2025-06-01")],
}  # fmt: skip


@pytest.fixture
def shop(cli, tmp_path):
    customers = tmp_path / "customers.csv"
    customers.write_text("name\n" + "".join(f"{name}\n" for name in SALES))
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "customer,amount,date\n"
        + "".join(
            f"{name},{amount},{day}\n" for name, rows in SALES.items() for amount, day in rows
        )
    )
    cli("import", "customers", customers)
    cli("import", "sales", sales)
    ids = {row["name"]: row["id"] for row in cli.json("customer", "list")}
    sale_ids = {
        (row["customer"], row["date"], row["amount"]): row["id"]
        for row in cli.json("sale", "list", "--limit", "1000")
    }

    def sale(name: str, day: str, amount: int) -> str:
        return str(sale_ids[(name, day, amount)])

    # the only sale of 2025-09-01 back in full; one of the two lines of 2025-10-01 back in
    # full; part of 2025-11-01 back by amount
    cli("sale", "return", sale("Returns", "2025-09-01", 60), "--date", "2025-09-10")
    cli("sale", "return", sale("Returns", "2025-10-01", 40), "--date", "2025-10-02")
    cli("sale", "return", sale("Returns", "2025-11-01", 90), "--amount", "30",
        "--date", "2025-11-03")  # fmt: skip
    cli("sale", "return", sale("First day returned", "2025-08-01", 45), "--date", "2025-08-02")
    # back only after the earlier as-of days below
    cli("sale", "return", sale("Returned later", "2025-07-01", 50), "--date", "2026-03-01")
    return ids


def by_definition(conn, as_of: date) -> list[tuple]:
    """(customer, first day, last day, repeat days, mean spend) from the per-day query."""
    rows = conn.execute(predict.PURCHASE_HISTORY, {"as_of": as_of.isoformat()}).fetchall()
    return [
        (row[0], row[1], row[2], row[3], row[4] / 100.0 / row[3] if row[3] else 0.0) for row in rows
    ]


def read(history: predict.History) -> list[tuple]:
    return list(
        zip(
            history.customer_ids.tolist(),
            [str(day) for day in history.first_days],
            [str(day) for day in history.last_days],
            history.frequency.tolist(),
            history.mean_spend.tolist(),
            strict=True,
        )
    )


@pytest.mark.parametrize(
    "as_of", ["2025-04-01", "2025-07-15", "2025-09-05", "2025-10-01", "2026-02-28", "2026-03-16"]
)
def test_the_history_is_the_per_day_definition(shop, isolated_book, as_of):
    conn = db.open_db(isolated_book, write=False)
    evaluated = date.fromisoformat(as_of)
    history = predict.purchase_history(conn, evaluated)
    assert read(history) == by_definition(conn, evaluated)
    weeks = [(evaluated - date.fromisoformat(first)).days / 7 for _, first, *_rest in read(history)]
    assert history.age_weeks.tolist() == weeks
    conn.close()


def test_gifts_and_returns_move_the_purchase_days(shop, isolated_book):
    conn = db.open_db(isolated_book, write=False)
    history = {row[0]: row[1:] for row in read(predict.purchase_history(conn, TODAY))}
    ids = shop
    assert ids["Gifts only"] not in history
    # two lines on one day are one purchase; a gift day is none
    assert history[ids["Two lines a day"]] == ("2025-11-03", "2026-02-02", 2, 90.0)
    # 09-01 back in full is no purchase; 10-01 keeps its 25; 11-01 keeps 60 of 90
    assert history[ids["Returns"]] == ("2025-10-01", "2026-01-05", 3, (60 + 70 + 55) / 3)
    assert history[ids["First day returned"]] == ("2025-09-01", "2025-10-20", 1, 65.0)
    assert history[ids["Returned later"]] == ("2025-06-01", "2025-08-01", 1, 50.0)
    assert history[ids["Gift and sale"]] == ("2025-04-01", "2025-06-01", 1, 15.0)
    assert history[ids["Once"]] == ("2025-05-05", "2025-05-05", 0, 0.0)
    before = {row[0]: row[1:] for row in read(predict.purchase_history(conn, date(2026, 2, 1)))}
    assert before[ids["Returned later"]] == ("2025-06-01", "2025-08-01", 2, 50.0)
    conn.close()


def test_an_empty_book_has_no_history(isolated_book):
    conn = db.open_db(isolated_book, write=True)
    history = predict.purchase_history(conn, TODAY)
    assert len(history.customer_ids) == 0 and len(history.mean_spend) == 0
    conn.close()


@pytest.fixture
def book(cli, tmp_path):
    build_book(cli, tmp_path)


def test_below_only_gives_just_the_customers_below(book, conn):
    everyone = predict.fallen_below(conn, TODAY, threshold=0.5, min_purchases=2)
    below = predict.fallen_below(conn, TODAY, threshold=0.5, min_purchases=2, below_only=True)
    assert below and len(below) < len(everyone)
    assert below == [row for row in everyone if row["below_since"] is not None]


def test_a_limited_listing_is_the_head_of_the_whole_one(book, conn):
    whole = predict.forecast(conn, TODAY, horizon_days=90).rows
    assert len(whole) > 10
    for limit in (1, 5, len(whole) + 3):
        assert predict.forecast(conn, TODAY, horizon_days=90, limit=limit).rows == whole[:limit]
    values = predict.expected_values(conn, TODAY, horizon_days=90)
    assert values == {row["customer_id"]: row["expected_value"] for row in whole}
    assert all(isinstance(value, Decimal) for value in values.values())
    ordered = [(row["expected_value"], row["expected_purchases"]) for row in whole]
    assert ordered == sorted(ordered, reverse=True)
    a_tier = predict.forecast(conn, TODAY, horizon_days=90, tier="A").rows
    assert a_tier and a_tier == [row for row in whole if row["customer_id"] in
                                 {r["customer_id"] for r in a_tier}]  # fmt: skip


def test_money_rounds_the_decimal_form_half_up():
    tricky = [0.0, 0.005, 0.015, 0.025, 1.005, 2.675, 0.125, 10.0049999999, 123.455,
              1e-9, 99.995, 0.3, 1234567.891, 5e8 + 0.005, float("nan"), -0.0]  # fmt: skip
    chance = np.random.default_rng(7)
    values = np.array(
        tricky + list(chance.uniform(0, 1000, 2000)) + list(chance.integers(0, 10**6, 500) / 1000)
    )
    money = predict._money_values(values)
    for value, got in zip(values.tolist(), money, strict=True):
        if value != value:  # no number: as `_money` says
            continue
        expected = Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert got == expected and str(got) == str(expected), value


def test_the_likelihood_gradients_match_finite_differences():
    chance = np.random.default_rng(3)
    age = chance.uniform(5, 80, 400)
    frequency = chance.poisson(3, 400).astype(float)
    recency = np.where(frequency > 0, age * chance.uniform(0.05, 1, 400), 0.0)
    x, t_x, big_t, weight = rhythm._grouped((frequency, recency, age), None)
    book = rhythm._BgnbdBook.of(x, t_x, big_t, weight)
    matches_finite_differences(rhythm._bgnbd_log_likelihood, np.array([0.7, 6.0, 0.9, 2.5]), book)
    spend_x = np.array([1.0, 2.0, 2.0, 5.0, 9.0])
    spend = np.array([0.8, 1.3, 0.6, 1.1, 1.0])
    spend_book = rhythm._SpendBook.of(spend_x, spend, np.array([3.0, 1.0, 2.0, 1.0, 4.0]))
    matches_finite_differences(
        rhythm._gamma_gamma_log_likelihood, np.array([5.0, 3.0, 2.0]), spend_book
    )


def matches_finite_differences(likelihood, params, book) -> None:
    """The gradient `likelihood` returns equals central differences, parameter by parameter."""
    _value, gradient = likelihood(params, book)
    for k in range(len(params)):
        step = np.zeros(len(params))
        step[k] = 1e-6 * params[k]
        up, down = likelihood(params + step, book)[0], likelihood(params - step, book)[0]
        assert gradient[k] == pytest.approx((up - down) / (2 * step[k]), rel=1e-5, abs=1e-6)


def test_equal_spends_pin_down_no_spend_model():
    frequency = [16, 15, 20, 3, 5, 8, 1, 2, 0, 0]
    with pytest.raises(rhythm.TooLittleHistory, match="do not pin down"):
        rhythm.fit_gamma_gamma(frequency, [100.0] * len(frequency))
