"""Finding records by what a user typed: ids, exact keys, parts of names."""

import sqlite3

from salesflow.errors import Conflict, NotFound
from salesflow.i18n import _


def contains(text: str) -> str:
    """A LIKE pattern (used with ESCAPE '\\') matching `text` anywhere, wildcards literal."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def candidate_list(
    conn: sqlite3.Connection, table: str, ids: list[int], column: str = "name"
) -> str:
    """`#3 张三, #7 张三丰 and 4 more`: what an ambiguous reference matched."""
    shown = ids[:10]
    marks = ",".join("?" for _ in shown)
    names = dict(conn.execute(f"SELECT id, {column} FROM {table} WHERE id IN ({marks})", shown))
    listed = ", ".join(f"#{row_id} {names[row_id]}" for row_id in shown)
    if len(ids) > len(shown):
        return _("{listed} and {count} more").format(listed=listed, count=len(ids) - len(shown))
    return listed


def require_id(conn: sqlite3.Connection, table: str, row_id: int, missing: str) -> int:
    """`row_id` if `table` has it; else NotFound with `missing`, a message with an {id}."""
    if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", [row_id]).fetchone() is None:
        raise NotFound(missing.format(id=row_id))
    return row_id


def require_deal_of(conn: sqlite3.Connection, deal_id: int, customer_id: int) -> None:
    row = conn.execute("SELECT customer_id FROM deals WHERE id = ?", [deal_id]).fetchone()
    if row is None:
        raise NotFound(_("no deal #{id}").format(id=deal_id))
    if row[0] != customer_id:
        raise Conflict(_("deal #{id} belongs to another customer").format(id=deal_id))
