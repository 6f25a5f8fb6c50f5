"""A record typed on the command line and the same record read from a file are stored
alike: both go through the one rule of their kind (salesflow/validate.py)."""

import sqlite3

from salesflow import db

IGNORED = {"id", "created_at", "rowid"}


def stored(path, table, where="1"):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = [
        {k: v for k, v in zip(row.keys(), row, strict=True) if k not in IGNORED}
        for row in conn.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id")
    ]
    conn.close()
    return rows


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_customer_from_the_command_and_from_a_file_is_stored_alike(cli, tmp_path):
    typed, imported = tmp_path / "typed.db", tmp_path / "imported.db"
    cli(
        "--db", typed, "customer", "add", " 张三 ", "--ref", "M-001", "--company", "华为",
        "--phone", "138 0013 8000", "--email", "zs@example.com", "--address", "南京路1号",
        "--source", "referral", "--owner", "李娜", "--department", "华东", "--store", "南京店",
        "--tier", "none", "--economic", "good", "--buying", "bulk", "--suppliers", "ACME",
        "--urgency", "4", "--quick-effect", "3", "--price-fit", "5", "--tag", "vip",
        "--tag", "golf", "--set", "hobby=golf", "--set", "birthday=3-5", "--notes", "likes tea",
        "--created", "2026-01-02",
    )  # fmt: skip
    sheet = write(
        tmp_path / "c.csv",
        "ref,name,company,phone,email,address,source,owner,department,store,tier,economic,"
        "buying,suppliers,urgency,quick_effect,price_fit,tags,profile,notes,created\n"
        "M-001, 张三 ,华为,138 0013 8000,zs@example.com,南京路1号,referral,李娜,华东,南京店,"
        'none,good,bulk,ACME,4,3,5,"vip,golf",hobby=golf;birthday=3-5,likes tea,2026/1/2\n',
    )
    cli("--db", imported, "import", "customers", sheet)
    assert stored(typed, "customers") == stored(imported, "customers")
    row = stored(typed, "customers")[0]
    assert row["tier"] is None and row["tier_locked"] == 1
    assert row["profile"] == '{"hobby": "golf", "birthday": "03-05"}'


def test_the_same_refusal_from_the_command_and_from_a_file(cli, tmp_path):
    typed = cli("customer", "add", "X", "--email", "not-an-address", code=2)
    sheet = write(tmp_path / "c.csv", "name,email\nX,not-an-address\n")
    imported = cli("import", "customers", sheet, code=65)
    reason = "email 'not-an-address' does not look like an address"
    assert reason in typed.stderr and f"line 2: {reason}" in imported.stderr


def test_a_sale_and_a_contact_from_the_command_and_from_a_file_are_stored_alike(cli, tmp_path):
    books = tmp_path / "typed.db", tmp_path / "imported.db"
    for book in books:
        cli("--db", book, "customer", "add", "张三", "--owner", "李娜", "--store", "南京店")
        cli("--db", book, "product", "add", "洗发水", "--price", "19.99", "--cycle-days", "30")
    typed, imported = books
    cli("--db", typed, "sale", "add", "张三", "洗发水", "--quantity", "3", "--date", "2026-03-01")
    cli(
        "--db", typed, "log", "张三", " 回访 ", "--channel", "wechat", "--at", "2026-03-02 10:30",
        "--outcome", "ok", "--next", "2026-03-09",
    )  # fmt: skip
    cli(
        "--db", imported, "import", "sales",
        write(tmp_path / "s.csv", "customer,product,quantity,date\n张三,洗发水,3,2026-03-01\n"),
    )  # fmt: skip
    cli(
        "--db", imported, "import", "contacts",
        write(
            tmp_path / "k.csv",
            "customer,date,channel,summary,outcome,next\n"
            "张三,2026-03-02 10:30,微信, 回访 ,ok,2026-03-09\n",
        ),
    )  # fmt: skip
    assert stored(typed, "sales") == stored(imported, "sales")
    assert stored(typed, "sales")[0]["amount_cents"] == 5997  # 19.99 × 3 to the cent
    assert stored(typed, "contacts") == stored(imported, "contacts")
    assert stored(typed, "contacts")[0]["rep"] == "李娜"


def test_tier_locks_survive_an_export_and_import_round_trip(cli, tmp_path):
    cli("customer", "add", "无等级", "--tier", "none")
    cli("customer", "add", "手动B", "--tier", "B")
    cli("customer", "add", "自动")
    conn = db.open_db(tmp_path / "book" / "salesflow.db", write=True)
    with db.change(conn, "grade") as change:  # a tier set by grading, not by hand
        change.update("customers", 3, {"tier": "C"})
    conn.close()
    exported = tmp_path / "customers.csv"
    cli("export", "customers", "--raw", "-o", exported)
    copy = tmp_path / "copy.db"
    cli("--db", copy, "import", "customers", exported)
    tiers = {row["name"]: (row["tier"], row["tier_locked"]) for row in stored(copy, "customers")}
    assert tiers == {"无等级": (None, 1), "手动B": ("B", 1), "自动": ("C", 0)}


def test_a_deleted_customer_imported_back_keeps_its_id_counts_and_undoes(cli, tmp_path):
    cli("customer", "add", "甲", "--phone", "13800000001")
    cli("customer", "add", "乙")
    exported = tmp_path / "c.csv"
    cli("export", "customers", "--raw", "-o", exported)
    cli("customer", "delete", "甲", "--yes")
    result = cli("import", "customers", exported)
    assert "Imported 1 customers" in result.stderr and "1 unchanged" in result.stderr
    assert [(row["id"], row["name"]) for row in cli.json("customer", "list")] == [
        (1, "甲"),
        (2, "乙"),
    ]
    cli("undo")
    assert [row["name"] for row in cli.json("customer", "list")] == ["乙"]
