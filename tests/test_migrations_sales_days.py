"""m009 adds each day's sales per rep (`sales_days`) to a book of an earlier release,
keeps every row, and gives the reports by rep and by period the answer the sales give;
every way a sale is written keeps the table in step, and `check` notices when it is not.

Starts from `tests/data/book-m001.sqlite` (schema 1, a 40-customer demo book).
"""

import sqlite3
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from books import opened_before, tables

from salesflow import db, migrations, reports

STEP = migrations.m009_sales_per_day_and_rep
PER_DAY_AND_REP = (
    "SELECT date, rep, count(*), sum(quantity), sum(amount_cents) FROM sales GROUP BY date, rep"
)


def kept(conn: sqlite3.Connection) -> list[tuple]:
    return sorted(map(tuple, conn.execute("SELECT * FROM sales_days")), key=repr)


def from_the_sales(conn: sqlite3.Connection) -> list[tuple]:
    return sorted(map(tuple, conn.execute(PER_DAY_AND_REP)), key=repr)


def monthly_by_rep(conn: sqlite3.Connection, start: date, end: date) -> dict:
    """The monthly report by rep worked out from the sales and returns, row by row."""
    totals: dict = defaultdict(lambda: [0, 0, 0])
    for day, rep, quantity, cents in conn.execute(
        "SELECT date, rep, quantity, amount_cents FROM sales WHERE date BETWEEN ? AND ?",
        [start.isoformat(), end.isoformat()],
    ):
        found = totals[(day[:7], rep)]
        found[0] += 1
        found[1] += quantity
        found[2] += cents
    for day, rep, quantity, cents in conn.execute(
        "SELECT r.date, s.rep, r.quantity, r.amount_cents FROM returns r"
        " JOIN sales s ON s.id = r.sale_id WHERE r.date BETWEEN ? AND ?",
        [start.isoformat(), end.isoformat()],
    ):
        found = totals[(day[:7], rep)]
        found[1] -= quantity
        found[2] -= cents
    return {
        key: (orders, round(quantity, 3), Decimal(cents) / 100)
        for key, (orders, quantity, cents) in totals.items()
    }


def reported(conn: sqlite3.Connection, start: date, end: date) -> dict:
    rows = reports.sales_report(conn, start=start, end=end, interval="month", by=["rep"])
    return {
        (row["period"], row["rep"]): (row["orders"], round(row["quantity"], 3), row["amount"])
        for row in rows
    }


def test_m009_adds_the_daily_totals_and_keeps_every_row(old_book):
    conn = opened_before(old_book, STEP)
    before = tables(conn)
    STEP(conn)
    conn.execute("COMMIT")
    after = tables(conn)
    assert set(after) - set(before) == {"sales_days"}
    assert {name: rows for name, rows in after.items() if name != "sales_days"} == before
    assert len(before["sales"]) > 100
    assert kept(conn) == from_the_sales(conn)
    assert sum(row[2] for row in kept(conn)) == len(before["sales"])
    start, end = date(2025, 1, 1), date(2026, 12, 31)
    assert reported(conn, start, end) == monthly_by_rep(conn, start, end)
    conn.close()


def test_an_upgraded_book_checks_clean_and_reports_by_rep_and_by_nothing(old_book, cli):
    upgraded = db.open_db(old_book, write=True)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    expected = monthly_by_rep(upgraded, date(2025, 1, 1), date(2026, 12, 31))
    upgraded.close()
    assert db.check(old_book)["ok"]
    span = ("--from", "2025-01-01", "--to", "2026-12-31")
    rows = cli.json("--db", old_book, "report", "sales", *span, "--by", "rep")
    assert {(row["period"], row["rep"]): row["orders"] for row in rows} == {
        key: value[0] for key, value in expected.items()
    }
    whole = cli.json("--db", old_book, "report", "sales", *span, "--interval", "none")
    assert whole[0]["orders"] == sum(value[0] for value in expected.values())
    assert Decimal(str(whole[0]["amount"])) == sum(value[2] for value in expected.values())


@pytest.fixture
def shop(cli):
    cli("customer", "add", "张三", "--owner", "李娜")
    cli("customer", "add", "李四", "--owner", "王强")
    cli("product", "add", "洗发水", "--price", "89", "--cycle-days", "30")
    cli("sale", "add", "张三", "洗发水", "--quantity", "2", "--date", "2026-03-01")
    cli("sale", "add", "李四", "洗发水", "--quantity", "1.5", "--date", "2026-03-01")
    cli("sale", "add", "张三", "洗发水", "--date", "2026-04-02", "--rep", "王强")


def in_step(path) -> None:
    conn = db.open_db(path, write=False)
    try:
        assert kept(conn) == from_the_sales(conn)
        assert reported(conn, date(2026, 1, 1), date(2026, 12, 31)) == monthly_by_rep(
            conn, date(2026, 1, 1), date(2026, 12, 31)
        )
    finally:
        conn.close()
    assert db.check(path)["ok"]


