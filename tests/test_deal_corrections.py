"""Correcting deals, stakeholders and objections; deals moving back and reopening; the
closing stage as the gate to winning, and the delivery stages after it."""

import json

import pytest

KEY_ACCOUNT_GATES = [
    ("准确的项目信息", "initiation"),
    ("售前立项", "proposal"),
    ("有效的客户关系推进", "bidding"),
    ("投标或议标", "negotiation"),
]


@pytest.fixture
def account(cli):
    return cli.json("customer", "add", "华为", "--owner", "李娜")


def deal(cli, *options, title="Data centre"):
    return cli.json("deal", "add", "华为", title, *options)


def to_closing(cli, deal_id="1"):
    """Take a key-account deal through every gate up to its closing stage, negotiation."""
    if not cli.json("stakeholder", "list", "华为"):  # the relationship gate's people
        cli("stakeholder", "add", "华为", "张工", "--role", "coach", "--owner", "李娜")
        cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker", "--owner", "李娜")
    for checkpoint, _stage in KEY_ACCOUNT_GATES:
        cli("deal", "check", deal_id, checkpoint)
        cli("deal", "advance", deal_id)


def latest_change(cli):
    return cli.json("history", "--limit", "1")[0]


# ---------------------------------------------------------------- deal edit


def test_deal_edit_corrects_every_field_and_undo_restores_them(cli, account):
    created = deal(cli, "--amount", "1000", "--close", "2026-03-01", "--probability", "40")
    edited = cli.json(
        "deal", "edit", "1", "--title", "Data centre phase 2", "--amount", "¥2,500",
        "--close", "2026-07-15", "--probability", "65", "--owner", "王强",
        "--notes", "budget from Q3",
    )  # fmt: skip
    assert (edited["title"], edited["amount"], edited["expected_close"]) == (
        "Data centre phase 2",
        2500,
        "2026-07-15",
    )
    assert (edited["probability"], edited["owner"], edited["notes"]) == (
        65,
        "王强",
        "budget from Q3",
    )
    assert latest_change(cli)["command"] == "deal edit"
    cli("undo")
    restored = cli.json("deal", "show", "1")
    assert {key: restored[key] for key in created} == created


def test_deal_edit_returns_to_the_stage_probability_and_clears_fields(cli, account):
    deal(cli, "--amount", "1000", "--close", "+1m", "--probability", "40", "--notes", "x")
    cli("deal", "edit", "1", "--notes", "first call went well")
    cleared = cli.json(
        "deal", "edit", "1", "--probability", "stage", "--close", "", "--amount", "",
        "--notes", "", "--owner", "",
    )  # fmt: skip
    assert cleared["probability"] == 10  # development's
    assert (cleared["expected_close"], cleared["amount"], cleared["notes"], cleared["owner"]) == (
        None,
        None,
        None,
        None,
    )
    cli("deal", "advance", "1", "--force", "--reason", "x")
    assert cli.json("deal", "show", "1")["probability"] == 20  # follows the stage again


def test_deal_add_takes_notes_through_edit_and_shows_them(cli, account):
    deal(cli)
    cli("deal", "edit", "1", "--notes", "王总 prefers morning calls")
    result = cli("deal", "show", "1")
    assert "王总 prefers morning calls" in result.stdout


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        ((), 2, "nothing to change"),
        (("--title", "  "), 2, "title"),
        (("--probability", "150"), 2, "0 to 100"),
        (("--probability", "high"), 2, "0 to 100"),
        (("--amount", "-5"), 2, ""),
        (("--close", "someday"), 2, "someday"),
    ],
)
def test_deal_edit_refuses_bad_values_and_changes_nothing(cli, account, options, code, message):
    before = deal(cli, "--amount", "1000")
    result = cli("deal", "edit", "1", *options, code=code)
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert {k: v for k, v in cli.json("deal", "show", "1").items() if k in before} == before


