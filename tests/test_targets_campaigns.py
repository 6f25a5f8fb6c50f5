"""Targets by channel: a target list filtered by tier, owner, store, tag and score, with
phone and email, as an SMS platform's upload, or ranked by predicted value; campaigns to a
list logged as one contact per customer in one step, and what they sold."""

import csv
import io
import json
import sqlite3
from datetime import date, timedelta

import pytest
from test_predict import build_book

CUSTOMERS = [
    # name, tier, owner, store, tag, urgency, quick effect, price fit, phone, email
    ("张三", "A", "李娜", "南京路店", "vip", 5, 5, 4, "138 0013 8000", "zs@example.com"),
    ("李四", "A", "王强", "南京路店", "vip", 3, 3, 3, "139 0013 9000", None),
    ("王五", "B", "李娜", "淮海路店", "", 4, 4, 4, None, "ww@example.com"),
    ("赵六", "C", "李娜", "南京路店", "vip", 1, 1, 1, "+86 137 0013 7000", None),
    ("孙七", "", "王强", "淮海路店", "", None, None, None, "136 0013 6000", None),
]


@pytest.fixture
def book(cli):
    for name, tier, owner, store, tag, urgency, quick, fit, phone, email in CUSTOMERS:
        options = ["--owner", owner, "--store", store]
        options += ["--tier", tier] if tier else []
        options += ["--tag", tag] if tag else []
        given = {"--urgency": urgency, "--quick-effect": quick, "--price-fit": fit,
                 "--phone": phone, "--email": email}  # fmt: skip
        for flag, value in given.items():
            options += [flag, str(value)] if value is not None else []
        cli("customer", "add", name, *options)


def names(rows):
    return [row["customer"] for row in rows]


def test_targets_rank_by_score_and_show_phone_and_email(cli, book):
    rows = cli.json("targets")
    assert names(rows) == ["张三", "王五", "李四", "赵六", "孙七"]
    first = rows[0]
    assert (first["score"], first["phone"], first["email"], first["owner"], first["store"]) == (
        14,
        "138 0013 8000",
        "zs@example.com",
        "李娜",
        "南京路店",
    )
    table = cli("targets").stdout
    assert "Phone" in table and "zs@example.com" in table


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["--tier", "A"], ["张三", "李四"]),
        (["--tier", "none"], ["孙七"]),
        (["--owner", "李娜"], ["张三", "王五", "赵六"]),
        (["--store", "南京路店"], ["张三", "李四", "赵六"]),
        (["--tag", "VIP"], ["张三", "李四", "赵六"]),
        (["--min-score", "9"], ["张三", "王五", "李四"]),
        (["--tag", "vip", "--owner", "李娜", "--limit", "1"], ["张三"]),
    ],
)
def test_targets_filters(cli, book, filters, expected):
    assert names(cli.json("targets", *filters)) == expected