def test_every_way_a_sale_is_written_keeps_the_daily_totals(cli, shop, isolated_book, tmp_path):
    in_step(isolated_book)
    cli("sale", "edit", "1", "--date", "2026-05-09", "--rep", "", "--quantity", "3")
    in_step(isolated_book)
    for change in (["--rep", "李娜"], ["--amount", "50"], ["--quantity", "4"]):  # one at a time
        cli("sale", "edit", "2", *change)
        in_step(isolated_book)
    cli("sale", "return", "2", "--quantity", "0.5", "--date", "2026-06-01")
    in_step(isolated_book)
    cli("sale", "delete", "3", "--yes")
    in_step(isolated_book)
    for _ in range(3):
        cli("undo")
        in_step(isolated_book)
    cli("redo")
    in_step(isolated_book)
    path = tmp_path / "sales.csv"
    path.write_text(
        "customer,amount,quantity,date,rep\n张三,10,1,2026-03-01,李娜\n李四,20,2.25,2026-07-04,\n",
        encoding="utf-8",
    )
    cli("import", "sales", path)
    in_step(isolated_book)
    conn = db.open_db(isolated_book, write=False)
    march = conn.execute("SELECT orders FROM sales_days WHERE date = '2026-03-01' AND rep = '李娜'")
    assert march.fetchone()[0] == 2  # sale 1 moved to May, sale 2 came to 李娜, one imported
    conn.close()
    cli("undo")
    in_step(isolated_book)
    cli("customer", "merge", "李四", "张三", "--yes")
    in_step(isolated_book)


def test_check_names_daily_totals_that_drifted_from_the_sales(cli, shop, isolated_book):
    conn = sqlite3.connect(isolated_book, isolation_level=None)
    conn.execute("UPDATE sales_days SET amount_cents = amount_cents + 1 WHERE date = '2026-04-02'")
    conn.close()
    found = db.check(isolated_book)
    assert not found["ok"]
    assert [str(problem) for problem in found["problems"]] == [
        "2 daily sales totals are out of date"
    ]


def test_check_names_derived_rows_that_should_not_be_there(cli, shop, isolated_book):
    """A row left over in a derived table (a day without sales, a purchase of a product
    the customer never bought) is drift too, not only a row that differs."""
    cli("product", "add", "护发素", "--price", "59", "--cycle-days", "20")
    conn = sqlite3.connect(isolated_book, isolation_level=None)
    conn.execute("INSERT INTO sales_days VALUES ('2026-02-02', '李娜', 1, 1.0, 100)")
    conn.execute("INSERT INTO customer_products VALUES (2, 2, '2026-01-01', 1.0, '2026-01-31')")
    conn.close()
    problems = [str(problem) for problem in db.check(isolated_book)["problems"]]
    assert problems == [
        "1 latest-purchase records are out of date",
        "1 daily sales totals are out of date",
    ]


def test_check_counts_a_copied_daily_total(cli, shop, isolated_book):
    """A daily total stored twice would count twice in a report: `check` sees the copy."""
    conn = sqlite3.connect(isolated_book, isolation_level=None)
    conn.execute("INSERT INTO sales_days SELECT * FROM sales_days WHERE date = '2026-04-02'")
    conn.close()
    problems = [str(problem) for problem in db.check(isolated_book)["problems"]]
    assert problems == ["2 daily sales totals are out of date"]  # two rows, once too many


def test_fractional_quantities_add_up_to_what_people_wrote_whatever_the_order(cli):
    """0.2 + 0.7 + 0.1 units read 1, by rep or by nothing, in JSON and in the table: sums of
    floating-point quantities are shown to three decimals before a whole number is told."""
    cli("customer", "add", "张三")
    for quantity, day, rep in (("0.2", "2026-03-02", "A"), ("0.7", "2026-03-03", "A"),
                               ("0.1", "2026-03-03", "B")):  # fmt: skip
        cli("sale", "add", "张三", "--quantity", quantity, "--amount", "1", "--date", day,
            "--rep", rep)  # fmt: skip
    [whole] = cli.json("report", "sales", "--month", "2026-03")
    assert whole["quantity"] == 1 and isinstance(whole["quantity"], int)
    by_rep = cli.json("report", "sales", "--month", "2026-03", "--by", "rep")
    assert [(row["rep"], row["quantity"]) for row in by_rep] == [("A", 0.9), ("B", 0.1)]
    table = cli("report", "sales", "--month", "2026-03").stdout
    assert "1.0" not in table and " 1 " in f"{table} "


def test_blank_reps_come_in_one_order_nobody_first(cli, isolated_book):
    """A sale with no rep and one whose rep is blank text (as an older book may hold) are
    two rows of a report by rep, the one with none first, whichever was stored first."""
    cli("customer", "add", "张三")
    for day in ("2026-03-02", "2026-03-03"):
        cli("sale", "add", "张三", "--amount", "1", "--date", day, "--rep", "")
    for blank in (1, 2):
        conn = sqlite3.connect(isolated_book, isolation_level=None)
        conn.execute("UPDATE sales SET rep = NULL")
        conn.execute("UPDATE sales SET rep = '' WHERE id = ?", [blank])
        conn.close()
        assert db.check(isolated_book)["ok"]
        rows = cli.json(
            "report", "sales", "--month", "2026-03", "--interval", "none", "--by", "rep"
        )
        assert [row["rep"] for row in rows] == [None, ""]
