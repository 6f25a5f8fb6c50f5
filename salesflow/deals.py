"""Deals moving through a pipeline: checklist, stage gates, history; the customer's
stakeholder map and the shared library of objections."""

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date

from salesflow import contacts, customers, gates, pipelines, sales, units
from salesflow.choices import ATTITUDES, STAKEHOLDER_ROLES
from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, BadValue, Conflict, GateNotMet, NotFound
from salesflow.i18n import N_, _
from salesflow.inputs import cents_to_decimal
from salesflow.lookup import contains

DEAL_KEYS = (
    "id",
    "customer_id",
    "customer",
    "title",
    "pipeline",
    "stage",
    "stage_label",
    "amount",
    "probability",
    "expected_close",
    "owner",
    "status",
    "lost_reason",
    "created_at",
    "stage_entered_at",
    "closed_on",
    "notes",
)
STAKEHOLDER_KEYS = (
    "id",
    "customer_id",
    "customer",
    "name",
    "title",
    "role",
    "attitude",
    "owner",
    "last_contact",
)
# What `deal show` adds to a deal's fields.
DEAL_SHOW_KEYS = (
    *DEAL_KEYS,
    "unit_id",
    "unit",
    "unit_status",
    "deposit_total",
    "contract_no",
    "contract_amount",
    "technique_id",
    "technique",
)
OBJECTION_KEYS = ("id", "text", "response", "stage", "tags", "uses", "worked", "worked_pct")

DEAL_SELECT = """
    SELECT d.*, c.name AS customer, p.name AS pipeline, s.key AS stage, s.label AS stage_label,
           s.probability AS stage_probability, s.position AS stage_position
    FROM deals d JOIN customers c ON c.id = d.customer_id
    JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id
"""


def deal_row(row: sqlite3.Row) -> Row:
    computed = {
        "amount": cents_to_decimal(row["amount_cents"]),
        "probability": gates.deal_probability(
            row["status"], row["probability"], row["stage_probability"]
        ),
    }
    return {key: computed[key] if key in computed else row[key] for key in DEAL_KEYS}


def get_deal(conn: sqlite3.Connection, deal_id: int) -> Row:
    row = conn.execute(DEAL_SELECT + " WHERE d.id = ?", [deal_id]).fetchone()
    if row is None:
        raise NotFound(_("no deal #{id}").format(id=deal_id))
    return deal_row(row)


def find_deal(conn: sqlite3.Connection, reference: str) -> int:
    """A deal by id, #id, or a unique part of its title."""
    text = reference.strip()
    if re.fullmatch(r"#?\d+", text):
        row = conn.execute("SELECT id FROM deals WHERE id = ?", [int(text.lstrip("#"))])
        found = row.fetchone()
        if found:
            return found[0]
        if text.startswith("#"):
            raise NotFound(_("no deal #{id}").format(id=text.lstrip("#")))
    rows = conn.execute(
        "SELECT id, title FROM deals WHERE title LIKE ? ESCAPE '\\' ORDER BY id", [contains(text)]
    ).fetchall()
    if len(rows) == 1:
        return rows[0][0]
    if not rows:
        raise NotFound(_("no deal matches {reference!r}").format(reference=reference))
    listed = ", ".join(f"#{row[0]} {row[1]}" for row in rows[:10])
    raise Ambiguous(
        _("{reference!r} matches {count} deals: {candidates}; use the #id").format(
            reference=reference, count=len(rows), candidates=listed
        )
    )


def _stage_by_key(conn: sqlite3.Connection, pipeline_id: int, key: str) -> sqlite3.Row:
    stages = pipelines.stages(conn, pipeline_id)
    for stage in stages:
        if stage["key"] == key.strip().lower():
            return stage
    known = ", ".join(stage["key"] for stage in stages)
    raise BadValue(
        _("no stage {key!r} in this pipeline; stages: {known}").format(key=key, known=known)
    )


def add_deal(
    change: Change,
    customer_id: int,
    title: str,
    *,
    pipeline: str,
    stage: str | None,
    amount_cents: int | None,
    expected_close: date | None,
    owner: str | None,
    probability: int | None,
    today: date,
    notes: str | None = None,
    unit_id: int | None = None,
) -> int:
    conn = change.conn
    if not title.strip():
        raise BadValue(_("a deal needs a title"))
    pipelines.ensure_builtins(conn)
    found_pipeline = pipelines.pipeline_id(conn, pipeline)
    stage_rows = pipelines.stages(conn, found_pipeline)
    first = _stage_by_key(conn, found_pipeline, stage) if stage else stage_rows[0]
    closing = pipelines.closing_position(stage_rows)
    if gates.in_delivery(stage_rows.index(first), closing):
        raise BadValue(
            _(
                "stage {stage!r} comes after the closing stage {closing!r}: a deal gets there "
                "once it is won"
            ).format(stage=first["key"], closing=stage_rows[closing]["key"])
        )
    customer = customers.get_customer(conn, customer_id)
    deal_id = change.insert(
        "deals",
        {
            "customer_id": customer_id,
            "title": title.strip(),
            "pipeline_id": found_pipeline,
            "stage_id": first["id"],
            "amount_cents": amount_cents,
            "probability": probability,
            "expected_close": expected_close.isoformat() if expected_close else None,
            "owner": (owner or "").strip() or customer["owner"],
            "created_at": today.isoformat(),
            "stage_entered_at": today.isoformat(),
            "notes": (notes or "").strip() or None,
        },
    )
    change.insert(
        "deal_history",
        {
            "deal_id": deal_id,
            "stage_id": first["id"],
            "entered_at": today.isoformat(),
            "by": (owner or "").strip() or customer["owner"],
        },
    )
    if unit_id is not None:
        units.attach(change, deal_id, unit_id)
    change.describe(N_("opened deal #{id}"), id=deal_id)
    return deal_id


