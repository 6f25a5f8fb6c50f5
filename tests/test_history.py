"""history and undo of every kind of change; merge; backup and check; summary columns."""

import json
import math
import sqlite3

import pytest

from salesflow import db


def latest_purchases(conn):
    """Per customer and product: the latest purchase day, the quantity bought that day and
    the day it runs out — recomputed here from the sales themselves."""
    from datetime import date, timedelta

    cycles = dict(conn.execute("SELECT id, cycle_days FROM products").fetchall())
    latest = {}
    for customer, product, day, quantity in conn.execute(
        "SELECT customer_id, product_id, date, quantity FROM sales WHERE product_id IS NOT NULL"
    ):
        key = (customer, product)
        if key not in latest or day > latest[key][0]:
            latest[key] = [day, quantity]
        elif day == latest[key][0]:
            latest[key][1] += quantity
    expected = {}
    for key, (day, quantity) in latest.items():
        cycle = cycles[key[1]]
        runs_out = (
            None
            if cycle is None
            else (date.fromisoformat(day) + timedelta(days=int(quantity * cycle))).isoformat()
        )
        expected[key] = (day, quantity, runs_out)
    return expected


def summaries_match(conn):
    """The maintained columns and tables equal a recomputation from the history."""
    stored = {
        (c, p): (d, q, r) for c, p, d, q, r in conn.execute("SELECT * FROM customer_products")
    }
    if stored != latest_purchases(conn):
        return False
    per_day: dict = {}
    for day, rep, quantity, cents in conn.execute(
        "SELECT date, rep, quantity, amount_cents FROM sales"
    ):
        orders, units, amount = per_day.get((day, rep), (0, 0, 0))
        per_day[(day, rep)] = (orders + 1, units + quantity, amount + cents)
    kept = {(d, r): (o, q, c) for d, r, o, q, c in conn.execute("SELECT * FROM sales_days")}
    if kept.keys() != per_day.keys() or any(  # quantities are floats, summed in another order
        (o, c) != (per_day[key][0], per_day[key][2]) or not math.isclose(q, per_day[key][1])
        for key, (o, q, c) in kept.items()
    ):
        return False
    mismatched = conn.execute(
        """SELECT count(*) FROM customers c WHERE
           c.last_contact_at IS NOT (SELECT max(at) FROM contacts WHERE customer_id = c.id)
           OR c.last_sale_on IS NOT (SELECT max(date) FROM sales WHERE customer_id = c.id)
           OR c.next_follow_up IS NOT (SELECT next_at FROM contacts WHERE customer_id = c.id
                                       ORDER BY at DESC, id DESC LIMIT 1)"""
    ).fetchone()[0]
    return mismatched == 0


def snapshot(conn):
    tables = (
        "customers",
        "contacts",
        "sales",
        "products",
        "deals",
        "deal_history",
        "deal_checks",
        "stakeholders",
        "objections",
        "objection_uses",
        "settings",
        "imports",
    )
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


@pytest.fixture
def filled(cli):
    cli("customer", "add", "张三", "--ref", "M1", "--phone", "138 0013 8000", "--tag", "a")
    cli("customer", "add", "李四", "--email", "ls@x.cn", "--set", "hobby=tea")
    cli("product", "add", "茶", "--price", "10", "--cycle-days", "30")
    cli("product", "add", "壶", "--price", "99")
    cli("log", "张三", "call", "--at", "2026-03-01", "--next", "2026-03-10")
    cli("sale", "add", "张三", "茶", "--date", "2026-03-02")
    cli("sale", "add", "张三", "茶", "--date", "2026-03-02", "--quantity", "2")
    cli("sale", "add", "李四", "茶", "--date", "2026-02-02")
    cli("sale", "add", "李四", "壶", "--date", "2026-02-03")
    cli("log", "李四", "visit", "--at", "2026-03-03")
    cli("sale", "add", "李四", "--amount", "5", "--date", "2026-03-04")
    cli("deal", "add", "李四", "deal", "--amount", "100")


