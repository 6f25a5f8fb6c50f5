"""Sales processes: the four built-in templates from the method, and custom TOML ones.

Each stage carries the checkpoint (关键节点) that must be reached before the deal moves
on, as required checklist items; optional items are the milestones worth ticking off
visit by visit.
"""

import json
import re
import sqlite3
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesflow.choices import STAKEHOLDER_ROLES
from salesflow.db import Change, Row, transaction
from salesflow.errors import BadInput, Conflict, NotFound
from salesflow.i18n import N_, _


@dataclass(frozen=True)
class Item:
    text: str
    required: bool = False
    # People gate: the customer's stakeholders in these roles, each maintained by one of
    # ours, must be on the map before the item can be ticked.
    requires_roles: tuple[str, ...] = ()
    # Met only once every standard question of its stage is answered.
    requires_answers: bool = False


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    probability: int
    max_days: int | None = None
    label_zh: str | None = None
    checklist: tuple[Item, ...] = field(default_factory=tuple)
    # The stage where the deal is won; the stages after it are delivery.
    closing: bool = False
    # Standard questions to ask the customer at this stage (标准问题).
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pipeline:
    name: str
    stages: tuple[Stage, ...]
    builtin: bool = False


def _required(*texts: str) -> tuple[Item, ...]:
    return tuple(Item(text, required=True) for text in texts)


def _optional(*texts: str) -> tuple[Item, ...]:
    return tuple(Item(text) for text in texts)


# The needs assessment's standard questions, as the method words them.
NEEDS_QUESTIONS = (
    "What do you like and dislike about your previous supplier? (你喜欢/不喜欢以前的供应商的什么?)",
    "What business problem do you hope we can solve? (您希望我们能解决什么业务问题?)",
    "Describe your current situation. (描述你目前的情况。)",
    "What will it be like once it is solved? (解决后情况会是怎样?)",
)
PEOPLE_GATE_ITEM = (
    "Effective relationship progress: coach and decision maker identified (有效的客户关系推进)"
)
QUESTIONS_ITEM = "Standard questions asked (标准问题)"

KEY_ACCOUNT = Pipeline(
    "key-account",
    (
        Stage(
            "development",
            "Development",
            10,
            30,
            "开发",
            _required("Accurate project information (准确的项目信息)")
            + _optional("Customer information collected and assessed (收集客户信息和评估)"),
        ),
        Stage(
            "initiation",
            "Initiation",
            20,
            30,
            "立项",
            _required("Pre-sales approval (售前立项)")
            + _optional("Customer organisation and roles mapped (理清客户组织和角色)"),
        ),
        Stage(
            "proposal",
            "Proposal",
            40,
            45,
            "提案",
            (
                Item(PEOPLE_GATE_ITEM, required=True, requires_roles=("coach", "decision-maker")),
                *_optional(
                    "Purchasing criteria influenced (影响客户采购标准)",
                    "Solution presented (提供解决方案)",
                ),
            ),
        ),
        Stage(
            "bidding",
            "Bidding",
            60,
            30,
            "招投标",
            _required("Bid or negotiated offer submitted (投标或议标)"),
        ),
        Stage(
            "negotiation",
            "Negotiation",
            80,
            30,
            "商务谈判",
            _required("Contract approved and signed (合同审批和合同签订)"),
            closing=True,
        ),
        Stage(
            "implementation",
            "Implementation",
            95,
            90,
            "工程实施",
            _required("Acceptance and project close (工程验收和项目结项)"),
        ),
    ),
    builtin=True,
)

