"""customer add / list / show / edit / delete and customer references."""

import pytest

from salesflow import customers


def add(cli, name, *options):
    return cli.json("customer", "add", name, *options)


def test_add_prints_the_record_as_json_and_confirms_its_id_on_stderr(cli):
    result = cli(
        "customer",
        "add",
        "张三",
        "--phone",
        "138 0013 8000",
        "--tag",
        "vip",
        "--set",
        "hobby=golf",
        "--urgency",
        "4",
        "--format",
        "json",
    )
    assert "Added customer #1 张三" in result.stderr
    record = __import__("json").loads(result.stdout)
    assert record["id"] == 1
    assert record["name"] == "张三"
    assert record["tags"] == ["vip"]
    assert record["profile"] == {"hobby": "golf"}
    assert record["urgency"] == 4
    assert record["created_at"] == "2026-03-16"
    assert record["tier"] is None


def test_add_without_format_prints_nothing_on_stdout(cli):
    result = cli("customer", "add", "李四")
    assert result.stdout == ""
    assert "#1" in result.stderr


def test_add_keeps_every_profile_field(cli):
    referrer = add(cli, "王五")
    record = add(
        cli,
        "赵六",
        "--ref",
        "M-0001",
        "--company",
        "华为",
        "--email",
        "zl@example.cn",
        "--address",
        "深圳",
        "--source",
        "referral",
        "--referred-by",
        "王五",
        "--owner",
        "李娜",
        "--department",
        "华南",
        "--store",
        "福田店",
        "--tier",
        "b",
        "--economic",
        "good",
        "--buying",
        "bulk",
        "--suppliers",
        "ACME, satisfied",
        "--quick-effect",
        "3",
        "--price-fit",
        "5",
        "--notes",
        "likes tea",
        "--created",
        "2025-12-01",
        "--set",
        "birthday=1990-04-01",
    )
    assert record["referred_by_id"] == referrer["id"]
    assert record["referred_by"] == "王五"
    assert (record["tier"], record["tier_locked"]) == ("B", True)
    assert record["created_at"] == "2025-12-01"
    assert record["profile"]["birthday"] == "1990-04-01"
    for key in (
        "ref",
        "company",
        "email",
        "address",
        "source",
        "owner",
        "department",
        "store",
        "economic",
        "buying",
        "suppliers",
        "notes",
    ):
        assert record[key]


@pytest.mark.parametrize("name", ["[bold]x[/bold]", ":smile:", "[red]", "a\\[b]"])
def test_markup_like_names_print_literally(cli, name):
    add(cli, name)
    assert name in cli("customer", "list").stdout
    assert name in cli("customer", "show", "#1").stdout


def test_references_resolve_by_id_ref_phone_email_and_name(cli):
    first = add(
        cli, "张三", "--ref", "VIP-7", "--phone", "+86 138 0013 8000", "--email", "zs@example.cn"
    )
    add(cli, "Anna Smith")
    for reference in (
        "1",
        "#1",
        "VIP-7",
        "13800138000",
        "138-0013-8000",
        "ZS@example.cn",
        "张三",
        "三",
    ):
        assert cli.json("customer", "show", reference)["id"] == first["id"], reference
    assert cli.json("customer", "show", "anna")["name"] == "Anna Smith"


def test_ambiguous_reference_lists_candidates_and_exits_1(cli):
    add(cli, "张三")
    add(cli, "张四")
    result = cli("customer", "show", "张", code=1)
    assert result.stderr.startswith("Error: ")
    assert "#1 张三" in result.stderr and "#2 张四" in result.stderr
    assert "Traceback" not in result.stderr


def test_exact_name_beats_substring(cli):
    add(cli, "Li")
    add(cli, "Lily")
    assert cli.json("customer", "show", "li")["name"] == "Li"


def test_unknown_reference_exits_1(cli):
    add(cli, "张三")
    for reference in ("nobody", "#99", "%", "_"):
        result = cli("customer", "show", reference, code=1)
        assert result.stderr.startswith("Error: no customer")


def test_list_filters_by_tier_owner_tag_source_store_and_search(cli):
    add(cli, "A1", "--tier", "A", "--owner", "李娜", "--tag", "vip", "--source", "web")
    add(
        cli, "B1", "--tier", "B", "--owner", "王强", "--store", "福田店", "--phone", "139 1111 2222"
    )
    add(cli, "N1", "--notes", "met at fair")

    def names(*options):
        return [row["name"] for row in cli.json("customer", "list", *options)]

    assert names() == ["A1", "B1", "N1"]
    assert names("--tier", "a") == ["A1"]
    assert names("--tier", "none") == ["N1"]
    assert names("--owner", "王强") == ["B1"]
    assert names("--tag", "vip") == ["A1"]
    assert names("--source", "web") == ["A1"]
    assert names("--store", "福田店") == ["B1"]
    assert names("--search", "fair") == ["N1"]
    assert names("--search", "13911112222") == ["B1"]
    assert names("--limit", "2") == ["A1", "B1"]
    assert cli("customer", "list", "--tier", "Z", code=2).stderr.startswith("Error:")


