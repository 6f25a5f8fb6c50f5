"""import and export: encodings, headers, all-or-nothing, duplicates, formula safety."""

import csv
import io
import json
import stat

import pytest


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def names(cli):
    return [row["name"] for row in cli.json("customer", "list")]


def test_gb18030_file_with_chinese_headers_imports(cli, tmp_path):
    path = write(
        tmp_path / "会员.csv",
        "姓名,手机,会员卡号,公司,来源,门店,备注\n"
        "张三,138 0013 8000,M001,华为,web,福田店,老客户\n"
        "欧阳娜娜,13900001111,M002,,event,罗湖店,\n",
        "gb18030",
    )
    result = cli("import", "customers", path)
    assert "Imported 2 customers" in result.stderr and "gb18030" in result.stderr
    first = cli.json("customer", "show", "M001")
    assert (first["name"], first["phone"], first["company"], first["store"], first["notes"]) == (
        "张三",
        "138 0013 8000",
        "华为",
        "福田店",
        "老客户",
    )
    assert cli.json("customer", "show", "13900001111")["name"] == "欧阳娜娜"


def test_bom_and_semicolon_file(cli, tmp_path):
    path = write(tmp_path / "c.csv", "\ufeff姓名;电话;邮箱\n李四;139 1111 2222;LS@example.cn\n")
    cli("import", "customers", path)
    assert cli.json("customer", "show", "13911112222")["email"] == "LS@example.cn"


def test_tab_delimited_with_map(cli, tmp_path):
    path = write(tmp_path / "c.tsv", "Kunde\tTelefon\nAnna\t1\n")
    cli("import", "customers", path, "--map", "Kunde=name", "--map", "Telefon=phone")
    assert names(cli) == ["Anna"]
    cli("import", "customers", path, "--map", "Kunde=nonsense", code=2)


def test_invalid_rows_exit_65_with_line_numbers_and_write_nothing(cli, tmp_path):
    path = write(
        tmp_path / "bad.csv",
        "name,email,created,urgency\n"
        "ok,a@b.cn,2026-01-01,3\n"
        ",x@y.cn,,\n"
        '"multi\nline",bad-email,,\n'
        "late,,2026-02-30,\n"
        "loud,,,9\n",
    )
    result = cli("import", "customers", path, code=65)
    lines = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in lines] == ["line 3", "line 4", "line 6", "line 7"]
    assert "email" in lines[1] and "created" in lines[2] and "1-5" in lines[3]
    assert result.stderr.splitlines()[-1].startswith("Error: 4 invalid rows")
    assert names(cli) == []
    assert cli.json("history") == []


def test_skip_invalid_writes_rejects_with_reasons(cli, tmp_path):
    path = write(tmp_path / "c.csv", "name,phone\nok,1\n,2\nfine,3\n")
    rejects = tmp_path / "rejects.csv"
    cli("import", "customers", path, "--skip-invalid", "--rejects", rejects)
    assert names(cli) == ["ok", "fine"]
    rows = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert rows[1][:2] == ["3", "a customer needs a name"] and rows[1][2:] == ["", "2"]
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600


def test_dry_run_validates_and_writes_nothing(cli, tmp_path):
    path = write(tmp_path / "c.csv", "name\na\nb\n")
    summary = json.loads(cli("import", "customers", path, "--dry-run", "-f", "json").stdout)
    assert (summary["imported"], summary["dry_run"]) == (2, True)
    assert names(cli) == []


def test_reimport_changes_nothing_and_phone_spacing_is_a_duplicate(cli, tmp_path):
    path = write(tmp_path / "c.csv", "name,phone,ref\n张三,138 0013 8000,\n李四,,M2\n无号,,\n")
    cli("import", "customers", path)
    again = cli("import", "customers", path)
    assert "3 unchanged" in again.stderr and len(names(cli)) == 3
    clash = write(tmp_path / "d.csv", "name,phone\n张三丰,+86 13800138000\n")
    result = cli("import", "customers", clash, code=65)
    assert "duplicate of #1" in result.stderr
    cli("import", "customers", clash, "--on-duplicate", "skip")
    assert len(names(cli)) == 3
    cli("import", "customers", clash, "--on-duplicate", "update")
    assert cli.json("customer", "show", "#1")["name"] == "张三丰"


def test_duplicates_within_one_file(cli, tmp_path):
    path = write(tmp_path / "c.csv", "name,email\nA,a@x.cn\nA2,A@X.CN\n")
    cli("import", "customers", path, code=65)
    cli("import", "customers", path, "--on-duplicate", "skip")
    assert names(cli) == ["A"]