SEVEN_STEP = Pipeline(
    "seven-step",
    (
        Stage(
            "prospecting",
            "Prospecting",
            5,
            14,
            "挖掘",
            _optional("Lead source recorded (线索来源)"),
        ),
        Stage(
            "qualification",
            "Qualification (BANT)",
            15,
            14,
            "初次接触和线索验证",
            _required(
                "Budget confirmed (预算)",
                "Authority: decision maker known (决策人)",
                "Need confirmed (需求)",
                "Timeline known (时间点)",
            ),
        ),
        Stage(
            "needs",
            "Needs assessment",
            30,
            21,
            "需求评估",
            (
                Item(QUESTIONS_ITEM, required=True, requires_answers=True),
                Item("Needs restated and confirmed (复述并确认需求)", required=True),
            ),
            questions=NEEDS_QUESTIONS,
        ),
        Stage(
            "presentation",
            "Presentation",
            50,
            21,
            "销售宣传或产品演示",
            _required(
                "Decision maker present (真正的决策者在场)",
                "Agenda and expected outcome agreed (设定时间议程与期望结果)",
            ),
        ),
        Stage(
            "proposal",
            "Proposal and objections",
            70,
            21,
            "提案和处理异议",
            _required("Every objection answered (每个异议都已回答)"),
        ),
        Stage(
            "closing",
            "Closing",
            90,
            14,
            "关闭",
            _optional("Delivery details settled (敲定交付细节)"),
            closing=True,
        ),
        Stage(
            "follow-up",
            "Follow-up and referrals",
            100,
            30,
            "跟进、回头客和转介绍",
            _required("Referral asked (请求转介绍)"),
        ),
    ),
    builtin=True,
)

SHOWROOM = Pipeline(
    "showroom",
    (
        Stage(
            "reception",
            "Reception",
            10,
            1,
            "迎接客户",
            _optional("Asked whether visited or called before (询问是否来过及有无电话咨询)"),
        ),
        Stage(
            "introduction",
            "Introduction",
            20,
            3,
            "介绍项目",
            _optional("Customer situation understood (询问了解客户情况)"),
        ),
        Stage(
            "site-visit",
            "Site visit",
            35,
            7,
            "带看现场",
            _optional("Best route planned (提前制定最好路线)"),
        ),
        Stage(
            "negotiation",
            "Negotiation",
            60,
            14,
            "购买洽谈",
            _required(
                "Customer information form complete (填写客户资料表)",
                "Next appointment set when not closed (约定下次洽谈时间)",
            ),
        ),
        Stage(
            "deposit",
            "Deposit",
            85,
            7,
            "成交收订",
            _optional("Agreement terms explained (详细阐明协议规定)"),
        ),
        Stage(
            "contract",
            "Contract",
            95,
            14,
            "签订合约",
            _optional("Contract fully completed (完善合同内容的填写)"),
            closing=True,
        ),
    ),
    builtin=True,
)

RETAIL = Pipeline(
    "retail",
    (
        Stage(
            "browsing",
            "Browsing",
            5,
            1,
            "盲目浏览",
            _optional("One-sentence pitch given (一句话销售)"),
        ),
        Stage(
            "curious",
            "Curious",
            15,
            1,
            "好奇",
            _optional("Key selling points shown, try-on offered (简单介绍, 邀请试戴)"),
        ),
        Stage(
            "interested",
            "Interested",
            35,
            3,
            "产生兴趣",
            _optional("Similar styles recommended (推荐类似款式)"),
        ),
        Stage(
            "desire",
            "Desire",
            60,
            7,
            "表示喜欢",
            _optional("Price explained by value (提升价值型价格解释)"),
        ),
        Stage("purchase", "Purchase", 100, 7, "购买", closing=True),
    ),
    builtin=True,
)

BUILTINS = (KEY_ACCOUNT, SEVEN_STEP, SHOWROOM, RETAIL)
DEFAULT_PIPELINE = KEY_ACCOUNT.name


def ensure_builtins(conn: sqlite3.Connection) -> None:
    """Install the built-in templates the first time a book needs them."""
    installed = {row[0] for row in conn.execute("SELECT name FROM pipelines WHERE builtin = 1")}
    missing = [pipeline for pipeline in BUILTINS if pipeline.name not in installed]
    if not missing:
        return
    # Templates are part of the product, not the user's history: not recorded for undo.
    with transaction(conn):
        for pipeline in missing:
            if not conn.execute(
                "SELECT 1 FROM pipelines WHERE name = ?", [pipeline.name]
            ).fetchone():
                _insert(lambda table, values: _plain_insert(conn, table, values), pipeline)