def list_deals(
    conn: sqlite3.Connection,
    *,
    pipeline: str | None = None,
    stage: str | None = None,
    owner: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    where, params = [], []
    if pipeline is not None:
        where.append("p.name = ?")
        params.append(pipeline)
    if stage is not None:
        where.append("s.key = ?")
        params.append(stage.strip().lower())
    if owner is not None:
        where.append("d.owner = ? COLLATE NOCASE")
        params.append(owner)
    if status is not None:
        where.append("d.status = ?")
        params.append(status)
    sql = DEAL_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [deal_row(row) for row in conn.execute(sql, params)]


def checklist(conn: sqlite3.Connection, deal_id: int) -> list[Row]:
    """Every item of the deal's pipeline, stage by stage, with its done state."""
    rows = conn.execute(
        """SELECT i.id, s.key AS stage, i.text, i.required, k.done_at, k.note
           FROM deals d JOIN stages s ON s.pipeline_id = d.pipeline_id
           JOIN stage_items i ON i.stage_id = s.id
           LEFT JOIN deal_checks k ON k.deal_id = d.id AND k.item_id = i.id
           WHERE d.id = ? ORDER BY s.position, i.position""",
        [deal_id],
    )
    return [
        {
            "id": row["id"],
            "stage": row["stage"],
            "text": row["text"],
            "required": bool(row["required"]),
            "done": row["done_at"] is not None,
            "done_at": row["done_at"],
            "note": row["note"],
        }
        for row in rows
    ]


def history(conn: sqlite3.Connection, deal_id: int) -> list[Row]:
    rows = conn.execute(
        """SELECT s.key AS stage, h.entered_at, h.left_at, h.by, h.forced, h.reason
           FROM deal_history h JOIN stages s ON s.id = h.stage_id
           WHERE h.deal_id = ? ORDER BY h.id""",
        [deal_id],
    )
    return [{**dict(row), "forced": bool(row["forced"])} for row in rows]


def show_deal(conn: sqlite3.Connection, deal_id: int) -> Row:
    deal = get_deal(conn, deal_id)
    people = list_stakeholders(conn, deal["customer_id"])
    technique = conn.execute(
        "SELECT t.id, t.name FROM deals d JOIN techniques t ON t.id = d.technique_id"
        " WHERE d.id = ?",
        [deal_id],
    ).fetchone()
    return {
        **deal,
        **units.deal_unit(conn, deal_id),
        "technique_id": technique["id"] if technique else None,
        "technique": technique["name"] if technique else None,
        "checklist": checklist(conn, deal_id),
        "questions": questions(conn, deal_id),
        "deposits": units.deposits(conn, deal_id),
        "history": history(conn, deal_id),
        "contacts": contacts.list_contacts(conn, deal_id=deal_id),
        "coverage": people,
        "gaps": gates.coverage_gaps(people),
    }


def check_item(
    change: Change, deal_id: int, item: str, *, undo: bool, note: str | None, today: date
) -> Row:
    """Tick (or untick) a checklist item named by id or a unique part of its text."""
    items = checklist(change.conn, deal_id)
    current_stage = get_deal(change.conn, deal_id)["stage"]
    chosen = _choose_item(items, item, current_stage)
    existing = change.conn.execute(
        "SELECT rowid FROM deal_checks WHERE deal_id = ? AND item_id = ?", [deal_id, chosen["id"]]
    ).fetchone()
    if undo:
        if existing is None:
            raise Conflict(_("item {id} is not checked").format(id=chosen["id"]))
        change.delete("deal_checks", existing[0])
        change.describe(N_("unchecked item {item} of deal #{id}"), item=chosen["id"], id=deal_id)
    else:
        if existing is not None:
            raise Conflict(_("item {id} is already checked").format(id=chosen["id"]))
        _refuse_unmet(change.conn, deal_id, chosen)
        change.insert(
            "deal_checks",
            {
                "deal_id": deal_id,
                "item_id": chosen["id"],
                "done_at": today.isoformat(),
                "note": (note or "").strip() or None,
            },
        )
        change.describe(N_("checked item {item} of deal #{id}"), item=chosen["id"], id=deal_id)
    return chosen


def _conditions(conn: sqlite3.Connection, item_id: int) -> sqlite3.Row:
    found: sqlite3.Row = conn.execute(
        "SELECT requires_roles, requires_answers, stage_id FROM stage_items WHERE id = ?",
        [item_id],
    ).fetchone()
    return found


def _refuse_unmet(conn: sqlite3.Connection, deal_id: int, item: Row) -> None:
    """An item with a people gate or standard questions is met only by what it needs."""
    condition = _conditions(conn, item["id"])
    roles = pipelines.roles_of(condition["requires_roles"])
    if roles:
        customer_id = get_deal(conn, deal_id)["customer_id"]
        missing = gates.people_missing(roles, list_stakeholders(conn, customer_id))
        if missing:
            raise GateNotMet(
                _(
                    "[{id}] {text} needs, on the customer's side, a stakeholder maintained by "
                    "one of our people in each role: missing {roles}"
                ).format(id=item["id"], text=item["text"], roles=", ".join(missing)),
                hint="people-gate",
            )
    if condition["requires_answers"]:
        open_questions = gates.unanswered(
            [q for q in questions(conn, deal_id) if q["stage_id"] == condition["stage_id"]]
        )
        if open_questions:
            raise GateNotMet(
                _("[{id}] {text} is met once every standard question is answered: {listed}").format(
                    id=item["id"],
                    text=item["text"],
                    listed="; ".join(f"{q['number']}. {q['text']}" for q in open_questions),
                ),
                hint="answer",
            )


def recheck_people_gates(change: Change, customer_id: int) -> list[Row]:
    """Untick the people-gated items of the customer's deals whose stakeholders are no
    longer there (deleted, or without an owner of ours); returns what was unticked."""
    conn = change.conn
    people = list_stakeholders(conn, customer_id)
    unticked = []
    for row in conn.execute(
        """SELECT k.rowid, k.deal_id, i.id AS item_id, i.text, i.requires_roles
           FROM deal_checks k JOIN deals d ON d.id = k.deal_id
           JOIN stage_items i ON i.id = k.item_id
           WHERE d.customer_id = ? AND i.requires_roles IS NOT NULL
           ORDER BY k.deal_id, i.id""",
        [customer_id],
    ).fetchall():
        missing = gates.people_missing(pipelines.roles_of(row["requires_roles"]), people)
        if missing:
            change.delete("deal_checks", row["rowid"])
            unticked.append(
                {
                    "deal_id": row["deal_id"],
                    "item_id": row["item_id"],
                    "text": row["text"],
                    "missing": missing,
                }
            )
    return unticked


# ---------------------------------------------------------------- standard questions


def questions(conn: sqlite3.Connection, deal_id: int) -> list[Row]:
    """The standard questions of every stage of the deal's pipeline, numbered 1… across the
    pipeline, with the deal's answers."""
    rows = conn.execute(
        """SELECT q.id, q.stage_id, s.key AS stage, q.text, a.text AS answer, a.answered_on
           FROM deals d JOIN stages s ON s.pipeline_id = d.pipeline_id
           JOIN stage_questions q ON q.stage_id = s.id
           LEFT JOIN deal_answers a ON a.deal_id = d.id AND a.question_id = q.id
           WHERE d.id = ? ORDER BY s.position, q.position""",
        [deal_id],
    )
    return [
        {
            "number": number,
            "id": row["id"],
            "stage_id": row["stage_id"],
            "stage": row["stage"],
            "text": row["text"],
            "answer": row["answer"],
            "answered_on": row["answered_on"],
        }
        for number, row in enumerate(rows, start=1)
    ]


def answer_question(change: Change, deal_id: int, question: str, text: str, *, today: date) -> Row:
    """Record the customer's answer to a standard question (by its number in `deal show`,
    or a unique part of its text); answering again replaces the answer."""
    asked = questions(change.conn, deal_id)
    if not asked:
        raise NotFound(_("deal #{id} has no standard questions").format(id=deal_id))
    if not text.strip():
        raise BadValue(_("an answer needs some text"))
    reference = question.strip()
    if reference.isdigit():
        matches = [q for q in asked if q["number"] == int(reference)]
    else:
        matches = [q for q in asked if reference.casefold() in q["text"].casefold()]
    if not matches:
        raise NotFound(
            _("no standard question of deal #{id} matches {reference!r}").format(
                id=deal_id, reference=question
            )
        )
    if len(matches) > 1:
        raise Ambiguous(
            _("{reference!r} matches questions {numbers}; use the number").format(
                reference=question, numbers=", ".join(str(q["number"]) for q in matches)
            )
        )
    chosen = matches[0]
    existing = change.conn.execute(
        "SELECT id FROM deal_answers WHERE deal_id = ? AND question_id = ?", [deal_id, chosen["id"]]
    ).fetchone()
    values = {"text": text.strip(), "answered_on": today.isoformat()}
    if existing:
        change.update("deal_answers", existing[0], values)
    else:
        change.insert("deal_answers", {"deal_id": deal_id, "question_id": chosen["id"], **values})
    change.describe(
        N_("answered question {number} of deal #{id}"), number=chosen["number"], id=deal_id
    )
    return {**chosen, **values, "answer": values["text"], "replaced": existing is not None}


def _choose_item(items: list[Row], reference: str, current_stage: str) -> Row:
    text = reference.strip()
    if text.lstrip("#").isdigit():
        for item in items:
            if item["id"] == int(text.lstrip("#")):
                return item
    matches = [item for item in items if text.lower() in item["text"].lower()]
    if len(matches) > 1:
        # The milestone being worked on is usually in the current stage.
        in_stage = [item for item in matches if item["stage"] == current_stage]
        matches = in_stage if len(in_stage) == 1 else matches
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(
            _("no checklist item of this deal matches {reference!r}").format(reference=reference)
        )
    listed = ", ".join(f"{item['id']} {item['text']}" for item in matches[:10])
    raise Ambiguous(
        _("{reference!r} matches {count} items: {candidates}; use the item id").format(
            reference=reference, count=len(matches), candidates=listed
        )
    )


def _position(conn: sqlite3.Connection, deal_id: int) -> tuple[list[sqlite3.Row], int, int]:
    """The deal's pipeline stages, where it stands among them, and the closing stage."""
    row = conn.execute("SELECT pipeline_id, stage_id FROM deals WHERE id = ?", [deal_id]).fetchone()
    stage_rows = pipelines.stages(conn, row["pipeline_id"])
    position = next(i for i, stage in enumerate(stage_rows) if stage["id"] == row["stage_id"])
    return stage_rows, position, pipelines.closing_position(stage_rows)


def _enter(
    change: Change,
    deal_id: int,
    stage: sqlite3.Row,
    *,
    on: date,
    by: str,
    reason: str | None,
    forced: bool = False,
) -> None:
    """Close the stage the deal is in and enter `stage`, in the deal and its history."""
    _close_history(change, deal_id, on)
    change.update("deals", deal_id, {"stage_id": stage["id"], "stage_entered_at": on.isoformat()})
    change.insert(
        "deal_history",
        {
            "deal_id": deal_id,
            "stage_id": stage["id"],
            "entered_at": on.isoformat(),
            "by": by,
            "forced": forced,
            "reason": reason,
        },
    )


# Why a closed deal cannot be closed again, by its status.
ALREADY_CLOSED = {
    "won": N_("deal #{id} is already won"),
    "lost": N_("deal #{id} is already lost"),
}


def _needs_reason(reason: str | None, refusal: str) -> str:
    if not (reason or "").strip():
        raise BadValue(refusal, hint="reason")
    return (reason or "").strip()


def advance(
    change: Change,
    deal_id: int,
    *,
    to: str | None,
    force: bool,
    reason: str | None,
    by: str | None,
    today: date,
) -> Row:
    """Move a deal on, through the stage gate of every stage it leaves: an open deal up to
    its closing stage, a won one through the delivery stages after it."""
    conn = change.conn
    deal = get_deal(conn, deal_id)
    if deal["status"] == "lost":
        raise Conflict(
            _("deal #{id} is lost; only open and won deals move").format(id=deal_id), hint="reopen"
        )
    if force and not (reason or "").strip():
        raise BadValue(_("a forced move needs a reason"), hint="force-reason")
    stages, position, closing = _position(conn, deal_id)
    won = deal["status"] == "won"
    last = len(stages) - 1 if won else closing
    if to is None:
        target = max(position + 1, closing + 1) if won else position + 1
    else:
        target = stages.index(_stage_by_key(conn, stages[0]["pipeline_id"], to))
        if target <= position:
            raise BadValue(
                _("the target stage must come after {stage!r}").format(stage=deal["stage"])
            )
    if target > last:
        if won:
            raise Conflict(
                _("deal #{id} is won and has no delivery stage left to move to").format(id=deal_id)
            )
        raise Conflict(
            _(
                "deal #{id} reaches no further than its closing stage {closing!r} until it is won"
            ).format(id=deal_id, closing=stages[closing]["key"]),
            hint="won",
        )
    if won and target <= closing:
        raise BadValue(
            _("a won deal moves only through the delivery stages: {stages}").format(
                stages=", ".join(stage["key"] for stage in stages[closing + 1 :])
            )
        )
    leaving = {stage["key"] for stage in stages[position:target]}
    missing = gates.missing_checkpoints(checklist(conn, deal_id), leaving)
    if missing and not force:
        raise GateNotMet(
            _("deal #{id} cannot leave {stage!r}: required checkpoint not met: {listed}").format(
                id=deal_id, stage=deal["stage"], listed=_listed(missing)
            ),
            hint="gate",
        )
    _enter(
        change,
        deal_id,
        stages[target],
        on=today,
        by=(by or "").strip() or deal["owner"],
        reason=(reason or "").strip() or None,
        forced=bool(missing),
    )
    change.describe(
        N_("moved deal #{id} to {stage}"),
        id=deal_id,
        stage=stages[target]["key"],
        stage_zh=stages[target]["label_zh"] or "",
    )
    return {"missing": missing, "stage": stages[target]["key"]}


def _listed(items: list[Row]) -> str:
    return "; ".join(f"[{item['id']}] {item['text']}" for item in items)


def _latest_entry(conn: sqlite3.Connection, deal_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT id, reason FROM deal_history WHERE deal_id = ? ORDER BY id DESC LIMIT 1",
        [deal_id],
    ).fetchone()


def _mark_forced(change: Change, deal_id: int, reason: str | None) -> None:
    """Record on the deal's latest stage entry that a gate was passed by force, and why."""
    entry = _latest_entry(change.conn, deal_id)
    if entry is None:
        return
    reasons = [text for text in (entry["reason"], reason) if text]
    change.update(
        "deal_history",
        entry["id"],
        {"forced": True, "reason": "; ".join(dict.fromkeys(reasons)) or None},
    )


def back(change: Change, deal_id: int, *, reason: str | None, by: str | None, today: date) -> Row:
    """Return a deal to the stage before its current one; its ticked checkpoints stay."""
    conn = change.conn
    deal = get_deal(conn, deal_id)
    why = _needs_reason(reason, _("say why the deal goes back"))
    stages, position, closing = _position(conn, deal_id)
    if deal["status"] == "lost" or (deal["status"] == "won" and position <= closing):
        raise Conflict(
            (
                _("deal #{id} is lost; reopen it to move it back")
                if deal["status"] == "lost"
                else _("deal #{id} is won; reopen it to move it back")
            ).format(id=deal_id),
            hint="reopen",
        )
    if position == 0:
        raise Conflict(_("deal #{id} is at its first stage").format(id=deal_id))
    target = stages[position - 1]
    _enter(change, deal_id, target, on=today, by=(by or "").strip() or deal["owner"], reason=why)
    change.describe(
        N_("moved deal #{id} back to {stage}"),
        id=deal_id,
        stage=target["key"],
        stage_zh=target["label_zh"] or "",
    )
    return {"stage": target["key"], "from": deal["stage"]}


def reopen(change: Change, deal_id: int, *, reason: str | None, by: str | None, today: date) -> Row:
    """Reopen a won or lost deal at its stage (a won deal in delivery returns to its closing
    stage). A sale recorded when it was won stays; the caller names it."""
    conn = change.conn
    deal = get_deal(conn, deal_id)
    if deal["status"] == "open":
        raise Conflict(_("deal #{id} is already open").format(id=deal_id))
    why = _needs_reason(reason, _("say why the deal is reopened"))
    stages, position, closing = _position(conn, deal_id)
    target = stages[min(position, closing)]
    _enter(change, deal_id, target, on=today, by=(by or "").strip() or deal["owner"], reason=why)
    change.update(
        "deals",
        deal_id,
        {
            "status": "open",
            "closed_on": None,
            "lost_reason": None,
            "technique_id": None,
            "contract_no": None,
            "contract_cents": None,
        },
    )
    freed = units.release(change, deal_id)
    kept = [
        row[0]
        for row in conn.execute("SELECT id FROM sales WHERE deal_id = ? ORDER BY id", [deal_id])
    ]
    change.describe(N_("reopened deal #{id}"), id=deal_id)
    return {"stage": target["key"], "was": deal["status"], "sale_ids": kept, "freed_unit": freed}


def _close_history(change: Change, deal_id: int, today: date) -> None:
    open_entry = change.conn.execute(
        "SELECT id FROM deal_history WHERE deal_id = ? AND left_at IS NULL ORDER BY id DESC",
        [deal_id],
    ).fetchone()
    if open_entry:
        change.update("deal_history", open_entry[0], {"left_at": today.isoformat()})


def win(
    change: Change,
    deal_id: int,
    *,
    amount_cents: int | None,
    on: date,
    record_sale: bool,
    force: bool = False,
    reason: str | None = None,
    by: str | None = None,
    contract_no: str | None = None,
    contract_cents: int | None = None,
    technique_id: int | None = None,
) -> Row:
    """Close a deal as won at its closing stage, once that stage's required checkpoints
    and every earlier stage's are met (or by force, with the reason kept in its history);
    with `record_sale`, book its amount as a sale."""
    conn = change.conn
    deal = get_deal(conn, deal_id)
    if deal["status"] != "open":
        raise Conflict(_(ALREADY_CLOSED[deal["status"]]).format(id=deal_id))
    if force and not (reason or "").strip():
        raise BadValue(_("a forced win needs a reason"), hint="force-reason")
    cents = amount_cents if amount_cents is not None else _cents(deal)
    if record_sale and cents is None:
        raise BadValue(_("the deal has no amount to record as a sale"), hint="amount")
    stages, position, closing = _position(conn, deal_id)
    through = {stage["key"] for stage in stages[: closing + 1]}
    missing = gates.won_gate(checklist(conn, deal_id), through)
    early = position < closing
    if (missing or early) and not force:
        if early and missing:
            refusal = _(
                "deal #{id} cannot be won yet: it is at {stage!r}, before its closing stage "
                "{closing!r}; required checkpoint not met: {listed}"
            )
        elif early:
            refusal = _(
                "deal #{id} cannot be won yet: it is at {stage!r}, before its closing stage "
                "{closing!r}"
            )
        else:
            refusal = _("deal #{id} cannot be won yet: required checkpoint not met: {listed}")
        raise GateNotMet(
            refusal.format(
                id=deal_id,
                stage=deal["stage"],
                closing=stages[closing]["key"],
                listed=_listed(missing),
            ),
            hint="won-gate",
        )
    forced = bool(missing or early)
    why = (reason or "").strip() or None
    if early:
        _enter(
            change,
            deal_id,
            stages[closing],
            on=on,
            by=(by or "").strip() or deal["owner"],
            reason=why,
            forced=True,
        )
    elif forced:
        _mark_forced(change, deal_id, why)
    _close_history(change, deal_id, on)
    if contract_cents is not None and not (contract_no or "").strip():
        raise BadValue(_("a contract amount needs the contract's number"), hint="contract")
    contract = (contract_no or "").strip() or None
    change.update(
        "deals",
        deal_id,
        {
            "status": "won",
            "closed_on": on.isoformat(),
            "amount_cents": cents,
            "technique_id": technique_id,
            "contract_no": contract,
            "contract_cents": (contract_cents if contract_cents is not None else cents)
            if contract
            else None,
        },
    )
    units.take(change, deal_id, "sold")
    change.describe(N_("won deal #{id} (forced)") if forced else N_("won deal #{id}"), id=deal_id)
    sale_id = None
    if record_sale:
        assert cents is not None
        sale_id = sales.add_sale(
            change,
            deal["customer_id"],
            None,
            quantity=1,
            amount_cents=cents,
            sale_date=on,
            rep=deal["owner"],
            department=None,
            store=None,
            deal_id=deal_id,
        )
    return {"sale_id": sale_id, "forced": forced, "missing": missing}


def _cents(deal: Row) -> int | None:
    return None if deal["amount"] is None else int(deal["amount"] * 100)


def lose(
    change: Change, deal_id: int, *, reason: str, on: date, technique_id: int | None = None
) -> str | None:
    """Close a deal as lost; its unit, if it held one, is free again (its code returned)."""
    deal = get_deal(change.conn, deal_id)
    if deal["status"] != "open":
        raise Conflict(_(ALREADY_CLOSED[deal["status"]]).format(id=deal_id))
    if not reason.strip():
        raise BadValue(_("say why the deal was lost"), hint="reason")
    _close_history(change, deal_id, on)
    change.update(
        "deals",
        deal_id,
        {
            "status": "lost",
            "closed_on": on.isoformat(),
            "lost_reason": reason.strip(),
            "technique_id": technique_id,
        },
    )
    change.describe(N_("lost deal #{id}"), id=deal_id)
    return units.release(change, deal_id)


# ---------------------------------------------------------------- correcting a deal


# How the deals table's columns are called where a person reads them.
FIELD_NAMES = {"amount_cents": "amount", "unit_id": "unit"}


@dataclass(frozen=True)
class DealEdit:
    """What `edit_deal` changes; None leaves a field as it is."""

    title: str | None = None
    amount_cents: int | None = None
    clear_amount: bool = False
    expected_close: date | None = None
    clear_close: bool = False
    probability: int | None = None
    stage_probability: bool = False  # back to the stage's probability
    owner: str | None = None  # "" leaves the deal without an owner
    notes: str | None = None  # "" removes the notes
    unit_id: int | None = None
    clear_unit: bool = False  # the deal is about no unit (any hold it had lets go)


def edit_deal(change: Change, deal_id: int, edit: DealEdit) -> list[str]:
    """Correct a deal's fields; returns the names of the fields changed."""
    before = get_deal(change.conn, deal_id)
    values: Row = {}
    if edit.title is not None:
        if not edit.title.strip():
            raise BadValue(_("a deal needs a title"))
        values["title"] = edit.title.strip()
    if edit.clear_amount:
        values["amount_cents"] = None
    elif edit.amount_cents is not None:
        values["amount_cents"] = edit.amount_cents
    if edit.clear_close:
        values["expected_close"] = None
    elif edit.expected_close is not None:
        values["expected_close"] = edit.expected_close.isoformat()
    if edit.stage_probability:
        values["probability"] = None
    elif edit.probability is not None:
        if not 0 <= edit.probability <= 100:
            raise BadValue(_("the probability must be from 0 to 100"))
        values["probability"] = edit.probability
    if edit.owner is not None:
        values["owner"] = edit.owner.strip() or None
    if edit.notes is not None:
        values["notes"] = edit.notes.strip() or None
    if edit.clear_unit:
        values["unit_id"] = None
    elif edit.unit_id is not None:
        values["unit_id"] = edit.unit_id
    if not values:
        raise BadValue(_("nothing to change"), hint="deal-edit")
    stored = change.conn.execute("SELECT * FROM deals WHERE id = ?", [deal_id]).fetchone()
    changed = [FIELD_NAMES.get(key, key) for key, value in values.items() if stored[key] != value]
    if "unit_id" in values:
        unit_id = values.pop("unit_id")
        if unit_id != stored["unit_id"]:
            units.attach(change, deal_id, unit_id)
    change.update("deals", deal_id, values)
    change.describe_edit(
        N_("edited deal #{id}"), N_("edited deal #{id} ({fields})"), changed, id=before["id"]
    )
    return changed


# Records that point at a deal: deleting the deal takes (or, for contacts and sales, lets
# go of) them, each through the change so that undo brings every one back.
DEAL_PARTS = ("deal_checks", "deal_history", "objection_uses", "deal_deposits", "deal_answers")
DEAL_LINKS = ("contacts", "sales")


def deal_dependants(conn: sqlite3.Connection, deal_id: int) -> dict[str, int]:
    """How many records of each kind point at a deal."""
    return {
        table: conn.execute(
            f"SELECT count(*) FROM {table} WHERE deal_id = ?", [deal_id]
        ).fetchone()[0]
        for table in (*DEAL_PARTS, *DEAL_LINKS)
    }


def delete_deal(change: Change, deal_id: int) -> dict[str, int]:
    """Delete a deal with its checks, stage history and objection uses; contacts and sales
    logged against it stay, no longer tied to it."""
    conn = change.conn
    get_deal(conn, deal_id)
    counts = deal_dependants(conn, deal_id)
    for table in DEAL_LINKS:
        for (row_id,) in conn.execute(f"SELECT id FROM {table} WHERE deal_id = ?", [deal_id]):
            change.update(table, row_id, {"deal_id": None})
    parts = list(DEAL_PARTS)
    if conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reminder_states'"
    ).fetchone():
        parts.append("reminder_states")  # what was done about the deal's reminders
    for table in parts:
        for (row_id,) in conn.execute(f"SELECT rowid FROM {table} WHERE deal_id = ?", [deal_id]):
            change.delete(table, row_id)
    change.delete("deals", deal_id)
    change.describe(N_("deleted deal #{id}"), id=deal_id)
    return counts


