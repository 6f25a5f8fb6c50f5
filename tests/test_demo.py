"""The demo book: reproducible, refuses a non-empty file, makes every report show data."""

import json


def test_demo_fills_every_report_and_most_reminder_kinds(cli):
    result = cli("demo", "--customers", "150", "--seed", "3")
    assert "Demo book ready" in result.stderr
    customers = cli.json("customer", "list")
    assert len(customers) == 150
    for report in (
        ["sales"],
        ["sales", "--by", "department,store"],
        ["pipeline"],
        ["funnel"],
        ["activity"],
        ["customers"],
    ):
        assert cli.json("report", *report), report
    kinds = {item["kind"] for item in cli.json("remind")}
    assert len(kinds) >= 7, kinds
    assert kinds >= {"follow-up", "used-up", "stale-deal"}, kinds
    names = [c["name"] for c in customers]
    assert any(name.isascii() for name in names) and any(not name.isascii() for name in names)
    assert {c["tier"] for c in customers} >= {"A", "B", "C", "D"}
    assert len({c["department"] for c in customers}) == 4
    assert len({c["owner"] for c in customers}) == 8


def test_demo_sells_consumables_and_durables_and_plans_follow_ups(cli):
    cli("demo", "--customers", "150", "--seed", "3")
    products = cli.json("product", "list")
    assert any(p["cycle_days"] for p in products) and any(not p["cycle_days"] for p in products)
    cycles = {p["id"]: p["cycle_days"] for p in products}
    sold = {sale["product_id"] for sale in cli.json("sale", "list")}
    assert any(cycles[p] for p in sold) and any(not cycles[p] for p in sold)
    assert any(contact["next_at"] for contact in cli.json("contact", "list"))


def test_demo_puts_deals_in_every_stage_of_every_built_in_pipeline(cli):
    """Open deals in every stage up to the closing one; won deals in every delivery stage."""
    cli("demo", "--customers", "150", "--seed", "3")
    selling, delivery = set(), set()
    for pipeline in cli.json("pipeline", "list"):
        if pipeline["builtin"]:
            for stage in cli.json("pipeline", "show", pipeline["name"])["stages"]:
                (delivery if stage["delivery"] else selling).add((pipeline["name"], stage["key"]))
    assert len(selling) >= 20 and len(delivery) >= 2
    deals = cli.json("deal", "list")
    assert {(d["pipeline"], d["stage"]) for d in deals if d["status"] == "open"} == selling
    assert delivery <= {(d["pipeline"], d["stage"]) for d in deals if d["status"] == "won"}


def test_demo_deals_have_their_checkpoints_stakeholders_and_objections(cli):
    cli("demo", "--customers", "150", "--seed", "3")
    order = {p["name"]: p["stages"] for p in cli.json("pipeline", "list")}
    deals = cli.json("deal", "list")
    ticked = 0
    for deal in deals:
        if deal["status"] != "open":
            continue
        stages = order[deal["pipeline"]]
        passed = stages[: stages.index(deal["stage"])]
        checklist = cli.json("deal", "show", str(deal["id"]))["checklist"]
        assert all(item["done"] for item in checklist if item["stage"] in passed), deal["id"]
        ticked += sum(item["done"] for item in checklist)
    assert ticked > 0
    for customer_id in {d["customer_id"] for d in deals if d["pipeline"] == "key-account"}:
        roles = {s["role"] for s in cli.json("stakeholder", "list", f"#{customer_id}")}
        assert roles >= {"decision-maker", "purchasing", "technical"}, customer_id
    objections = cli.json("objection", "list")
    assert len(objections) == 10
    # Two recorded uses per deal, spread over the library, with both outcomes.
    assert sum(o["uses"] for o in objections) == 2 * len(deals)
    assert all(0 <= o["worked"] <= o["uses"] for o in objections)
    worked = sum(o["worked"] for o in objections)
    assert 0 < worked < 2 * len(deals)
    assert sum(1 for o in objections if o["uses"]) >= 5


def test_demo_is_reproducible(cli, tmp_path, monkeypatch):
    books = []
    for name in ("one.db", "two.db"):
        monkeypatch.setenv("SALESFLOW_DB", str(tmp_path / name))
        cli("demo", "--customers", "40", "--seed", "9")
        books.append(
            json.dumps(
                [cli.json("customer", "list"), cli.json("sale", "list"), cli.json("deal", "list")]
            )
        )
    assert books[0] == books[1]


def test_demo_refuses_a_non_empty_book_without_force(cli):
    cli("customer", "add", "real customer")
    result = cli("demo", "--customers", "10", code=1)
    assert "--force" in result.stderr
    assert [c["name"] for c in cli.json("customer", "list")] == ["real customer"]
    cli("demo", "--customers", "10", "--force")
    assert len(cli.json("customer", "list")) == 10
