"""m005 brings units, deposits, people gates, standard questions, closing techniques and
campaigns to a book of an earlier release, and the built-in pipelines it holds get their
people gate and the needs stage its four questions.

Starts from `tests/data/book-m001.sqlite` (schema 1, a 40-customer demo book).
"""

import sqlite3

from salesflow import db, migrations, pipelines

STEP = migrations.m005_units_people_questions_techniques_campaigns
NEW_TABLES = {"units", "deal_deposits", "stage_questions", "deal_answers", "techniques",
              "campaigns"}  # fmt: skip


def rows(conn: sqlite3.Connection, table: str, columns: list[str]) -> list[tuple]:
    return sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table}"), key=repr)


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_m005_keeps_every_row_and_marks_the_built_in_gates(old_book):
    conn = sqlite3.connect(old_book, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    step = migrations.STEPS.index(STEP)
    with db.transaction(conn):
        for earlier in migrations.STEPS[1:step]:
            earlier(conn)
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        before = {name: (columns(conn, name), rows(conn, name, columns(conn, name)))
                  for name in tables if not name.startswith("sqlite_")}  # fmt: skip
        STEP(conn)
    for name, (names, kept) in before.items():
        assert rows(conn, name, names) == kept, name
    after = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert after - set(before) == NEW_TABLES
    gated = conn.execute(
        "SELECT i.text, i.requires_roles FROM stage_items i JOIN stages s ON s.id = i.stage_id"
        " JOIN pipelines p ON p.id = s.pipeline_id WHERE i.requires_roles IS NOT NULL"
    ).fetchall()
    assert [(text, pipelines.roles_of(roles)) for text, roles in gated] == [
        (pipelines.PEOPLE_GATE_ITEM, ["coach", "decision-maker"])
    ]
    asked = [r[0] for r in conn.execute("SELECT text FROM stage_questions ORDER BY position")]
    assert asked == list(pipelines.NEEDS_QUESTIONS)
    answers = conn.execute("SELECT text FROM stage_items WHERE requires_answers = 1").fetchall()
    assert answers == [(pipelines.QUESTIONS_ITEM,)]
    assert conn.execute("SELECT count(*) FROM techniques WHERE builtin = 1").fetchone()[0] == 8
    conn.close()


def test_a_fresh_book_and_an_upgraded_one_hold_the_same_method(old_book, cli):
    upgraded = db.open_db(old_book, write=True)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    upgraded.close()
    assert db.check(old_book)["ok"]
    for name in ("key-account", "seven-step"):
        assert cli.json("--db", old_book, "pipeline", "show", name) == cli.json(
            "pipeline", "show", name
        )
    assert cli.json("--db", old_book, "technique", "list") == cli.json("technique", "list")
    seven_step = [d for d in cli.json("--db", old_book, "deal", "list") if d["pipeline"] ==
                  "seven-step" and d["status"] == "open"]  # fmt: skip
    deal_id = str(seven_step[0]["id"])
    cli("--db", old_book, "deal", "answer", deal_id, "1", "too slow")
    shown = cli.json("--db", old_book, "deal", "show", deal_id)
    assert [q["answer"] for q in shown["questions"]] == ["too slow", None, None, None]
    cli("--db", old_book, "unit", "add", "A-1")
    assert cli.json("--db", old_book, "report", "units")[0]["units"] == 1