# ---------------------------------------------------------------- stakeholders


def _stakeholder_values(
    *,
    name: str | None,
    role: str | None,
    title: str | None,
    attitude: str | None,
    owner: str | None,
) -> Row:
    """The columns a stakeholder's typed fields give; None leaves a field out, "" empties
    an optional one."""
    values: Row = {}
    if name is not None:
        if not name.strip():
            raise BadValue(_("a stakeholder needs a name"))
        values["name"] = name.strip()
    if role is not None:
        if role not in STAKEHOLDER_ROLES:
            raise BadValue(
                _("role {role!r} is not one of {roles}").format(
                    role=role, roles=", ".join(STAKEHOLDER_ROLES)
                )
            )
        values["role"] = role
    if attitude is not None:
        if attitude.strip() and attitude.strip() not in ATTITUDES:
            raise BadValue(
                _("attitude {attitude!r} is not one of {attitudes}").format(
                    attitude=attitude, attitudes=", ".join(ATTITUDES)
                )
            )
        values["attitude"] = attitude.strip() or None
    for key, text in (("title", title), ("owner", owner)):
        if text is not None:
            values[key] = text.strip() or None
    return values


def _refuse_same_person(
    conn: sqlite3.Connection, customer_id: int, name: str, *, other_than: int | None = None
) -> None:
    """One entry per person on an account map: a second one would keep the first one's
    gaps alive (case and surrounding spaces do not make another person)."""
    wanted = name.strip().casefold()
    for row in conn.execute(
        "SELECT id, name FROM stakeholders WHERE customer_id = ? ORDER BY id", [customer_id]
    ):
        if row["id"] != other_than and row["name"].strip().casefold() == wanted:
            raise Conflict(
                _("this person is already on the customer's map as stakeholder #{id}").format(
                    id=row["id"]
                ),
                hint="stakeholder-edit",
            )