def test_targets_for_an_sms_platform_is_name_and_mobile(cli, book, tmp_path):
    out = tmp_path / "sms.csv"
    cli("targets", "--tag", "vip", "--for", "sms", "--format", "csv", "-o", out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows == [
        ["name", "mobile"],
        ["张三", "13800138000"],
        ["李四", "13900139000"],
        ["赵六", "13700137000"],
    ]
    # Customers without a phone are left out of an SMS list.
    assert [r["name"] for r in cli.json("targets", "--for", "sms")] == [
        "张三",
        "李四",
        "赵六",
        "孙七",
    ]


def test_targets_refusals(cli, book):
    cli("targets", "--tier", "E", code=2)
    cli("targets", "--by", "worth", code=2)
    cli("targets", "--for", "fax", code=2)
    assert "history" in cli("targets", "--by", "value", code=1).stderr  # no sales to fit


def test_targets_by_value_follow_the_predicted_value(cli, tmp_path):
    build_book(cli, tmp_path)
    cli("customer", "add", "Never bought", "--urgency", "5", "--quick-effect", "5")
    predicted = {row["customer"]: row["expected_value"] for row in cli.json("predict")}
    rows = cli.json("targets", "--by", "value")
    values = [row["expected_value"] for row in rows]
    # Customers who never bought come last, by score: nothing to predict from.
    assert names(rows)[-2:] == ["Never bought", "Tiny"] and values[-2:] == [None, None]
    assert values[:-2] == sorted(values[:-2], reverse=True)
    assert {row["customer"]: row["expected_value"] for row in rows[:-2]} == predicted
    assert "Expected value" in cli("targets", "--by", "value", "--limit", "3").stdout


def worth(rows) -> dict:
    return {row["customer"]: row["expected_value"] for row in rows if row["expected_value"]}


def test_targets_by_value_take_the_forecasts_horizon_and_day(cli, tmp_path):
    """The ranking by value looks as far ahead, and as of the day, `predict` is told to."""
    build_book(cli, tmp_path)
    for options in ([], ["--horizon", "1y"], ["--horizon", "30d", "--as-of", "2026-01-31"]):
        predicted = worth(cli.json("predict", *options))
        assert len(predicted) >= 3, options
        assert worth(cli.json("targets", "--by", "value", *options)) == predicted, options
    a_year, a_quarter = (
        worth(cli.json("targets", "--by", "value", *options))
        for options in (["--horizon", "1y"], [])
    )
    assert all(a_year[name] > a_quarter[name] for name in a_quarter)


def test_targets_by_value_as_of_a_day_leave_out_customers_not_there_yet(
    cli, tmp_path, isolated_book
):
    """As of a day, a customer is there if added by then, or if they had bought by then
    (imported today with their past purchases)."""
    build_book(cli, tmp_path)  # every customer added today, 2026-03-16, with past sales
    cli("customer", "add", "Latecomer", "--urgency", "5")
    day = "2026-01-31"
    with sqlite3.connect(isolated_book) as conn:
        conn.execute("UPDATE customers SET created_at = '2026-01-02' WHERE name = 'Tiny'")
        bought = {name for (name,) in conn.execute(
            "SELECT DISTINCT c.name FROM customers c JOIN sales s ON s.customer_id = c.id"
            " WHERE s.date <= ?", [day]
        )}  # fmt: skip
    today = {row["customer"] for row in cli.json("targets", "--by", "value")}
    then = {row["customer"] for row in cli.json("targets", "--by", "value", "--as-of", day)}
    assert {"Latecomer", "Tiny"} <= today
    assert "Tiny" not in bought and len(bought) >= 3
    assert then == bought | {"Tiny"}  # Tiny: added on 2026-01-02, no purchase by then


def test_targets_by_value_say_when_no_value_can_be_predicted(cli, tmp_path):
    build_book(cli, tmp_path, flat_amount=100)  # one spend for all: no spend model
    result = cli("targets", "--by", "value", "--format", "json")
    rows = json.loads(result.stdout)
    assert rows and all(row["expected_value"] is None for row in rows)
    assert "No expected values to rank by" in result.stderr
    assert [row["score"] for row in rows] == sorted((row["score"] for row in rows), reverse=True)


def test_targets_by_value_say_nothing_when_values_rank_them(cli, tmp_path):
    build_book(cli, tmp_path)
    assert cli("targets", "--by", "value").stderr == ""


def test_predict_refuses_an_empty_horizon(cli, tmp_path):
    build_book(cli, tmp_path)
    assert "cannot read horizon ''" in cli("predict", "--horizon", "", code=2).stderr


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        (["--horizon", "3m"], "--horizon and --as-of go with --by value"),
        (["--as-of", "2026-01-01"], "--horizon and --as-of go with --by value"),
        (["--by", "value", "--horizon", "soon"], "cannot read horizon 'soon'"),
        (["--by", "value", "--horizon", ""], "cannot read horizon ''"),
        (["--by", "value", "--as-of", "someday"], "someday"),
    ],
)
def test_targets_refuse_a_horizon_without_a_forecast_and_one_they_cannot_read(
    cli, book, options, refusal
):
    assert refusal in cli("targets", *options, code=2).stderr


def test_campaign_log_from_targets_is_one_undoable_step(cli, book):
    added = cli.json("campaign", "add", "春季会员日", "--channel", "sms", "--date", "2026-03-10")
    assert (added["channel"], added["date"], added["reached"]) == ("sms", "2026-03-10", 0)
    logged = cli("campaign", "log", "春季会员日", "--targets", "--tag", "vip", "--owner", "李娜")
    assert "Logged 2 contacts" in logged.stderr
    contacts = cli.json("contact", "list")
    assert [(c["customer"], c["channel"], c["at"], c["by"], c["summary"]) for c in contacts] == [
        ("张三", "sms", "2026-03-10", "李娜", "Campaign 春季会员日"),
        ("赵六", "sms", "2026-03-10", "李娜", "Campaign 春季会员日"),
    ]
    again = cli("campaign", "log", "春季会员日", "--tag", "vip")
    assert "Logged 1 contacts" in again.stderr and "2 customers" in again.stderr
    assert cli.json("campaign", "list")[0]["reached"] == 3
    cli("undo")
    cli("undo")
    assert cli.json("contact", "list") == []


