"""`salesflow predict`: who is still buying, from a hand-built book of known rhythms."""

import json
import math
from datetime import date, timedelta

import pytest

from salesflow import predict, rhythm
from salesflow.predict import MODEL_KEYS, PREDICTION_KEYS
from salesflow.rhythm import PurchaseRhythm, SpendModel

TODAY = date(2026, 3, 16)  # SALESFLOW_TODAY in conftest
HORIZON_WEEKS = 90 / 7


def every(start: date, step_days: int, until: date) -> list[date]:
    days, day = [], start
    while day <= until:
        days.append(day)
        day += timedelta(days=step_days)
    return days


def rhythms() -> dict[str, tuple[str, str, list[date]]]:
    """name → (owner, tier, purchase days): a weekly buyer and a twice-a-year buyer both
    silent since 2026-01-12, among steady, lapsed and one-off customers."""
    people = {
        "Wendy Weekly": ("李娜", "A", every(date(2025, 3, 17), 7, date(2026, 1, 12))),
        "Harold Halfyear": ("王强", "B", every(date(2024, 7, 15), 182, date(2026, 1, 12))),
    }
    for n in range(6):
        people[f"Monthly active {n}"] = ("李娜", "B", every(date(2024, 4 + n, 3 + n), 30, TODAY))
    for n in range(4):
        people[f"Monthly gone {n}"] = (
            "王强",
            "C",
            every(date(2024, 3 + n, 10), 30, date(2025, 3 + n, 1)),
        )
    for n in range(5):
        people[f"Once {n}"] = ("王强", "D", [date(2024, 5, 20) + timedelta(days=60 * n)])
    for n in range(3):
        people[f"Fortnightly {n}"] = ("李娜", "A", every(date(2025, 6 + n, 1), 14, TODAY))
    for n in range(3):
        people[f"Quarterly {n}"] = ("王强", "", every(date(2024, 4, 1 + 7 * n), 91, TODAY))
    return people


def build_book(cli, tmp_path, *, flat_amount: int | None = None, extra_sales: str = "") -> None:
    people = rhythms()
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "name,owner,tier\n"
        + "".join(f"{name},{owner},{tier}\n" for name, (owner, tier, _days) in people.items())
        + "Tiny,李娜,C\n"
    )
    lines = []
    for index, (name, (_owner, _tier, days)) in enumerate(people.items()):
        for k, day in enumerate(days):
            amount = flat_amount or 40 + 13 * ((index + k) % 7) + 5 * index
            lines.append(f"{name},{amount},{day.isoformat()}\n")
    sales = tmp_path / "sales.csv"
    sales.write_text("customer,amount,date\n" + "".join(lines) + extra_sales)
    cli("import", "customers", customers)
    cli("import", "sales", sales)


# A tiny history: two order lines on the first day (one purchase worth 50), a gift worth
# nothing (no purchase), then purchases of 80 and 100.
TINY_SALES = (
    "Tiny,30,2025-11-03\nTiny,20,2025-11-03\nTiny,0,2025-12-01\n"
    "Tiny,80,2025-12-15\nTiny,100,2026-02-02\n"
)


@pytest.fixture
def book(cli, tmp_path):
    build_book(cli, tmp_path, extra_sales=TINY_SALES)


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["customer"]: row for row in rows}


def test_a_weekly_buyer_silent_two_months_is_likely_gone_a_twice_a_year_buyer_is_not(cli, book):
    rows = by_name(cli.json("predict"))
    weekly, half_yearly = rows["Wendy Weekly"], rows["Harold Halfyear"]
    assert (weekly["frequency"], weekly["recency_weeks"], weekly["age_weeks"]) == (43, 43.0, 52.0)
    assert (half_yearly["frequency"], half_yearly["recency_weeks"]) == (3, 78.0)
    assert weekly["p_alive"] < 0.1
    assert half_yearly["p_alive"] > 0.7
    assert weekly["expected_purchases"] < half_yearly["expected_purchases"]
    # Steady buyers are alive; customers who stopped a year ago are not.
    assert all(rows[f"Monthly active {n}"]["p_alive"] > 0.9 for n in range(6))
    assert all(rows[f"Monthly gone {n}"]["p_alive"] < 0.1 for n in range(4))
    assert all(rows[f"Once {n}"]["p_alive"] == 1.0 for n in range(5))


def test_the_list_is_ordered_by_expected_value_and_has_the_documented_keys(cli, book):
    rows = cli.json("predict")
    assert len(rows) == len(rhythms()) + 1
    assert all(list(row) == PREDICTION_KEYS for row in rows)
    values = [row["expected_value"] for row in rows]
    assert values == sorted(values, reverse=True)
    assert all(isinstance(value, float) and value >= 0 for value in values)
    model = cli.json("predict", "--model")
    assert list(model) == MODEL_KEYS
    assert model["repeat_customers"] == len(rhythms()) + 1 - 5
    # Rhythms built by the calendar share one dropout chance: a + b stops at its ceiling.
    assert model["a"] + model["b"] >= rhythm.POINT_MASS
    assert 0 < model["a"] / (model["a"] + model["b"]) < 0.1