def add_stakeholder(
    change: Change,
    customer_id: int,
    name: str,
    *,
    role: str,
    title: str | None,
    attitude: str | None,
    owner: str | None,
) -> int:
    values = _stakeholder_values(name=name, role=role, title=title, attitude=attitude, owner=owner)
    customers.get_customer(change.conn, customer_id)
    _refuse_same_person(change.conn, customer_id, name)
    stakeholder_id = change.insert(
        "stakeholders",
        {"customer_id": customer_id, "title": None, "attitude": None, "owner": None, **values},
    )
    change.describe(
        N_("added stakeholder #{id} for customer #{customer}"),
        id=stakeholder_id,
        customer=customer_id,
    )
    return stakeholder_id


def list_stakeholders(conn: sqlite3.Connection, customer_id: int | None = None) -> list[Row]:
    """A customer's stakeholders, or every customer's when none is named."""
    where = "" if customer_id is None else " WHERE k.customer_id = ?"
    rows = conn.execute(
        "SELECT k.*, c.name AS customer, (SELECT max(at) FROM contacts"
        " WHERE stakeholder_id = k.id) AS last_contact FROM stakeholders k JOIN customers c"
        " ON c.id = k.customer_id" + where + " ORDER BY k.customer_id, k.id",
        [] if customer_id is None else [customer_id],
    )
    return [{key: row[key] for key in STAKEHOLDER_KEYS} for row in rows]