def test_campaign_log_from_a_file(cli, book, tmp_path):
    cli("campaign", "add", "周年庆", "--channel", "event", "--date", "2026-03-01")
    sms = tmp_path / "sms.csv"
    cli("targets", "--tier", "A", "--for", "sms", "--format", "csv", "-o", sms)
    cli("campaign", "log", "周年庆", "--file", sms, "--at", "2026-03-02")
    reached = cli.json("contact", "list")
    assert [(c["customer"], c["channel"], c["at"]) for c in reached] == [
        ("张三", "meeting", "2026-03-02"),
        ("李四", "meeting", "2026-03-02"),
    ]
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("姓名,备注\n王五,老客户\n".encode("gb18030"))
    cli("campaign", "log", "周年庆", "--file", gbk)
    assert len(cli.json("contact", "list")) == 3


def test_campaign_refusals(cli, book, tmp_path):
    cli("campaign", "add", "x", "--channel", "fax", code=2)
    cli("campaign", "add", "春季", "--channel", "sms")
    cli("campaign", "add", "春季", "--channel", "web", code=1)
    cli("campaign", "log", "春季", code=2)  # who did it reach?
    cli("campaign", "log", "春季", "--tier", "A", code=2)  # filters go with --targets
    cli("campaign", "log", "nope", "--targets", code=1)
    cli("campaign", "log", "春季", "--targets", "--tag", "nobody", code=2)  # an empty list
    bad = tmp_path / "bad.csv"
    bad.write_text("mobile\n13800138000\n10000000000\n", encoding="utf-8")
    assert "line 3" in cli("campaign", "log", "春季", "--file", bad, code=65).stderr
    nothing = tmp_path / "nothing.csv"
    nothing.write_text("city\n上海\n", encoding="utf-8")
    cli("campaign", "log", "春季", "--file", nothing, code=65)
    cli("campaign", "log", "春季", "--file", bad, "--targets", code=2)
    cli("campaign", "add", "later", "--channel", "call", "--date", "2026-04-01")
    cli("campaign", "log", "later", "--targets", code=2)  # not yet happened
    assert cli.json("contact", "list") == []


CAMPAIGNS = [("春季", "sms", date(2026, 1, 10)), ("周年庆", "event", date(2026, 2, 1))]
# customer → days after the first campaign of each sale, with amounts
SALES = {
    "张三": [(0, 100), (5, 200), (40, 50)],
    "李四": [(-3, 70), (29, 30), (31, 500)],
    "王五": [(10, 80)],
    "赵六": [(25, 60), (45, 90)],
    "孙七": [(12, 999)],
}
REACHED = {"春季": ["张三", "李四", "王五"], "周年庆": ["张三", "赵六"]}


def expected_report(window: int) -> list[dict]:
    rows = []
    for name, channel, day in CAMPAIGNS:
        lines = [
            amount
            for customer in REACHED[name]
            for offset, amount in SALES[customer]
            if day <= CAMPAIGNS[0][2] + timedelta(days=offset) <= day + timedelta(days=window)
        ]
        buyers = {
            customer
            for customer in REACHED[name]
            for offset, _amount in SALES[customer]
            if day <= CAMPAIGNS[0][2] + timedelta(days=offset) <= day + timedelta(days=window)
        }
        rows.append((name, channel, len(REACHED[name]), len(REACHED[name]), len(buyers),
                     len(lines), sum(lines)))  # fmt: skip
    return rows


def test_report_campaigns_agrees_with_independent_counts(cli, book):
    for name, channel, day in CAMPAIGNS:
        cli("campaign", "add", name, "--channel", channel, "--date", day.isoformat())
        for customer in REACHED[name]:
            cli("customer", "edit", customer, "--tag", name)
        cli("campaign", "log", name, "--tag", name)
    for customer, sales in SALES.items():
        for offset, amount in sales:
            day = CAMPAIGNS[0][2] + timedelta(days=offset)
            cli("sale", "add", customer, "--amount", str(amount), "--date", day.isoformat())
    for window in (30, 7, 0, 60):
        options = [] if window == 30 else ["--window", str(window)]
        rows = cli.json("report", "campaigns", *options)
        got = [(r["campaign"], r["channel"], r["reached"], r["contacts"], r["buyers"],
                r["sales"], r["amount"]) for r in rows]  # fmt: skip
        assert got == expected_report(window)
        assert all(r["window_days"] == window for r in rows)
    assert expected_report(30)[0][4:] == (3, 4, 410)  # the fixture is not vacuous
    cli("report", "campaigns", "--window", "-1", code=2)
    assert "Buyers" in cli("report", "campaigns").stdout
