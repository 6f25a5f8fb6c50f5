"""The demo book: reproducible, refuses a non-empty file, makes every report show data."""

import json


def test_demo_fills_every_report_and_most_reminder_kinds(cli):
    result = cli("demo", "--customers", "150", "--seed", "3")
    assert "Demo book ready" in result.stderr
    assert len(cli.json("customer", "list")) == 150
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
    pipelines = {deal["pipeline"] for deal in cli.json("deal", "list")}
    assert pipelines == {"key-account", "seven-step", "showroom", "retail"}
    stages = {(d["pipeline"], d["stage"]) for d in cli.json("deal", "list", "--status", "open")}
    assert len(stages) == 24  # every stage of every built-in pipeline
    assert cli.json("objection", "list")[0]["uses"] >= 0
    names = [c["name"] for c in cli.json("customer", "list")]
    assert any(name.isascii() for name in names) and any(not name.isascii() for name in names)
    assert {c["tier"] for c in cli.json("customer", "list")} >= {"A", "B", "C", "D"}


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
