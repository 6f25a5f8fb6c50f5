"""Correcting sales, contacts and products; redo; and what a first trial of the book found
(tier counts, the no-tier row, contacts in the future, the unowned, the sales report)."""

import pytest

from salesflow import db


@pytest.fixture
def shop(cli):
    cli("customer", "add", "张三", "--owner", "李娜", "--store", "福田店")
    cli("product", "add", "洗发水", "--sku", "SH-01", "--price", "89", "--cycle-days", "30")
    cli("product", "add", "护发素", "--price", "59", "--cycle-days", "20")
    cli("sale", "add", "张三", "洗发水", "--quantity", "2", "--date", "2026-03-01")


def latest_change(cli):
    return cli.json("history", "--limit", "1")[0]


def used_up(cli, as_of="2026-06-01"):
    return [
        (item["product"], item["due"])
        for item in cli.json("remind", "--kind", "used-up", "--as-of", as_of)
    ]


# ---------------------------------------------------------------- sale edit and delete


def test_sale_edit_corrects_every_field_and_undo_restores_them(cli, shop):
    before = cli.json("sale", "list")[0]
    edited = cli.json(
        "sale", "edit", "1", "--product", "护发素", "--quantity", "3", "--amount", "150",
        "--date", "2026-03-02", "--rep", "王强", "--department", "零售", "--store", "",
    )  # fmt: skip
    assert (edited["product"], edited["quantity"], edited["amount"]) == ("护发素", 3, 150)
    assert (edited["date"], edited["rep"], edited["department"], edited["store"]) == (
        "2026-03-02",
        "王强",
        "零售",
        None,
    )
    assert used_up(cli) == [("护发素", "2026-05-01")]  # 3 × 20 days from the new date
    assert latest_change(cli)["command"] == "sale edit"
    cli("undo")
    assert cli.json("sale", "list")[0] == before
    assert used_up(cli) == [("洗发水", "2026-04-30")]


def test_sale_edit_keeps_the_amount_unless_it_is_given(cli, shop):
    assert cli.json("sale", "edit", "1", "--quantity", "5")["amount"] == 178


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        ((), 2, "nothing to change"),
        (("--quantity", "0"), 2, "quantity"),
        (("--quantity", "x"), 2, "quantity"),
        (("--amount", "-5"), 2, "negative"),
        (("--date", "someday"), 2, "someday"),
        (("--product", "nothing-like-it"), 1, "no product"),
    ],
)
def test_sale_edit_refuses_bad_values_like_add_and_changes_nothing(
    cli, shop, options, code, message
):
    before = cli.json("sale", "list")
    result = cli("sale", "edit", "1", *options, code=code)
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert cli.json("sale", "list") == before


def test_sale_edit_cannot_shrink_below_or_move_after_its_returns(cli, shop):
    cli("sale", "return", "1", "--quantity", "1", "--date", "2026-03-05")
    assert "returned" in cli("sale", "edit", "1", "--quantity", "0.5", code=1).stderr
    assert "refunded" in cli("sale", "edit", "1", "--amount", "10", code=1).stderr
    assert "return dated" in cli("sale", "edit", "1", "--date", "2026-03-06", code=1).stderr
    cli("sale", "edit", "9", "--amount", "1", code=1)


def test_sale_delete_takes_its_returns_and_undo_brings_all_back(cli, shop, isolated_book):
    cli("sale", "return", "1", "--quantity", "1")
    cli("sale", "delete", "1", input="n\n", code=1)
    assert len(cli.json("sale", "list")) == 1
    cli("sale", "delete", "1", "--yes")
    assert cli.json("sale", "list") == [] and cli.json("sale", "returns") == []
    assert used_up(cli) == []
    assert cli.json("customer", "show", "张三")["last_sale_on"] is None
    assert latest_change(cli)["command"] == "sale delete"
    assert db.check(isolated_book)["ok"]
    cli("undo")
    assert len(cli.json("sale", "list")) == 1 and len(cli.json("sale", "returns")) == 1
    assert db.check(isolated_book)["ok"]
    cli("sale", "delete", "9", "--yes", code=1)


# ---------------------------------------------------------------- contact edit and delete


