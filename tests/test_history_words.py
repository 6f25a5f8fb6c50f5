"""What `history`, `undo` and `redo` say of a change reads in the reader's language, worded
anew from the parts the book keeps beside the English summary; JSON and CSV keep the English
as stored. m010 adds the parts to a book of an earlier release without touching its log.

Starts from `tests/data/book-m001.sqlite` (schema 1) for the upgrade.
"""

import json
import re
import sqlite3
from pathlib import Path

import pytest
from books import opened_before, tables

from salesflow import db, history, i18n, migrations

STEP = migrations.m010_change_summaries_in_parts


@pytest.fixture
def chinese():
    i18n.install("zh")
    yield
    i18n.install("en")


def logged(path: Path) -> list[dict]:
    conn = db.open_db(path, write=False)
    try:
        return history.list_changes(conn)
    finally:
        conn.close()


@pytest.fixture
def worked(cli, tmp_path):
    """A morning's work touching most kinds of change, its summaries as the log keeps them."""
    cli("customer", "add", "张三", "--owner", "李娜")
    cli("log", "张三", "电话回访", "--next", "2026-03-20")
    cli("contact", "edit", "1", "--channel", "visit", "--outcome", "有意向")
    cli("product", "add", "洗发水", "--price", "89", "--cycle-days", "30")
    cli("sale", "add", "张三", "洗发水", "--quantity", "2")
    cli("sale", "edit", "1", "--amount", "150", "--quantity", "3")
    cli("deal", "add", "张三", "年度采购", "--amount", "5000")
    cli("deal", "won", "1", "--force", "--reason", "签约")
    cli("config", "set", "cadence.A", "10")
    cli("config", "set", "notify.secret", "SEC-do-not-log")
    customers = tmp_path / "more.csv"
    customers.write_text("name,phone\n" + "".join(f"客户{n},1380000{n:04d}\n" for n in range(7)))
    cli("import", "customers", customers)
    keys = [item["key"] for item in cli.json("remind", "--format", "json")]
    assert len(keys) > 5
    cli("remind", "done", *keys)
    return keys


def test_the_log_keeps_english_summaries_and_their_parts(worked, isolated_book):
    rows = {row["command"]: row for row in reversed(logged(isolated_book))}
    assert rows["sale edit"]["summary"] == "edited sale #1 (quantity, amount)"
    assert rows["deal won"]["summary"] == "won deal #1 (forced)"
    assert rows["import customers"]["summary"] == "imported 7 customers from more.csv"
    done = rows["remind done"]["summary"]
    assert done == f"done {', '.join(worked[:5])} and {len(worked) - 5} more"
    parts = json.loads(rows["sale edit"]["summary_parts"])
    assert parts == {
        "message": "edited sale #{id} ({fields})",
        "values": {"fields": "quantity, amount", "id": 1},
    }


def test_every_change_reads_in_chinese_with_its_numbers(worked, isolated_book, chinese):
    rows = logged(isolated_book)
    assert len(rows) == 12
    for row in rows:
        words = history.worded(row)
        assert words != row["summary"] and "{" not in words, row
        assert not re.search(r"\b(added|edited|logged|recorded|won|set|imported|done)\b", words)
        # every id, count and key of the English is in the Chinese too
        tokens = [*re.findall(r"\d+", row["summary"]), *(k for k in worked if k in row["summary"])]
        for token in tokens:
            assert token in words, (token, words)
    shown = {row["command"]: history.worded(row) for row in rows}
    assert shown["deal won"] == "赢单：商机 #1（强制）"
    assert shown["sale edit"] == "修改销售 #1（quantity, amount）"


def test_a_built_in_stage_reads_by_its_chinese_label(cli, isolated_book, chinese):
    cli("customer", "add", "张三")
    cli("deal", "add", "张三", "年度采购")
    cli("deal", "advance", "1", "--force", "--reason", "急单")
    cli("deal", "back", "1", "--reason", "客户改期")
    with sqlite3.connect(isolated_book) as conn:
        (key, label), *_ = conn.execute(
            "SELECT s.key, s.label_zh FROM deal_history h JOIN stages s ON s.id = h.stage_id"
            " WHERE h.deal_id = 1 ORDER BY h.id DESC LIMIT 2 OFFSET 1"
        ).fetchall()
    changes = {row["command"]: row for row in logged(isolated_book)}
    advanced, back = changes["deal advance"], changes["deal back"]
    assert advanced["summary"] == f"moved deal #1 to {key}"
    assert key not in history.worded(advanced) and label in history.worded(advanced)
    assert back["summary"].startswith("moved deal #1 back to ")
    assert history.worded(back).startswith("将商机 #1 退回到 ")
    i18n.install("en")
    assert history.worded(advanced) == advanced["summary"]


