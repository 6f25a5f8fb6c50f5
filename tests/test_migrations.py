"""Upgrading books written by earlier releases: every row survives, the schema is current.

`tests/data/book-m001.sqlite` was written by the first release (schema 1): a demo book of
40 customers, a customer locked at "no tier" with a tag and a profile fact, and a tier
set by hand.
"""

import sqlite3
from datetime import date, timedelta
from pathlib import Path

from salesflow import db, migrations


def table_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    rows = {name: sorted(conn.execute(f"SELECT * FROM {name}"), key=repr) for name in names}
    conn.close()
    return rows


def test_the_fixture_is_a_first_release_book(old_book):
    conn = sqlite3.connect(old_book)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == 1
    conn.close()


def test_upgrading_from_m001_keeps_every_row(old_book):
    before = table_rows(old_book)
    conn = db.open_db(old_book, write=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    conn.close()
    after = table_rows(old_book)
    assert "_sqlite_migrations" not in after  # one schema-version record: user_version
    del before["_sqlite_migrations"]
    for table, rows in before.items():
        # Later steps may add columns (at the end): every row keeps what it had.
        width = len(rows[0]) if rows else 0
        assert [row[:width] for row in after[table]] == rows, table
    assert sum(len(rows) for rows in before.values()) > 1000


def test_an_upgraded_book_passes_the_check_and_keeps_its_summaries(old_book):
    db.open_db(old_book, write=True).close()
    report = db.check(old_book)
    assert report["ok"], report["problems"]
    assert report["schema_version"] == db.latest_version()
    assert report["customers"] == 41


def test_the_rebuilt_triggers_keep_runs_out_on_the_single_rule(old_book):
    conn = db.open_db(old_book, write=True)
    product_id, cycle = conn.execute(
        "SELECT id, cycle_days FROM products WHERE cycle_days IS NOT NULL LIMIT 1"
    ).fetchone()
    with db.change(conn, "test") as change:
        change.insert(
            "sales",
            {"customer_id": 1, "product_id": product_id, "quantity": 2, "amount_cents": 100,
             "date": "2026-03-20"},
        )  # fmt: skip
    runs_out = conn.execute(
        "SELECT runs_out FROM customer_products WHERE customer_id = 1 AND product_id = ?",
        [product_id],
    ).fetchone()[0]
    assert runs_out == (date(2026, 3, 20) + timedelta(days=2 * cycle)).isoformat()
    with db.change(conn, "test") as change:
        change.update("products", product_id, {"cycle_days": cycle + 1})
    assert (
        conn.execute(
            "SELECT runs_out FROM customer_products WHERE customer_id = 1 AND product_id = ?",
            [product_id],
        ).fetchone()[0]
        > runs_out
    )
    conn.close()
    assert db.check(old_book)["ok"]


def test_reading_an_old_book_upgrades_it_in_place(old_book, cli):
    listed = cli.json("--db", old_book, "customer", "list")
    assert len(listed) == 41
    locked = next(row for row in listed if row["name"] == "锁定客户")
    assert locked["tier"] is None and locked["tier_locked"]
    assert locked["tags"] == ["vip"] and locked["profile"] == {"hobby": "golf"}


def test_check_reads_a_first_release_book_without_calling_it_damaged(old_book, cli):
    before = old_book.read_bytes()
    report = cli.json("--db", old_book, "check")
    assert report["ok"] and report["upgrade_pending"] and report["schema_version"] == 1
    assert report["customers"] == 41
    assert "the next change upgrades it" in cli("--db", old_book, "check").stdout
    assert old_book.read_bytes() == before  # checking changes nothing