def test_deal_edit_of_an_unknown_deal_is_refused(cli, account):
    cli("deal", "edit", "9", "--title", "x", code=1)


# ---------------------------------------------------------------- deal delete


def busy_deal(cli):
    """A won deal with checks, history, a contact, a recorded sale and an objection use."""
    deal(cli, "--amount", "5000")
    to_closing(cli)
    cli("deal", "check", "1", "合同审批", "--note", "signed by 王总")
    cli("log", "华为", "contract meeting", "--deal", "1", "--at", "2026-03-15")
    cli("log", "华为", "unrelated call", "--at", "2026-03-14")
    cli("objection", "add", "太贵了", "--response", "算经济账")
    cli("objection", "use", "1", "--deal", "1", "--outcome", "worked")
    cli("deal", "won", "1", "--record-sale")


def test_deal_delete_leaves_no_orphans_and_undo_restores_everything(cli, account, conn):
    busy_deal(cli)
    deal(cli, title="Other")
    before = cli.json("deal", "show", "1")
    result = cli("deal", "delete", "1", "--yes")
    assert "Deleted deal #1" in result.stderr
    cli("deal", "show", "1", code=1)
    for table in ("deal_checks", "deal_history", "objection_uses"):
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE deal_id = 1").fetchone()[0] == 0
    assert [c["deal_id"] for c in cli.json("contact", "list")] == [None, None]
    assert [s["deal_id"] for s in cli.json("sale", "list")] == [None]
    assert cli.json("objection", "list")[0]["uses"] == 0
    assert [d["title"] for d in cli.json("deal", "list")] == ["Other"]
    assert cli.json("check")["ok"]
    cli("undo")
    assert cli.json("deal", "show", "1") == before
    assert sorted(c["deal_id"] or 0 for c in cli.json("contact", "list")) == [0, 1]
    assert [s["deal_id"] for s in cli.json("sale", "list")] == [1]
    assert cli.json("objection", "list")[0]["uses"] == 1


def test_deal_delete_asks_first_and_keeps_the_deal_when_declined(cli, account):
    deal(cli)
    result = cli("deal", "delete", "1", input="n\n", code=1)
    assert "Delete deal #1" in result.stderr
    assert cli.json("deal", "show", "1")["id"] == 1
    cli("deal", "delete", "1", input="y\n")
    assert cli.json("deal", "list") == []
    cli("deal", "delete", "1", "--yes", code=1)  # gone


# ---------------------------------------------------------------- stakeholders


def test_stakeholder_list_shows_every_customer_when_none_is_named(cli, account):
    cli("customer", "add", "中兴")
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker")
    cli("stakeholder", "add", "中兴", "Li Ming", "--role", "coach")
    assert [(s["customer"], s["name"]) for s in cli.json("stakeholder", "list")] == [
        ("华为", "王总"),
        ("中兴", "Li Ming"),
    ]
    assert [s["name"] for s in cli.json("stakeholder", "list", "中兴")] == ["Li Ming"]
    cli("stakeholder", "list", "nobody", code=1)


def test_a_second_stakeholder_add_for_the_same_person_is_refused(cli, account):
    cli("customer", "add", "中兴")
    cli("stakeholder", "add", "华为", "Wang Wei", "--role", "decision-maker")
    result = cli("stakeholder", "add", "华为", " wang wei ", "--role", "coach", code=1)
    assert "#1" in result.stderr and "stakeholder edit" in result.stderr
    assert "Wang Wei" not in result.stderr  # no personal data in errors
    cli("stakeholder", "add", "中兴", "Wang Wei", "--role", "coach")  # another account
    assert len(cli.json("stakeholder", "list")) == 2


