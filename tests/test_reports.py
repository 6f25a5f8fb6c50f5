"""Reports compared with sums computed independently in the test."""

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from salesflow import db, reports

REPS = ("李娜", "王强", "Emily")
STORES = ("福田店", "Online")


@pytest.fixture
def sales_book(conn):
    """Two years of random sales; returns the rows as the test knows them."""
    chance = random.Random(7)
    known = []
    with db.change(conn, "test") as change:
        for number in range(1, 6):
            change.insert(
                "customers",
                {
                    "name": f"客户{number}",
                    "created_at": "2024-01-01",
                    "source": chance.choice(["web", "event"]),
                    "tier": chance.choice(["A", "B", None]),
                },
            )
        for name, category in (("茶", "食品"), ("笔", "办公")):
            change.insert("products", {"name": name, "category": category, "price_cents": 100})
        for _ in range(600):
            row = {
                "customer_id": chance.randint(1, 5),
                "product_id": chance.choice([1, 2, None]),
                "quantity": chance.randint(1, 4),
                "amount_cents": chance.randint(0, 500000),
                "date": (date(2025, 1, 1) + timedelta(days=chance.randint(0, 729))).isoformat(),
                "rep": chance.choice(REPS),
                "department": chance.choice(["华南", None]),
                "store": chance.choice(STORES),
            }
            change.insert("sales", row)
            known.append(row)
    return known


def independent(known, start, end, label, dims):
    totals = defaultdict(lambda: [0, 0, 0])
    for row in known:
        day = date.fromisoformat(row["date"])
        if start <= day <= end:
            key = (label(day), *(row[d] for d in dims))
            totals[key][0] += 1
            totals[key][1] += row["quantity"]
            totals[key][2] += row["amount_cents"]
    return {key: (o, q, Decimal(c) / 100) for key, (o, q, c) in totals.items()}


def as_map(rows, dims):
    return {
        (r["period"], *(r[d] for d in dims)): (r["orders"], r["quantity"], r["amount"])
        for r in rows
    }


@pytest.mark.parametrize(
    ("interval", "label"),
    [
        ("month", lambda d: f"{d.year}-{d.month:02d}"),
        ("quarter", lambda d: f"{d.year}-Q{(d.month - 1) // 3 + 1}"),
        ("year", lambda d: str(d.year)),
        ("day", lambda d: d.isoformat()),
        ("week", lambda d: "{}-W{:02d}".format(*d.isocalendar()[:2])),
    ],
)
def test_sales_by_period_and_rep_match_independent_sums(conn, sales_book, interval, label):
    start, end = date(2025, 1, 1), date(2026, 12, 31)
    rows = reports.sales_report(conn, start=start, end=end, interval=interval, by=["rep"])
    assert as_map(rows, ["rep"]) == independent(sales_book, start, end, label, ["rep"])


@pytest.mark.parametrize("interval", ["month", "quarter", "year"])
def test_a_report_read_by_day_from_the_index_folds_into_the_same_periods(
    conn, sales_book, interval
):
    """By rep (or by nothing) the report reads a group per day from the index and folds the
    days into periods; by rep and store it groups by the period in SQL. Both agree."""
    start, end = date(2025, 2, 10), date(2026, 11, 20)
    by_rep = reports.sales_report(conn, start=start, end=end, interval=interval, by=["rep"])
    by_rep_and_store = reports.sales_report(
        conn, start=start, end=end, interval=interval, by=["rep", "store"]
    )
    folded = defaultdict(lambda: [0, 0, Decimal(0)])
    for row in by_rep_and_store:
        found = folded[(row["period"], row["rep"])]
        found[0] += row["orders"]
        found[1] += row["quantity"]
        found[2] += row["amount"]
    assert as_map(by_rep, ["rep"]) == {key: tuple(value) for key, value in folded.items()}
    whole = reports.sales_report(conn, start=start, end=end, interval=interval, by=[])
    periods = defaultdict(Decimal)
    for row in by_rep:
        periods[row["period"]] += row["amount"]
    assert {row["period"]: row["amount"] for row in whole} == dict(periods)


def test_multi_dimension_and_partial_range(conn, sales_book):
    start, end = date(2025, 3, 15), date(2025, 11, 2)
    dims = ["department", "store"]
    rows = reports.sales_report(conn, start=start, end=end, interval="month", by=dims)
    expected = independent(sales_book, start, end, lambda d: f"{d.year}-{d.month:02d}", dims)
    assert as_map(rows, dims) == expected


def test_no_interval_and_no_dimension_is_one_total(conn, sales_book):
    start, end = date(2025, 1, 1), date(2026, 12, 31)
    rows = reports.sales_report(conn, start=start, end=end, interval="none", by=[])
    assert len(rows) == 1
    assert rows[0]["amount"] == sum(Decimal(r["amount_cents"]) for r in sales_book) / 100
    assert rows[0]["period"] == "2025-01-01..2026-12-31"


def test_year_over_year_and_previous_period(conn, sales_book):
    rows = reports.sales_report(
        conn,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        interval="month",
        by=["store"],
        compare="yoy",
    )
    monthly = independent(
        sales_book, date(2025, 1, 1), date(2026, 12, 31), lambda d: (d.year, d.month), ["store"]
    )
    for row in rows:
        year, month = int(row["period"][:4]), int(row["period"][5:])
        before = monthly.get(((year - 1, month), row["store"]), (0, 0, Decimal(0)))[2]
        assert row["previous_amount"] == before
        now = row["amount"]
        assert row["change_pct"] == (
            None if not before else round(float(100 * (now - before) / before), 1)
        )
    rows = reports.sales_report(
        conn, start=date(2026, 1, 1), end=date(2026, 3, 31), interval="month", by=[], compare="prev"
    )
    for row, previous in zip(rows, [(2025, 12), (2026, 1), (2026, 2)], strict=True):
        expected = sum(v[2] for k, v in monthly.items() if k[0] == previous)
        assert row["previous_amount"] == expected


