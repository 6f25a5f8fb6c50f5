"""Returns and exchanges: a return takes back part or all of a sale; reports count it on
its own date; purchases (RFM, repurchase and used-up reminders, predict) are net of it."""

import csv
import io

import pytest

from salesflow import db, predict


@pytest.fixture
def shop(cli):
    """张三 bought 3 bottles of a 30-day shampoo on 2026-03-01 (sale #1)."""
    cli("customer", "add", "张三", "--owner", "李娜")
    cli("product", "add", "洗发水", "--price", "89", "--cycle-days", "30")
    cli("sale", "add", "张三", "洗发水", "--quantity", "3", "--date", "2026-03-01")


def latest_change(cli):
    return cli.json("history", "--limit", "1")[0]


def used_up(cli, as_of):
    items = cli.json("remind", "--kind", "used-up", "--as-of", as_of)
    return [item["due"] for item in items]


# ---------------------------------------------------------------- sale return


def test_a_partial_return_by_quantity_takes_back_its_share_of_the_amount(cli, shop):
    returned = cli.json("sale", "return", "1", "--quantity", "1", "--reason", "wrong size")
    assert (returned["sale_id"], returned["quantity"], returned["amount"]) == (1, 1, 89)
    assert (returned["date"], returned["reason"]) == ("2026-03-16", "wrong size")
    sale = cli.json("sale", "list")[0]
    assert (sale["returned_quantity"], sale["returned_amount"]) == (1, 89)
    assert latest_change(cli)["command"] == "sale return"


def test_a_return_by_amount_takes_back_that_share_of_the_units(cli, shop):
    returned = cli.json("sale", "return", "1", "--amount", "178", "--date", "2026-03-05")
    assert (returned["quantity"], returned["amount"], returned["date"]) == (2, 178, "2026-03-05")


def test_a_return_without_quantity_or_amount_takes_back_everything_still_kept(cli, shop):
    cli("sale", "return", "1", "--quantity", "1")
    rest = cli.json("sale", "return", "1")
    assert (rest["quantity"], rest["amount"]) == (2, 178)
    result = cli("sale", "return", "1", code=1)
    assert result.stderr.startswith("Error: ") and "returned in full" in result.stderr


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (("--quantity", "4"), 1, "3 units left to return"),
        (("--amount", "300"), 1, "267.00 left to refund"),
        (("--quantity", "1", "--amount", "89"), 2, "not both"),
        (("--quantity", "-1"), 2, "quantity"),
        (("--quantity", "lots"), 2, "quantity"),
        (("--amount", "0"), 2, "above zero"),
        (("--date", "2026-02-01"), 1, "before its sale"),
        (("--date", "someday"), 2, "someday"),
    ],
)
def test_a_return_refuses_what_cannot_come_back_and_records_nothing(
    cli, shop, options, code, message
):
    result = cli("sale", "return", "1", *options, code=code)
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert cli.json("sale", "returns") == []


def test_more_than_is_left_after_earlier_returns_is_refused(cli, shop):
    cli("sale", "return", "1", "--quantity", "2")
    cli("sale", "return", "1", "--quantity", "2", code=1)
    cli("sale", "return", "9", code=1)


def test_undo_and_redo_a_return(cli, shop):
    cli("sale", "return", "1", "--quantity", "1")
    cli("undo")
    assert cli.json("sale", "returns") == []
    cli("redo")
    assert [r["quantity"] for r in cli.json("sale", "returns")] == [1]


# ---------------------------------------------------------------- exchange


def test_an_exchange_is_a_full_return_and_a_new_sale_in_one_undoable_step(cli, shop):
    cli("product", "add", "护发素", "--price", "59", "--cycle-days", "20")
    cli("sale", "exchange", "1", "--product", "护发素")
    new = cli.json("sale", "list")[1]
    assert (new["product"], new["quantity"], new["amount"], new["rep"]) == (
        "护发素",
        3,
        177,
        "李娜",
    )
    returned = cli.json("sale", "returns", "1")
    assert [(r["quantity"], r["amount"], r["exchange_sale_id"]) for r in returned] == [
        (3, 267, new["id"])
    ]
    assert latest_change(cli)["command"] == "sale exchange"
    cli("undo")
    assert cli.json("sale", "returns") == [] and len(cli.json("sale", "list")) == 1


