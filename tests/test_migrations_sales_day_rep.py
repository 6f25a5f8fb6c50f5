"""m008 adds the index that serves the sales report by period and rep to a book of an
earlier release, keeps every row, and leaves the report's grouping as it was.

Starts from `tests/data/book-m001.sqlite` (schema 1, a 40-customer demo book).
"""

import sqlite3
from datetime import date

from books import opened_before, tables

from salesflow import db, migrations, predict

STEP = migrations.m008_sales_by_day_and_rep
REPORT_BY_REP = (
    "SELECT substr(s.date, 1, 7), s.rep, count(*), sum(s.quantity), sum(s.amount_cents)"
    " FROM sales s WHERE {date} BETWEEN ? AND ? GROUP BY 1, 2"
)


def sales_indexes(conn: sqlite3.Connection) -> set[str]:
    return {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sales'"
        )
    }


def plan(conn: sqlite3.Connection, sql: str, params) -> str:
    return " ".join(str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def test_m008_adds_the_index_and_keeps_every_row_and_every_report(old_book):
    start, end = date(2025, 1, 1), date(2026, 12, 31)
    span = [start.isoformat(), end.isoformat()]
    by_rep = REPORT_BY_REP.format(date="s.date")
    conn = opened_before(old_book, STEP)
    before, indexes_before = tables(conn), sales_indexes(conn)
    report_before = conn.execute(by_rep, span).fetchall()
    STEP(conn)
    conn.execute("COMMIT")
    assert tables(conn) == before
    assert sales_indexes(conn) - indexes_before == {"sales_day_rep"}
    columns = [row[2] for row in conn.execute("PRAGMA index_info(sales_day_rep)")]
    assert columns == ["date", "rep", "quantity", "amount_cents"]
    assert conn.execute(by_rep, span).fetchall() == report_before
    assert len(report_before) > 3
    # the grouping reads the narrow index alone, over a long span and over a short one
    assert "COVERING INDEX sales_day_rep" in plan(conn, REPORT_BY_REP.format(date="+s.date"), span)
    assert "COVERING INDEX sales_day_rep" in plan(conn, REPORT_BY_REP.format(date="s.date"), span)
    conn.close()


def test_an_upgraded_book_checks_clean_and_its_history_still_reads_by_customer(old_book, cli):
    upgraded = db.open_db(old_book, write=True)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    assert {"sales_day_rep", "sales_customer_day"} <= sales_indexes(upgraded)
    as_of = date(2026, 3, 16).isoformat()
    assert "sales_customer_day" in plan(upgraded, predict.SALES_PER_CUSTOMER, {"as_of": as_of})
    upgraded.close()
    assert db.check(old_book)["ok"]
    rows = cli.json(
        "--db", old_book, "report", "sales", "--from", "2025-01-01", "--to", "2026-12-31",
        "--by", "rep",
    )  # fmt: skip
    assert rows and all("rep" in row for row in rows)