def test_stakeholder_edit_closes_the_gap_it_raised(cli, account):
    deal(cli)
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker", "--title", "CEO")
    kinds = {gap["kind"] for gap in cli.json("deal", "show", "1")["gaps"]}
    assert "decision-maker-unowned" in kinds
    edited = cli.json(
        "stakeholder", "edit", "1", "--owner", "销售总监", "--attitude", "supporter",
        "--title", "", "--name", "王总经理",
    )  # fmt: skip
    assert (edited["owner"], edited["attitude"], edited["title"], edited["name"]) == (
        "销售总监",
        "supporter",
        None,
        "王总经理",
    )
    kinds = {gap["kind"] for gap in cli.json("deal", "show", "1")["gaps"]}
    assert "decision-maker-unowned" not in kinds
    cli.json("stakeholder", "edit", "1", "--role", "coach")
    assert cli.json("stakeholder", "list")[0]["role"] == "coach"
    cli("undo")
    assert cli.json("stakeholder", "list")[0]["role"] == "decision-maker"


def test_stakeholder_edit_refusals(cli, account):
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker")
    cli("stakeholder", "add", "华为", "小李", "--role", "purchasing")
    assert "stakeholder edit" in cli("stakeholder", "edit", "2", "--name", "王总", code=1).stderr
    cli("stakeholder", "edit", "2", code=2)  # nothing to change
    cli("stakeholder", "edit", "2", "--name", " ", code=2)
    cli("stakeholder", "edit", "2", "--attitude", "angry", code=2)
    cli("stakeholder", "edit", "2", "--role", "boss", code=2)
    cli("stakeholder", "edit", "9", "--owner", "x", code=1)
    assert [s["name"] for s in cli.json("stakeholder", "list")] == ["王总", "小李"]


def test_stakeholder_delete_and_undo(cli, account):
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker")
    cli("stakeholder", "delete", "1", input="n\n", code=1)
    assert len(cli.json("stakeholder", "list")) == 1
    cli("stakeholder", "delete", "1", "--yes")
    assert cli.json("stakeholder", "list") == []
    assert latest_change(cli)["command"] == "stakeholder delete"
    cli("undo")
    assert [s["name"] for s in cli.json("stakeholder", "list")] == ["王总"]
    cli("stakeholder", "delete", "7", "--yes", code=1)


# ---------------------------------------------------------------- objections


def test_objection_stage_must_be_a_known_stage_key(cli, tmp_path):
    result = cli("objection", "add", "太贵了", "--response", "算账", "--stage", "haggling", code=2)
    assert "haggling" in result.stderr
    assert "negotiation" in result.stderr and "purchase" in result.stderr
    assert cli.json("objection", "list") == []
    cli("objection", "add", "太贵了", "--response", "算账", "--stage", "Negotiation")
    assert cli.json("objection", "list")[0]["stage"] == "negotiation"
    path = tmp_path / "renewal.toml"
    path.write_text("name = 'renewal'\n[[stages]]\nkey = 'usage-review'\n", encoding="utf-8")
    cli("pipeline", "import", path)
    cli("objection", "add", "no usage", "--response", "show usage", "--stage", "usage-review")


def test_objection_edit_corrects_fields_and_validates_the_stage(cli, account):
    deal(cli)
    cli("objection", "add", "太贵了", "--response", "算账", "--stage", "proposal", "--tag", "x")
    cli("objection", "use", "1", "--deal", "1", "--outcome", "worked")
    edited = cli.json(
        "objection", "edit", "1", "--text", "价格太高", "--response", "算一笔经济账",
        "--stage", "negotiation", "--tag", "price", "--tag", "常见",
    )  # fmt: skip
    assert (edited["text"], edited["response"], edited["stage"], edited["tags"]) == (
        "价格太高",
        "算一笔经济账",
        "negotiation",
        ["price", "常见"],
    )
    assert edited["uses"] == 1  # its record of uses stays
    assert cli.json("objection", "edit", "1", "--stage", "")["stage"] is None
    assert "haggling" in cli("objection", "edit", "1", "--stage", "haggling", code=2).stderr
    cli("objection", "edit", "1", code=2)
    cli("objection", "edit", "1", "--response", " ", code=2)
    cli("objection", "edit", "9", "--text", "x", code=1)
    cli("undo")
    assert cli.json("objection", "list")[0]["stage"] == "negotiation"