def test_products_then_sales_resolve_customers_and_products(cli, tmp_path):
    cli("customer", "add", "张三", "--ref", "M001", "--owner", "李娜", "--store", "福田店")
    write(tmp_path / "p.csv", "产品,单价,使用周期,编码\n洗发水,89.9,30,SH\n")
    cli("import", "products", tmp_path / "p.csv")
    cli("import", "products", tmp_path / "p.csv")  # unchanged
    assert [p["name"] for p in cli.json("product", "list")] == ["洗发水"]
    sales = write(
        tmp_path / "s.csv",
        "会员卡号,客户,产品,数量,金额,日期\n"
        "M001,,洗发水,2,,2026/3/1\n"
        ",张三,SH,1,10.5,2026-03-02 14:30:00\n"
        ",新客户,,1,5,2026年3月3日\n",
    )
    cli("import", "sales", sales, code=65)
    result = cli("import", "sales", sales, "--create-customers")
    assert "1 customers created" in result.stderr
    rows = cli.json("sale", "list")
    assert [(r["customer"], r["amount"], r["date"], r["rep"]) for r in rows] == [
        ("张三", 179.8, "2026-03-01", "李娜"),
        ("张三", 10.5, "2026-03-02", "李娜"),
        ("新客户", 5, "2026-03-03", None),
    ]
    refused = cli("import", "sales", sales, "--create-customers", code=1)
    assert "already imported" in refused.stderr and "import #" in refused.stderr
    cli("import", "sales", sales, "--again")
    assert len(cli.json("sale", "list")) == 6


def test_identical_rows_in_one_sales_file_are_two_orders(cli, tmp_path):
    cli("customer", "add", "x", "--ref", "R")
    path = write(tmp_path / "s.csv", "customer_ref,amount,date\nR,5,2026-03-01\nR,5,2026-03-01\n")
    cli("import", "sales", path)
    assert len(cli.json("sale", "list")) == 2


def test_contacts_import_maps_chinese_channels_and_sets_follow_ups(cli, tmp_path):
    cli("customer", "add", "张三", "--ref", "M1")
    path = write(
        tmp_path / "k.csv",
        "会员卡号,日期,方式,内容,下次跟进,跟进人\n"
        "M1,2026-03-01 10:00,电话,问候,2026-03-20,李娜\n"
        "M1,2026-03-05,传真,x,,\n",
    )
    cli("import", "contacts", path, "--skip-invalid")
    contact = cli.json("contact", "list")[0]
    assert (contact["at"], contact["channel"], contact["by"]) == (
        "2026-03-01 10:00",
        "call",
        "李娜",
    )
    assert cli.json("customer", "show", "M1")["next_follow_up"] == "2026-03-20"


def test_missing_required_column_and_nul_bytes_are_refused(cli, tmp_path):
    cli("import", "customers", write(tmp_path / "a.csv", "phone\n1\n"), code=65)
    cli("import", "customers", write(tmp_path / "b.csv", "name\nx\x00y\n"), code=65)
    cli("import", "customers", write(tmp_path / "c.csv", ""), code=65)
    bad = tmp_path / "d.csv"
    bad.write_bytes(b"name\n\xff\xfe\xfa\n")
    cli("import", "customers", bad, "--encoding", "utf-8", code=65)
    assert names(cli) == []


def test_export_defuses_formulas_keeps_numbers_and_round_trips(cli, tmp_path):
    cli(
        "customer",
        "add",
        '=HYPERLINK("x")',
        "--phone",
        "-123",
        "--notes",
        "@SUM(1)",
        "--company",
        "＋1",
        "--tag",
        "a",
        "--set",
        "hobby=tea",
        "--tier",
        "B",
    )
    cli("customer", "add", "plain", "--address", "-", "--notes", "-5.5")
    out = tmp_path / "c.csv"
    cli("export", "customers", "-o", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0]["name"] == '\'=HYPERLINK("x")' and rows[0]["phone"] == "-123"
    assert rows[0]["notes"] == "'@SUM(1)" and rows[0]["company"] == "'＋1"
    assert rows[1]["address"] == "'-" and rows[1]["notes"] == "-5.5"
    raw = tmp_path / "raw.csv"
    cli("export", "customers", "--raw", "-o", raw)
    first = cli.json("customer", "list")
    cli("customer", "delete", "#1", "--yes")
    cli("customer", "delete", "#2", "--yes")
    cli("import", "customers", raw)
    again = cli.json("customer", "list")
    keep = ("name", "phone", "notes", "company", "tags", "profile", "tier", "address")
    assert [{k: r[k] for k in keep} for r in again] == [{k: r[k] for k in keep} for r in first]


