"""m003 adds the reminder answers (done, snoozed) and stops to a book of an earlier release.

Starts from `tests/data/book-m001.sqlite` (schema 1, a 40-customer demo book).
"""

import sqlite3

import pytest
from books import tables

from salesflow import db, migrations

NEW_TABLES = {"reminder_states", "reminder_stops"}


def test_m003_adds_empty_answer_tables_and_leaves_every_row(old_book):
    conn = sqlite3.connect(old_book, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    step = migrations.STEPS.index(migrations.m003_reminder_states)
    with db.transaction(conn):
        for earlier in migrations.STEPS[1:step]:
            earlier(conn)
        before = tables(conn)
        migrations.m003_reminder_states(conn)
    after = tables(conn)
    assert set(after) - set(before) == NEW_TABLES
    assert all(after[name] == [] for name in NEW_TABLES)
    assert {name: rows for name, rows in after.items() if name not in NEW_TABLES} == before
    conn.close()


def test_an_upgraded_book_checks_clean_and_takes_answers(old_book, cli):
    upgraded = db.open_db(old_book, write=True)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    upgraded.close()
    assert db.check(old_book)["ok"]
    listed = cli.json("--db", old_book, "remind", "--all")
    assert listed and all(item["state"] == "due" and len(item["key"]) == 7 for item in listed)
    cli("--db", old_book, "remind", "done", listed[0]["key"])
    cli("--db", old_book, "remind", "snooze", listed[1]["key"], "--until", "+3d")
    states = {item["key"]: item["state"] for item in cli.json("--db", old_book, "remind", "--all")}
    assert (states[listed[0]["key"]], states[listed[1]["key"]]) == ("done", "snoozed")
    assert db.check(old_book)["ok"]


def test_the_answer_tables_refuse_inconsistent_rows(old_book):
    conn = db.open_db(old_book, write=True)
    row = {"key": "aaaaaaa", "kind": "birthday", "customer_id": 1, "due": "2026-03-16",
           "since": "2026-03-16"}  # fmt: skip
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    for state, until in (("snoozed", None), ("done", "2026-03-20"), ("gone", None)):
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                f"INSERT INTO reminder_states ({columns}, state, until) VALUES ({marks}, ?, ?)",
                [*row.values(), state, until],
            )
    with pytest.raises(sqlite3.IntegrityError):  # a customer that is not in the book
        conn.execute(
            "INSERT INTO reminder_stops (customer_id, product_id, stopped_on)"
            " VALUES (9999, 1, '2026-03-16')"
        )
    conn.close()