def test_objection_delete_takes_its_uses_and_undo_brings_them_back(cli, account, conn):
    deal(cli)
    cli("objection", "add", "太贵了", "--response", "算账")
    cli("objection", "use", "1", "--deal", "1", "--outcome", "worked")
    cli("objection", "use", "1", "--deal", "1", "--outcome", "failed")
    cli("objection", "delete", "1", input="n\n", code=1)
    cli("objection", "delete", "1", "--yes")
    assert cli.json("objection", "list") == []
    assert conn.execute("SELECT count(*) FROM objection_uses").fetchone()[0] == 0
    cli("undo")
    assert [(o["uses"], o["worked"]) for o in cli.json("objection", "list")] == [(2, 1)]
    cli("objection", "delete", "5", "--yes", code=1)


# ---------------------------------------------------------------- back and reopen


def test_deal_back_returns_to_the_previous_stage_with_who_and_why(cli, account):
    deal(cli)
    cli("deal", "check", "1", "准确的项目信息")
    cli("deal", "advance", "1")
    moved = cli.json("deal", "back", "1", "--reason", "budget withdrawn", "--by", "王强")
    assert (moved["stage"], moved["probability"]) == ("development", 10)
    history = cli.json("deal", "show", "1")["history"]
    assert [entry["stage"] for entry in history] == ["development", "initiation", "development"]
    assert history[1]["left_at"] == "2026-03-16"
    assert history[-1] == {
        "stage": "development",
        "entered_at": "2026-03-16",
        "left_at": None,
        "by": "王强",
        "forced": False,
        "reason": "budget withdrawn",
    }
    assert cli.json("deal", "show", "1")["checklist"][0]["done"]  # ticks stay
    cli("undo")
    assert cli.json("deal", "show", "1")["stage"] == "initiation"


def test_deal_back_keeps_an_overridden_probability(cli, account):
    deal(cli, "--probability", "33")
    cli("deal", "advance", "1", "--force", "--reason", "x")
    assert cli.json("deal", "back", "1", "--reason", "y")["probability"] == 33


def test_deal_back_refusals(cli, account):
    deal(cli)
    cli("deal", "back", "1", code=2)  # no reason
    result = cli("deal", "back", "1", "--reason", "x", code=1)
    assert "first stage" in result.stderr
    cli("deal", "lost", "1", "--reason", "price")
    assert "reopen" in cli("deal", "back", "1", "--reason", "x", code=1).stderr
    deal(cli, "--pipeline", "retail", "--stage", "purchase", title="Won one")
    cli("deal", "won", "2")
    assert "reopen" in cli("deal", "back", "2", "--reason", "x", code=1).stderr


def test_a_won_deal_in_delivery_goes_back_to_its_closing_stage_but_not_before(cli, account):
    deal(cli)
    to_closing(cli)
    cli("deal", "check", "1", "合同审批")
    cli("deal", "won", "1")
    cli("deal", "advance", "1")
    moved = cli.json("deal", "back", "1", "--reason", "acceptance postponed")
    assert (moved["stage"], moved["status"]) == ("negotiation", "won")
    cli("deal", "back", "1", "--reason", "x", code=1)


def test_reopen_a_won_deal_keeps_its_sale_and_names_it(cli, account):
    deal(cli, "--amount", "5000")
    to_closing(cli)
    cli("deal", "check", "1", "合同审批")
    cli("deal", "won", "1", "--record-sale")
    cli("deal", "advance", "1")  # into delivery
    result = cli("deal", "reopen", "1", "--reason", "contract cancelled", "--format", "json")
    assert "sale #1" in result.stderr and "kept" in result.stderr
    reopened = json.loads(result.stdout)
    assert (reopened["status"], reopened["stage"], reopened["closed_on"]) == (
        "open",
        "negotiation",  # an open deal is never in delivery
        None,
    )
    assert reopened["probability"] == 80 and reopened["sale_ids"] == [1]
    assert [s["deal_id"] for s in cli.json("sale", "list")] == [1]
    last = cli.json("deal", "show", "1")["history"][-1]
    assert (last["stage"], last["reason"], last["left_at"]) == (
        "negotiation",
        "contract cancelled",
        None,
    )
    assert latest_change(cli)["command"] == "deal reopen"
    cli("undo")
    assert cli.json("deal", "show", "1")["stage"] == "implementation"


