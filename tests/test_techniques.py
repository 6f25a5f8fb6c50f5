"""Closing techniques (成交技巧): the shared list with the method's eight, recorded on won
and lost deals, and a report whose counts agree with the deals' own record."""

import itertools
from collections import Counter

import pytest

BUILT_IN = [
    ("direct-close", "直接关单法"),
    ("assumptive-close", "假设成交"),
    ("opportunity-close", "机会获得"),
    ("pressure-close", "压力成交"),
    ("take-away-close", "欲擒故纵法"),
    ("life-experience", "生命体验法"),
    ("economic-account", "经济算账法"),
    ("step-back", "以退为进法"),
]


def test_the_eight_techniques_are_built_in(cli):
    listed = cli.json("technique", "list")
    assert [(t["name"], t["label_zh"]) for t in listed] == BUILT_IN
    assert all(t["builtin"] and t["uses"] == 0 and t["description"] for t in listed)


def test_add_edit_delete_and_their_refusals(cli):
    added = cli.json("technique", "add", "trial-close", "--zh", "试探成交",
                     "--description", "Ask a small yes first")  # fmt: skip
    assert (added["id"], added["builtin"]) == (9, False)
    cli("technique", "add", "Trial-Close", code=1)  # the name is taken, whatever its case
    cli("technique", "add", " ", code=2)
    edited = cli.json("technique", "edit", "试探成交", "--description", "")
    assert edited["description"] is None
    cli("technique", "edit", "trial-close", code=2)  # nothing to change
    cli("technique", "edit", "trial-close", "--name", "direct-close", code=1)
    cli("technique", "edit", "nope", "--zh", "x", code=1)
    assert "use the #id" in cli("technique", "edit", "close", "--zh", "x", code=1).stderr
    cli("customer", "add", "华为")
    cli("deal", "add", "华为", "ERP")
    cli("deal", "won", "1", "--force", "--reason", "x", "--technique", "trial-close")
    cli("technique", "delete", "trial-close", "--yes")
    assert cli.json("deal", "show", "1")["technique"] is None
    assert cli.json("deal", "show", "1")["status"] == "won"
    cli("undo")
    assert cli.json("deal", "show", "1")["technique"] == "trial-close"


def test_won_and_lost_record_the_technique_and_reopen_clears_it(cli):
    cli("customer", "add", "华为")
    cli("deal", "add", "华为", "ERP")
    cli("deal", "add", "华为", "CRM")
    won = cli.json("deal", "won", "1", "--force", "--reason", "x", "--technique", "假设成交")
    assert (won["technique_id"], won["technique"]) == (2, "assumptive-close")
    cli("deal", "lost", "2", "--reason", "price", "--technique", "#4")
    assert cli.json("deal", "show", "2")["technique"] == "pressure-close"
    cli("deal", "lost", "2", "--reason", "x", code=1)
    cli("deal", "add", "华为", "Cabling")
    cli("deal", "lost", "3", "--reason", "x", "--technique", "nope", code=1)
    assert cli.json("deal", "show", "3")["status"] == "open"  # nothing half-written
    cli("deal", "reopen", "1", "--reason", "contract cancelled")
    assert cli.json("deal", "show", "1")["technique"] is None
    assert [t["uses"] for t in cli.json("technique", "list")][:4] == [0, 0, 0, 1]


# (pipeline, technique, outcome, close date) for each deal: a plan the report must agree with.
PLAN = list(
    itertools.islice(
        zip(
            itertools.cycle(["key-account", "showroom", "seven-step"]),
            itertools.cycle(["direct-close", "假设成交", "经济算账法", "direct-close", None]),
            itertools.cycle(["won", "lost", "won", "won", "lost", "open", "lost"]),
            itertools.cycle(["2026-01-05", "2026-02-10", "2026-03-01", "2025-12-20"]),
            strict=False,
        ),
        41,
    )
)
NAMES = {"direct-close": "direct-close", "假设成交": "assumptive-close",
         "经济算账法": "economic-account"}  # fmt: skip


@pytest.fixture
def closed_deals(cli):
    cli("customer", "add", "华为")
    for number, (pipeline, technique, outcome, day) in enumerate(PLAN, start=1):
        cli("deal", "add", "华为", f"deal {number}", "--pipeline", pipeline)
        chosen = ["--technique", technique] if technique else []
        if outcome == "won":
            cli("deal", "won", str(number), "--force", "--reason", "x", "--date", day, *chosen)
        elif outcome == "lost":
            cli("deal", "lost", str(number), "--reason", "x", "--date", day, *chosen)


def expected(pipeline=None, start="0000", end="9999"):
    counted: dict[str, Counter] = {}
    for deal_pipeline, technique, outcome, day in PLAN:
        if technique is None or outcome == "open" or not start <= day <= end:
            continue
        if pipeline is not None and deal_pipeline != pipeline:
            continue
        counted.setdefault(NAMES[technique], Counter())[outcome] += 1
    return {
        name: (uses := c["won"] + c["lost"], c["won"], c["lost"], round(100 * c["won"] / uses, 1))
        for name, c in counted.items()
    }


def reported(rows):
    assert [row["technique"] for row in rows][:8] == [name for name, _zh in BUILT_IN]
    return {
        row["technique"]: (row["uses"], row["won"], row["lost"], row["win_rate_pct"])
        for row in rows
        if row["uses"]
    }


def test_report_techniques_agrees_with_the_deals_closed(cli, closed_deals):
    assert len(expected()) == 3 and sum(uses for uses, *_ in expected().values()) > 20
    assert reported(cli.json("report", "techniques")) == expected()
    for pipeline in ("showroom", "key-account"):
        rows = cli.json("report", "techniques", "--pipeline", pipeline)
        assert reported(rows) == expected(pipeline=pipeline)
    rows = cli.json("report", "techniques", "--from", "2026-01-01", "--to", "2026-02-28")
    assert reported(rows) == expected(start="2026-01-01", end="2026-02-28")
    rows = cli.json("report", "techniques", "--month", "2026-03", "--pipeline", "seven-step")
    assert reported(rows) == expected(pipeline="seven-step", start="2026-03-01", end="2026-03-31")
    unused = [r for r in cli.json("report", "techniques") if r["technique"] == "step-back"]
    assert unused == [{"technique_id": 8, "technique": "step-back", "label_zh": "以退为进法",
                       "uses": 0, "won": 0, "lost": 0, "win_rate_pct": None}]  # fmt: skip
    assert "Win rate pct" in cli("report", "techniques").stdout
    cli("report", "techniques", "--pipeline", "nope", code=1)
