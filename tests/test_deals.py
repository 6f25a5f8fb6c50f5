"""Pipelines, deals through their stage gates, stakeholders and objections."""

import pytest

from salesflow import pipelines


@pytest.fixture
def account(cli):
    return cli.json("customer", "add", "华为", "--owner", "李娜")


def deal(cli, *options, title="Data centre"):
    return cli.json("deal", "add", "华为", title, *options)


def test_builtin_pipelines_carry_the_methods_stages_and_checkpoints(cli):
    listed = {row["name"]: row for row in cli.json("pipeline", "list")}
    assert listed["key-account"]["stages"] == [
        "development",
        "initiation",
        "proposal",
        "bidding",
        "negotiation",
        "implementation",
    ]
    assert listed["seven-step"]["stages"][1] == "qualification"
    assert listed["showroom"]["stages"] == [
        "reception",
        "introduction",
        "site-visit",
        "negotiation",
        "deposit",
        "contract",
    ]
    assert listed["retail"]["stages"] == ["browsing", "curious", "interested", "desire", "purchase"]
    assert all(row["builtin"] for row in listed.values())
    key_account = cli.json("pipeline", "show", "key-account")
    required = [
        [item["text"] for item in stage["checklist"] if item["required"]]
        for stage in key_account["stages"]
    ]
    assert all(len(texts) == 1 for texts in required)
    assert "准确的项目信息" in required[0][0] and "合同审批和合同签订" in required[4][0]
    assert [s["probability"] for s in key_account["stages"]] == sorted(
        s["probability"] for s in key_account["stages"]
    )
    bant = cli.json("pipeline", "show", "seven-step")["stages"][1]["checklist"]
    assert [item["required"] for item in bant] == [True] * 4
    assert {"label", "max_days"} <= set(key_account["stages"][0])


def test_unknown_pipeline_is_refused(cli, account):
    cli("pipeline", "show", "nope", code=1)
    cli("deal", "add", "华为", "x", "--pipeline", "nope", code=1)
    assert cli.json("deal", "list") == []


def test_deal_starts_at_the_first_stage_with_its_probability(cli, account):
    created = deal(cli, "--amount", "1,200,000", "--close", "2026-06-30")
    assert (created["pipeline"], created["stage"], created["status"]) == (
        "key-account",
        "development",
        "open",
    )
    assert created["probability"] == 10
    assert created["amount"] == 1200000
    assert created["owner"] == "李娜"
    assert created["expected_close"] == "2026-06-30"
    assert (created["customer_id"], created["customer"]) == (account["id"], "华为")


def test_advance_refuses_while_the_checkpoint_is_open_and_lists_it(cli, account):
    created = deal(cli)
    result = cli("deal", "advance", str(created["id"]), code=1)
    assert result.stderr.startswith("Error: ")
    assert "准确的项目信息" in result.stderr
    assert cli.json("deal", "show", "1")["stage"] == "development"


def test_key_account_deal_runs_through_every_gate(cli, account):
    deal(cli)
    cli("stakeholder", "add", "华为", "张工", "--role", "coach", "--owner", "李娜")
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker", "--owner", "李娜")
    for checkpoint, stage in [
        ("准确的项目信息", "initiation"),
        ("售前立项", "proposal"),
        ("有效的客户关系推进", "bidding"),
        ("投标或议标", "negotiation"),
    ]:
        cli("deal", "check", "1", checkpoint)
        moved = cli.json("deal", "advance", "1")
        assert moved["stage"] == stage
    cli("deal", "check", "1", "合同审批")
    cli("deal", "advance", "1", code=1)  # an open deal stops at its closing stage
    cli("deal", "won", "1")
    assert cli.json("deal", "advance", "1")["stage"] == "implementation"  # delivery
    shown = cli.json("deal", "show", "1")
    assert (shown["status"], shown["probability"]) == ("won", 100)
    assert [entry["stage"] for entry in shown["history"]] == [
        "development",
        "initiation",
        "proposal",
        "bidding",
        "negotiation",
        "implementation",
    ]
    assert all(entry["left_at"] for entry in shown["history"][:-1])
    assert shown["history"][-1]["left_at"] is None
    assert not any(entry["forced"] for entry in shown["history"])
    cli("deal", "advance", "1", code=1)  # last stage: close it with `deal won`


def test_check_by_item_id_and_undo(cli, account):
    deal(cli)
    item = cli.json("deal", "show", "1")["checklist"][0]
    cli("deal", "check", "1", str(item["id"]), "--note", "budget 2M")
    checked = cli.json("deal", "show", "1")["checklist"][0]
    assert checked["done"] and checked["done_at"] == "2026-03-16"
    assert checked["note"] == "budget 2M"
    cli("deal", "check", "1", str(item["id"]), code=1)  # already done
    cli("deal", "check", "1", str(item["id"]), "--undo")
    assert not cli.json("deal", "show", "1")["checklist"][0]["done"]
    cli("deal", "check", "1", "no such milestone", code=1)