def _plain_insert(conn: sqlite3.Connection, table: str, values: Row) -> int:
    columns, marks = ", ".join(values), ", ".join("?" for _ in values)
    cursor = conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", [*values.values()])
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _insert(insert: Callable[[str, Row], int], pipeline: Pipeline) -> int:
    pipeline_id = insert("pipelines", {"name": pipeline.name, "builtin": pipeline.builtin})
    for position, stage in enumerate(pipeline.stages):
        stage_id = insert(
            "stages",
            {
                "pipeline_id": pipeline_id,
                "position": position,
                "key": stage.key,
                "label": stage.label,
                "label_zh": stage.label_zh,
                "probability": stage.probability,
                "max_days": stage.max_days,
                "closing": stage.closing,
            },
        )
        for index, item in enumerate(stage.checklist):
            insert(
                "stage_items",
                {
                    "stage_id": stage_id,
                    "position": index,
                    "text": item.text,
                    "required": item.required,
                    "requires_roles": roles_text(item.requires_roles),
                    "requires_answers": item.requires_answers,
                },
            )
        for index, question in enumerate(stage.questions):
            insert("stage_questions", {"stage_id": stage_id, "position": index, "text": question})
    return pipeline_id


def roles_text(roles: tuple[str, ...] | list[str]) -> str | None:
    """How a people gate's roles are stored: a JSON list, or nothing for no gate."""
    return json.dumps(list(roles)) if roles else None


def roles_of(stored: str | None) -> list[str]:
    return list(json.loads(stored)) if stored else []


