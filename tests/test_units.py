"""Units sold one at a time (现场销控): a deposit reserves a unit for one deal, a win sells it
with its contract, and a lost, deleted or reopened deal, or a returned sale, frees it."""

import pytest


@pytest.fixture
def showroom(cli):
    cli("unit", "add", "楼盘A-1801", "--project", "楼盘A", "--kind", "3房2厅",
        "--area", "128㎡", "--price", "2,560,000")  # fmt: skip
    cli("unit", "add", "楼盘A-1802", "--project", "楼盘A", "--price", "2,400,000")
    cli("customer", "add", "张三", "--phone", "138 0013 8000", "--owner", "李娜")
    cli("customer", "add", "李四", "--phone", "139 0013 9000", "--owner", "王强")
    cli("deal", "add", "张三", "A-1801 张三", "--pipeline", "showroom", "--unit", "楼盘A-1801",
        "--amount", "2,500,000")  # fmt: skip


def unit(cli, code="楼盘A-1801"):
    return next(row for row in cli.json("unit", "list") if row["code"] == code)


def to_contract(cli, deal_id="1"):
    cli("deal", "advance", deal_id, "--to", "negotiation")
    cli("deal", "check", deal_id, "资料表")
    cli("deal", "check", deal_id, "约定下次")
    cli("deal", "advance", deal_id, "--to", "contract")


def test_the_showroom_story_two_buyers_a_deposit_a_contract_and_a_return(cli, showroom):
    assert unit(cli)["status"] == "available"
    cli("deal", "deposit", "1", "50,000", "--date", "2026-03-14")
    held = unit(cli)
    assert (held["status"], held["deal_id"], held["customer"], held["deposits"]) == (
        "reserved",
        1,
        "张三",
        50000,
    )
    # The second buyer is refused, and the refusal names the deal holding the unit.
    refused = cli("deal", "add", "李四", "A-1801 李四", "--pipeline", "showroom",
                  "--unit", "楼盘A-1801", code=1)  # fmt: skip
    assert "reserved by deal #1" in refused.stderr
    assert len(cli.json("deal", "list")) == 1
    to_contract(cli)
    won = cli.json("deal", "won", "1", "--contract", "HT-2026-018", "--record-sale")
    assert (won["unit"], won["unit_status"], won["contract_no"], won["contract_amount"]) == (
        "楼盘A-1801",
        "sold",
        "HT-2026-018",
        2500000,
    )
    sold = unit(cli)
    assert (sold["status"], sold["contract_no"], sold["contract_amount"]) == (
        "sold",
        "HT-2026-018",
        2500000,
    )
    cli("sale", "return", str(won["sale_id"]), "--reason", "贷款未批")
    freed = unit(cli)
    assert (freed["status"], freed["deal_id"]) == ("available", None)
    assert cli.json("deal", "show", "1")["status"] == "won"  # the deal's record stays
    # Now the second buyer can take it.
    cli("deal", "add", "李四", "A-1801 李四", "--pipeline", "showroom", "--unit", "楼盘A-1801")
    cli("deal", "deposit", "2", "30,000")
    assert unit(cli)["deal_id"] == 2


def test_a_partial_refund_keeps_the_unit_sold(cli, showroom):
    to_contract(cli)
    won = cli.json("deal", "won", "1", "--contract", "HT-1", "--record-sale")
    cli("sale", "return", str(won["sale_id"]), "--amount", "100,000")
    assert unit(cli)["status"] == "sold"


def test_a_deposit_by_another_deal_is_refused_naming_the_holder(cli, showroom):
    cli("deal", "add", "李四", "A-1801 李四", "--pipeline", "showroom", "--unit", "楼盘A-1801")
    cli("deal", "deposit", "1", "50,000")
    refused = cli("deal", "deposit", "2", "20,000", code=1)
    assert "reserved by deal #1" in refused.stderr
    assert cli.json("deal", "show", "2")["deposits"] == []
    to_contract(cli, "2")
    assert "deal #1" in cli("deal", "won", "2", "--contract", "X", code=1).stderr
    assert cli.json("deal", "show", "2")["status"] == "open"


@pytest.mark.parametrize(
    ("freeing", "options"),
    [
        ("lost", ["--reason", "买了别家"]),
        ("delete", ["--yes"]),
    ],
)
def test_a_lost_or_deleted_deal_frees_its_unit_and_undo_holds_it_again(
    cli, showroom, freeing, options
):
    cli("deal", "deposit", "1", "50,000")
    cli("deal", freeing, "1", *options)
    assert unit(cli)["status"] == "available"
    cli("undo")
    assert (unit(cli)["status"], unit(cli)["deal_id"]) == ("reserved", 1)


def test_a_reopened_deal_lets_go_of_its_unit_until_a_new_deposit(cli, showroom):
    cli("deal", "deposit", "1", "50,000")
    to_contract(cli)
    cli("deal", "won", "1", "--contract", "HT-7")
    assert unit(cli)["status"] == "sold"
    reopened = cli("deal", "reopen", "1", "--reason", "合同作废")
    assert "楼盘A-1801 is available again" in reopened.stderr
    shown = cli.json("deal", "show", "1")
    assert (shown["unit_status"], shown["contract_no"], shown["deposit_total"]) == (
        None,
        None,
        50000,
    )
    assert unit(cli)["status"] == "available"
    cli("deal", "deposit", "1", "10,000")
    assert unit(cli)["status"] == "reserved"