def get_stakeholder(conn: sqlite3.Connection, stakeholder_id: int) -> Row:
    row = conn.execute(
        "SELECT k.*, c.name AS customer, (SELECT max(at) FROM contacts"
        " WHERE stakeholder_id = k.id) AS last_contact FROM stakeholders k JOIN customers c"
        " ON c.id = k.customer_id WHERE k.id = ?",
        [stakeholder_id],
    ).fetchone()
    if row is None:
        raise NotFound(_("no stakeholder #{id}").format(id=stakeholder_id))
    return {key: row[key] for key in STAKEHOLDER_KEYS}


def edit_stakeholder(
    change: Change,
    stakeholder_id: int,
    *,
    name: str | None = None,
    role: str | None = None,
    title: str | None = None,
    attitude: str | None = None,
    owner: str | None = None,
) -> list[Row]:
    """Correct a stakeholder; None leaves a field as it is, "" empties title, attitude or
    owner. Returns the people-gated checkpoints this unticked (a role left, an owner gone)."""
    person = get_stakeholder(change.conn, stakeholder_id)
    values = _stakeholder_values(name=name, role=role, title=title, attitude=attitude, owner=owner)
    if not values:
        raise BadValue(_("nothing to change"), hint="stakeholder-fields")
    if name is not None:
        _refuse_same_person(change.conn, person["customer_id"], name, other_than=stakeholder_id)
    change.update("stakeholders", stakeholder_id, values)
    unticked = recheck_people_gates(change, person["customer_id"])
    change.describe(N_("edited stakeholder #{id}"), id=stakeholder_id)
    return unticked