def test_reopen_a_lost_deal_and_refusals(cli, account):
    deal(cli)
    cli("deal", "reopen", "1", "--reason", "x", code=1)  # open already
    cli("deal", "lost", "1", "--reason", "price")
    cli("deal", "reopen", "1", code=2)  # no reason
    reopened = cli.json("deal", "reopen", "1", "--reason", "budget found")
    assert (reopened["status"], reopened["lost_reason"], reopened["probability"]) == (
        "open",
        None,
        10,
    )
    assert "kept" not in cli("deal", "lost", "1", "--reason", "again").stderr
    cli("deal", "reopen", "9", "--reason", "x", code=1)


# ---------------------------------------------------------------- the closing gate


def test_won_before_the_closing_stage_is_refused_naming_what_is_missing(cli, account):
    cli.json("deal", "add", "华为", "Flat 12-3", "--pipeline", "showroom")
    result = cli("deal", "won", "1", code=1)
    assert "'reception'" in result.stderr and "'contract'" in result.stderr
    assert "填写客户资料表" in result.stderr and "约定下次洽谈时间" in result.stderr
    assert "--force --reason" in result.stderr
    assert cli.json("deal", "show", "1")["status"] == "open"
    cli("deal", "won", "1", "--force", code=2)  # a forced win needs a reason


def test_a_forced_win_moves_to_the_closing_stage_and_is_kept_as_forced(cli, account):
    cli.json("deal", "add", "华为", "Flat 12-3", "--pipeline", "showroom")
    won = cli.json("deal", "won", "1", "--force", "--reason", "paid in full at the door")
    assert (won["status"], won["stage"], won["forced"]) == ("won", "contract", True)
    history = cli.json("deal", "show", "1")["history"]
    assert history[-1] == {
        "stage": "contract",
        "entered_at": "2026-03-16",
        "left_at": "2026-03-16",
        "by": "李娜",
        "forced": True,
        "reason": "paid in full at the door",
    }
    assert "forced" in latest_change(cli)["summary"]


def test_won_at_the_closing_stage_needs_its_own_checkpoint(cli, account):
    deal(cli)
    to_closing(cli)
    result = cli("deal", "won", "1", code=1)
    assert "合同审批" in result.stderr and "before its closing stage" not in result.stderr
    won = cli.json("deal", "won", "1", "--force", "--reason", "signature by fax")
    assert won["forced"] is True
    last = cli.json("deal", "show", "1")["history"][-1]
    assert (last["stage"], last["forced"], last["reason"]) == (
        "negotiation",
        True,
        "signature by fax",
    )


def test_a_deal_with_every_checkpoint_met_is_won_unforced(cli, account):
    deal(cli)
    to_closing(cli)
    cli("deal", "check", "1", "合同审批")
    won = cli.json("deal", "won", "1")
    assert (won["status"], won["forced"]) == ("won", False)
    assert not any(entry["forced"] for entry in cli.json("deal", "show", "1")["history"])


def test_open_deals_stop_at_the_closing_stage_and_never_start_in_delivery(cli, account):
    deal(cli)
    to_closing(cli)
    cli("deal", "check", "1", "合同审批")
    result = cli("deal", "advance", "1", code=1)
    assert "deal won" in result.stderr
    cli("deal", "advance", "1", "--to", "implementation", "--force", "--reason", "x", code=1)
    result = cli("deal", "add", "华为", "x", "--stage", "implementation", code=2)
    assert "closing stage" in result.stderr
    cli.json("deal", "add", "华为", "ERP", "--pipeline", "seven-step", "--stage", "closing")
    cli("deal", "lost", "2", "--reason", "x")
    cli("deal", "advance", "2", code=1)  # a lost deal does not move


