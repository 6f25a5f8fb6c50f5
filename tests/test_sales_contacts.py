"""log / contact list, product add / list, sale add / list, and the summary columns."""

import pytest

from salesflow import customers, sales


@pytest.fixture
def customer(cli):
    return cli.json(
        "customer", "add", "张三", "--owner", "李娜", "--department", "华南", "--store", "福田店"
    )


def test_log_defaults_to_today_and_the_customers_owner(cli, customer):
    contact = cli.json("log", "张三", "电话沟通", "--next", "+1w", "--outcome", "interested")
    assert contact["at"] == "2026-03-16"
    assert contact["by"] == "李娜"
    assert contact["channel"] == "call"
    assert contact["next_at"] == "2026-03-23"
    assert (contact["customer_id"], contact["customer"]) == (customer["id"], "张三")
    assert contact["deal_id"] is None


def test_log_refuses_bad_channel_date_and_unknown_deal(cli, customer):
    cli("log", "张三", "x", "--channel", "fax", code=2)
    cli("log", "张三", "x", "--at", "soon", code=2)
    cli("log", "张三", "x", "--next", "32/13", code=2)
    cli("log", "张三", "x", "--deal", "9", code=1)
    cli("log", "张三", "   ", code=2)
    assert cli.json("contact", "list") == []


def test_contact_list_filters(cli, customer):
    cli.json("customer", "add", "李四")
    cli("log", "张三", "a", "--at", "2026-03-01", "--channel", "visit")
    cli("log", "李四", "b", "--at", "2026-03-05 10:30", "--by", "王强")
    cli("log", "张三", "c", "--at", "2026-03-10")

    def summaries(*options):
        return [row["summary"] for row in cli.json("contact", "list", *options)]

    assert summaries() == ["a", "b", "c"]
    assert summaries("张三") == ["a", "c"]
    assert summaries("--from", "2026-03-05", "--to", "2026-03-05") == ["b"]
    assert summaries("--by", "王强") == ["b"]
    assert summaries("--channel", "visit") == ["a"]
    assert summaries("--limit", "1") == ["a"]


def test_a_contact_table_reads_only_its_columns_and_shows_what_the_records_hold(
    cli, customer, conn
):
    from salesflow import contacts
    from salesflow.cli.customers import CONTACT_COLUMNS

    cli("log", "张三", "报价", "--at", "2026-03-01", "--next", "2026-03-20", "--outcome", "ok")
    cli("log", "张三", "回访", "--at", "2026-03-02", "--channel", "visit", "--by", "王强")
    whole = contacts.list_contacts(conn)
    assert [list(record) for record in whole] == [list(contacts.CONTACT_KEYS)] * 2
    shown = [key for key, _heading in CONTACT_COLUMNS]
    narrow = contacts.list_contacts(conn, keys=shown)
    assert narrow == [{key: record[key] for key in shown} for record in whole]
    assert "deals" not in contacts.selecting(shown)  # no join a table does not show
    assert contacts.list_contacts(conn, keys=["summary"], channel="visit") == [{"summary": "回访"}]
    with pytest.raises(ValueError):
        contacts.selecting(["summary", "phone"])
    with pytest.raises(ValueError):
        contacts.selecting([])
    table = cli("contact", "list").stdout.splitlines()
    assert table[0].split() == [
        "ID",
        "At",
        "Customer",
        "Channel",
        "By",
        "Summary",
        "Outcome",
        "Next",
    ]
    assert table[1].split() == [
        "1",
        "2026-03-01",
        "张三",
        "call",
        "李娜",
        "报价",
        "ok",
        "2026-03-20",
    ]
    assert table[2].split() == ["2", "2026-03-02", "张三", "visit", "王强", "回访"]
    # the data keep every key
    assert list(cli.json("contact", "list")[0]) == list(contacts.CONTACT_KEYS)
    assert cli("contact", "list", "--format", "csv").stdout.splitlines()[0].split(",") == list(
        contacts.CONTACT_KEYS
    )