def test_contact_list_shows_ids_and_contact_edit_corrects_every_field(cli, shop):
    cli("deal", "add", "张三", "Refill contract")
    cli("log", "张三", "called", "--at", "2026-03-10 10:00")
    listed = cli("contact", "list").stdout
    assert listed.splitlines()[0].startswith("ID")
    edited = cli.json(
        "contact", "edit", "1", "--summary", "visited the shop", "--at", "2026-03-11 15:30",
        "--channel", "visit", "--by", "王强", "--outcome", "wants a sample",
        "--next", "2026-03-20", "--deal", "1",
    )  # fmt: skip
    assert (edited["summary"], edited["at"], edited["channel"], edited["by"]) == (
        "visited the shop",
        "2026-03-11 15:30",
        "visit",
        "王强",
    )
    assert (edited["outcome"], edited["next_at"], edited["deal_id"]) == (
        "wants a sample",
        "2026-03-20",
        1,
    )
    assert cli.json("customer", "show", "张三")["next_follow_up"] == "2026-03-20"
    cleared = cli.json("contact", "edit", "1", "--next", "", "--deal", "", "--by", "")
    assert (cleared["next_at"], cleared["deal_id"], cleared["by"]) == (None, None, "李娜")
    assert latest_change(cli)["command"] == "contact edit"
    cli("undo")
    assert cli.json("contact", "list")[0]["next_at"] == "2026-03-20"


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        ((), 2, "nothing to change"),
        (("--summary", "  "), 2, "summary"),
        (("--channel", "pigeon"), 2, "pigeon"),
        (("--at", "2026-03-17"), 2, "--next"),
        (("--next", "someday"), 2, "someday"),
        (("--deal", "9"), 1, ""),
    ],
)
def test_contact_edit_refuses_what_log_refuses(cli, shop, options, code, message):
    cli("log", "张三", "called", "--at", "2026-03-10")
    before = cli.json("contact", "list")
    result = cli("contact", "edit", "1", *options, code=code)
    assert "Error: " in result.stderr and message in result.stderr  # as `log` refuses it
    assert cli.json("contact", "list") == before


def test_contact_delete_moves_the_follow_up_back_and_undo_restores_it(cli, shop):
    cli("log", "张三", "first", "--at", "2026-03-01", "--next", "2026-03-05")
    cli("log", "张三", "second", "--at", "2026-03-10", "--next", "2026-03-25")
    cli("contact", "delete", "2", "--yes")
    shown = cli.json("customer", "show", "张三")
    assert (shown["last_contact_at"], shown["next_follow_up"]) == ("2026-03-01", "2026-03-05")
    cli("undo")
    assert cli.json("customer", "show", "张三")["next_follow_up"] == "2026-03-25"
    cli("contact", "delete", "9", "--yes", code=1)


def test_log_refuses_a_contact_in_the_future_pointing_to_next(cli, shop):
    result = cli("log", "张三", "meeting tomorrow", "--at", "tomorrow", code=2)
    assert result.stderr.startswith("Error: ") and "--next" in result.stderr
    assert cli.json("contact", "list") == []
    cli("log", "张三", "earlier today", "--at", "today")


# ---------------------------------------------------------------- product edit and delete


def test_product_edit_changes_the_cycle_and_every_run_out_follows(cli, shop):
    assert used_up(cli) == [("洗发水", "2026-04-30")]
    edited = cli.json("product", "edit", "1", "--cycle-days", "45", "--price", "99", "--sku", "")
    assert (edited["cycle_days"], edited["price"], edited["sku"]) == (45, 99, None)
    assert used_up(cli, "2026-07-01") == [("洗发水", "2026-05-30")]
    cli("undo")
    assert used_up(cli) == [("洗发水", "2026-04-30")]


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        ((), 2, "nothing to change"),
        (("--name", "护发素"), 1, "already exists"),
        (("--name", " "), 2, "name"),
        (("--cycle-days", "0"), 2, "cycle"),
        (("--cycle-days", "monthly"), 2, "cycle"),
        (("--price", "-1"), 2, "negative"),
    ],
)
def test_product_edit_refuses_what_add_refuses(cli, shop, options, code, message):
    before = cli.json("product", "list")
    result = cli("product", "edit", "1", *options, code=code)
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert cli.json("product", "list") == before


