"""Deals moving through a pipeline: checklist, stage gates, history; the customer's
stakeholder map and the shared library of objections."""

import json
import re
import sqlite3
from datetime import date

from salesflow import customers, gates, pipelines, sales
from salesflow.choices import ATTITUDES, STAKEHOLDER_ROLES
from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, BadValue, Conflict, GateNotMet, NotFound
from salesflow.i18n import _
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
)
STAKEHOLDER_KEYS = ("id", "customer_id", "customer", "name", "title", "role", "attitude", "owner")
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
        raise NotFound(f"no deal #{deal_id}")
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
            raise NotFound(f"no deal {text}")
    rows = conn.execute(
        "SELECT id, title FROM deals WHERE title LIKE ? ESCAPE '\\' ORDER BY id", [contains(text)]
    ).fetchall()
    if len(rows) == 1:
        return rows[0][0]
    if not rows:
        raise NotFound(f"no deal matches {reference!r}")
    listed = ", ".join(f"#{row[0]} {row[1]}" for row in rows[:10])
    raise Ambiguous(f"{reference!r} matches {len(rows)} deals: {listed}; use the #id")


def _stage_by_key(conn: sqlite3.Connection, pipeline_id: int, key: str) -> sqlite3.Row:
    stages = pipelines.stages(conn, pipeline_id)
    for stage in stages:
        if stage["key"] == key.strip().lower():
            return stage
    known = ", ".join(stage["key"] for stage in stages)
    raise BadValue(f"no stage {key!r} in this pipeline; stages: {known}")


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
) -> int:
    conn = change.conn
    if not title.strip():
        raise BadValue("a deal needs a title")
    pipelines.ensure_builtins(conn)
    found_pipeline = pipelines.pipeline_id(conn, pipeline)
    first = (
        _stage_by_key(conn, found_pipeline, stage)
        if stage
        else pipelines.stages(conn, found_pipeline)[0]
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
    change.summary = f"opened deal #{deal_id}"
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
    return {
        **deal,
        "checklist": checklist(conn, deal_id),
        "history": history(conn, deal_id),
        "gaps": gates.coverage_gaps(list_stakeholders(conn, deal["customer_id"])),
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
            raise Conflict(f"item {chosen['id']} is not checked")
        change.delete("deal_checks", existing[0])
        change.summary = f"unchecked item {chosen['id']} of deal #{deal_id}"
    else:
        if existing is not None:
            raise Conflict(f"item {chosen['id']} is already checked")
        change.insert(
            "deal_checks",
            {
                "deal_id": deal_id,
                "item_id": chosen["id"],
                "done_at": today.isoformat(),
                "note": (note or "").strip() or None,
            },
        )
        change.summary = f"checked item {chosen['id']} of deal #{deal_id}"
    return chosen


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
        raise NotFound(f"no checklist item of this deal matches {reference!r}")
    listed = ", ".join(f"{item['id']} {item['text']}" for item in matches[:10])
    raise Ambiguous(f"{reference!r} matches {len(matches)} items: {listed}; use the item id")


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
    """Move a deal on, through the stage gate of every stage it leaves."""
    conn = change.conn
    deal = get_deal(conn, deal_id)
    if deal["status"] != "open":
        raise Conflict(f"deal #{deal_id} is {deal['status']}; only open deals move")
    if force and not (reason or "").strip():
        raise BadValue(_("a forced move needs a reason"), hint="force-reason")
    row = conn.execute("SELECT pipeline_id, stage_id FROM deals WHERE id = ?", [deal_id]).fetchone()
    stages = pipelines.stages(conn, row["pipeline_id"])
    position = next(i for i, stage in enumerate(stages) if stage["id"] == row["stage_id"])
    if to is None:
        if position + 1 >= len(stages):
            raise Conflict(f"deal #{deal_id} is at the last stage; use `deal won` to close it")
        target = position + 1
    else:
        target = stages.index(_stage_by_key(conn, row["pipeline_id"], to))
        if target <= position:
            raise BadValue(
                _("the target stage must come after {stage!r}").format(stage=deal["stage"])
            )
    leaving = {stage["key"] for stage in stages[position:target]}
    missing = gates.missing_checkpoints(checklist(conn, deal_id), leaving)
    if missing and not force:
        listed = "; ".join(f"[{item['id']}] {item['text']}" for item in missing)
        raise GateNotMet(
            f"deal #{deal_id} cannot leave {deal['stage']!r}: required checkpoint not met: "
            f"{listed}",
            hint="gate",
        )
    _close_history(change, deal_id, today)
    change.update(
        "deals", deal_id, {"stage_id": stages[target]["id"], "stage_entered_at": today.isoformat()}
    )
    change.insert(
        "deal_history",
        {
            "deal_id": deal_id,
            "stage_id": stages[target]["id"],
            "entered_at": today.isoformat(),
            "by": (by or "").strip() or deal["owner"],
            "forced": bool(missing and force),
            "reason": (reason or "").strip() or None,
        },
    )
    change.summary = f"moved deal #{deal_id} to {stages[target]['key']}"
    return {"missing": missing, "stage": stages[target]["key"]}


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
) -> int | None:
    """Close a deal as won; with `record_sale`, book its amount as a sale."""
    deal = get_deal(change.conn, deal_id)
    if deal["status"] != "open":
        raise Conflict(f"deal #{deal_id} is already {deal['status']}")
    cents = amount_cents if amount_cents is not None else _cents(deal)
    if record_sale and cents is None:
        raise BadValue(_("the deal has no amount to record as a sale"), hint="amount")
    _close_history(change, deal_id, on)
    change.update(
        "deals", deal_id, {"status": "won", "closed_on": on.isoformat(), "amount_cents": cents}
    )
    change.summary = f"won deal #{deal_id}"
    if not record_sale:
        return None
    assert cents is not None
    return sales.add_sale(
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


def _cents(deal: Row) -> int | None:
    return None if deal["amount"] is None else int(deal["amount"] * 100)


def lose(change: Change, deal_id: int, *, reason: str, on: date) -> None:
    deal = get_deal(change.conn, deal_id)
    if deal["status"] != "open":
        raise Conflict(f"deal #{deal_id} is already {deal['status']}")
    if not reason.strip():
        raise BadValue(_("say why the deal was lost"), hint="reason")
    _close_history(change, deal_id, on)
    change.update(
        "deals",
        deal_id,
        {"status": "lost", "closed_on": on.isoformat(), "lost_reason": reason.strip()},
    )
    change.summary = f"lost deal #{deal_id}"


# ---------------------------------------------------------------- stakeholders


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
    if not name.strip():
        raise BadValue("a stakeholder needs a name")
    if role not in STAKEHOLDER_ROLES:
        raise BadValue(f"role {role!r} is not one of {', '.join(STAKEHOLDER_ROLES)}")
    if attitude is not None and attitude not in ATTITUDES:
        raise BadValue(f"attitude {attitude!r} is not one of {', '.join(ATTITUDES)}")
    customers.get_customer(change.conn, customer_id)
    stakeholder_id = change.insert(
        "stakeholders",
        {
            "customer_id": customer_id,
            "name": name.strip(),
            "title": (title or "").strip() or None,
            "role": role,
            "attitude": attitude,
            "owner": (owner or "").strip() or None,
        },
    )
    change.summary = f"added stakeholder #{stakeholder_id} for customer #{customer_id}"
    return stakeholder_id


def list_stakeholders(conn: sqlite3.Connection, customer_id: int) -> list[Row]:
    rows = conn.execute(
        "SELECT k.*, c.name AS customer FROM stakeholders k JOIN customers c"
        " ON c.id = k.customer_id WHERE k.customer_id = ? ORDER BY k.id",
        [customer_id],
    )
    return [{key: row[key] for key in STAKEHOLDER_KEYS} for row in rows]


def get_stakeholder(conn: sqlite3.Connection, stakeholder_id: int) -> Row:
    rows = conn.execute("SELECT customer_id FROM stakeholders WHERE id = ?", [stakeholder_id])
    customer_id = rows.fetchone()[0]
    return next(s for s in list_stakeholders(conn, customer_id) if s["id"] == stakeholder_id)


# ---------------------------------------------------------------- objections


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
            "stage": (stage or "").strip().lower() or None,
            "tags": json.dumps([t.strip() for t in tags if t.strip()], ensure_ascii=False),
        },
    )
    change.summary = f"added objection #{objection_id}"
    return objection_id


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
        raise NotFound(f"no objection #{objection_id}")
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
    change.summary = f"used objection #{objection_id} on deal #{deal_id}"
