"""m006 adds returns, the product name a sale keeps, and the undo order to a book of an
earlier release, and rebuilds the latest-purchase triggers on net quantities.

Starts from `tests/data/book-m001.sqlite` (schema 1, a 40-customer demo book).
"""

import sqlite3

from books import tables

from salesflow import db, migrations


def test_m006_adds_an_empty_returns_table_and_new_columns_and_keeps_every_row(old_book):
    conn = sqlite3.connect(old_book, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    step = migrations.STEPS.index(migrations.m006_returns_and_kept_purchases)
    with db.transaction(conn):
        for earlier in migrations.STEPS[1:step]:
            earlier(conn)
        before = tables(conn)
        migrations.m006_returns_and_kept_purchases(conn)
    after = tables(conn)
    assert set(after) - set(before) == {"returns"} and after["returns"] == []
    # the new columns are empty on every existing row; the rest is as it was
    assert {name: [row[:-1] for row in rows] for name, rows in after.items()
            if name in ("sales", "changes")} == {
        name: rows for name, rows in before.items() if name in ("sales", "changes")
    }  # fmt: skip
    assert all(row[-1] is None for name in ("sales", "changes") for row in after[name])
    assert {k: v for k, v in after.items() if k not in ("returns", "sales", "changes")} == {
        k: v for k, v in before.items() if k not in ("sales", "changes")
    }
    conn.close()


def test_an_upgraded_book_checks_clean_and_takes_returns(old_book, cli):
    upgraded = db.open_db(old_book, write=True)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    sale = upgraded.execute(
        "SELECT id, customer_id, product_id FROM sales WHERE product_id IS NOT NULL"
        " ORDER BY date DESC, id LIMIT 1"
    ).fetchone()
    upgraded.close()
    assert db.check(old_book)["ok"]
    cli("--db", old_book, "sale", "return", sale["id"], "--quantity", "0.5")
    cli("--db", old_book, "sale", "return", sale["id"])
    assert db.check(old_book)["ok"]
    cli("--db", old_book, "undo")
    cli("--db", old_book, "redo")
    assert db.check(old_book)["ok"]
