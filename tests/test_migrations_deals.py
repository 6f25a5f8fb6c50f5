"""Upgrading a first-release book to closing stages and deal notes: the built-in pipelines
it already holds get their closing stage, every row stays, the version is current."""

import sqlite3
from pathlib import Path

from salesflow import db, migrations, pipelines


def rows_of(path: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    rows = conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
    conn.close()
    return rows


def test_every_deal_and_stage_row_is_kept(old_book):
    before = {table: rows_of(old_book, table) for table in ("deals", "stages", "deal_history")}
    assert before["deals"] and before["stages"]
    db.open_db(old_book, write=True).close()
    for table, rows in before.items():
        after = rows_of(old_book, table)
        assert [row[: len(rows[0])] for row in after] == rows, table


def test_the_built_in_pipelines_of_an_old_book_get_their_closing_stage(old_book):
    conn = db.open_db(old_book, write=True)
    closing = dict(
        conn.execute(
            "SELECT p.name, s.key FROM stages s JOIN pipelines p ON p.id = s.pipeline_id"
            " WHERE s.closing = 1"
        ).fetchall()
    )
    assert closing == {
        "key-account": "negotiation",
        "seven-step": "closing",
        "showroom": "contract",
        "retail": "purchase",
    }
    assert conn.execute("SELECT count(*) FROM stages WHERE closing = 1").fetchone()[0] == 4
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    assert conn.execute("SELECT count(*) FROM deals WHERE notes IS NOT NULL").fetchone()[0] == 0
    conn.close()
    assert db.check(old_book)["ok"]


def test_a_new_book_marks_the_same_closing_stages_as_an_upgraded_one(old_book, conn):
    pipelines.ensure_builtins(conn)
    fresh = conn.execute(
        "SELECT p.name, s.key, s.closing FROM stages s JOIN pipelines p ON p.id = s.pipeline_id"
        " ORDER BY p.name, s.key"
    ).fetchall()
    upgraded_conn = db.open_db(old_book, write=True)
    upgraded = upgraded_conn.execute(
        "SELECT p.name, s.key, s.closing FROM stages s JOIN pipelines p ON p.id = s.pipeline_id"
        " ORDER BY p.name, s.key"
    ).fetchall()
    upgraded_conn.close()
    assert [tuple(row) for row in fresh] == [tuple(row) for row in upgraded]


def test_an_upgraded_book_reports_its_open_pipeline_without_delivery_stages(old_book, cli):
    conn = sqlite3.connect(old_book)
    in_delivery = conn.execute(
        """SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id
           WHERE d.status = 'open' AND s.key IN ('implementation', 'follow-up')"""
    ).fetchone()[0]
    opened = conn.execute("SELECT count(*) FROM deals WHERE status = 'open'").fetchone()[0]
    conn.close()
    counted = sum(row["count"] for row in cli.json("--db", old_book, "report", "pipeline"))
    assert counted == opened - in_delivery