def test_deal_edit_moves_the_hold_to_another_unit_or_drops_it(cli, showroom):
    cli("deal", "deposit", "1", "50,000")
    edited = cli.json("deal", "edit", "1", "--unit", "楼盘A-1802")
    assert edited["id"] == 1
    assert (unit(cli)["status"], unit(cli, "楼盘A-1802")["status"]) == ("available", "reserved")
    cli("deal", "add", "李四", "x", "--pipeline", "showroom", "--unit", "楼盘A-1801")
    cli("deal", "deposit", "2", "1,000")
    assert "deal #2" in cli("deal", "edit", "1", "--unit", "楼盘A-1801", code=1).stderr
    cli("deal", "edit", "1", "--unit", "")
    assert unit(cli, "楼盘A-1802")["status"] == "available"
    assert cli.json("deal", "show", "1")["unit"] is None
    cli("deal", "edit", "1", "--unit", "楼盘A-1802")  # a paid deal reserves what it takes
    assert unit(cli, "楼盘A-1802")["deal_id"] == 1


def test_deposits_show_on_the_deal_and_in_the_pipeline_report(cli, showroom):
    cli("deal", "deposit", "1", "50,000", "--date", "2026-03-10", "--note", "receipt 42")
    cli("deal", "deposit", "1", "20,000")
    shown = cli.json("deal", "show", "1")
    assert [(d["amount"], d["paid_on"], d["note"]) for d in shown["deposits"]] == [
        (50000, "2026-03-10", "receipt 42"),
        (20000, "2026-03-16", None),
    ]
    assert shown["deposit_total"] == 70000
    rows = cli.json("report", "pipeline")
    assert [(r["stage"], r["count"], r["deposits"]) for r in rows] == [("reception", 1, 70000)]
    table = cli("deal", "show", "1").stdout
    assert "Deposits" in table and "receipt 42" in table
    assert "Deposits" in cli("report", "pipeline").stdout


def test_report_units_counts_by_project_and_status(cli, showroom):
    cli("unit", "add", "珠宝-001", "--project", "孤品", "--price", "88,000")
    cli("deal", "deposit", "1", "50,000")
    rows = cli.json("report", "units")
    assert rows == [
        {"project": "孤品", "status": "available", "units": 1, "price": 88000,
         "deposits": None, "contract_amount": None},
        {"project": "楼盘A", "status": "available", "units": 1, "price": 2400000,
         "deposits": None, "contract_amount": None},
        {"project": "楼盘A", "status": "reserved", "units": 1, "price": 2560000,
         "deposits": 50000, "contract_amount": None},
    ]  # fmt: skip
    assert [row["code"] for row in cli.json("unit", "list", "--status", "reserved")] == [
        "楼盘A-1801"
    ]


def test_unit_edit_delete_and_their_refusals(cli, showroom):
    record = cli.json("unit", "edit", "楼盘a-1801", "--price", "2,480,000", "--area", "")
    assert (record["price"], record["area"], record["kind"]) == (2480000, None, "3房2厅")
    cli("unit", "add", "楼盘A-1801", code=1)  # the code is taken, whatever its case
    cli("unit", "add", "X-1", "--area", "large", code=2)
    cli("unit", "edit", "楼盘A-1801", code=2)  # nothing to change
    cli("unit", "edit", "nope", "--price", "1", code=1)
    cli("deal", "deposit", "1", "50,000")
    assert "reserved by deal #1" in cli("unit", "delete", "楼盘A-1801", "--yes", code=1).stderr
    cli("deal", "lost", "1", "--reason", "x")
    deleted = cli("unit", "delete", "楼盘A-1801", "--yes")
    assert "#1" in deleted.stderr
    assert cli.json("deal", "show", "1")["unit"] is None
    cli("undo")
    assert cli.json("deal", "show", "1")["unit"] == "楼盘A-1801"


def test_deposit_refusals(cli, showroom):
    cli("deal", "deposit", "1", "0", code=2)
    cli("deal", "deposit", "1", "-5", code=2)
    cli("deal", "lost", "1", "--reason", "x")
    assert "open deals" in cli("deal", "deposit", "1", "100", code=1).stderr
    cli("deal", "add", "张三", "no unit", "--pipeline", "showroom")
    cli("deal", "deposit", "2", "100")  # a deal without a unit takes deposits too
    assert cli.json("deal", "show", "2")["deposit_total"] == 100
    cli("deal", "add", "张三", "x", "--unit", "nope", code=1)
    cli("deal", "won", "2", "--contract-amount", "5", "--force", "--reason", "x", code=2)


def test_deleting_the_customer_frees_the_unit_and_undo_brings_back_deposits(cli, showroom):
    cli("deal", "deposit", "1", "50,000")
    cli("deal", "answer", "1", "1", "x", code=1)  # showroom has no standard questions
    cli("customer", "delete", "张三", "--yes")
    assert unit(cli)["status"] == "available"
    cli("undo")
    assert (unit(cli)["status"], unit(cli)["deposits"]) == ("reserved", 50000)