def pipeline_id(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM pipelines WHERE name = ?", [name.strip()]).fetchone()
    if row is None:
        names = [r[0] for r in conn.execute("SELECT name FROM pipelines ORDER BY id")]
        known = ", ".join(dict.fromkeys([p.name for p in BUILTINS] + names))
        raise NotFound(_("no pipeline {name!r}; known: {known}").format(name=name, known=known))
    return row[0]


def stages(conn: sqlite3.Connection, pipeline: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM stages WHERE pipeline_id = ? ORDER BY position", [pipeline]
    ).fetchall()


def closing_position(stage_rows: list[sqlite3.Row]) -> int:
    """Where a pipeline's deals are won: its closing stage, else (a pipeline that names
    none) its last stage, so it has no delivery stages."""
    marked = [index for index, stage in enumerate(stage_rows) if stage["closing"]]
    return marked[0] if marked else len(stage_rows) - 1


def known_stage_keys(conn: sqlite3.Connection) -> list[str]:
    """Every stage key of every pipeline, in the book or still a template, in order."""
    keys = [row[0] for row in conn.execute("SELECT key FROM stages ORDER BY pipeline_id, position")]
    keys += [stage.key for pipeline in BUILTINS for stage in pipeline.stages]
    return list(dict.fromkeys(keys))


def list_pipelines(conn: sqlite3.Connection) -> list[Row]:
    """Every pipeline: those in the book, and the built-in templates not installed yet
    (reading never writes, so this works on a read-only file too)."""
    rows = conn.execute("SELECT id, name, builtin FROM pipelines ORDER BY id").fetchall()
    listed = [
        {
            "name": row["name"],
            "builtin": bool(row["builtin"]),
            "stages": [stage["key"] for stage in stages(conn, row["id"])],
        }
        for row in rows
    ]
    installed = {row["name"] for row in listed}
    templates = [
        {"name": p.name, "builtin": True, "stages": [stage.key for stage in p.stages]}
        for p in BUILTINS
        if p.name not in installed
    ]
    return listed + templates


def show_pipeline(conn: sqlite3.Connection, name: str) -> Row:
    wanted = name.strip()
    row = conn.execute("SELECT id FROM pipelines WHERE name = ?", [wanted]).fetchone()
    if row is None:
        template = next((p for p in BUILTINS if p.name == wanted), None)
        if template is None:
            pipeline_id(conn, wanted)  # raises NotFound listing the known pipelines
        assert template is not None
        closing = next(
            (i for i, stage in enumerate(template.stages) if stage.closing),
            len(template.stages) - 1,
        )
        described = [
            _describe(stage, closing=i == closing, delivery=i > closing)
            for i, stage in enumerate(template.stages)
        ]
        return {"name": template.name, "stages": described}
    result = []
    found = stages(conn, row["id"])
    closing = closing_position(found)
    for position, stage in enumerate(found):
        items = conn.execute(
            "SELECT text, required, requires_roles, requires_answers FROM stage_items"
            " WHERE stage_id = ? ORDER BY position",
            [stage["id"]],
        ).fetchall()
        questions = [
            row[0]
            for row in conn.execute(
                "SELECT text FROM stage_questions WHERE stage_id = ? ORDER BY position",
                [stage["id"]],
            )
        ]
        result.append(
            {
                "key": stage["key"],
                "label": stage["label"],
                "label_zh": stage["label_zh"],
                "probability": stage["probability"],
                "max_days": stage["max_days"],
                "closing": position == closing,
                "delivery": position > closing,
                "checklist": [
                    _item_shown(
                        i["text"],
                        bool(i["required"]),
                        roles_of(i["requires_roles"]),
                        bool(i["requires_answers"]),
                    )
                    for i in items
                ],
                "questions": questions,
            }
        )
    return {"name": wanted, "stages": result}


def _item_shown(text: str, required: bool, roles: list[str], answers: bool) -> Row:
    """A checklist item as shown: its conditions only where it has them."""
    shown: Row = {"text": text, "required": required}
    if roles:
        shown["requires_roles"] = roles
    if answers:
        shown["requires_answers"] = True
    return shown


def _describe(stage: Stage, *, closing: bool, delivery: bool) -> Row:
    return {
        "key": stage.key,
        "label": stage.label,
        "label_zh": stage.label_zh,
        "probability": stage.probability,
        "max_days": stage.max_days,
        "closing": closing,
        "delivery": delivery,
        "checklist": [
            _item_shown(i.text, i.required, list(i.requires_roles), i.requires_answers)
            for i in stage.checklist
        ],
        "questions": list(stage.questions),
    }


# ---------------------------------------------------------------- TOML pipelines

STAGE_KEY = re.compile(r"[a-z0-9][a-z0-9_-]*")
PIPELINE_FIELDS = {"name", "stages"}
STAGE_FIELDS = {
    "key",
    "label",
    "label_zh",
    "probability",
    "max_days",
    "checklist",
    "closing",
    "questions",
}
ITEM_FIELDS = {"text", "required", "requires_roles", "requires_answers"}


def read_toml(path: Path) -> Pipeline:
    """Parse and validate a custom pipeline; every problem is named with where it is."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(_("cannot read {path}: {reason}").format(path=path, reason=error)) from None
    except tomllib.TOMLDecodeError as error:
        raise BadInput(
            _("{path} is not valid TOML: {reason}").format(path=path, reason=error)
        ) from None
    problems: list[str] = []
    _unknown(document, PIPELINE_FIELDS, _("the file"), problems)
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(_("`name` must be a non-empty string"))
    raw_stages = document.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        problems.append(_("`[[stages]]` must list at least one stage"))
        raw_stages = []
    parsed, seen = [], set()
    for number, raw in enumerate(raw_stages, start=1):
        where = _("stage {number}").format(number=number)
        if not isinstance(raw, dict):
            problems.append(_("{where} must be a table").format(where=where))
            continue
        stage = _read_stage(raw, where, problems)
        if stage is None:
            continue
        if stage.key in seen:
            problems.append(
                _("{where}: key {key!r} is used twice").format(where=where, key=stage.key)
            )
        seen.add(stage.key)
        parsed.append(stage)
    closing = [stage.key for stage in parsed if stage.closing]
    if len(closing) > 1:
        problems.append(
            _("only one stage can be the closing stage; `closing = true` is on {stages}").format(
                stages=", ".join(closing)
            )
        )
    if problems:
        raise BadInput(_("{path}: {problems}").format(path=path, problems="; ".join(problems)))
    assert isinstance(name, str)
    return Pipeline(name.strip(), tuple(parsed))


def _unknown(table: dict[str, Any], allowed: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(table) - allowed):
        problems.append(
            _("{where}: unknown field `{key}` (expected {fields})").format(
                where=where, key=key, fields=", ".join(sorted(allowed))
            )
        )


def _read_stage(raw: dict[str, Any], where: str, problems: list[str]) -> Stage | None:
    before = len(problems)
    _unknown(raw, STAGE_FIELDS, where, problems)
    key = raw.get("key")
    if not isinstance(key, str) or not STAGE_KEY.fullmatch(key):
        problems.append(
            _("{where}: `key` is required: lowercase letters, digits, - or _").format(where=where)
        )
        key = "?"
    else:
        where = _("stage {key!r}").format(key=key)
    label = raw.get("label", key)
    if not isinstance(label, str) or not label.strip():
        problems.append(_("{where}: `label` must be text").format(where=where))
    probability = raw.get("probability", 0)
    if (
        isinstance(probability, bool)
        or not isinstance(probability, int)
        or not (0 <= probability <= 100)
    ):
        problems.append(
            _("{where}: `probability` must be a whole number from 0 to 100").format(where=where)
        )
    max_days = raw.get("max_days")
    if max_days is not None and (
        isinstance(max_days, bool) or not isinstance(max_days, int) or max_days <= 0
    ):
        problems.append(
            _("{where}: `max_days` must be a positive whole number of days").format(where=where)
        )
    items = []
    checklist = raw.get("checklist", [])
    if not isinstance(checklist, list):
        problems.append(
            _("{where}: `checklist` must be a list of {{ text = … }} items").format(where=where)
        )
        checklist = []
    for index, item in enumerate(checklist, start=1):
        if not isinstance(item, dict):
            problems.append(
                _('{where}: checklist item {index} must be {{ text = "…" }}').format(
                    where=where, index=index
                )
            )
            continue
        item_where = _("{where} checklist item {index}").format(where=where, index=index)
        _unknown(item, ITEM_FIELDS, item_where, problems)
        text, required = item.get("text"), item.get("required", False)
        roles = _item_roles(item.get("requires_roles", []), item_where)
        answers = item.get("requires_answers", False)
        if not isinstance(text, str) or not text.strip():
            problems.append(
                _("{where}: checklist item {index} needs `text`").format(where=where, index=index)
            )
        elif not isinstance(required, bool):
            problems.append(
                _("{where}: checklist item {index}: `required` must be true or false").format(
                    where=where, index=index
                )
            )
        elif isinstance(roles, str):
            problems.append(roles)
        elif not isinstance(answers, bool):
            problems.append(
                _(
                    "{where}: checklist item {index}: `requires_answers` must be true or false"
                ).format(where=where, index=index)
            )
        else:
            items.append(Item(text.strip(), required, tuple(roles), answers))
    questions = raw.get("questions", [])
    if not isinstance(questions, list) or not all(
        isinstance(question, str) and question.strip() for question in questions
    ):
        problems.append(
            _("{where}: `questions` must be a list of non-empty texts").format(where=where)
        )
        questions = []
    if any(item.requires_answers for item in items) and not questions:
        problems.append(
            _("{where}: an item with `requires_answers` needs the stage's `questions`").format(
                where=where
            )
        )
    closing = raw.get("closing", False)
    if not isinstance(closing, bool):
        problems.append(_("{where}: `closing` must be true or false").format(where=where))
    if len(problems) > before:
        return None
    label_zh = raw.get("label_zh")
    return Stage(
        key,
        label.strip(),
        probability,
        max_days,
        label_zh if isinstance(label_zh, str) else None,
        tuple(items),
        closing,
        tuple(question.strip() for question in questions),
    )


def _item_roles(raw: object, where: str) -> list[str] | str:
    """A people gate's roles, or the problem with them as text."""
    if not isinstance(raw, list) or not all(isinstance(role, str) for role in raw):
        return _("{where}: `requires_roles` must be a list of roles").format(where=where)
    unknown = [role for role in raw if role not in STAKEHOLDER_ROLES]
    if unknown:
        return _("{where}: unknown role {roles} (roles: {known})").format(
            where=where, roles=", ".join(unknown), known=", ".join(STAKEHOLDER_ROLES)
        )
    return list(dict.fromkeys(raw))


def import_pipeline(change: Change, pipeline: Pipeline) -> None:
    if change.conn.execute("SELECT 1 FROM pipelines WHERE name = ?", [pipeline.name]).fetchone():
        raise Conflict(_("a pipeline named {name!r} already exists").format(name=pipeline.name))
    _insert(change.insert, pipeline)
    change.describe(N_("imported pipeline {name}"), name=pipeline.name)