def test_every_kind_of_import_has_its_own_sentence():
    from salesflow import choices, imports

    assert set(imports.IMPORTED) == set(choices.IMPORT_KINDS)
    assert {message.format(count=3, file="f.csv") for message in imports.IMPORTED.values()} == {
        f"imported 3 {kind} from f.csv" for kind in choices.IMPORT_KINDS
    }


def test_a_secret_setting_leaves_no_trace_in_the_log(worked, isolated_book):
    with sqlite3.connect(isolated_book) as conn:
        stored = conn.execute("SELECT summary, summary_parts FROM changes").fetchall()
    assert (
        "set notify.secret",
        '{"message": "set {key}", "values": {"key": "notify.secret"}}',
    ) in (stored)
    assert not any("SEC-do-not-log" in (text or "") for row in stored for text in row)


def test_json_and_csv_keep_the_english_the_table_words_it(run, worked):
    chinese, english = (
        run(language, [["history"], ["history", "--format", "json"], ["history", "-f", "csv"]])
        for language in ("zh", "en")
    )
    assert chinese[1]["stdout"] == english[1]["stdout"]
    assert chinese[2]["stdout"] == english[2]["stdout"]
    logged_json = json.loads(english[1]["stdout"])
    assert all(
        set(row) == {"id", "at", "command", "summary", "records", "undone"} for row in logged_json
    )
    assert "赢单：商机 #1（强制）" in chinese[0]["stdout"]
    assert "won deal #1 (forced)" in english[0]["stdout"]
    assert "won deal" not in chinese[0]["stdout"]


def test_undo_and_redo_say_it_in_the_language_and_json_stays_english(run, cli):
    cli("customer", "add", "张三")
    undone, redone = run("zh", [["undo", "--format", "json"], ["redo", "--format", "json"]])
    assert undone["stderr"].strip() == "已撤销修改 #1（customer add）：添加客户 #1"
    assert redone["stderr"].startswith("已重做修改 #1（customer add）：添加客户 #1")
    for said in (undone, redone):
        assert json.loads(said["stdout"]) == {
            "id": 1,
            "command": "customer add",
            "summary": "added customer #1",
            "records": 1,
        }


def test_a_change_logged_before_the_parts_reads_as_stored(cli, isolated_book, chinese):
    cli("customer", "add", "张三")
    with sqlite3.connect(isolated_book) as conn:
        conn.execute("UPDATE changes SET summary_parts = NULL")
    [row] = logged(isolated_book)
    assert history.worded(row) == "added customer #1"
    with sqlite3.connect(isolated_book) as conn:  # parts that cannot be read: as stored too
        conn.execute("UPDATE changes SET summary_parts = '{\"message\": 1}'")
    [row] = logged(isolated_book)
    assert history.worded(row) == "added customer #1"


def test_m010_adds_the_parts_and_keeps_every_row(old_book):
    conn = opened_before(old_book, STEP)
    before = tables(conn)
    assert len(before["changes"]) > 0
    STEP(conn)
    conn.execute("COMMIT")
    after = tables(conn)
    assert set(after) == set(before)
    assert {name: rows for name, rows in after.items() if name != "changes"} == {
        name: rows for name, rows in before.items() if name != "changes"
    }
    # the log's rows as they were, each with no parts yet
    assert [row[:-1] for row in after["changes"]] == before["changes"]
    assert all(row[-1] is None for row in after["changes"])
    conn.close()


def test_an_upgraded_book_words_its_old_log_as_stored_and_its_new_changes_anew(
    old_book, cli, chinese
):
    cli("--db", old_book, "customer", "add", "王五")
    rows = logged(old_book)
    newest, older = rows[0], rows[1:]
    assert history.worded(newest).startswith("添加客户 #")
    assert [history.worded(row) for row in older] == [row["summary"] or "" for row in older]