def test_force_needs_a_reason_and_is_recorded(cli, account):
    deal(cli)
    cli("deal", "advance", "1", "--force", code=2)
    cli("deal", "advance", "1", "--force", "--reason", "tender moved up", "--to", "bidding")
    shown = cli.json("deal", "show", "1")
    assert shown["stage"] == "bidding"
    assert shown["history"][-1] == {
        "stage": "bidding",
        "entered_at": "2026-03-16",
        "left_at": None,
        "by": "李娜",
        "forced": True,
        "reason": "tender moved up",
    }


def test_skipping_stages_needs_every_passed_gate(cli, account):
    deal(cli)
    cli("deal", "check", "1", "准确的项目信息")
    result = cli("deal", "advance", "1", "--to", "proposal", code=1)
    assert "售前立项" in result.stderr
    cli("deal", "advance", "1", "--to", "nowhere", code=2)
    cli("deal", "advance", "1", "--to", "development", code=2)


def test_seven_step_deal_stops_at_its_bant_gate(cli, account):
    cli.json("deal", "add", "华为", "ERP", "--pipeline", "seven-step")
    cli("deal", "advance", "1")  # prospecting has no required checkpoint
    for letter in ("预算", "决策人", "需求"):
        cli("deal", "check", "1", letter)
    result = cli("deal", "advance", "1", code=1)
    assert "时间点" in result.stderr and "预算" not in result.stderr
    cli("deal", "check", "1", "Timeline")
    assert cli.json("deal", "advance", "1")["stage"] == "needs"


def test_probability_follows_stage_unless_overridden(cli, account):
    deal(cli, "--probability", "33")
    cli("deal", "advance", "1", "--force", "--reason", "x")
    assert cli.json("deal", "show", "1")["probability"] == 33
    deal(cli, title="Other")
    cli("deal", "advance", "2", "--force", "--reason", "x")
    assert cli.json("deal", "show", "2")["probability"] == 20


def test_won_with_record_sale_books_the_sale(cli, account):
    deal(cli, "--amount", "5000", "--pipeline", "retail", "--stage", "purchase")
    won = cli.json("deal", "won", "1", "--amount", "4800", "--record-sale", "--date", "2026-03-10")
    assert (won["status"], won["closed_on"], won["probability"]) == ("won", "2026-03-10", 100)
    assert won["forced"] is False
    sales = cli.json("sale", "list")
    assert [(s["amount"], s["deal_id"], s["date"], s["rep"]) for s in sales] == [
        (4800, 1, "2026-03-10", "李娜")
    ]
    cli("deal", "won", "1", code=1)
    cli("deal", "advance", "1", code=1)  # retail has no delivery stage after the purchase


def test_won_without_amount_cannot_record_a_sale(cli, account):
    deal(cli)
    cli("deal", "won", "1", "--record-sale", "--force", "--reason", "signed early", code=2)
    assert cli.json("deal", "show", "1")["status"] == "open"


def test_lost_requires_a_reason(cli, account):
    deal(cli)
    cli("deal", "lost", "1", code=2)
    lost = cli.json("deal", "lost", "1", "--reason", "price")
    assert (lost["status"], lost["lost_reason"], lost["probability"]) == ("lost", "price", 0)


def test_deal_list_filters(cli, account):
    deal(cli, title="A")
    cli.json("deal", "add", "华为", "B", "--pipeline", "retail", "--owner", "王强")
    cli("deal", "lost", "1", "--reason", "x")
    assert [d["title"] for d in cli.json("deal", "list", "--status", "open")] == ["B"]
    assert [d["title"] for d in cli.json("deal", "list", "--pipeline", "retail")] == ["B"]
    assert [d["title"] for d in cli.json("deal", "list", "--owner", "王强")] == ["B"]
    assert [d["title"] for d in cli.json("deal", "list", "--stage", "development")] == ["A"]
    cli("deal", "list", "--status", "maybe", code=2)


