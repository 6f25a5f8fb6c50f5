"""The database file: location, permissions, migrations, refusals, locking."""

import os
import sqlite3
import stat

import pytest

from salesflow import db
from salesflow.errors import Busy, DatabaseRefused


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_db_option_beats_env_which_beats_default(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESFLOW_DB", str(tmp_path / "env.db"))
    assert db.resolve_path(str(tmp_path / "opt.db")) == tmp_path / "opt.db"
    assert db.resolve_path(None) == tmp_path / "env.db"
    monkeypatch.delenv("SALESFLOW_DB")
    assert db.resolve_path(None).name == "salesflow.db"
    assert "salesflow" in str(db.resolve_path(None).parent)


def test_first_write_creates_private_folder_and_file(isolated_book):
    assert not isolated_book.parent.exists()
    db.open_db(isolated_book, write=True).close()
    assert mode(isolated_book) == 0o600
    assert mode(isolated_book.parent) == 0o700


def test_reading_a_missing_file_creates_nothing(isolated_book):
    conn = db.open_db(isolated_book, write=False)
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    conn.close()
    assert not isolated_book.parent.exists()


def test_new_file_is_migrated_marked_and_in_wal_mode(conn):
    assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATION_STEPS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    applied = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations")]
    assert applied == [step.__name__ for step in db.MIGRATION_STEPS]


def test_reopening_a_current_file_applies_nothing_again(isolated_book):
    db.open_db(isolated_book, write=True).close()
    conn = db.open_db(isolated_book, write=True)
    assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(
        db.MIGRATION_STEPS
    )
    conn.close()


def test_empty_file_is_treated_as_a_new_book(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    conn = db.open_db(path, write=True)
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    conn.close()


def test_non_database_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"my precious notes\n" * 10)
    with pytest.raises(DatabaseRefused, match="not a salesflow database"):
        db.open_db(path, write=True)
    assert path.read_bytes() == b"my precious notes\n" * 10


def test_other_applications_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE things (x)")
    other.commit()
    other.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseRefused, match="not a salesflow database"):
        db.open_db(path, write=True)
    assert path.read_bytes() == before


def test_file_from_a_newer_salesflow_is_refused_untouched(isolated_book):
    db.open_db(isolated_book, write=True).close()
    newer = sqlite3.connect(isolated_book)
    newer.execute(f"PRAGMA user_version = {len(db.MIGRATION_STEPS) + 1}")
    newer.close()
    before = isolated_book.read_bytes()
    with pytest.raises(DatabaseRefused, match="newer salesflow"):
        db.open_db(isolated_book, write=False)
    assert isolated_book.read_bytes() == before


def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(DatabaseRefused):
        db.open_db(tmp_path, write=True)


def test_writer_gives_up_after_the_busy_timeout(isolated_book, monkeypatch):
    db.open_db(isolated_book, write=True).close()
    holder = sqlite3.connect(isolated_book, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    monkeypatch.setenv("SALESFLOW_BUSY_TIMEOUT", "0.2")
    conn = db.open_db(isolated_book, write=True)
    with pytest.raises(Busy, match="busy"), db.change(conn, "test"):
        pass
    holder.execute("ROLLBACK")
    holder.close()
    conn.close()


def test_reader_is_not_blocked_by_a_writer(isolated_book):
    conn = db.open_db(isolated_book, write=True)
    writer = sqlite3.connect(isolated_book, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO customers (name, created_at) VALUES ('x', '2026-01-01')")
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    writer.execute("COMMIT")
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    writer.close()
    conn.close()


def test_change_records_before_and_after_images(conn):
    with db.change(conn, "customer add") as change:
        customer_id = change.insert("customers", {"name": "张三", "created_at": "2026-01-01"})
    with db.change(conn, "customer edit") as change:
        change.update("customers", customer_id, {"name": "张三丰"})
    events = conn.execute(
        "SELECT c.command, e.tbl, e.row_id, e.before, e.after FROM events e"
        " JOIN changes c ON c.id = e.change_id ORDER BY e.id"
    ).fetchall()
    assert [(e[0], e[1], e[2]) for e in events] == [
        ("customer add", "customers", customer_id),
        ("customer edit", "customers", customer_id),
    ]
    assert events[0]["before"] is None
    assert '"张三"' in events[1]["before"] and '"张三丰"' in events[1]["after"]


def test_failed_change_writes_nothing(conn):
    with pytest.raises(RuntimeError), db.change(conn, "customer add") as change:
        change.insert("customers", {"name": "x", "created_at": "2026-01-01"})
        raise RuntimeError("boom")
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 0


def test_busy_timeout_setting_must_be_a_number(monkeypatch):
    monkeypatch.setenv("SALESFLOW_BUSY_TIMEOUT", "soon")
    from salesflow.errors import BadValue

    with pytest.raises(BadValue):
        db.busy_timeout_seconds()
    assert os.environ["SALESFLOW_BUSY_TIMEOUT"] == "soon"
