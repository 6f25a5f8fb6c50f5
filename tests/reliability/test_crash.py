"""kill -9 while an import is writing: the file stays intact and the import all-or-nothing."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import count, integrity, run, salesflow_env

ROWS = 60_000
MIB = 1024 * 1024
WAL_HEADER = 32
WAL_FRAME = 24 + 4096
# An import keeps its rows in a large page cache and writes them to the write-ahead log as it
# commits; they only count once that whole write is done, ending with the frame that marks the
# commit. Killing once the log has grown this far lands inside the write, before it counts.
KILL_POINTS = {
    "first page written": WAL_HEADER + WAL_FRAME,
    "1 MiB written": MIB,
    "2 MiB written": 2 * MIB,
    "3 MiB written": 3 * MIB,
}
# A scenario is tried again when its kill came too late, which only a machine so loaded that
# the watcher misses the whole write can cause; each must land in the write at least once.
ATTEMPTS = 5


@pytest.fixture
def big_sales(tmp_path):
    path = tmp_path / "sales.csv"
    lines = ["customer_ref,product,quantity,amount,date"]
    lines += [
        f"R{n % 200 + 1},茶,{n % 3 + 1},{n % 997}.50,2026-0{n % 3 + 1}-1{n % 9}"
        for n in range(ROWS)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wal_size(db: Path) -> int:
    try:
        return Path(f"{db}-wal").stat().st_size
    except FileNotFoundError:
        return 0


def empty_wal(db: Path) -> None:
    """Start each run from an empty log, so its growth is the import's own writing."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    assert wal_size(db) == 0


def start_import(db: Path, source: Path, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "salesflow", "import", "sales", str(source)],
        env=salesflow_env(db),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def watch(process: subprocess.Popen, db: Path, kill_at: int | None = None) -> int:
    """Follow the log while the import runs, killing it once the log reaches `kill_at`
    bytes; returns the largest size seen."""
    largest = 0
    lowered = False
    while process.poll() is None:
        size = wal_size(db)
        largest = max(largest, size)
        if kill_at is not None and size >= kill_at:
            process.kill()
            break
        if size == 0:
            time.sleep(0.0005)  # still reading the CSV: no need to spin
        elif kill_at is not None and not lowered:
            # The write takes milliseconds: on a busy machine the watcher must get the CPU
            # before the import does, or the kill lands late.
            os.setpriority(os.PRIO_PROCESS, process.pid, 19)
            lowered = True
    process.wait()
    return largest


def tally(db: Path) -> dict[str, int]:
    return {table: count(db, table) for table in ("sales", "imports", "changes")}


def restore(db: Path, copy: Path) -> None:
    for leftover in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(copy, db)


def test_kill_9_mid_import_leaves_all_or_nothing(book, big_sales, tmp_path):
    empty_wal(book)
    pristine = tmp_path / "pristine.db"
    shutil.copyfile(book, pristine)
    before = tally(book)
    for scenario, threshold in KILL_POINTS.items():
        for _ in range(ATTEMPTS):
            empty_wal(book)
            process = start_import(book, big_sales)
            seen = watch(process, book, kill_at=threshold)
            assert process.returncode in (0, -signal.SIGKILL), (scenario, process.returncode)
            if process.returncode == -signal.SIGKILL:
                assert wal_size(book) >= threshold, scenario  # the file grew before the kill
            assert integrity(book) == "ok", (scenario, seen)
            after = tally(book)
            if process.returncode == -signal.SIGKILL and after == before:
                break  # killed while writing, and nothing of the import was committed
            # Only a loaded machine gets here: the watcher was off the CPU until the commit
            # was done. Then all of the import is there; start the scenario again.
            assert after["sales"] == before["sales"] + ROWS, (scenario, seen, after)
            restore(book, pristine)
        else:
            pytest.fail(f"no kill landed inside the import's write ({scenario})")

    empty_wal(book)
    with (tmp_path / "stderr.txt").open("w+", encoding="utf-8") as stderr:
        process = start_import(book, big_sales, stderr=stderr)
        largest = watch(process, book)
        stderr.seek(0)
        # Not refused as already imported: none of the killed runs left a record behind.
        assert process.returncode == 0, stderr.read()
    assert count(book, "sales") == before["sales"] + ROWS
    # The whole commit writes well past the last kill point, so every kill fell inside it.
    assert largest >= max(KILL_POINTS.values()) + MIB, largest
    assert run(book, "check").returncode == 0
