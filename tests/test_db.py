"""The database file: location, permissions, migrations, refusals, locking."""

import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from salesflow import db, migrations
from salesflow.errors import Busy, DatabaseRefused


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """HOME, XDG_DATA_HOME and the working folder all inside tmp_path, so a database
    written anywhere a misread path could put it shows up in `files_under(tmp_path)`."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files_under(root: Path) -> set[Path]:
    return {path.relative_to(root) for path in root.rglob("*") if path.is_file()}


def names(cli, *db_option: str) -> list[str]:
    return [c["name"] for c in cli.json(*db_option, "customer", "list")]


def test_first_write_lands_where_salesflow_db_says_and_nowhere_else(cli, sandbox, monkeypatch):
    monkeypatch.setenv("SALESFLOW_DB", str(sandbox / "env" / "book.db"))
    cli("customer", "add", "x")
    assert files_under(sandbox) == {Path("env/book.db")}
    assert names(cli) == ["x"]


def test_db_option_beats_salesflow_db(cli, sandbox, monkeypatch):
    monkeypatch.setenv("SALESFLOW_DB", str(sandbox / "env.db"))
    cli("--db", str(sandbox / "option.db"), "customer", "add", "x")
    assert files_under(sandbox) == {Path("option.db")}
    assert names(cli, "--db", str(sandbox / "option.db")) == ["x"]
    assert names(cli) == []
    assert files_under(sandbox) == {Path("option.db")}  # reading the missing file made none


def test_salesflow_db_may_start_with_a_tilde(cli, sandbox, monkeypatch):
    monkeypatch.setenv("SALESFLOW_DB", "~/books/book.db")
    cli("customer", "add", "x")
    assert files_under(sandbox) == {Path("home/books/book.db")}


@pytest.mark.skipif(sys.platform != "linux", reason="platformdirs' XDG layout")
def test_without_salesflow_db_the_book_lands_in_the_xdg_data_folder(cli, sandbox, monkeypatch):
    monkeypatch.delenv("SALESFLOW_DB")
    cli("customer", "add", "x")
    assert files_under(sandbox) == {Path("xdg/salesflow/salesflow.db")}
    assert mode(sandbox / "xdg" / "salesflow" / "salesflow.db") == 0o600
    assert mode(sandbox / "xdg" / "salesflow") == 0o700
    assert names(cli) == ["x"]


@pytest.mark.skipif(sys.platform != "linux", reason="platformdirs' XDG layout")
def test_without_any_setting_the_book_lands_under_home(cli, sandbox, monkeypatch):
    monkeypatch.delenv("SALESFLOW_DB")
    monkeypatch.delenv("XDG_DATA_HOME")
    cli("customer", "add", "x")
    assert files_under(sandbox) == {Path("home/.local/share/salesflow/salesflow.db")}


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
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    # user_version is the one record of the schema version: no second table to drift.
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "_sqlite_migrations" not in tables


def test_reopening_a_current_file_applies_nothing_again(isolated_book, monkeypatch):
    db.open_db(isolated_book, write=True).close()

    def refuse(conn):
        raise AssertionError("a current book was migrated again")

    monkeypatch.setattr(migrations, "STEPS", [refuse] * len(migrations.STEPS))
    conn = db.open_db(isolated_book, write=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
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
    newer.execute(f"PRAGMA user_version = {db.latest_version() + 1}")
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


@pytest.mark.parametrize("seconds", ["0", "2.5", "86400"])
def test_busy_timeout_accepts_seconds_from_zero_to_a_day(cli, monkeypatch, seconds):
    monkeypatch.setenv("SALESFLOW_BUSY_TIMEOUT", seconds)
    cli("customer", "add", "x")
    assert names(cli) == ["x"]


@pytest.mark.parametrize("seconds", ["soon", "", "-1", "86401", "nan", "inf"])
def test_busy_timeout_that_is_not_seconds_is_refused_before_any_write(cli, monkeypatch, seconds):
    cli("customer", "add", "kept")
    monkeypatch.setenv("SALESFLOW_BUSY_TIMEOUT", seconds)
    result = cli("customer", "add", "x", code=2)
    assert result.stderr == (
        f"Error: SALESFLOW_BUSY_TIMEOUT must be a number of seconds, not {seconds!r}\n"
    )
    monkeypatch.delenv("SALESFLOW_BUSY_TIMEOUT")
    assert names(cli) == ["kept"]