def test_product_edit_refuses_a_taken_sku(cli, shop):
    cli("product", "edit", "2", "--sku", "SH-01", code=1)
    cli("product", "edit", "9", "--name", "x", code=1)


def test_product_delete_is_refused_while_sales_use_it(cli, shop):
    result = cli("product", "delete", "1", "--yes", code=1)
    assert "1 sales use product #1" in result.stderr and "--force" in result.stderr
    assert len(cli.json("product", "list")) == 2
    cli("product", "delete", "2", "--yes")
    assert [p["name"] for p in cli.json("product", "list")] == ["洗发水"]


def test_product_delete_force_keeps_the_name_on_its_sales(cli, shop, isolated_book):
    cli("remind", "stop", "张三", "--product", "洗发水")
    cli("product", "delete", "1", "--force", "--yes")
    sale = cli.json("sale", "list")[0]
    assert (sale["product_id"], sale["product"]) == (None, "洗发水")
    exported = cli("export", "sales").stdout
    assert "洗发水" in exported
    rows = cli.json("report", "sales", "--year", "2026", "--by", "product")
    assert [(r["product_id"], r["product"]) for r in rows] == [(None, "洗发水")]
    assert used_up(cli) == []
    assert db.check(isolated_book)["ok"]
    cli("undo")
    assert cli.json("sale", "list")[0]["product_id"] == 1
    assert used_up(cli) == []  # the stop came back with the product
    assert db.check(isolated_book)["ok"]


# ---------------------------------------------------------------- redo


def test_redo_reapplies_what_undo_reverted_latest_undone_first(cli, shop):
    cli("sale", "edit", "1", "--amount", "100")
    cli("sale", "edit", "1", "--amount", "200")
    cli("undo")
    cli("undo")
    assert cli.json("sale", "list")[0]["amount"] == 178
    redone = cli.json("redo")
    assert redone["command"] == "sale edit"
    assert cli.json("sale", "list")[0]["amount"] == 100
    cli("redo")
    assert cli.json("sale", "list")[0]["amount"] == 200
    result = cli("redo", code=1)
    assert "nothing to redo" in result.stderr


def test_a_new_change_ends_redo(cli, shop):
    cli("sale", "edit", "1", "--amount", "100")
    cli("undo")
    cli("log", "张三", "called")
    cli("redo", code=1)
    cli("undo")  # the log
    assert cli("redo").stderr.startswith("Redid change")  # the log again, not the edit
    assert cli.json("sale", "list")[0]["amount"] == 178


def test_redo_restores_a_deletion_and_its_history_line(cli, shop):
    cli("sale", "delete", "1", "--yes")
    cli("undo")
    cli("redo")
    assert cli.json("sale", "list") == []
    assert latest_change(cli)["undone"] is False


