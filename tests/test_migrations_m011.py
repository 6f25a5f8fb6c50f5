"""m011 gives the morning list its index of the customers with a birthday on a book of an
earlier release, keeping every row and every item of the list.

Starts from `tests/data/book-m001.sqlite` (schema 1, a 40-customer demo book).
"""

import sqlite3
from datetime import date

from books import opened_before, tables

from salesflow import db, migrations, reminders, settings

STEP = migrations.m011_birthday_index
AS_OF = date(2026, 3, 16)  # the day the old book was written
NEW_INDEXES = {"customers_birthday": [None]}  # an expression: the profile's birthday


def indexes(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def morning_list(conn: sqlite3.Connection, as_of: date = AS_OF) -> list[dict]:
    config = settings.load(conn)
    return list(reminders.reminders(conn, as_of, config=config, days_ahead=120, everything=True))


def plan(conn: sqlite3.Connection, as_of: date) -> str:
    """The query plan of the list's statement as the list runs it, values bound."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    morning_list(conn, as_of)
    conn.set_trace_callback(None)
    (statement,) = [s for s in statements if s.lstrip().startswith("WITH returned")]
    return " | ".join(str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + statement))


def test_m011_adds_the_indexes_and_keeps_every_row_and_every_item(old_book):
    conn = opened_before(old_book, STEP)
    before, indexes_before, items_before = tables(conn), indexes(conn), morning_list(conn)
    kinds = {item["kind"] for item in items_before}
    assert {"birthday", "used-up", "follow-up"} <= kinds
    STEP(conn)
    conn.execute("COMMIT")
    assert tables(conn) == before
    assert indexes(conn) - indexes_before == set(NEW_INDEXES)
    for name, columns in NEW_INDEXES.items():
        assert [row[2] for row in conn.execute(f"PRAGMA index_info({name})")] == columns
    assert morning_list(conn) == items_before
    conn.close()


def test_the_list_reads_birthdays_through_the_new_index(old_book):
    conn = db.open_db(old_book, write=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    assert "customers_birthday" in plan(conn, AS_OF)
    conn.close()


def test_a_profile_that_is_not_json_is_upgraded_and_has_no_birthday(old_book):
    conn = opened_before(old_book, STEP)
    birthdays = [item["customer_id"] for item in morning_list(conn) if item["kind"] == "birthday"]
    assert len(birthdays) >= 2
    broken, kept = birthdays[0], birthdays[1:]
    conn.execute(
        """UPDATE customers SET profile = '{"birthday": "' || substr(profile, 14, 10)
           WHERE id = ?""",
        [broken],
    )
    conn.execute(f"PRAGMA user_version = {migrations.STEPS.index(STEP)}")  # written before m011
    conn.execute("COMMIT")
    conn.close()
    upgraded = db.open_db(old_book, write=True)  # every step the book lacks, m011 included
    assert "customers_birthday" in indexes(upgraded)
    assert (
        upgraded.execute(
            "SELECT json_valid(profile) FROM customers WHERE id = ?", [broken]
        ).fetchone()[0]
        == 0
    )
    after = [item["customer_id"] for item in morning_list(upgraded) if item["kind"] == "birthday"]
    assert after == kept
    upgraded.close()
