"""Faults around the file: disk full, read-only, missing folder, foreign, newer, damaged."""

import shutil
import sqlite3
import stat
import subprocess

import pytest

from salesflow import db

from .conftest import assert_clean_failure, count, integrity, run


def test_disk_full_mid_import_changes_nothing(book, tmp_path, monkeypatch, cli_runner_env):
    rows = ["customer_ref,amount,date,rep,store"] + [
        f"R{n % 200 + 1},{n}.25,2026-03-01,{'销售员' * 20},{'门店' * 30}" for n in range(30_000)
    ]
    source = tmp_path / "sales.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    pages = sqlite3.connect(book).execute("PRAGMA page_count").fetchone()[0]
    imports_before = count(book, "imports")
    opened = db.open_db

    def nearly_full(path, *, write):
        conn = opened(path, write=write)
        conn.execute(f"PRAGMA max_page_count = {pages + 20}")
        return conn

    monkeypatch.setattr(db, "open_db", nearly_full)
    result = cli_runner_env(book, "import", "sales", str(source))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the database could not be written")
    assert "nothing was changed" in result.stderr
    assert count(book, "sales") == 0 and count(book, "imports") == imports_before
    assert integrity(book) == "ok"


@pytest.fixture
def immutable(book):
    """The file made read-only even for root (chattr +i), restored afterwards."""
    if (
        shutil.which("chattr") is None
        or subprocess.run(["chattr", "+i", str(book)], capture_output=True).returncode
    ):
        pytest.skip("chattr +i is not available on this filesystem")
    yield book
    subprocess.run(["chattr", "-i", str(book)], check=True)


def test_read_only_file_refuses_writes_and_still_reads(immutable):
    before = immutable.read_bytes()
    assert_clean_failure(run(immutable, "customer", "add", "x"), 1)
    assert_clean_failure(run(immutable, "log", "R1", "call"), 1)
    listed = run(immutable, "customer", "list", "--format", "json")
    assert listed.returncode == 0 and "客户1" in listed.stdout
    assert immutable.read_bytes() == before


def test_missing_folder_is_created_private_and_an_impossible_one_refused(tmp_path):
    nested = tmp_path / "a" / "b" / "book.db"
    assert run(nested, "customer", "add", "x").returncode == 0
    assert stat.S_IMODE(nested.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(nested.stat().st_mode) == 0o600
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    assert_clean_failure(run(blocker / "sub" / "book.db", "customer", "add", "x"), 1)
    assert blocker.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("content", [b"hello, not a database", b"\x00" * 4096, b"SQLite format 2"])
def test_non_database_files_are_refused_untouched(tmp_path, content):
    path = tmp_path / "data.db"
    path.write_bytes(content)
    for command in (["customer", "add", "x"], ["customer", "list"], ["remind"], ["check"]):
        assert_clean_failure(run(path, *command), 1)
    assert path.read_bytes() == content


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE notes (text)")
    other.execute("INSERT INTO notes VALUES ('keep me')")
    other.commit()
    other.close()
    before = path.read_bytes()
    assert_clean_failure(run(path, "customer", "add", "x"), 1)
    assert path.read_bytes() == before


def test_newer_schema_is_refused_untouched(book):
    newer = sqlite3.connect(book)
    newer.execute(f"PRAGMA user_version = {db.latest_version() + 5}")
    newer.close()
    before = book.read_bytes()
    for command in (["customer", "list"], ["log", "R1", "x"], ["remind"]):
        result = run(book, *command)
        assert_clean_failure(result, 1)
        assert "newer salesflow" in result.stderr
    assert book.read_bytes() == before
    assert_clean_failure(run(book, "check"), 1)


def test_byte_damaged_file_fails_cleanly_and_check_reports_it(book, tmp_path):
    damaged = tmp_path / "damaged.db"
    assert run(book, "backup", str(damaged)).returncode == 0
    data = bytearray(damaged.read_bytes())
    for offset in range(4096, len(data), 4096):
        data[offset : offset + 64] = b"\xa5" * 64
    damaged.write_bytes(bytes(data))
    before = damaged.read_bytes()
    for command in (["customer", "list"], ["sale", "list"], ["remind"], ["customer", "add", "y"]):
        result = run(damaged, *command)
        if result.returncode:  # pages this command never reads may be intact
            assert_clean_failure(result, 1)
    checked = run(damaged, "check")
    assert_clean_failure(checked, 1)
    assert "damaged" in checked.stdout.lower() or "integrity" in checked.stdout
    assert damaged.read_bytes() == before