def test_export_files_are_private_bom_on_request_and_never_overwritten(cli, tmp_path):
    cli("customer", "add", "张三")
    out = tmp_path / "c.csv"
    cli("export", "customers", "--excel", "-o", out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    cli("export", "customers", "-o", out, code=1)
    cli("export", "customers", "-o", out, "--force")
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_json_and_every_kind(cli):
    cli("customer", "add", "张三")
    cli("sale", "add", "张三", "--amount", "1.5")
    cli("log", "张三", "hi")
    cli("deal", "add", "张三", "d", "--amount", "9")
    assert json.loads(cli("export", "sales", "--format", "json").stdout)[0]["amount"] == 1.5
    for kind in ("customers", "products", "sales", "contacts", "deals"):
        assert cli("export", kind).stdout.startswith("id,")
    cli("export", "everything", code=2)


@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "-x", "@a", "＝1", "－1", "＠x", "-1-1"])
def test_formula_like_sales_fields_are_prefixed(cli, cell):
    cli("customer", "add", "c")
    cli("sale", "add", "c", "--amount", "1", "--rep", cell)
    rep = next(iter(csv.DictReader(io.StringIO(cli("export", "sales").stdout))))["rep"]
    assert rep == "'" + cell


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("1e5", "1e5"),
        ("=A1", "'=A1"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_formula_safe_cells(text, expected):
    from salesflow.output import formula_safe

    assert formula_safe(text) == expected


def test_rejects_in_a_missing_folder_is_refused_before_importing(cli, tmp_path):
    path = write(tmp_path / "c.csv", "name\nok\n\n,\n")
    cli(
        "import",
        "customers",
        path,
        "--skip-invalid",
        "--rejects",
        tmp_path / "no" / "r.csv",
        code=2,
    )
    assert names(cli) == []


def test_sales_import_adds_products_the_book_does_not_know(cli, tmp_path):
    cli("customer", "add", "张三", "--ref", "M1")
    path = write(
        tmp_path / "s.csv",
        "会员卡号,产品,数量,金额,日期\nM1,新茶,2,£30,2026-03-01\n"
        "M1,新茶,1,15,2026-03-02\nM1,Widget,1,€9.90,2026-03-03\n",
    )
    result = cli("import", "sales", path)
    assert "2 products created" in result.stderr
    assert [p["name"] for p in cli.json("product", "list")] == ["Widget", "新茶"]
    assert [(s["product"], s["amount"]) for s in cli.json("sale", "list")] == [
        ("新茶", 30),
        ("新茶", 15),
        ("Widget", 9.9),
    ]
    cli("undo")
    assert cli.json("product", "list") == [] and cli.json("sale", "list") == []


def test_sales_amount_from_a_unit_price_column(cli, tmp_path):
    cli("customer", "add", "张三", "--ref", "M1")
    path = write(
        tmp_path / "s.csv",
        "会员卡号,数量,单价,日期\nM1,3,19.99,2026-03-01\nM1,2.5,0.05,2026-03-02\n",
    )
    cli("import", "sales", path)
    assert [s["amount"] for s in cli.json("sale", "list")] == [59.97, 0.13]


def test_deal_export_follows_the_deal_rules(cli):
    cli("customer", "add", "张三")
    cli("deal", "add", "张三", "a", "--amount", "100", "--probability", "35")
    cli("deal", "add", "张三", "b", "--amount", "200")
    cli("deal", "won", "2", "--force", "--reason", "x")
    rows = list(csv.DictReader(io.StringIO(cli("export", "deals").stdout)))
    assert [(r["title"], r["probability"], r["status"], r["amount"]) for r in rows] == [
        ("a", "35", "open", "100.00"),
        ("b", "100", "won", "200.00"),
    ]


def test_a_zero_quantity_written_any_way_is_refused_with_its_line(cli, tmp_path):
    cli("customer", "add", "张三", "--ref", "M1")
    for zero in ("0", "00", "0.0"):
        sheet = tmp_path / f"s{len(zero)}.csv"
        sheet.write_text(
            f"customer_ref,quantity,amount,date\nM1,{zero},10,2026-03-01\n", encoding="utf-8"
        )
        result = cli("import", "sales", sheet, code=65)
        assert "line 2: quantity" in result.stderr and "positive" in result.stderr, zero
    assert cli.json("sale", "list") == []
