"""People gates: a checkpoint that needs stakeholders in given roles, each maintained by one
of our people, before it can be ticked — and that is unticked when they go. Contacts name
the stakeholder they were with, so coverage shows the last contact with each."""

import pytest

PEOPLE_ITEM = "有效的客户关系推进"


@pytest.fixture
def account(cli):
    cli("customer", "add", "华为", "--owner", "李娜")
    cli("deal", "add", "华为", "Data centre", "--amount", "1,000,000")
    cli("deal", "advance", "1", "--to", "proposal", "--force", "--reason", "history")


def item(cli, text=PEOPLE_ITEM, deal="1"):
    return next(i for i in cli.json("deal", "show", deal)["checklist"] if text in i["text"])


def test_the_key_account_item_declares_its_people_gate(cli):
    stage = cli.json("pipeline", "show", "key-account")["stages"][2]
    gated = [i for i in stage["checklist"] if i.get("requires_roles")]
    assert [(i["required"], i["requires_roles"]) for i in gated] == [
        (True, ["coach", "decision-maker"])
    ]


def test_the_gate_cannot_be_ticked_until_coach_and_decision_maker_each_have_an_owner(cli, account):
    refused = cli("deal", "check", "1", PEOPLE_ITEM, code=1)
    assert "coach, decision-maker" in refused.stderr
    assert "stakeholder add" in refused.stderr
    cli("stakeholder", "add", "华为", "张工", "--role", "coach")  # nobody of ours owns him
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker", "--owner", "销售总监")
    refused = cli("deal", "check", "1", PEOPLE_ITEM, code=1)
    assert "missing coach (" in refused.stderr  # the decision maker is covered
    assert not item(cli)["done"]
    cli("deal", "advance", "1", code=1)  # the stage gate holds as well
    cli("stakeholder", "edit", "1", "--owner", "李娜")
    cli("deal", "check", "1", PEOPLE_ITEM)
    assert item(cli)["done"]
    assert cli.json("deal", "advance", "1")["stage"] == "bidding"


def test_the_gate_is_unticked_when_a_stakeholder_goes_or_loses_the_owner(cli, account):
    cli("stakeholder", "add", "华为", "张工", "--role", "coach", "--owner", "李娜")
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker", "--owner", "销售总监")
    cli("deal", "check", "1", PEOPLE_ITEM)
    deleted = cli("stakeholder", "delete", "1", "--yes")
    assert "Unticked" in deleted.stderr and "coach" in deleted.stderr
    assert not item(cli)["done"]
    cli("undo")  # the stakeholder and the tick come back together
    assert item(cli)["done"]
    edited = cli("stakeholder", "edit", "2", "--owner", "")
    assert "decision-maker" in edited.stderr
    assert not item(cli)["done"]
    cli("stakeholder", "edit", "2", "--owner", "销售总监")
    cli("deal", "check", "1", PEOPLE_ITEM)
    cli("stakeholder", "edit", "2", "--role", "influencer")  # no decision maker any more
    assert not item(cli)["done"]


def test_a_second_coach_keeps_the_gate_when_one_goes(cli, account):
    cli("stakeholder", "add", "华为", "张工", "--role", "coach", "--owner", "李娜")
    cli("stakeholder", "add", "华为", "刘工", "--role", "coach", "--owner", "王强")
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker", "--owner", "销售总监")
    cli("deal", "check", "1", PEOPLE_ITEM)
    assert "Unticked" not in cli("stakeholder", "delete", "1", "--yes").stderr
    assert item(cli)["done"]


def test_agent_is_a_role(cli, account):
    added = cli.json("stakeholder", "add", "华为", "小陈", "--role", "agent", "--owner", "李娜")
    assert added["role"] == "agent"


def test_contacts_name_the_stakeholder_and_coverage_shows_the_last_one(cli, account):
    cli("stakeholder", "add", "华为", "张工", "--role", "coach", "--owner", "李娜")
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker", "--owner", "销售总监")
    cli("log", "华为", "lunch", "--with", "张工", "--at", "2026-03-02")
    logged = cli.json("log", "华为", "site visit", "--with", "张", "--at", "2026-03-09")
    assert (logged["stakeholder_id"], logged["stakeholder"]) == (1, "张工")
    cli("log", "华为", "call without anyone named", "--at", "2026-03-12")
    cli("log", "华为", "x", "--with", "nobody", code=1)
    listed = cli.json("stakeholder", "list", "华为")
    assert [(p["name"], p["owner"], p["last_contact"]) for p in listed] == [
        ("张工", "李娜", "2026-03-09"),
        ("王总", "销售总监", None),
    ]
    coverage = cli.json("deal", "show", "1")["coverage"]
    assert [(p["name"], p["role"], p["last_contact"]) for p in coverage] == [
        ("张工", "coach", "2026-03-09"),
        ("王总", "decision-maker", None),
    ]
    assert "Stakeholder coverage" in cli("deal", "show", "1").stdout
    assert "Last contact" in cli("stakeholder", "list").stdout
    # Deleting the stakeholder keeps the contacts, no longer naming them; undo names them again.
    cli("stakeholder", "delete", "1", "--yes")
    assert [c["stakeholder"] for c in cli.json("contact", "list")] == [None, None, None]
    cli("undo")
    assert [c["stakeholder"] for c in cli.json("contact", "list")] == ["张工", "张工", None]


GATED = """
name = "channel-partner"
[[stages]]
key = "recruit"
probability = 20
checklist = [{ text = "partner's champion known", required = true, requires_roles = ["agent"] }]
[[stages]]
key = "sign"
probability = 80
"""


def test_a_toml_pipeline_declares_its_own_people_gate(cli, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(GATED, encoding="utf-8")
    cli("pipeline", "import", path)
    cli("customer", "add", "经销商")
    cli("deal", "add", "经销商", "Partner 2027", "--pipeline", "channel-partner")
    assert "agent" in cli("deal", "check", "1", "champion", code=1).stderr
    cli("stakeholder", "add", "经销商", "小陈", "--role", "agent", "--owner", "李娜")
    cli("deal", "check", "1", "champion")
    assert cli.json("deal", "advance", "1")["stage"] == "sign"


@pytest.mark.parametrize(
    "roles", ['["sponsor"]', '"coach"', "[1]"], ids=["unknown", "not-a-list", "not-text"]
)
def test_a_bad_people_gate_in_toml_is_refused(cli, tmp_path, roles):
    path = tmp_path / "p.toml"
    path.write_text(
        'name = "x"\n[[stages]]\nkey = "a"\n'
        f'checklist = [{{ text = "t", requires_roles = {roles} }}]\n',
        encoding="utf-8",
    )
    assert "role" in cli("pipeline", "import", path, code=65).stderr
    assert [p["name"] for p in cli.json("pipeline", "list")].count("x") == 0
