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


def indexes(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def morning_list(conn: sqlite3.Connection) -> list[dict]:
    config = settings.load(conn)
    return list(reminders.reminders(conn, AS_OF, config=config, days_ahead=120, everything=True))


def birthdays(conn: sqlite3.Connection) -> list[int]:
    return [item["customer_id"] for item in morning_list(conn) if item["kind"] == "birthday"]


def plan(conn: sqlite3.Connection) -> str:
    """The query plan of the list's statement as the list runs it, values bound."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    morning_list(conn)
    conn.set_trace_callback(None)
    (statement,) = [s for s in statements if s.lstrip().startswith("WITH returned")]
    return " | ".join(str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + statement))


def test_m011_adds_the_birthday_index_and_keeps_every_row_and_every_item(old_book):
    conn = opened_before(old_book, STEP)
    before, indexes_before, items_before = tables(conn), indexes(conn), morning_list(conn)
    assert {"birthday", "used-up", "follow-up"} <= {item["kind"] for item in items_before}
    STEP(conn)
    conn.execute("COMMIT")
    assert tables(conn) == before
    assert indexes(conn) - indexes_before == {"customers_birthday"}
    # an index on an expression: the profile's birthday, for the customers who have one
    assert [row[2] for row in conn.execute("PRAGMA index_info(customers_birthday)")] == [None]
    assert morning_list(conn) == items_before
    conn.close()


def test_the_list_reads_birthdays_through_the_new_index(old_book):
    conn = db.open_db(old_book, write=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    assert "customers_birthday" in plan(conn)
    conn.close()


def test_a_profile_that_is_not_json_is_upgraded_has_no_birthday_and_check_names_it(old_book):
    conn = opened_before(old_book, STEP)
    before = birthdays(conn)
    assert len(before) >= 2
    broken, kept = before[0], before[1:]
    conn.execute("""UPDATE customers SET profile = '{"birthday": "03-20"' WHERE id = ?""", [broken])
    conn.execute(f"PRAGMA user_version = {migrations.STEPS.index(STEP)}")  # written before m011
    conn.execute("COMMIT")
    conn.close()
    upgraded = db.open_db(old_book, write=True)  # every step the book lacks, m011 included
    assert "customers_birthday" in indexes(upgraded)
    assert birthdays(upgraded) == kept  # the list runs; that customer has no birthday
    upgraded.close()
    report = db.check(old_book)
    assert not report["ok"]
    assert report["problems"] == ["1 customers have a profile or tags that are not JSON"]
