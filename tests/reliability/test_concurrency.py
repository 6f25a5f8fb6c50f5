"""Several writers at once, readers that never block writers, and the busy timeout."""

import sqlite3
import subprocess
import sys
import time

from .conftest import assert_clean_failure, count, run, salesflow_env

WRITERS = 4
WRITES = 8


def test_concurrent_writers_lose_nothing(book):
    script = (
        "import subprocess, sys\n"
        "for n in range({writes}):\n"
        "    args = ['log', 'R{who}', f'call {{n}}'] if n % 2 else "
        "['sale', 'add', 'R{who}', '--amount', '1.5']\n"
        "    subprocess.run([sys.executable, '-m', 'salesflow', *args], check=True,\n"
        "                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script.format(writes=WRITES, who=who + 1)],
            env=salesflow_env(book),
        )
        for who in range(WRITERS)
    ]
    assert [process.wait(timeout=300) for process in processes] == [0] * WRITERS
    assert count(book, "contacts") == WRITERS * WRITES // 2
    assert count(book, "sales") == WRITERS * WRITES // 2
    assert run(book, "check").returncode == 0


def test_a_reader_holding_a_transaction_does_not_block_a_writer(book):
    reader = sqlite3.connect(book, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM customers").fetchone()[0] == 200
    started = time.perf_counter()
    result = run(
        book, "customer", "add", "新客户", env=salesflow_env(book, SALESFLOW_BUSY_TIMEOUT="2")
    )
    assert result.returncode == 0, result.stderr
    assert time.perf_counter() - started < 2
    assert reader.execute("SELECT count(*) FROM customers").fetchone()[0] == 200  # snapshot
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM customers").fetchone()[0] == 201
    reader.close()


def test_a_held_write_lock_makes_a_writer_wait_then_exit_75(book):
    holder = sqlite3.connect(book, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = time.perf_counter()
    result = run(book, "log", "R1", "call", env=salesflow_env(book, SALESFLOW_BUSY_TIMEOUT="1"))
    waited = time.perf_counter() - started
    holder.execute("ROLLBACK")
    holder.close()
    assert_clean_failure(result, 75)
    assert "busy" in result.stderr
    assert waited >= 1
    assert count(book, "contacts") == 0


def test_readers_work_while_a_writer_holds_the_lock(book):
    holder = sqlite3.connect(book, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO products (name) VALUES ('uncommitted')")
    result = run(book, "product", "list", "--format", "json")
    holder.execute("ROLLBACK")
    holder.close()
    assert result.returncode == 0 and "uncommitted" not in result.stdout
