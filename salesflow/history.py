"""The audit log read back: `history` lists changes, `undo` reverts the latest one and
`redo` applies again what undo reverted, until a new change is made.

A change's `summary` ("added customer #12") is stored in the book in English, the way
`command` records the command's own name: one book is shared by people who read different
languages, and JSON and CSV show the log as it is. Its parts (the English message and the
values filling it) are stored beside it, so a table, `undo` and `redo` word it in the
reader's language (`worded`).
"""

import json
import sqlite3
from typing import Any

from salesflow.db import Row, suspended_triggers, transaction
from salesflow.errors import Conflict, NotFound
from salesflow.i18n import _, current_language, labelled
from salesflow.summaries import days_spanned, refresh_days, refresh_summaries


def list_changes(conn: sqlite3.Connection, *, limit: int | None = None) -> list[Row]:
    sql = """SELECT c.id, c.at, c.command, c.summary, c.summary_parts, c.undone,
                    coalesce(sum(coalesce(e.last_row_id - e.row_id + 1, 1)), 0) AS records
             FROM changes c LEFT JOIN events e ON e.change_id = c.id
             GROUP BY c.id ORDER BY c.id DESC"""
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [{**dict(row), "undone": bool(row["undone"])} for row in conn.execute(sql)]


def worded(change: Row) -> str:
    """A change's summary in the reader's language, from its parts; the stored English
    when it has none (recorded before parts were kept) or they cannot be read."""
    parts = change.get("summary_parts")
    if not parts or current_language() == "en":
        return str(change.get("summary") or "")
    try:
        stored = json.loads(parts)
        return str(_(stored["message"]).format(**labelled(stored["values"])))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return str(change.get("summary") or "")


def undo_last(conn: sqlite3.Connection) -> Row:
    """Revert the latest change not yet undone, whatever it was, in one transaction."""
    with transaction(conn):
        last = conn.execute(
            "SELECT id, command, summary, summary_parts FROM changes WHERE undone = 0"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if last is None:
            raise NotFound(_("there is nothing to undo"))
        events = conn.execute(
            "SELECT tbl, row_id, last_row_id, before, after FROM events"
            " WHERE change_id = ? ORDER BY id DESC",
            [last["id"]],
        ).fetchall()
        for event in events:
            _revert(conn, event)
        # The order of undoing, so redo takes the most recently undone change first.
        conn.execute(
            "UPDATE changes SET undone = 1,"
            " undo_order = (SELECT coalesce(max(undo_order), 0) + 1 FROM changes)"
            " WHERE id = ?",
            [last["id"]],
        )
    return {"id": last["id"], "command": last["command"], "summary": last["summary"],
            "records": len(events), "summary_parts": last["summary_parts"]}  # fmt: skip


def redo_last(conn: sqlite3.Connection) -> Row:
    """Apply again the change undone most recently, in one transaction. A change made
    after the undo ends what can be redone: it was made on the book without it."""
    with transaction(conn):
        last = conn.execute(
            "SELECT id, command, summary, summary_parts FROM changes WHERE undone = 1"
            " ORDER BY undo_order DESC, id LIMIT 1"
        ).fetchone()
        newer = (
            last
            and conn.execute(
                "SELECT 1 FROM changes WHERE undone = 0 AND id > ?", [last["id"]]
            ).fetchone()
        )
        if last is None or newer:
            raise NotFound(_("there is nothing to redo"))
        events = conn.execute(
            "SELECT tbl, row_id, last_row_id, before, after FROM events"
            " WHERE change_id = ? ORDER BY id",
            [last["id"]],
        ).fetchall()
        if any(event["last_row_id"] is not None for event in events):
            raise Conflict(
                _(
                    "change #{id} ({command}) loaded its records in bulk and undo removed "
                    "them; run it again instead"
                ).format(id=last["id"], command=last["command"])
            )
        for event in events:
            _reapply(conn, event)
        conn.execute("UPDATE changes SET undone = 0, undo_order = NULL WHERE id = ?", [last["id"]])
    return {"id": last["id"], "command": last["command"], "summary": last["summary"],
            "records": len(events), "summary_parts": last["summary_parts"]}  # fmt: skip


def _reapply(conn: sqlite3.Connection, event: sqlite3.Row) -> None:
    table, row_id = event["tbl"], event["row_id"]
    if event["after"] is None:
        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", [row_id])
    elif event["before"] is None:
        _restore(conn, table, json.loads(event["after"]))
    else:
        _overwrite(conn, table, row_id, event["after"])


def _overwrite(conn: sqlite3.Connection, table: str, row_id: int, image: str) -> None:
    """Set a row's columns to a recorded image (the summary columns are not in it)."""
    values: dict[str, Any] = json.loads(image)
    values.pop("_rowid", None)
    assignments = ", ".join(f"{key} = ?" for key in values)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE rowid = ?", [*values.values(), row_id])


def _revert(conn: sqlite3.Connection, event: sqlite3.Row) -> None:
    table, row_id = event["tbl"], event["row_id"]
    if event["last_row_id"] is not None:
        _delete_range(conn, table, row_id, event["last_row_id"])
    elif event["before"] is None:
        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", [row_id])
    elif event["after"] is None:
        _restore(conn, table, json.loads(event["before"]))
    else:
        _overwrite(conn, table, row_id, event["before"])


def _restore(conn: sqlite3.Connection, table: str, image: dict[str, Any]) -> None:
    rowid = image.pop("_rowid")
    columns = ", ".join(["rowid", *image])
    marks = ", ".join("?" for _ in range(len(image) + 1))
    conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", [rowid, *image.values()])


def _delete_range(conn: sqlite3.Connection, table: str, first: int, last: int) -> None:
    """Remove a bulk insert; the customers it touched get their summaries recomputed."""
    if table in ("contacts", "sales"):
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM touched")
        conn.execute(
            f"INSERT OR IGNORE INTO touched SELECT customer_id FROM {table}"
            " WHERE rowid BETWEEN ? AND ?",
            [first, last],
        )
    days = days_spanned(conn, first, last) if table == "sales" else (None, None)
    with suspended_triggers(conn, table):
        conn.execute(f"DELETE FROM {table} WHERE rowid BETWEEN ? AND ?", [first, last])
    if table in ("contacts", "sales"):
        refresh_summaries(conn, table, "SELECT id FROM temp.touched")
    refresh_days(conn, *days)
