"""kill -9 in the middle of an import: the file stays intact and the import all-or-nothing."""

import signal
import subprocess
import sys
import time

import pytest

from .conftest import count, integrity, run, salesflow_env

ROWS = 60_000


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


def test_kill_9_mid_import_leaves_all_or_nothing(book, big_sales):
    started = time.perf_counter()
    assert run(book, "import", "sales", str(big_sales), "--dry-run").returncode == 0
    duration = time.perf_counter() - started
    before = count(book, "sales")
    for fraction in (0.2, 0.45, 0.7, 0.9):
        process = subprocess.Popen(
            [sys.executable, "-m", "salesflow", "import", "sales", str(big_sales), "--again"],
            env=salesflow_env(book),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert integrity(book) == "ok"
        after = count(book, "sales")
        assert after in (before, before + ROWS), (fraction, after)
        before = after
    finished = run(book, "import", "sales", str(big_sales), "--again")
    assert finished.returncode == 0, finished.stderr
    assert count(book, "sales") == before + ROWS
    assert run(book, "check").returncode == 0
