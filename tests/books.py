"""Books written by earlier releases, for the upgrade tests."""

import sqlite3
from collections.abc import Callable
from pathlib import Path

# Written by the first release (schema 1): a 40-customer demo book, a customer locked at
# "no tier" with a tag and a profile fact, and a tier set by hand.
M001_BOOK = Path(__file__).parent / "data" / "book-m001.sqlite"


def tables(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {name: sorted(conn.execute(f"SELECT * FROM {name}"), key=repr) for name in names}


def opened_before(path: Path, step: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
    """A first-release book at `path`, opened and brought up to the schema just before
    `step`, inside a transaction the caller ends (after taking `step` itself)."""
    from salesflow import migrations

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    for earlier in migrations.STEPS[1 : migrations.STEPS.index(step)]:
        earlier(conn)
    return conn
