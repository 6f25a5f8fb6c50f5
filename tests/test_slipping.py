"""The opt-in `slipping` reminder: a regular buyer whose chance of still buying (BG/NBD
p_alive) fell below `predict.alert` is due from the day it fell, and clears when they buy."""

from datetime import date, timedelta

import pytest

from salesflow import db, predict

TODAY = date(2026, 3, 16)  # SALESFLOW_TODAY in conftest


def every(start: date, step_days: int, until: date) -> list[date]:
    days, day = [], start
    while day <= until:
        days.append(day)
        day += timedelta(days=step_days)
    return days


def rhythms() -> dict[str, list[date]]:
    """A weekly buyer and a twice-a-year buyer, both silent since 2026-01-12, among steady,
    lapsed and one-off customers."""
    people = {
        "Wendy Weekly": every(date(2025, 3, 17), 7, date(2026, 1, 12)),
        "Harold Halfyear": every(date(2024, 7, 15), 182, date(2026, 1, 12)),
    }
    for n in range(5):
        people[f"Monthly active {n}"] = every(date(2024, 4 + n, 3 + n), 30, TODAY)
    for n in range(3):
        people[f"Monthly gone {n}"] = every(date(2024, 3 + n, 10), 30, date(2025, 3 + n, 1))
    for n in range(4):
        people[f"Once {n}"] = [date(2024, 5, 20) + timedelta(days=60 * n)]
    for n in range(2):
        people[f"Fortnightly {n}"] = every(date(2025, 6 + n, 1), 14, TODAY)
    return people


@pytest.fixture
def book(cli, tmp_path):
    people = rhythms()
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "name,created\n" + "".join(f"{name},2024-01-01\n" for name in people) + "Quiet,2024-01-01\n"
    )
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "customer,amount,date\n"
        + "".join(
            f"{name},{40 + 7 * (k % 5)},{day.isoformat()}\n"
            for name, days in people.items()
            for k, day in enumerate(days)
        )
    )
    cli("import", "customers", customers)
    cli("import", "sales", sales)
    # everyone was contacted yesterday and has a follow-up far ahead: only slipping is due
    # among the contact kinds
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "customer,date,summary,next\n"
        + "".join(f"{name},{TODAY - timedelta(days=1)},call,2027-01-01\n" for name in people)
    )
    cli("import", "contacts", contacts)
    return people


def slipping(cli, *options) -> dict[str, dict]:
    return {
        item["customer"]: item
        for item in cli.json("remind", *options)
        if item["kind"] == "slipping"
    }


def expected(isolated_book, as_of: date = TODAY, *, min_purchases: int = 2) -> dict[int, date]:
    conn = db.open_db(isolated_book, write=False)
    try:
        return {
            row["customer_id"]: row["below_since"]
            for row in predict.fallen_below(conn, as_of, threshold=0.5, min_purchases=min_purchases)
            if row["below_since"] is not None
        }
    finally:
        conn.close()


def test_off_by_default_and_asking_for_it_while_off_says_how_to_turn_it_on(cli, book):
    settings = {row["key"]: row["value"] for row in cli.json("config", "list")}
    assert settings["remind.slipping"] == "off"

    assert slipping(cli) == {}
    refused = cli("remind", "--kind", "slipping", code=1)
    assert "config set remind.slipping on" in refused.stderr
    cli("config", "set", "remind.slipping", "maybe", code=2)


def test_regular_buyers_whose_chance_fell_are_due_from_the_day_it_fell(cli, book, isolated_book):
    cli("config", "set", "remind.slipping", "on")

    found = slipping(cli)

    fell = expected(isolated_book)
    ids = {item["customer_id"]: name for name, item in found.items()}
    assert set(ids) == set(fell)
    assert "Wendy Weekly" in found  # weekly, silent for two months
    assert "Harold Halfyear" not in found  # twice a year, silent for two months: fine
    assert not any(name.startswith(("Once", "Monthly active")) for name in found)
    for item in found.values():
        assert item["due"] == fell[item["customer_id"]].isoformat()
        assert item["days_overdue"] == (TODAY - fell[item["customer_id"]]).days
        assert item["detail"].startswith("chance of still buying 0.")
        assert f"since {item['due']}" in item["detail"]
        assert item["deal_id"] is None and item["product"] is None
    wendy = found["Wendy Weekly"]
    assert date(2026, 1, 12) < date.fromisoformat(wendy["due"]) <= TODAY
    assert "last sale 2026-01-12" in wendy["detail"]
    # the same situation has the same key on the next run
    assert slipping(cli)["Wendy Weekly"]["key"] == wendy["key"]
    # slipping comes last in the list, after the nine kinds of the first release
    assert cli.json("remind")[-1]["kind"] == "slipping"


def test_it_appears_once_the_silence_is_long_and_clears_when_they_buy(cli, book):
    cli("config", "set", "remind.slipping", "on")

    assert "Wendy Weekly" not in slipping(cli, "--as-of", "2026-01-13")
    assert "Wendy Weekly" in slipping(cli)

    cli("sale", "add", "Wendy Weekly", "--amount", "50", "--date", TODAY.isoformat())
    assert "Wendy Weekly" not in slipping(cli)


def test_done_holds_until_they_buy_again(cli, book):
    cli("config", "set", "remind.slipping", "on")
    listed = slipping(cli)["Wendy Weekly"]
    key = listed["key"]

    [handled] = cli.json("remind", "done", key, "--format", "json")
    assert {name: handled[name] for name in listed} == listed  # the item as the list shows it
    assert handled["state"] == "done"

    assert "Wendy Weekly" not in slipping(cli)
    later = (TODAY + timedelta(days=10)).isoformat()
    assert "Wendy Weekly" not in slipping(cli, "--as-of", later)
    shown = {item["customer"]: item for item in cli.json("remind", "--all", "--as-of", later)}
    assert (shown["Wendy Weekly"]["key"], shown["Wendy Weekly"]["state"]) == (key, "done")


def test_min_purchases_and_the_alert_are_the_predict_settings(cli, book, isolated_book):
    cli("config", "set", "remind.slipping", "on")

    cli("config", "set", "predict.min_purchases", "50")  # Wendy has 44 purchase days
    assert "Wendy Weekly" not in slipping(cli)
    cli("config", "set", "predict.min_purchases", "2")
    cli("config", "set", "predict.alert", "0.000001")
    assert slipping(cli) == {}


def test_the_brief_counts_slipping_customers(cli, book):
    cli("config", "set", "remind.slipping", "on")

    summary = cli.json("remind", "--brief", "--kind", "slipping")

    assert [section["kind"] for section in summary["kinds"]] == ["slipping"]
    assert summary["due"] == len(slipping(cli))


def test_a_book_too_young_to_fit_has_nobody_slipping_and_the_list_still_runs(cli):
    cli("config", "set", "remind.slipping", "on")
    cli("customer", "add", "张三", "--created", "2026-03-10")
    cli("sale", "add", "张三", "--amount", "10", "--date", "2026-03-10")
    cli("log", "张三", "hi", "--at", "2026-03-15")

    result = cli("remind", "--kind", "slipping")

    assert (result.stdout, result.stderr) == ("", "")