def test_stakeholder_map_and_coverage_gaps(cli, account):
    deal(cli)
    gaps = {gap["kind"] for gap in cli.json("deal", "show", "1")["gaps"]}
    assert gaps == {"no-coach", "no-decision-maker"}
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker", "--title", "CEO")
    cli("stakeholder", "add", "华为", "小李", "--role", "purchasing", "--attitude", "supporter")
    shown = cli.json("deal", "show", "1")["gaps"]
    assert {(g["kind"], g["role"], g["stakeholder"]) for g in shown} == {
        ("no-coach", "coach", None),
        ("decision-maker-unowned", "decision-maker", "王总"),
        ("role-unmaintained", "purchasing", None),
    }
    cli("stakeholder", "add", "华为", "老张", "--role", "coach", "--owner", "李娜")
    cli("stakeholder", "add", "华为", "王总秘书", "--role", "decision-maker", "--owner", "总经理")
    people = cli.json("stakeholder", "list", "华为")
    assert [(p["name"], p["role"], p["owner"]) for p in people][2] == ("老张", "coach", "李娜")
    assert people[1]["attitude"] == "supporter"
    cli("stakeholder", "add", "华为", "x", "--role", "boss", code=2)
    cli("stakeholder", "add", "华为", "x", "--role", "coach", "--attitude", "angry", code=2)


def test_objection_library_counts_what_worked(cli, account):
    deal(cli)
    cli(
        "objection",
        "add",
        "太贵了",
        "--response",
        "算经济账",
        "--stage",
        "proposal",
        "--tag",
        "price",
    )
    cli("objection", "add", "Need to think", "--response", "What exactly?")
    cli("objection", "use", "1", "--deal", "1", "--outcome", "worked")
    cli("objection", "use", "1", "--deal", "1", "--outcome", "worked")
    cli("objection", "use", "1", "--deal", "1", "--outcome", "failed")
    listed = cli.json("objection", "list")
    assert [(o["uses"], o["worked"], o["worked_pct"]) for o in listed] == [
        (3, 2, 66.7),
        (0, 0, None),
    ]
    assert [o["id"] for o in cli.json("objection", "list", "--stage", "proposal")] == [1]
    assert [o["id"] for o in cli.json("objection", "list", "--search", "think")] == [2]
    cli("objection", "use", "9", "--deal", "1", "--outcome", "worked", code=1)
    cli("objection", "use", "1", "--deal", "1", "--outcome", "maybe", code=2)
    cli("objection", "add", "x", code=2)  # --response is required


RENEWAL = """
name = "renewal"
[[stages]]
key = "contact"
label = "Contact"
probability = 20
max_days = 10
checklist = [{ text = "usage reviewed", required = true }, { text = "call notes" }]
[[stages]]
key = "offer"
probability = 60
"""


def test_custom_toml_pipeline_imports_and_gates(cli, account, tmp_path):
    path = tmp_path / "renewal.toml"
    path.write_text(RENEWAL, encoding="utf-8")
    cli("pipeline", "import", path)
    shown = cli.json("pipeline", "show", "renewal")
    assert shown["stages"][0]["checklist"] == [
        {"text": "usage reviewed", "required": True},
        {"text": "call notes", "required": False},
    ]
    assert shown["stages"][1]["label"] == "offer"
    cli.json("deal", "add", "华为", "Renewal 2027", "--pipeline", "renewal")
    assert "usage reviewed" in cli("deal", "advance", "1", code=1).stderr
    cli("deal", "check", "1", "usage")
    assert cli.json("deal", "advance", "1")["probability"] == 60
    cli("pipeline", "import", path, code=1)  # the name is taken


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'\n[[stages]\n", "not valid TOML"),
        ("[[stages]]\nkey='a'\n", "`name`"),
        ("name='x'\n", "at least one stage"),
        ("name='x'\n[[stages]]\nlabel='A'\n", "`key` is required"),
        ("name='x'\n[[stages]]\nkey='a'\n[[stages]]\nkey='a'\n", "used twice"),
        ("name='x'\n[[stages]]\nkey='a'\nprobability=150\n", "0 to 100"),
        ("name='x'\n[[stages]]\nkey='a'\nmax_days=-1\n", "max_days"),
        ("name='x'\n[[stages]]\nkey='a'\nprobabilty=5\n", "unknown field `probabilty`"),
        ("name='x'\n[[stages]]\nkey='a'\nchecklist=[{required=true}]\n", "needs `text`"),
        ("name='x'\n[[stages]]\nkey='A B'\n", "lowercase"),
    ],
)
def test_invalid_toml_pipelines_are_refused_with_the_reason(cli, tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = cli("pipeline", "import", path, code=65)
    assert message in result.stderr
    assert [p["name"] for p in cli.json("pipeline", "list")] == [p.name for p in pipelines.BUILTINS]


def test_listing_and_showing_pipelines_never_writes(cli, conn):
    assert [p["name"] for p in cli.json("pipeline", "list")] == [p.name for p in pipelines.BUILTINS]
    assert cli.json("pipeline", "show", "retail")["stages"][0]["key"] == "browsing"
    assert conn.execute("SELECT count(*) FROM pipelines").fetchone()[0] == 0
    cli("pipeline", "show", "nope", code=1)