def test_latest_contact_sets_last_contact_and_next_follow_up(cli, customer, conn):
    cli("log", "张三", "later", "--at", "2026-03-10", "--next", "2026-03-30")
    cli("log", "张三", "back-dated", "--at", "2026-03-01", "--next", "2026-03-05")
    row = customers.get_customer(conn, customer["id"])
    assert (row["last_contact_at"], row["next_follow_up"]) == ("2026-03-10", "2026-03-30")


def test_product_add_and_list(cli):
    product = cli.json(
        "product",
        "add",
        "洗发水",
        "--sku",
        "SH-1",
        "--category",
        "日化",
        "--price",
        "¥1,299.5",
        "--cycle-days",
        "30",
    )
    assert product == {
        "id": 1,
        "name": "洗发水",
        "sku": "SH-1",
        "category": "日化",
        "price": 1299.5,
        "cycle_days": 30,
    }
    cli("product", "add", "洗发水", code=1)
    cli("product", "add", "x", "--sku", "SH-1", code=1)
    cli("product", "add", "y", "--price", "abc", code=2)
    cli("product", "add", "z", "--cycle-days", "0", code=2)
    assert [row["name"] for row in cli.json("product", "list")] == ["洗发水"]


def test_sale_defaults_rep_department_store_and_amount(cli, customer):
    cli("product", "add", "洗发水", "--price", "89.90", "--cycle-days", "30")
    sale = cli.json("sale", "add", "张三", "洗发水", "--quantity", "3")
    assert sale["amount"] == 269.7
    assert (sale["rep"], sale["department"], sale["store"]) == ("李娜", "华南", "福田店")
    assert (sale["product_id"], sale["product"], sale["quantity"]) == (1, "洗发水", 3)
    assert sale["date"] == "2026-03-16"
    override = cli.json(
        "sale",
        "add",
        "张三",
        "洗发水",
        "--amount",
        "0",
        "--rep",
        "王强",
        "--store",
        "罗湖店",
        "--date",
        "2026年3月1日",
    )
    assert override["amount"] == 0
    assert (override["rep"], override["store"], override["date"]) == (
        "王强",
        "罗湖店",
        "2026-03-01",
    )


def test_sale_needs_an_amount_when_there_is_no_price(cli, customer):
    result = cli("sale", "add", "张三", code=2)
    assert "--amount" in result.stderr
    cli("sale", "add", "张三", "--amount", "-1", code=2)
    cli("sale", "add", "张三", "--amount", "1", "--quantity", "0", code=2)
    cli("sale", "add", "张三", "nothing", "--amount", "1", code=1)
    assert cli.json("sale", "list") == []


def test_decimal_quantity_rounds_amount_half_up_to_the_cent(cli, customer):
    cli("product", "add", "米", "--price", "0.05")
    assert cli.json("sale", "add", "张三", "米", "--quantity", "2.5")["amount"] == 0.13


def test_sale_list_filters_and_summary(cli, customer, conn):
    cli.json("customer", "add", "李四", "--owner", "王强")
    cli("product", "add", "茶", "--price", "10")
    cli("sale", "add", "张三", "茶", "--date", "2026-01-05")
    cli("sale", "add", "李四", "--amount", "5.5", "--date", "2026-02-01")
    cli("sale", "add", "张三", "--amount", "7", "--date", "2026-03-01")

    def amounts(*options):
        return [row["amount"] for row in cli.json("sale", "list", *options)]

    assert amounts() == [10, 5.5, 7]
    assert amounts("--from", "2026-02-01") == [5.5, 7]
    assert amounts("--to", "2026-02-01") == [10, 5.5]
    assert amounts("--customer", "张三") == [10, 7]
    assert amounts("--product", "茶") == [10]
    assert amounts("--rep", "王强") == [5.5]
    assert customers.get_customer(conn, customer["id"])["last_sale_on"] == "2026-03-01"


def test_sale_csv_has_every_json_key_and_two_decimal_money(cli, customer):
    cli("sale", "add", "张三", "--amount", "1234.5")
    lines = cli("sale", "list", "--format", "csv").stdout.splitlines()
    assert lines[0].split(",") == list(sales.SALE_KEYS)
    assert "1234.50" in lines[1]
