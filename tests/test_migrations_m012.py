"""m012 indexes who referred each customer on a book of an earlier release, keeping every
row: deleting customers (one, an undone import, a replaced demo book) looks up their
referrals through it instead of reading every customer once per customer deleted.

Starts from `tests/data/book-m001.sqlite` (schema 1, a 40-customer demo book).
"""

import sqlite3

from books import opened_before, tables

from salesflow import db, migrations

STEP = migrations.m012_referrals_index
REFERRALS = "SELECT id FROM customers WHERE referred_by_id = ?"


def indexes(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_m012_adds_the_referrals_index_and_keeps_every_row(old_book):
    conn = opened_before(old_book, STEP)
    conn.execute("UPDATE customers SET referred_by_id = 1 WHERE id IN (2, 3)")
    before, indexes_before = tables(conn), indexes(conn)
    STEP(conn)
    conn.execute("COMMIT")
    assert tables(conn) == before
    assert indexes(conn) - indexes_before == {"customers_referred_by"}
    assert [row[2] for row in conn.execute("PRAGMA index_info(customers_referred_by)")] == [
        "referred_by_id"
    ]
    plan = " ".join(str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + REFERRALS, [1]))
    assert "customers_referred_by" in plan
    assert [row[0] for row in conn.execute(REFERRALS, [1])] == [2, 3]
    conn.close()


def test_deleting_a_referrer_clears_the_referral_and_undo_brings_it_back(cli, isolated_book):
    cli("customer", "add", "王五")
    cli("customer", "add", "赵六", "--referred-by", "王五")
    conn = db.open_db(isolated_book, write=False)
    assert "customers_referred_by" in indexes(conn)
    conn.close()
    cli("customer", "delete", "王五", "--yes")
    assert cli.json("customer", "show", "赵六")["referred_by_id"] is None
    cli("undo")
    assert cli.json("customer", "show", "赵六")["referred_by"] == "王五"