COMMANDS = [
    ("customer", "edit", "张三", "--name", "张三丰", "--tier", "A", "--untag", "a"),
    ("customer", "delete", "张三", "--yes"),
    ("customer", "merge", "张三", "李四", "--yes"),
    ("log", "李四", "again", "--at", "2026-03-09", "--next", "2026-04-01"),
    ("sale", "add", "李四", "--amount", "1", "--date", "2026-03-08"),
    ("sale", "add", "李四", "茶", "--date", "2026-03-08", "--quantity", "3"),
    ("sale", "add", "李四", "茶", "--date", "2026-01-08"),
    ("deal", "advance", "1", "--force", "--reason", "x"),
    ("deal", "won", "1", "--record-sale", "--force", "--reason", "signed early"),
    ("deal", "check", "1", "1"),
    ("tiers", "--apply"),
    ("config", "set", "cadence.A", "3"),
    ("stakeholder", "add", "李四", "王总", "--role", "coach"),
    ("objection", "add", "贵", "--response", "算账"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_undo_restores_the_book_exactly(cli, conn, filled, command):
    before = snapshot(conn)
    cli(*command)
    assert summaries_match(conn)
    assert snapshot(conn) != before
    cli("undo")
    assert snapshot(conn) == before
    assert summaries_match(conn)


def test_undo_of_an_import_removes_it_whole(cli, conn, filled, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "customer_ref,customer,product,amount,date\n"
        + "M1,,茶,1,2026-03-12\n" * 50
        + "NEW,新人,茶,2,2026-03-13\n",
        encoding="utf-8",
    )
    before = snapshot(conn)
    cli("import", "sales", path, "--create-customers")
    assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 56
    assert summaries_match(conn)
    cli("undo")
    assert snapshot(conn) == before and summaries_match(conn)
    cli("import", "sales", path, "--create-customers")  # not "already imported" any more


def test_undo_walks_back_one_change_at_a_time(cli, conn):
    cli("customer", "add", "a")
    cli("customer", "add", "b")
    cli("undo")
    assert [r["name"] for r in cli.json("customer", "list")] == ["a"]
    cli("undo")
    assert cli.json("customer", "list") == []
    assert cli("undo", code=1).stderr.startswith("Error: there is nothing to undo")
    log = cli.json("history")
    assert [(r["command"], r["undone"]) for r in log] == [("customer add", True)] * 2


def test_history_lists_newest_first_with_limit(cli):
    cli("customer", "add", "a")
    cli("log", "a", "x")
    rows = cli.json("history", "--limit", "1")
    assert [r["command"] for r in rows] == ["log"]
    assert set(rows[0]) == {"id", "at", "command", "summary", "records", "undone"}


def test_merge_moves_history_and_fills_missing_facts(cli, conn, filled):
    cli("stakeholder", "add", "李四", "王总", "--role", "decision-maker")
    cli("customer", "merge", "M1", "ls@x.cn", "--yes")
    keeper = cli.json("customer", "show", "M1")
    assert keeper["email"] == "ls@x.cn" and keeper["profile"] == {"hobby": "tea"}
    assert keeper["last_sale_on"] == "2026-03-04" and keeper["last_contact_at"] == "2026-03-03"
    assert len(cli.json("sale", "list", "--customer", "M1")) == 5
    assert [s["name"] for s in cli.json("stakeholder", "list", "M1")] == ["王总"]
    assert cli.json("deal", "list")[0]["customer"] == "张三"
    assert [c["name"] for c in cli.json("customer", "list")] == ["张三"]
    assert summaries_match(conn)
    cli("customer", "merge", "M1", "M1", "--yes", code=1)


def test_merge_asks_first(cli, filled):
    cli("customer", "merge", "张三", "李四", input="n\n", code=1)
    assert len(cli.json("customer", "list")) == 2


def test_backup_is_a_consistent_private_copy(cli, isolated_book, tmp_path, filled):
    target = tmp_path / "copy.db"
    holder = sqlite3.connect(isolated_book, isolation_level=None)
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM customers").fetchone()
    cli("backup", target)
    holder.execute("ROLLBACK")
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT count(*) FROM customers").fetchone()[0] == 2
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    cli("backup", target, code=1)  # never overwrites


def test_check_passes_a_good_file_and_fails_a_damaged_one(cli, isolated_book, tmp_path, filled):
    assert cli("check").stdout.strip().endswith("ok")
    report = cli.json("check")
    assert report["ok"] and report["schema_version"] == db.latest_version()
    damaged = tmp_path / "damaged.db"
    cli("backup", damaged)
    data = bytearray(damaged.read_bytes())
    for offset in range(4096, len(data), 4096):
        data[offset + 10 : offset + 200] = b"\xa5" * 190
    damaged.write_bytes(bytes(data))
    result = cli("--db", damaged, "check", code=1)
    assert "Traceback" not in result.stderr and result.stderr.startswith("Error: ")
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    assert cli("--db", text, "check", code=1).stderr.startswith("Error: ")


def test_check_names_customers_whose_profile_or_tags_are_not_json(cli, isolated_book, filled):
    conn = sqlite3.connect(isolated_book)
    conn.execute("UPDATE customers SET tags = '[\"vip\"' WHERE id = 1")
    conn.execute("UPDATE customers SET profile = 'NaN' WHERE id = 2")
    conn.commit()
    conn.close()
    report = json.loads(cli("check", "--format", "json", code=1).stdout)
    assert report["problems"] == ["2 customers have a profile or tags that are not JSON"]
    assert "vip" not in cli("check", code=1).stderr  # counted, never shown
    # a listing that meets such a field says so in one line, as for any damage
    for args in (("customer", "list"), ("customer", "show", "1")):
        result = cli(*args, code=1)
        assert result.stderr == (
            "Error: the database file is damaged; run `salesflow check` (nothing was changed)\n"
        )