def test_an_exchange_takes_the_amount_and_quantity_given(cli, shop):
    cli("product", "add", "大瓶洗发水", "--price", "150")
    cli("sale", "exchange", "1", "--product", "大瓶", "--quantity", "2", "--amount", "260")
    new = cli.json("sale", "list")[1]
    assert (new["quantity"], new["amount"]) == (2, 260)


def test_an_exchange_refuses_an_unknown_product_a_returned_sale_and_a_missing_price(cli, shop):
    cli("product", "add", "赠品")  # no price
    cli("sale", "exchange", "1", "--product", "nothing-like-it", code=1)
    result = cli("sale", "exchange", "1", "--product", "赠品", code=2)
    assert "--amount" in result.stderr
    cli("sale", "return", "1")
    cli("sale", "exchange", "1", "--product", "赠品", "--amount", "1", code=1)
    assert len(cli.json("sale", "list")) == 1


# ---------------------------------------------------------------- reports


def test_report_sales_nets_returns_in_the_period_of_the_return(cli, shop):
    cli("sale", "return", "1", "--quantity", "1", "--date", "2026-04-02")
    rows = cli.json("report", "sales", "--year", "2026")
    assert [
        (r["period"], r["orders"], r["quantity"], r["amount"], r["returned_amount"]) for r in rows
    ] == [("2026-03", 1, 3, 267, 0), ("2026-04", 0, -1, -89, 89)]
    table = cli("report", "sales", "--year", "2026").stdout
    assert "Returned amount" in table and "178.00" in table  # the total, net


def test_report_sales_by_product_keeps_the_returned_sale_under_its_product(cli, shop):
    cli("sale", "return", "1", "--quantity", "3")
    rows = cli.json("report", "sales", "--year", "2026", "--by", "product")
    assert [(r["product"], r["orders"], r["amount"], r["returned_amount"]) for r in rows] == [
        ("洗发水", 1, 0, 267)
    ]


def test_report_customers_counts_net_amounts(cli, shop):
    cli("sale", "return", "1", "--quantity", "1")
    rows = cli.json("report", "customers", "--year", "2026")
    assert [(r["tier"], r["buying"], r["amount"]) for r in rows] == [("none", 1, 178)]


# ---------------------------------------------------------------- purchases are net


def test_a_sale_returned_in_full_leaves_rfm(cli, shop):
    cli("customer", "add", "李四")
    cli("sale", "add", "李四", "--amount", "10", "--date", "2026-03-10")
    cli("sale", "return", "1")
    graded = {row["customer"]: row for row in cli.json("tiers")}
    assert graded["张三"]["score"] is None and graded["张三"]["frequency"] == 0
    assert graded["李四"]["monetary"] == 10


def test_a_partial_return_lowers_monetary_but_keeps_the_purchase(cli, shop):
    cli("sale", "return", "1", "--quantity", "1")
    row = cli.json("tiers")[0]
    assert (row["frequency"], row["monetary"], row["recency_days"]) == (1, 178, 15)


def test_rfm_as_of_before_the_return_still_sees_the_whole_sale(cli, shop):
    cli("sale", "return", "1", "--date", "2026-03-10")
    assert cli.json("tiers", "--as-of", "2026-03-05")[0]["monetary"] == 267
    assert cli.json("tiers", "--as-of", "2026-03-12")[0]["score"] is None


def test_a_partial_return_makes_the_product_run_out_sooner(cli, shop):
    assert used_up(cli, "2026-06-01") == ["2026-05-30"]  # 3 × 30 days
    cli("sale", "return", "1", "--quantity", "1")
    assert used_up(cli, "2026-06-01") == ["2026-04-30"]  # 2 × 30 days
    cli("undo")
    assert used_up(cli, "2026-06-01") == ["2026-05-30"]


def test_a_full_return_ends_used_up_and_falls_back_to_the_earlier_purchase(cli, shop):
    cli("sale", "add", "张三", "洗发水", "--date", "2026-03-10")
    cli("sale", "return", "2")
    assert used_up(cli, "2026-06-01") == ["2026-05-30"]  # sale #1 again
    cli("sale", "return", "1")
    assert used_up(cli, "2026-06-01") == []