def test_a_tiny_history_matches_the_hand_computed_values(cli, book):
    row = by_name(cli.json("predict"))["Tiny"]
    model = cli.json("predict", "--model")
    # Purchase days 2025-11-03, 2025-12-15 and 2026-02-02; the gift day is not a purchase.
    x, t_x, big_t = 2, 91 / 7, 133 / 7
    assert (row["frequency"], row["recency_weeks"], row["age_weeks"]) == (2, 13.0, 19.0)
    r, alpha, a, b = model["r"], model["alpha"], model["a"], model["b"]
    odds = a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    assert row["p_alive"] == pytest.approx(1 / (1 + odds), abs=2e-4)
    params = PurchaseRhythm(r=r, alpha=alpha, a=a, b=b, log_likelihood=0.0)
    purchases = float(rhythm.expected_purchases(params, x, t_x, big_t, HORIZON_WEEKS))
    assert row["expected_purchases"] == pytest.approx(purchases, rel=1e-3, abs=1e-3)
    # Gamma-Gamma: the customer's repeat average (80 + 100) / 2 weighed against the book's.
    p, q, gamma = model["p"], model["q"], model["gamma"]
    spend = p * (gamma + x * 90.0) / (p * x + q - 1)
    assert spend == pytest.approx(
        float(rhythm.expected_spend(SpendModel(p, q, gamma, 0), x, 90.0)), rel=1e-12
    )
    assert row["expected_value"] == pytest.approx(purchases * spend, rel=2e-3)


def test_a_longer_horizon_expects_more_and_units_agree(cli, book):
    def weekly_buyer(*options: str) -> dict:
        return by_name(cli.json("predict", *options))["Monthly active 0"]

    ninety = weekly_buyer()
    assert weekly_buyer("--horizon", "90d") == ninety
    assert weekly_buyer("--horizon", "90") == ninety
    assert weekly_buyer("--horizon", "12w") == weekly_buyer("--horizon", "84d")
    assert weekly_buyer("--horizon", "1y")["expected_purchases"] > ninety["expected_purchases"]
    months = weekly_buyer("--horizon", "3m")  # 2026-03-16 → 2026-06-16: 92 days
    assert months == weekly_buyer("--horizon", "92d")


def test_filters_narrow_the_list_not_the_fit(cli, book):
    everyone = cli.json("predict")
    only = cli.json("predict", "--customer", "Wendy")
    assert only == [row for row in everyone if row["customer"] == "Wendy Weekly"]
    tier_a = cli.json("predict", "--tier", "a")
    assert {row["customer"] for row in tier_a} == {"Wendy Weekly"} | {
        f"Fortnightly {n}" for n in range(3)
    }
    untiered = cli.json("predict", "--tier", "none")
    assert {row["customer"] for row in untiered} == {f"Quarterly {n}" for n in range(3)}
    owned = cli.json("predict", "--owner", "王强")
    assert len(owned) == 1 + 4 + 5 + 3
    assert all(row in everyone for row in owned)
    assert cli.json("predict", "--limit", "3") == everyone[:3]


def test_as_of_ignores_later_sales(cli, book):
    before = cli.json("predict", "--as-of", "2026-01-31")
    model = cli.json("predict", "--model", "--as-of", "2026-01-31")
    assert by_name(before)["Wendy Weekly"]["age_weeks"] == pytest.approx(
        (date(2026, 1, 31) - date(2025, 3, 17)).days / 7, abs=0.005
    )
    cli("sale", "add", "Wendy Weekly", "--amount", "70", "--date", "2026-02-10")
    cli("sale", "add", "Harold Halfyear", "--amount", "70", "--date", "2026-03-01")
    assert cli.json("predict", "--as-of", "2026-01-31") == before
    assert cli.json("predict", "--model", "--as-of", "2026-01-31") == model
    assert cli.json("predict", "--model") != model


def test_table_and_csv_show_every_customer(cli, book, tmp_path):
    table = cli("predict").stdout
    assert "Wendy Weekly" in table and "P(alive)" in table
    target = tmp_path / "out.csv"
    cli("predict", "--format", "csv", "-o", target)
    lines = target.read_text().splitlines()
    assert lines[0] == ",".join(PREDICTION_KEYS)
    assert len(lines) == len(rhythms()) + 2
    shown = cli("predict", "--model").stdout
    assert "alpha" in shown and "repeat_customers" in shown


def test_an_empty_book_is_refused(cli):
    for options in ((), ("--model",)):
        result = cli("predict", *options, code=1)
        assert result.stdout == ""
        assert result.stderr.startswith("Error: too little purchase history")
        assert "0 customers with purchases" in result.stderr


