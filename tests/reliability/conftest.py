"""Helpers for the reliability suite: real subprocesses against a real file."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

TODAY = "2026-03-16"


def salesflow_env(db: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "SALESFLOW_DB": str(db), "SALESFLOW_TODAY": TODAY, **extra}


def run(db: Path, *args: str, env: dict[str, str] | None = None, **kwargs):
    """salesflow as a user runs it: a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "salesflow", *args],
        env=env or salesflow_env(db),
        capture_output=True,
        text=True,
        **kwargs,
    )


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def assert_clean_failure(result, code: int) -> None:
    """One `Error: …` line, the expected exit code, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: "), result.stderr


@pytest.fixture
def book(tmp_path) -> Path:
    """A file with a few customers and products, ready for imports."""
    db = tmp_path / "book.db"
    lines = ["ref,name,owner"] + [f"R{n},客户{n},李娜" for n in range(1, 201)]
    customers = tmp_path / "customers.csv"
    customers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run(db, "import", "customers", str(customers)).returncode == 0
    assert run(db, "product", "add", "茶", "--price", "10", "--cycle-days", "30").returncode == 0
    return db


@pytest.fixture
def cli_runner_env():
    """salesflow in-process (for faults injected with monkeypatch), on a given file."""
    from typer.testing import CliRunner

    from salesflow.cli import app

    def invoke(db: Path, *args: str):
        return CliRunner().invoke(app, ["--db", str(db), *args], env={"SALESFLOW_TODAY": TODAY})

    return invoke