def test_a_full_return_is_no_purchase_for_repurchase_reminders(cli, shop):
    cli("customer", "edit", "张三", "--created", "2026-01-01")
    kinds = {item["kind"] for item in cli.json("remind", "--as-of", "2026-06-10")}
    assert "no-repurchase" in kinds and "never-purchased" not in kinds
    cli("sale", "return", "1", "--date", "2026-03-05")
    kinds = {item["kind"] for item in cli.json("remind", "--as-of", "2026-06-10")}
    assert "never-purchased" in kinds and "no-repurchase" not in kinds
    before = {item["kind"] for item in cli.json("remind", "--as-of", "2026-03-03")}
    assert "never-purchased" not in before  # the return had not happened yet


def test_predict_counts_a_day_returned_in_full_as_no_purchase(conn, cli, shop):
    cli("sale", "add", "张三", "洗发水", "--date", "2026-03-08")
    cli("sale", "return", "2", "--date", "2026-03-09")
    cli("sale", "return", "1", "--quantity", "1", "--date", "2026-03-09")
    reader = db.open_db(db.resolve_path(None), write=False)
    days = reader.execute(
        predict.NET_SALES_PER_DAY + " HAVING sum(amount_cents) > 0", {"as_of": "2026-03-16"}
    ).fetchall()
    assert [(row["day"], row["net_cents"]) for row in days] == [("2026-03-01", 17800)]
    before = reader.execute(predict.NET_SALES_PER_DAY, {"as_of": "2026-03-08"}).fetchall()
    assert sorted((row["day"], row["net_cents"]) for row in before) == [
        ("2026-03-01", 26700),
        ("2026-03-08", 8900),
    ]
    reader.close()


def test_the_book_checks_clean_after_returns_exchanges_and_undo(cli, shop, isolated_book):
    cli("product", "add", "护发素", "--price", "59", "--cycle-days", "20")
    cli("sale", "return", "1", "--quantity", "1")
    cli("sale", "exchange", "1", "--product", "护发素")
    assert db.check(isolated_book)["ok"]
    cli("undo")
    assert db.check(isolated_book)["ok"]


# ---------------------------------------------------------------- export and import


def test_returns_export_and_import_into_another_book_round_trip(cli, shop, tmp_path):
    cli("sale", "return", "1", "--quantity", "1", "--reason", "破损", "--date", "2026-03-05")
    cli("sale", "return", "1", "--amount", "89")
    sales_file, returns_file = tmp_path / "sales.csv", tmp_path / "returns.csv"
    cli("export", "sales", "-o", sales_file)
    cli("export", "returns", "-o", returns_file)
    exported = list(csv.DictReader(io.StringIO(returns_file.read_text(encoding="utf-8"))))
    assert [(r["sale_id"], r["quantity"], r["amount"], r["reason"]) for r in exported] == [
        ("1", "1", "89.00", "破损"),
        ("1", "1", "89.00", ""),
    ]
    other = tmp_path / "other.db"
    cli("--db", other, "import", "sales", sales_file, "--create-customers")
    summary = cli.json("--db", other, "import", "returns", returns_file)
    assert summary["imported"] == 2
    again = cli("--db", other, "export", "returns").stdout
    assert again == returns_file.read_text(encoding="utf-8")


def test_importing_returns_refuses_unknown_sales_and_too_much(cli, shop, tmp_path):
    path = tmp_path / "returns.csv"
    path.write_text(
        "sale_id,date,quantity,amount\n1,2026-03-05,2,\n9,2026-03-05,1,\n1,2026-03-06,2,\n"
        "x,2026-03-06,1,\n",
        encoding="utf-8",
    )
    result = cli("import", "returns", path, code=65)
    assert "line 3" in result.stderr and "line 4" in result.stderr and "line 5" in result.stderr
    assert cli.json("sale", "returns") == []
    cli("import", "returns", path, "--skip-invalid")
    assert [r["quantity"] for r in cli.json("sale", "returns")] == [2]


def test_a_dry_run_of_returns_writes_nothing(cli, shop, tmp_path):
    path = tmp_path / "returns.csv"
    path.write_text("sale_id,date,quantity\n1,2026-03-05,1\n1,2026-03-05,2\n", encoding="utf-8")
    summary = cli.json("import", "returns", path, "--dry-run")
    assert (summary["imported"], summary["dry_run"]) == (2, True)
    assert cli.json("sale", "returns") == []


def test_deleting_a_customer_takes_their_returns_and_undo_restores_them(cli, shop):
    cli("sale", "return", "1", "--quantity", "1")
    cli("customer", "delete", "张三", "--yes")
    assert cli.json("sale", "returns") == []
    cli("undo")
    assert [r["quantity"] for r in cli.json("sale", "returns")] == [1]