def test_redo_refuses_a_bulk_import_undo_removed(cli, shop, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("customer,amount,date\n张三,10,2026-03-02\n", encoding="utf-8")
    cli("import", "sales", path)
    cli("undo")
    result = cli("redo", code=1)
    assert "run it again" in result.stderr
    assert len(cli.json("sale", "list")) == 1


# ---------------------------------------------------------------- what the trial found


def test_tiers_counts_the_same_in_the_table_and_in_json(cli):
    for name in ("buyer", "manual", "nobody"):
        cli("customer", "add", name)
    cli("customer", "edit", "manual", "--tier", "B")
    cli("sale", "add", "buyer", "--amount", "10")
    listed = cli.json("tiers")
    counted = {tier: sum(1 for row in listed if (row["tier"] or "none") == tier) for tier in "BD"}
    counted["none"] = sum(1 for row in listed if row["tier"] is None)
    table = cli("tiers").stdout
    assert counted == {"B": 1, "D": 1, "none": 1}
    lines = {line.split()[0]: line.split()[1] for line in table.splitlines()[1:6]}
    assert (lines["B"], lines["D"], lines["none"]) == ("1", "1", "1")
    assert {row["customer"] for row in listed} == {"buyer", "manual", "nobody"}


def test_report_customers_labels_the_no_tier_row(cli):
    cli("customer", "add", "x")
    rows = cli.json("report", "customers", "--year", "2026")
    assert [row["tier"] for row in rows] == ["none"]
    assert "none" in cli("report", "customers", "--year", "2026").stdout


def test_customer_list_finds_the_unowned(cli):
    cli("customer", "add", "owned", "--owner", "李娜")
    cli("customer", "add", "free")
    assert [c["name"] for c in cli.json("customer", "list", "--owner", "")] == ["free"]
    assert [c["name"] for c in cli.json("customer", "list", "--unowned")] == ["free"]
    assert [c["name"] for c in cli.json("customer", "list", "--owner", "李娜")] == ["owned"]
    result = cli("customer", "list", "--unowned", "--owner", "李娜", code=2)
    assert result.stderr.startswith("Error: ")


def test_customer_search_reads_profile_and_notes_and_escapes_wildcards(cli):
    cli("customer", "add", "golfer", "--set", "hobby=golf")
    cli("customer", "add", "discount", "--notes", "wants 10% off")
    cli("customer", "add", "other", "--notes", "wants 100 off")
    assert [c["name"] for c in cli.json("customer", "list", "--search", "golf")] == ["golfer"]
    assert [c["name"] for c in cli.json("customer", "list", "--search", "10%")] == ["discount"]


def test_report_sales_for_one_customer(cli, shop):
    cli("customer", "add", "李四")
    cli("sale", "add", "李四", "--amount", "1000", "--date", "2026-03-02")
    rows = cli.json("report", "sales", "--year", "2026", "--customer", "张三")
    assert [(row["orders"], row["amount"]) for row in rows] == [(1, 178)]
    cli("report", "sales", "--customer", "nobody-like-this", code=1)


def test_the_change_column_shows_a_sign_and_new_json_keeps_the_number(cli, shop):
    cli("sale", "add", "张三", "--amount", "100", "--date", "2026-01-10")
    cli("sale", "add", "张三", "--amount", "200", "--date", "2026-02-10")
    rows = cli.json("report", "sales", "--year", "2026", "--compare", "prev")
    assert [row["change_pct"] for row in rows] == [None, 100.0, -11.0]
    table = cli("report", "sales", "--year", "2026", "--compare", "prev").stdout
    assert "new" in table and "+100.0%" in table and "\u221211.0%" in table


def test_a_dominant_bar_never_wraps_the_chart(cli, shop, monkeypatch):
    cli("sale", "add", "张三", "--amount", "999999", "--date", "2026-02-10")
    for width in (60, 100):
        monkeypatch.setenv("COLUMNS", str(width))
        table = cli("report", "sales", "--year", "2026", "--chart").stdout
        lines = table.splitlines()
        assert all(len(line) <= width for line in lines)
        assert any("█" in line for line in lines)


def test_every_new_command_has_help_with_an_example(cli):
    for command in (
        ("sale", "edit"), ("sale", "delete"), ("sale", "return"), ("sale", "exchange"),
        ("sale", "returns"), ("contact", "edit"), ("contact", "delete"), ("product", "edit"),
        ("product", "delete"), ("redo",),
    ):  # fmt: skip
        assert "Example:" in cli(*command, "--help").stdout


def test_a_purchase_log_with_member_numbers_only_creates_customers_named_by_number(cli, tmp_path):
    path = tmp_path / "pos.csv"
    path.write_text(
        "会员卡号,商品,数量,金额,日期\n00001,洗发水,2,178,2026-03-01\n00002,洗发水,1,89,2026-03-02\n"
        "00001,洗发水,1,89,2026-03-03\n",
        encoding="utf-8",
    )
    refused = cli("import", "sales", path, code=65)
    assert "--create-customers" in refused.stderr
    result = cli("import", "sales", path, "--create-customers")
    assert "2 customers created; 2 of them named by their number" in result.stderr
    listed = cli.json("customer", "list")
    assert [(c["ref"], c["name"]) for c in listed] == [("00001", "00001"), ("00002", "00002")]
    summary = cli.json("import", "sales", path, "--create-customers", "--again", "--dry-run")
    assert (summary["created_customers"], summary["customers_named_by_number"]) == (0, 0)