def test_a_book_where_nobody_bought_twice_is_refused(cli, tmp_path):
    sales = tmp_path / "once.csv"
    sales.write_text(
        "customer,amount,date\n"
        + "".join(f"Customer {n},{10 + n},2025-0{n + 1}-10\n" for n in range(7))
    )
    cli("import", "sales", sales, "--create-customers")
    for options in ((), ("--model",)):
        result = cli("predict", *options, code=1)
        assert "none of the 7 customers has bought a second time" in result.stderr
        assert result.stdout == ""


def test_gifts_alone_are_no_purchase_history(cli, tmp_path):
    sales = tmp_path / "gifts.csv"
    sales.write_text(
        "customer,amount,date\n"
        + "".join(f"Customer {n},0,2025-0{day}-10\n" for n in range(6) for day in (1, 2, 3))
    )
    cli("import", "sales", sales, "--create-customers")
    assert "0 customers with purchases" in cli("predict", code=1).stderr


def test_spend_that_cannot_be_modelled_leaves_values_out_and_says_why(cli, tmp_path):
    build_book(cli, tmp_path, flat_amount=100)
    result = cli("predict", "--format", "json")
    rows = json.loads(result.stdout)
    assert rows and all(row["expected_value"] is None for row in rows)
    assert "Expected values left out" in result.stderr
    purchases = [row["expected_purchases"] for row in rows]
    assert purchases == sorted(purchases, reverse=True)
    model = cli.json("predict", "--model")
    assert (model["p"], model["q"], model["gamma"]) == (None, None, None)
    assert model["r"] > 0


def test_bad_options_are_refused(cli, book):
    for horizon in ("3x", "0d", "-5d", "20y", "soon"):
        result = cli("predict", "--horizon", horizon, code=2)
        assert "horizon" in result.stderr
    assert "no customer" in cli("predict", "--customer", "Nobody", code=1).stderr
    assert "tier" in cli("predict", "--tier", "Z", code=2).stderr
    cli("predict", "--as-of", "someday", code=2)
    cli("predict", "--limit", "0", code=2)


def test_settings_for_the_slipping_alert_are_registered(cli):
    settings = {row["key"]: row for row in cli.json("config", "list")}
    assert settings["predict.min_purchases"]["value"] == 2
    assert settings["predict.alert"]["value"] == "0.5"
    cli("config", "set", "predict.alert", "0.3")
    assert cli("config", "get", "predict.alert").stdout == "0.3\n"
    for bad in ("0", "1", "1.5", "half"):
        cli("config", "set", "predict.alert", bad, code=2)
    cli("config", "set", "predict.min_purchases", "0", code=2)


def test_fallen_below_gives_the_day_the_chance_of_buying_fell(cli, book, conn):
    history, fitted = predict.fit_book(conn, TODAY)
    rows = {
        row["customer_id"]: row
        for row in predict.fallen_below(conn, TODAY, threshold=0.5, min_purchases=2)
    }
    names = dict(conn.execute("SELECT id, name FROM customers"))
    ids = {name: row_id for row_id, name in names.items()}
    assert not {ids[f"Once {n}"] for n in range(5)} & rows.keys()
    weekly, half_yearly = rows[ids["Wendy Weekly"]], rows[ids["Harold Halfyear"]]
    assert half_yearly["below_since"] is None and half_yearly["p_alive"] > 0.5
    fell = weekly["below_since"]
    assert date(2026, 1, 12) < fell <= TODAY
    first = date(2025, 3, 17)

    def alive_on(day: date) -> float:
        return float(rhythm.p_alive(fitted.rhythm, 43, 43.0, (day - first).days / 7))

    assert alive_on(fell) < 0.5 <= alive_on(fell - timedelta(days=1))
    assert weekly["p_alive"] == pytest.approx(alive_on(TODAY))
    assert weekly["purchase_days"] == 44
    below = {names[row_id] for row_id, row in rows.items() if row["below_since"]}
    assert below == {"Wendy Weekly"} | {f"Monthly gone {n}" for n in range(4)}
    everyone = predict.fallen_below(conn, TODAY, threshold=0.5, min_purchases=1)
    assert len(everyone) == len(history.customer_ids)
    assert all(row["below_since"] is None for row in everyone if row["purchase_days"] == 1)


def test_the_horizon_reads_days_weeks_months_and_years():
    assert predict.parse_horizon("90d", TODAY) == 90
    assert predict.parse_horizon("12W", TODAY) == 84
    assert predict.parse_horizon("1y", TODAY) == 365
    assert predict.parse_horizon("1m", date(2026, 2, 1)) == 28
    assert math.isclose(predict.parse_horizon(" 30 ", TODAY), 30)


def test_a_fresh_process_knows_the_predict_settings(isolated_book):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "salesflow", "config", "get", "predict.alert"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "0.5\n")