def test_the_list_as_a_table_reads_only_its_columns_and_shows_what_the_records_hold(cli, conn):
    from salesflow import output
    from salesflow.cli.customers import CUSTOMER_COLUMNS

    add(cli, "A1", "--tier", "A", "--tag", "vip", "--tag", "茶", "--phone", "139 1111 2222")
    add(cli, "B1", "--referred-by", "A1", "--owner", "王强")
    shown = [key for key, _heading in CUSTOMER_COLUMNS]
    few = customers.list_customers(conn, keys=shown)
    whole = customers.list_customers(conn)
    assert [set(record) for record in few] == [set(shown)] * 2
    assert few == [{key: record[key] for key in shown} for record in whole]
    assert few[0]["tags"] == ["vip", "茶"]
    assert customers.list_customers(conn, keys=["id", "referred_by"])[1]["referred_by"] == "A1"
    table = cli("customer", "list").stdout
    assert table == output.plain_table(whole, CUSTOMER_COLUMNS)
    assert customers.list_customers(conn, keys=["name"]) == [{"name": "A1"}, {"name": "B1"}]
    for wrong in (["id", "name; DROP TABLE customers"], []):
        with pytest.raises(ValueError, match="not customer keys"):
            customers.list_customers(conn, keys=wrong)


def test_edit_changes_only_what_is_given_and_clears_with_empty_text(cli):
    add(
        cli,
        "张三",
        "--company",
        "华为",
        "--phone",
        "138",
        "--tag",
        "a",
        "--tag",
        "b",
        "--set",
        "title=CTO",
        "--set",
        "hobby=golf",
    )
    record = cli.json(
        "customer",
        "edit",
        "张三",
        "--company",
        "",
        "--untag",
        "a",
        "--tag",
        "c",
        "--unset",
        "title",
        "--set",
        "kids=2",
    )
    assert record["company"] is None
    assert record["phone"] == "138"
    assert record["tags"] == ["b", "c"]
    assert record["profile"] == {"hobby": "golf", "kids": "2"}


def test_manual_tier_is_locked_until_set_back_to_auto(cli):
    add(cli, "张三")
    record = cli.json("customer", "edit", "张三", "--tier", "A")
    assert (record["tier"], record["tier_locked"]) == ("A", True)
    record = cli.json("customer", "edit", "张三", "--tier", "auto")
    assert (record["tier"], record["tier_locked"]) == ("A", False)
    record = cli.json("customer", "edit", "张三", "--tier", "none")
    assert (record["tier"], record["tier_locked"]) == (None, True)


def test_edit_refuses_bad_values_without_changing_anything(cli, conn):
    add(cli, "张三", "--ref", "R1")
    add(cli, "李四", "--ref", "R2")
    before = customers.get_customer(conn, 2)
    cli("customer", "edit", "李四", "--ref", "R1", "--company", "x", code=1)
    cli("customer", "edit", "李四", "--email", "not-an-email", code=2)
    cli("customer", "edit", "李四", "--unset", "missing", code=1)
    cli("customer", "edit", "李四", "--created", "someday", code=2)
    cli("customer", "edit", "李四", "--referred-by", "李四", code=1)
    assert customers.get_customer(conn, 2) == before


def test_show_gives_profile_and_timeline(cli):
    add(cli, "张三", "--owner", "李娜")
    cli("product", "add", "茶叶", "--price", "100")
    cli("log", "张三", "first call", "--at", "2026-03-01", "--next", "2026-03-20")
    cli("sale", "add", "张三", "茶叶", "--date", "2026-03-02")
    shown = cli.json("customer", "show", "张三")
    assert [(e["date"], e["kind"]) for e in shown["timeline"]] == [
        ("2026-03-01", "contact"),
        ("2026-03-02", "sale"),
    ]
    assert shown["timeline"][1]["amount"] == 100.0
    assert shown["last_contact_at"] == "2026-03-01"
    assert shown["next_follow_up"] == "2026-03-20"
    assert shown["last_sale_on"] == "2026-03-02"
    table = cli("customer", "show", "张三").stdout
    assert "first call" in table and "茶叶" in table


def test_delete_asks_and_keeps_the_customer_when_refused(cli):
    add(cli, "张三")
    result = cli("customer", "delete", "张三", input="n\n", code=1)
    assert "Delete customer #1" in result.stderr
    assert len(cli.json("customer", "list")) == 1


def test_delete_with_yes_removes_customer_and_history(cli, conn):
    add(cli, "张三")
    add(cli, "李四", "--referred-by", "张三")
    cli("log", "张三", "call")
    cli("sale", "add", "张三", "--amount", "10")
    cli("customer", "delete", "张三", "--yes")
    assert [row["name"] for row in cli.json("customer", "list")] == ["李四"]
    assert cli.json("customer", "show", "李四")["referred_by_id"] is None
    assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 0
    deleted = conn.execute(
        "SELECT count(*) FROM events e JOIN changes c ON c.id = e.change_id"
        " WHERE c.command = 'customer delete' AND e.after IS NULL"
    ).fetchone()[0]
    assert deleted == 3  # the customer, the contact and the sale, each restorable


def test_every_change_is_in_the_audit_log(cli, conn):
    add(cli, "张三")
    cli("customer", "edit", "张三", "--phone", "1")
    cli("log", "张三", "call")
    cli("product", "add", "茶叶", "--price", "1")
    cli("sale", "add", "张三", "茶叶")
    commands = [row[0] for row in conn.execute("SELECT command FROM changes ORDER BY id")]
    assert commands == ["customer add", "customer edit", "log", "product add", "sale add"]