def delete_stakeholder(change: Change, stakeholder_id: int) -> Row:
    person = get_stakeholder(change.conn, stakeholder_id)
    for (contact_id,) in change.conn.execute(
        "SELECT id FROM contacts WHERE stakeholder_id = ?", [stakeholder_id]
    ).fetchall():
        change.update("contacts", contact_id, {"stakeholder_id": None})
    change.delete("stakeholders", stakeholder_id)
    person["unticked"] = recheck_people_gates(change, person["customer_id"])
    change.describe(N_("deleted stakeholder #{id}"), id=stakeholder_id)
    return person


# ---------------------------------------------------------------- objections


def _objection_stage(conn: sqlite3.Connection, stage: str | None) -> str | None:
    """A stage key of some pipeline, or nothing; anything else is refused, listing them."""
    key = (stage or "").strip().lower()
    if not key:
        return None
    known = pipelines.known_stage_keys(conn)
    if key not in known:
        raise BadValue(
            _("no stage {stage!r} in any pipeline; stages: {known}").format(
                stage=stage, known=", ".join(known)
            )
        )
    return key


def _tags(tags: tuple[str, ...]) -> str:
    return json.dumps([t.strip() for t in tags if t.strip()], ensure_ascii=False)


def add_objection(
    change: Change, text: str, *, response: str, stage: str | None, tags: tuple[str, ...]
) -> int:
    if not text.strip() or not response.strip():
        raise BadValue(_("an objection needs its text and a response that works"))
    objection_id = change.insert(
        "objections",
        {
            "text": text.strip(),
            "response": response.strip(),
            "stage": _objection_stage(change.conn, stage),
            "tags": _tags(tags),
        },
    )
    change.describe(N_("added objection #{id}"), id=objection_id)
    return objection_id