def test_customer_and_product_dimensions_carry_ids(conn, sales_book):
    rows = reports.sales_report(
        conn,
        start=date(2025, 1, 1),
        end=date(2026, 12, 31),
        interval="none",
        by=["customer", "product"],
    )
    assert {"customer_id", "customer", "product_id", "product"} <= set(rows[0])
    assert sum(r["orders"] for r in rows) == len(sales_book)


def test_cli_sales_report_keys_csv_total_and_chart(cli, tmp_path):
    cli("customer", "add", "张三", "--owner", "李娜", "--store", "福田店")
    cli("sale", "add", "张三", "--amount", "100.10", "--date", "2026-01-05")
    cli("sale", "add", "张三", "--amount", "0.20", "--date", "2026-02-05")
    rows = cli.json("report", "sales", "--year", "2026", "--by", "rep,store")
    assert [(r["period"], r["rep"], r["store"], r["amount"]) for r in rows] == [
        ("2026-01", "李娜", "福田店", 100.1),
        ("2026-02", "李娜", "福田店", 0.2),
    ]
    assert set(rows[0]) == {
        "period", "rep", "store", "orders", "quantity", "amount", "returned_amount"
    }  # fmt: skip
    out = tmp_path / "r.csv"
    cli("report", "sales", "--year", "2026", "--by", "rep", "--format", "csv", "-o", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "period,rep,orders,quantity,amount,returned_amount"
    assert lines[1] == "2026-01,李娜,1,1,100.10,0.00"
    table = cli("report", "sales", "--year", "2026", "--chart").stdout
    assert "Total" in table and "100.30" in table and "█" in table
    cli("report", "sales", "--by", "colour", code=2)
    cli("report", "sales", "--year", "2026", "--month", "2026-01", code=2)
    cli("report", "sales", "--month", "2026-13", code=2)


def test_pipeline_report_weights_amount_by_probability(cli):
    cli("customer", "add", "华为", "--owner", "李娜")
    cli("deal", "add", "华为", "a", "--amount", "1000")  # development 10%
    cli(
        "deal",
        "add",
        "华为",
        "b",
        "--amount",
        "500",
        "--probability",
        "50",
        "--close",
        "2026-05-01",
    )
    cli("deal", "add", "华为", "c", "--amount", "999")
    cli("deal", "lost", "3", "--reason", "x")
    rows = cli.json("report", "pipeline")
    assert rows == [
        {
            "pipeline": "key-account",
            "stage": "development",
            "count": 2,
            "amount": 1500.0,
            "weighted_amount": 350.0,
            "deposits": 0,
        }
    ]
    by_month = cli.json("report", "pipeline", "--by", "close-month")
    assert {(r["close_month"], r["count"]) for r in by_month} == {(None, 1), ("2026-05", 1)}


def test_funnel_counts_reach_conversion_and_wins(cli, monkeypatch):
    cli("customer", "add", "华为")
    for title in ("a", "b", "c"):
        cli("deal", "add", "华为", title)
    monkeypatch.setenv("SALESFLOW_TODAY", "2026-03-26")
    cli("deal", "advance", "1", "--force", "--reason", "x")
    cli("deal", "advance", "2", "--force", "--reason", "x", "--to", "proposal")
    cli("deal", "won", "2", "--force", "--reason", "x")
    cli("deal", "lost", "3", "--reason", "x")
    rows = {r["stage"]: r for r in cli.json("report", "funnel", "--pipeline", "key-account")}
    assert (rows["development"]["reached"], rows["development"]["advanced"]) == (3, 2)
    assert rows["development"]["conversion_pct"] == 66.7
    assert rows["initiation"]["reached"] == 2 and rows["proposal"]["reached"] == 1
    assert rows["development"]["avg_days"] == 10.0
    assert (rows["development"]["won"], rows["development"]["lost"]) == (1, 1)
    assert rows["development"]["win_rate_pct"] == 50.0
    assert rows["implementation"]["conversion_pct"] is None


def test_activity_and_member_statistics(cli):
    cli("customer", "add", "a", "--owner", "李娜", "--created", "2025-06-01", "--source", "web")
    cli("customer", "add", "b", "--owner", "王强", "--created", "2026-02-01", "--source", "web")
    cli("customer", "add", "c", "--created", "2026-02-01", "--source", "event")
    cli("log", "a", "x", "--at", "2026-01-05", "--channel", "visit")
    cli("log", "b", "y", "--at", "2026-01-06 10:00")
    cli("log", "b", "z", "--at", "2026-02-06")
    activity = cli.json("report", "activity", "--year", "2026")
    assert [(r["period"], r["rep"], r["contacts"]) for r in activity] == [
        ("2026-01", "李娜", 1),
        ("2026-01", "王强", 1),
        ("2026-02", "王强", 1),
    ]
    by_channel = cli.json(
        "report", "activity", "--year", "2026", "--interval", "none", "--by", "channel"
    )
    assert {(r["channel"], r["contacts"]) for r in by_channel} == {("visit", 1), ("call", 2)}
    cli("sale", "add", "a", "--amount", "10", "--date", "2026-03-01")
    cli("sale", "add", "a", "--amount", "5", "--date", "2025-03-01")
    members = cli.json("report", "customers", "--by", "source", "--year", "2026")
    assert members == [
        {"source": "event", "customers": 1, "new": 1, "buying": 0, "amount": 0.0},
        {"source": "web", "customers": 2, "new": 1, "buying": 1, "amount": 10.0},
    ]
