"""Standard questions (标准问题): a stage carries questions, a deal records the customer's
answers, and the "standard questions asked" checkpoint is met only when all are answered."""

import pytest

QUESTIONS = [
    "你喜欢/不喜欢以前的供应商的什么?",
    "您希望我们能解决什么业务问题?",
    "描述你目前的情况。",
    "解决后情况会是怎样?",
]


@pytest.fixture
def needs(cli):
    cli("customer", "add", "华为", "--owner", "李娜")
    cli("deal", "add", "华为", "ERP", "--pipeline", "seven-step", "--stage", "needs")


def test_the_needs_stage_carries_the_methods_four_questions(cli):
    stages = {s["key"]: s for s in cli.json("pipeline", "show", "seven-step")["stages"]}
    assert [q.split("(")[1].rstrip(")") for q in stages["needs"]["questions"]] == QUESTIONS
    assert [i.get("requires_answers", False) for i in stages["needs"]["checklist"]] == [
        True,
        False,
    ]
    assert stages["proposal"]["questions"] == []


def test_the_checkpoint_waits_for_every_answer(cli, needs):
    shown = cli.json("deal", "show", "1")
    assert [(q["number"], q["stage"], q["answer"]) for q in shown["questions"]] == [
        (1, "needs", None),
        (2, "needs", None),
        (3, "needs", None),
        (4, "needs", None),
    ]
    refused = cli("deal", "check", "1", "Standard questions", code=1)
    assert all(question in refused.stderr for question in QUESTIONS)
    cli("deal", "answer", "1", "1", "交货总是晚, 但价格便宜")
    cli("deal", "answer", "1", "业务问题", "月底对账要三天")
    cli("deal", "answer", "1", "3", "两个仓库, Excel 手工对账")
    refused = cli("deal", "check", "1", "Standard questions", code=1)
    assert QUESTIONS[3] in refused.stderr and QUESTIONS[0] not in refused.stderr
    cli("deal", "advance", "1", code=1)
    answered = cli.json("deal", "answer", "1", "4", "当天对完账")
    assert (answered["number"], answered["answer"], answered["answered_on"]) == (
        4,
        "当天对完账",
        "2026-03-16",
    )
    cli("deal", "check", "1", "Standard questions")
    cli("deal", "check", "1", "Needs restated")
    assert cli.json("deal", "advance", "1")["stage"] == "presentation"
    table = cli("deal", "show", "1").stdout
    assert "Standard questions" in table and "月底对账要三天" in table


def test_answering_again_replaces_the_answer_and_undo_restores_it(cli, needs):
    cli("deal", "answer", "1", "2", "first answer")
    replaced = cli.json("deal", "answer", "1", "2", "better answer")
    assert replaced["replaced"] is True
    assert cli.json("deal", "show", "1")["questions"][1]["answer"] == "better answer"
    cli("undo")
    assert cli.json("deal", "show", "1")["questions"][1]["answer"] == "first answer"


def test_answer_refusals(cli, needs):
    cli("deal", "answer", "1", "9", "x", code=1)
    cli("deal", "answer", "1", "nothing like this", "x", code=1)
    assert "use the number" in cli("deal", "answer", "1", "?", "x", code=1).stderr  # all match
    cli("deal", "answer", "1", "1", "  ", code=2)
    cli("deal", "add", "华为", "Cabling")  # key-account: no questions
    assert "no standard questions" in cli("deal", "answer", "2", "1", "x", code=1).stderr
    assert all(q["answer"] is None for q in cli.json("deal", "show", "1")["questions"])


ASKED = """
name = "renewal"
[[stages]]
key = "review"
probability = 30
questions = ["What did you use most?", "What was missing?"]
checklist = [{ text = "review questions asked", required = true, requires_answers = true }]
[[stages]]
key = "offer"
probability = 60
"""


def test_a_toml_stage_carries_its_own_questions(cli, tmp_path):
    path = tmp_path / "renewal.toml"
    path.write_text(ASKED, encoding="utf-8")
    cli("pipeline", "import", path)
    assert cli.json("pipeline", "show", "renewal")["stages"][0]["questions"] == [
        "What did you use most?",
        "What was missing?",
    ]
    cli("customer", "add", "华为")
    cli("deal", "add", "华为", "Renewal", "--pipeline", "renewal")
    cli("deal", "check", "1", "review", code=1)
    cli("deal", "answer", "1", "use most", "reports")
    cli("deal", "answer", "1", "2", "mobile app")
    cli("deal", "check", "1", "review")
    assert cli.json("deal", "advance", "1")["stage"] == "offer"


@pytest.mark.parametrize(
    "stage",
    [
        'checklist = [{ text = "t", requires_answers = true }]',  # no questions to answer
        'questions = "one"',
        "questions = [1]",
        'questions = ["q"]\nchecklist = [{ text = "t", requires_answers = "yes" }]',
    ],
)
def test_bad_questions_in_toml_are_refused(cli, tmp_path, stage):
    path = tmp_path / "p.toml"
    path.write_text(f'name = "x"\n[[stages]]\nkey = "a"\n{stage}\n', encoding="utf-8")
    stderr = cli("pipeline", "import", path, code=65).stderr
    assert "questions" in stderr or "requires_answers" in stderr