def edit_objection(
    change: Change,
    objection_id: int,
    *,
    text: str | None = None,
    response: str | None = None,
    stage: str | None = None,
    tags: tuple[str, ...] | None = None,
) -> None:
    """Correct an objection; None leaves a field as it is, stage "" removes the stage and
    `tags` replaces the tags."""
    get_objection(change.conn, objection_id)
    values: Row = {}
    for key, typed in (("text", text), ("response", response)):
        if typed is not None:
            if not typed.strip():
                raise BadValue(_("an objection needs its text and a response that works"))
            values[key] = typed.strip()
    if stage is not None:
        values["stage"] = _objection_stage(change.conn, stage)
    if tags is not None:
        values["tags"] = _tags(tags)
    if not values:
        raise BadValue(_("nothing to change"), hint="objection-fields")
    change.update("objections", objection_id, values)
    change.describe(N_("edited objection #{id}"), id=objection_id)


def delete_objection(change: Change, objection_id: int) -> Row:
    """Delete an objection with the record of its uses."""
    found = get_objection(change.conn, objection_id)
    for (use_id,) in change.conn.execute(
        "SELECT id FROM objection_uses WHERE objection_id = ?", [objection_id]
    ):
        change.delete("objection_uses", use_id)
    change.delete("objections", objection_id)
    change.describe(N_("deleted objection #{id}"), id=objection_id)
    return found


