"""m007 adds the index that serves each customer's sales day by day to a book of an
earlier release, and keeps every row.

Starts from `tests/data/book-m001.sqlite` (schema 1, a 40-customer demo book).
"""

import sqlite3
from datetime import date

from books import tables

from salesflow import db, migrations, predict

STEP = migrations.m007_sales_by_customer_day


def sales_indexes(conn: sqlite3.Connection) -> set[str]:
    return {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sales'"
        )
    }


def test_m007_adds_the_index_and_keeps_every_row_and_every_history(old_book):
    conn = sqlite3.connect(old_book, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    step = migrations.STEPS.index(STEP)
    as_of = date(2026, 3, 16)
    with db.transaction(conn):
        for earlier in migrations.STEPS[1:step]:
            earlier(conn)
        before, indexes_before = tables(conn), sales_indexes(conn)
        history_before = predict.purchase_history(conn, as_of)
        STEP(conn)
    assert tables(conn) == before
    assert sales_indexes(conn) - indexes_before == {"sales_customer_day"}
    columns = [row[2] for row in conn.execute("PRAGMA index_info(sales_customer_day)")]
    assert columns == ["customer_id", "date", "amount_cents"]
    # the history reads the same through the index as without it
    history_after = predict.purchase_history(conn, as_of)
    assert len(history_after.customer_ids) > 10
    for field in ("customer_ids", "frequency", "first_days", "last_days", "mean_spend"):
        assert list(getattr(history_after, field)) == list(getattr(history_before, field))
    plan = " ".join(
        str(row[3])
        for row in conn.execute(
            "EXPLAIN QUERY PLAN " + predict.SALES_PER_CUSTOMER, {"as_of": as_of.isoformat()}
        )
    )
    assert "sales_customer_day" in plan and "TEMP B-TREE FOR GROUP BY" not in plan
    assert "sales_date" not in plan and "sales_customer_product" not in plan
    conn.close()


def test_an_upgraded_book_checks_clean_and_predicts(old_book, cli):
    upgraded = db.open_db(old_book, write=True)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    assert "sales_customer_day" in sales_indexes(upgraded)
    upgraded.close()
    assert db.check(old_book)["ok"]
    rows = cli.json("--db", old_book, "predict", "--as-of", "2026-03-16", "--format", "json")
    assert rows and all(0.0 <= row["p_alive"] <= 1.0 for row in rows)