def test_a_won_deal_advances_through_delivery_with_its_gates(cli, account):
    cli.json("deal", "add", "华为", "ERP", "--pipeline", "seven-step", "--stage", "closing")
    cli("deal", "won", "1", "--force", "--reason", "signed before qualification was logged")
    moved = cli.json("deal", "advance", "1")
    assert (moved["stage"], moved["status"], moved["probability"]) == ("follow-up", "won", 100)
    result = cli("deal", "advance", "1", code=1)
    assert "no delivery stage left" in result.stderr


def test_delivery_gates_apply_to_won_deals(cli, account):
    deal(cli)
    to_closing(cli)
    cli("deal", "won", "1", "--force", "--reason", "x")
    assert "合同审批" in cli("deal", "advance", "1", code=1).stderr
    cli("deal", "check", "1", "合同审批")
    assert cli.json("deal", "advance", "1")["stage"] == "implementation"


# ---------------------------------------------------------------- reports


def test_pipeline_report_counts_only_open_deals_before_delivery(cli, account, conn):
    deal(cli, "--amount", "1000")  # development, 10%
    deal(cli, "--amount", "2000", title="Signed")
    to_closing(cli, "2")
    cli("deal", "check", "2", "合同审批")
    cli("deal", "won", "2")
    cli("deal", "advance", "2")  # won, in delivery
    # An open deal left in a delivery stage by an older release is a contract already.
    cli.json("deal", "add", "华为", "Legacy", "--amount", "4000")
    conn.execute(
        "UPDATE deals SET stage_id = (SELECT id FROM stages WHERE key = 'implementation') "
        "WHERE id = 3"
    )
    rows = cli.json("report", "pipeline")
    assert rows == [
        {"pipeline": "key-account", "stage": "development", "count": 1, "amount": 1000,
         "weighted_amount": 100, "deposits": 0},
    ]  # fmt: skip
    assert sum(row["count"] for row in cli.json("report", "pipeline", "--by", "owner")) == 1


def test_funnel_marks_delivery_stages(cli, account):
    deal(cli)
    funnel = cli.json("report", "funnel", "--pipeline", "key-account")
    assert [(row["stage"], row["delivery"]) for row in funnel][-2:] == [
        ("negotiation", False),
        ("implementation", True),
    ]
    assert sum(row["delivery"] for row in funnel) == 1


def test_a_delivery_stage_entered_after_the_win_counts_its_days_up_to_today(cli, account):
    deal(cli)
    to_closing(cli)
    cli("deal", "check", "1", "合同审批")
    cli("deal", "won", "1", "--date", "2026-03-10")
    cli("deal", "advance", "1")  # entered 2026-03-16, still running
    funnel = {row["stage"]: row for row in cli.json("report", "funnel")}
    assert funnel["implementation"]["avg_days"] == 0


def test_pipeline_show_marks_the_closing_and_delivery_stages(cli, conn):
    template = cli.json("pipeline", "show", "seven-step")["stages"]
    assert [s["key"] for s in template if s["closing"]] == ["closing"]
    assert [s["key"] for s in template if s["delivery"]] == ["follow-up"]
    cli("customer", "add", "x")
    cli("deal", "add", "x", "y")  # installs the templates
    installed = cli.json("pipeline", "show", "key-account")["stages"]
    assert [s["key"] for s in installed if s["closing"]] == ["negotiation"]
    assert [s["key"] for s in installed if s["delivery"]] == ["implementation"]
    assert "delivery" in cli("pipeline", "show", "key-account").stdout


# ---------------------------------------------------------------- custom pipelines

