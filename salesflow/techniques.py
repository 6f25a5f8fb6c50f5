"""Closing techniques (成交技巧): a shared list, like the objections, of the ways a deal is
asked to close — the method's eight built in — and how often each one wins."""

import re
import sqlite3
from datetime import date

from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, BadValue, Conflict, NotFound
from salesflow.gates import share_pct
from salesflow.i18n import N_, _
from salesflow.lookup import contains

TECHNIQUE_KEYS = ("id", "name", "label_zh", "description", "builtin", "uses")
TECHNIQUE_REPORT_KEYS = ("technique_id", "technique", "label_zh", "uses", "won", "lost",
                         "win_rate_pct")  # fmt: skip


def technique_row(row: sqlite3.Row) -> Row:
    return {
        "id": row["id"],
        "name": row["name"],
        "label_zh": row["label_zh"],
        "description": row["description"],
        "builtin": bool(row["builtin"]),
        "uses": row["uses"],
    }


TECHNIQUE_SELECT = """
    SELECT t.*, (SELECT count(*) FROM deals WHERE technique_id = t.id) AS uses
    FROM techniques t
"""


def find_technique(conn: sqlite3.Connection, reference: str) -> int:
    """A technique by id, #id, its name or Chinese name, or a unique part of either."""
    text = reference.strip()
    if not text:
        raise BadValue(_("name a closing technique"))
    if re.fullmatch(r"#?\d+", text):
        row = conn.execute("SELECT id FROM techniques WHERE id = ?", [int(text.lstrip("#"))])
        found = row.fetchone()
        if found:
            return int(found[0])
    exact = conn.execute(
        "SELECT id FROM techniques WHERE name = ? COLLATE NOCASE OR label_zh = ?", [text, text]
    ).fetchall()
    rows = (
        exact
        or conn.execute(
            "SELECT id FROM techniques WHERE name LIKE ? ESCAPE '\\' OR label_zh LIKE ? ESCAPE '\\'"
            " ORDER BY id",
            [contains(text), contains(text)],
        ).fetchall()
    )
    if len(rows) == 1:
        return int(rows[0][0])
    if not rows:
        raise NotFound(
            _("no closing technique matches {reference!r}").format(reference=reference),
            hint="technique-list",
        )
    raise Ambiguous(
        _("{reference!r} matches {count} techniques: {ids}; use the #id").format(
            reference=reference, count=len(rows), ids=", ".join(f"#{row[0]}" for row in rows)
        )
    )


def get_technique(conn: sqlite3.Connection, technique_id: int) -> Row:
    row = conn.execute(TECHNIQUE_SELECT + " WHERE t.id = ?", [technique_id]).fetchone()
    if row is None:
        raise NotFound(_("no closing technique #{id}").format(id=technique_id))
    return technique_row(row)


def list_techniques(
    conn: sqlite3.Connection, *, search: str | None = None, limit: int | None = None
) -> list[Row]:
    where, params = "", []
    if search:
        where = (
            " WHERE t.name LIKE ? ESCAPE '\\' OR t.label_zh LIKE ? ESCAPE '\\'"
            " OR t.description LIKE ? ESCAPE '\\'"
        )
        params = [contains(search)] * 3
    sql = TECHNIQUE_SELECT + where + " ORDER BY t.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [technique_row(row) for row in conn.execute(sql, params)]


def _refuse_taken(conn: sqlite3.Connection, name: str, other_than: int | None) -> None:
    found = conn.execute(
        "SELECT id FROM techniques WHERE name = ? COLLATE NOCASE", [name]
    ).fetchone()
    if found is not None and found[0] != other_than:
        raise Conflict(
            _("a closing technique named {name!r} exists as #{id}").format(name=name, id=found[0])
        )


def add_technique(
    change: Change, name: str, *, label_zh: str | None, description: str | None
) -> int:
    if not name.strip():
        raise BadValue(_("a closing technique needs a name"))
    _refuse_taken(change.conn, name.strip(), None)
    technique_id = change.insert(
        "techniques",
        {
            "name": name.strip(),
            "label_zh": (label_zh or "").strip() or None,
            "description": (description or "").strip() or None,
        },
    )
    change.describe(N_("added closing technique #{id}"), id=technique_id)
    return technique_id


def edit_technique(
    change: Change,
    technique_id: int,
    *,
    name: str | None = None,
    label_zh: str | None = None,
    description: str | None = None,
) -> None:
    """Correct a technique; None leaves a field as it is, "" empties the Chinese name or
    the description."""
    get_technique(change.conn, technique_id)
    values: Row = {}
    if name is not None:
        if not name.strip():
            raise BadValue(_("a closing technique needs a name"))
        _refuse_taken(change.conn, name.strip(), technique_id)
        values["name"] = name.strip()
    if label_zh is not None:
        values["label_zh"] = label_zh.strip() or None
    if description is not None:
        values["description"] = description.strip() or None
    if not values:
        raise BadValue(_("nothing to change"), hint="technique-fields")
    change.update("techniques", technique_id, values)
    change.describe(N_("edited closing technique #{id}"), id=technique_id)


def delete_technique(change: Change, technique_id: int) -> Row:
    """Delete a technique; the deals it closed keep their outcome, no longer naming it
    (undo ties them again)."""
    found = get_technique(change.conn, technique_id)
    for (deal_id,) in change.conn.execute(
        "SELECT id FROM deals WHERE technique_id = ?", [technique_id]
    ).fetchall():
        change.update("deals", deal_id, {"technique_id": None})
    change.delete("techniques", technique_id)
    change.describe(N_("deleted closing technique #{id}"), id=technique_id)
    return found


def techniques_report(
    conn: sqlite3.Connection,
    *,
    pipeline: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Row]:
    """Per technique: the deals closed with it (won or lost, closed in the period, in the
    pipeline), how many were won and lost, and the win rate. Every technique is listed."""
    conditions = ["d.technique_id = t.id", "d.status IN ('won', 'lost')"]
    params: list[object] = []
    if pipeline is not None:
        if not conn.execute("SELECT 1 FROM pipelines WHERE name = ?", [pipeline]).fetchone():
            raise NotFound(_("no pipeline {name!r}").format(name=pipeline))
        conditions.append("d.pipeline_id = (SELECT id FROM pipelines WHERE name = ?)")
        params.append(pipeline)
    if start is not None:
        conditions.append("d.closed_on >= ?")
        params.append(start.isoformat())
    if end is not None:
        conditions.append("d.closed_on <= ?")
        params.append(end.isoformat())
    rows = conn.execute(
        f"""SELECT t.id, t.name, t.label_zh,
                   count(d.id) AS uses, coalesce(sum(d.status = 'won'), 0) AS won,
                   coalesce(sum(d.status = 'lost'), 0) AS lost
            FROM techniques t LEFT JOIN deals d ON {" AND ".join(conditions)}
            GROUP BY t.id ORDER BY t.id""",
        params,
    )
    return [
        {
            "technique_id": row["id"],
            "technique": row["name"],
            "label_zh": row["label_zh"],
            "uses": row["uses"],
            "won": row["won"],
            "lost": row["lost"],
            "win_rate_pct": share_pct(row["won"], row["uses"]),
        }
        for row in rows
    ]