OBJECTION_SELECT = """
    SELECT o.*, count(u.id) AS uses, coalesce(sum(u.outcome = 'worked'), 0) AS worked
    FROM objections o LEFT JOIN objection_uses u ON u.objection_id = o.id
"""


def _objection_row(row: sqlite3.Row) -> Row:
    record = {key: row[key] for key in OBJECTION_KEYS if key != "worked_pct"}
    record["tags"] = json.loads(row["tags"])
    record["worked_pct"] = gates.share_pct(row["worked"], row["uses"])
    return record


def list_objections(
    conn: sqlite3.Connection,
    *,
    search: str | None = None,
    stage: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    where, params = [], []
    if search:
        where.append(
            "(o.text LIKE ? ESCAPE '\\' OR o.response LIKE ? ESCAPE '\\'"
            " OR o.tags LIKE ? ESCAPE '\\')"
        )
        params += [contains(search)] * 3
    if stage:
        where.append("o.stage = ?")
        params.append(stage.strip().lower())
    sql = OBJECTION_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " GROUP BY o.id ORDER BY o.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_objection_row(row) for row in conn.execute(sql, params)]


def get_objection(conn: sqlite3.Connection, objection_id: int) -> Row:
    row = conn.execute(OBJECTION_SELECT + " WHERE o.id = ? GROUP BY o.id", [objection_id])
    found = row.fetchone()
    if found is None:
        raise NotFound(_("no objection #{id}").format(id=objection_id))
    return _objection_row(found)


def use_objection(
    change: Change, objection_id: int, deal_id: int, *, outcome: str, today: date
) -> None:
    get_objection(change.conn, objection_id)
    get_deal(change.conn, deal_id)
    if outcome not in ("worked", "failed"):
        raise BadValue(_("the outcome must be worked or failed"))
    change.insert(
        "objection_uses",
        {
            "objection_id": objection_id,
            "deal_id": deal_id,
            "outcome": outcome,
            "used_on": today.isoformat(),
        },
    )
    change.describe(
        N_("used objection #{objection} on deal #{id}"), objection=objection_id, id=deal_id
    )