PROJECT = """
name = "project"
[[stages]]
key = "scoping"
probability = 30
[[stages]]
key = "signing"
probability = 90
closing = true
[[stages]]
key = "rollout"
probability = 100
"""


def test_a_toml_pipeline_names_its_closing_stage(cli, account, tmp_path):
    path = tmp_path / "project.toml"
    path.write_text(PROJECT, encoding="utf-8")
    cli("pipeline", "import", path)
    stages = cli.json("pipeline", "show", "project")["stages"]
    assert [(s["key"], s["closing"], s["delivery"]) for s in stages] == [
        ("scoping", False, False),
        ("signing", True, False),
        ("rollout", False, True),
    ]
    cli.json("deal", "add", "华为", "Rollout", "--pipeline", "project")
    cli("deal", "won", "1", code=1)  # still scoping
    cli("deal", "advance", "1")
    cli("deal", "advance", "1", code=1)  # at signing: win it first
    cli("deal", "won", "1")
    assert cli.json("deal", "advance", "1")["stage"] == "rollout"


def test_a_toml_pipeline_without_a_closing_stage_closes_at_its_last(cli, account, tmp_path):
    path = tmp_path / "short.toml"
    path.write_text("name = 'short'\n[[stages]]\nkey = 'a'\n[[stages]]\nkey = 'b'\n")
    cli("pipeline", "import", path)
    assert [s["closing"] for s in cli.json("pipeline", "show", "short")["stages"]] == [
        False,
        True,
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PROJECT.replace('key = "rollout"', 'key = "rollout"\nclosing = true'), "only one"),
        (PROJECT.replace("closing = true", "closing = 'yes'"), "`closing` must be true or false"),
    ],
)
def test_invalid_closing_stages_are_refused(cli, tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    assert message in cli("pipeline", "import", path, code=65).stderr
    cli("pipeline", "show", "project", code=1)


# ---------------------------------------------------------------- what deal show shows


def test_deal_show_lists_checkpoint_notes_and_the_contacts_logged_for_it(cli, account):
    deal(cli)
    deal(cli, title="Other")
    cli("deal", "check", "1", "准确的项目信息", "--note", "budget 2M confirmed")
    cli("log", "华为", "site survey with IT", "--deal", "1", "--channel", "visit")
    cli("log", "华为", "call about the other deal", "--deal", "2")
    cli("log", "华为", "birthday wishes")
    table = cli("deal", "show", "1").stdout
    assert "budget 2M confirmed" in table
    assert "Contacts" in table and "site survey with IT" in table
    assert "other deal" not in table and "birthday" not in table
    shown = cli.json("deal", "show", "1")
    assert [(c["summary"], c["channel"], c["deal_id"]) for c in shown["contacts"]] == [
        ("site survey with IT", "visit", 1)
    ]


def test_contact_list_by_deal(cli, account):
    deal(cli)
    deal(cli, title="Other")
    cli("log", "华为", "site survey", "--deal", "1")
    cli("log", "华为", "pricing call", "--deal", "2")
    cli("log", "华为", "no deal")
    assert [c["summary"] for c in cli.json("contact", "list", "--deal", "1")] == ["site survey"]
    assert [c["summary"] for c in cli.json("contact", "list", "--deal", "Other")] == [
        "pricing call"
    ]
    assert cli.json("contact", "list", "华为", "--deal", "1")[0]["deal"] == "Data centre"
    cli("contact", "list", "--deal", "9", code=1)


# ---------------------------------------------------------------- help


@pytest.mark.parametrize(
    "command",
    [
        ("deal", "edit"),
        ("deal", "delete"),
        ("deal", "back"),
        ("deal", "reopen"),
        ("deal", "won"),
        ("stakeholder", "list"),
        ("stakeholder", "edit"),
        ("stakeholder", "delete"),
        ("objection", "edit"),
        ("objection", "delete"),
    ],
)
def test_every_correction_command_has_help_with_an_example(cli, command):
    assert "Example: salesflow " + " ".join(command) in cli(*command, "--help").stdout
