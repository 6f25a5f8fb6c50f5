"""Units for sale one at a time — an apartment of a project (楼盘), a one-of-a-kind piece —
and the site sales control (现场销控) over them: a deposit reserves a unit for one deal, a
win sells it, and nobody else's deal can take it meanwhile.

A unit's status is not stored on the unit: it is what the deal holding it says
(`deals.unit_hold`: reserved or sold), so a deal that is lost, reopened or deleted — by any
command, with any customer — frees its unit, and undo puts the hold back with the deal.
"""

import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from salesflow.db import Change, Row
from salesflow.errors import BadValue, Conflict, NotFound
from salesflow.i18n import N_, _
from salesflow.inputs import cents_to_decimal

UNIT_KEYS = (
    "id",
    "code",
    "project",
    "kind",
    "area",
    "price",
    "status",
    "deal_id",
    "deal",
    "customer_id",
    "customer",
    "deposits",
    "contract_no",
    "contract_amount",
    "notes",
)
DEPOSIT_KEYS = ("id", "deal_id", "amount", "paid_on", "note")
UNIT_REPORT_KEYS = ("project", "status", "units", "price", "deposits", "contract_amount")

UNIT_SELECT = """
    SELECT u.*, coalesce(d.unit_hold, 'available') AS status, d.id AS deal_id,
           d.title AS deal, d.customer_id, c.name AS customer, d.contract_no, d.contract_cents,
           (SELECT sum(amount_cents) FROM deal_deposits WHERE deal_id = d.id) AS deposit_cents
    FROM units u
    LEFT JOIN deals d ON d.unit_id = u.id AND d.unit_hold IS NOT NULL
    LEFT JOIN customers c ON c.id = d.customer_id
"""
AREA_UNITS = re.compile(r"\s*(㎡|m2|m²|sqm|平米|平方米)\s*$", re.IGNORECASE)


def unit_row(row: sqlite3.Row) -> Row:
    return {
        "id": row["id"],
        "code": row["code"],
        "project": row["project"],
        "kind": row["kind"],
        "area": _area(row["area"]),
        "price": cents_to_decimal(row["price_cents"]),
        "status": row["status"],
        "deal_id": row["deal_id"],
        "deal": row["deal"],
        "customer_id": row["customer_id"],
        "customer": row["customer"],
        "deposits": cents_to_decimal(row["deposit_cents"]),
        "contract_no": row["contract_no"] if row["status"] == "sold" else None,
        "contract_amount": cents_to_decimal(row["contract_cents"])
        if row["status"] == "sold"
        else None,
        "notes": row["notes"],
    }


def _area(stored: str | None) -> int | float | None:
    """A stored area as a number: whole square metres without a trailing .0."""
    if stored is None:
        return None
    value = float(stored)
    return int(value) if value.is_integer() else value


def parse_area(text: str) -> str:
    """A floor area as typed (`89.5`, `89.5㎡`, `120平米`) → the number, as stored."""
    number = AREA_UNITS.sub("", text.strip()).replace(",", "")
    try:
        value = Decimal(number)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value <= 0:
        raise BadValue(_("cannot read area {text!r}: give a positive number").format(text=text))
    return str(value.normalize()) if value == value.to_integral() else str(value)


@dataclass(frozen=True)
class UnitFields:
    """A unit's typed fields; None leaves a field as it is, "" empties an optional one."""

    code: str | None = None
    project: str | None = None
    kind: str | None = None
    area: str | None = None
    price_cents: int | None = None
    clear_price: bool = False
    notes: str | None = None


def _values(fields: UnitFields) -> Row:
    values: Row = {}
    if fields.code is not None:
        if not fields.code.strip():
            raise BadValue(_("a unit needs a code"))
        values["code"] = fields.code.strip()
    for key in ("project", "kind", "notes"):
        typed = getattr(fields, key)
        if typed is not None:
            values[key] = typed.strip() or None
    if fields.area is not None:
        values["area"] = parse_area(fields.area) if fields.area.strip() else None
    if fields.clear_price:
        values["price_cents"] = None
    elif fields.price_cents is not None:
        values["price_cents"] = fields.price_cents
    return values


def _refuse_taken_code(conn: sqlite3.Connection, code: str, other_than: int | None) -> None:
    found = conn.execute("SELECT id FROM units WHERE code = ? COLLATE NOCASE", [code]).fetchone()
    if found is not None and found[0] != other_than:
        raise Conflict(_("unit {code!r} already exists as #{id}").format(code=code, id=found[0]))


def add_unit(change: Change, fields: UnitFields, *, today: date) -> int:
    if fields.code is None:
        raise BadValue(_("a unit needs a code"))
    values = _values(fields)
    _refuse_taken_code(change.conn, values["code"], None)
    unit_id = change.insert("units", {**values, "created_at": today.isoformat()})
    change.describe(N_("added unit #{id}"), id=unit_id)
    return unit_id


def find_unit(conn: sqlite3.Connection, reference: str) -> int:
    """A unit by its code (case-insensitive), id or #id."""
    text = reference.strip()
    found = conn.execute("SELECT id FROM units WHERE code = ? COLLATE NOCASE", [text]).fetchone()
    if found is not None:
        return int(found[0])
    if re.fullmatch(r"#?\d+", text):
        by_id = conn.execute("SELECT id FROM units WHERE id = ?", [int(text.lstrip("#"))])
        row = by_id.fetchone()
        if row is not None:
            return int(row[0])
    raise NotFound(_("no unit {reference!r}").format(reference=reference), hint="unit-list")


def get_unit(conn: sqlite3.Connection, unit_id: int) -> Row:
    row = conn.execute(UNIT_SELECT + " WHERE u.id = ?", [unit_id]).fetchone()
    if row is None:
        raise NotFound(_("no unit #{id}").format(id=unit_id))
    return unit_row(row)


def list_units(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    project: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    where, params = [], []
    if status is not None:
        where.append("coalesce(d.unit_hold, 'available') = ?")
        params.append(status)
    if project is not None:
        where.append("u.project = ? COLLATE NOCASE")
        params.append(project)
    sql = UNIT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY u.project, u.code COLLATE NOCASE, u.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [unit_row(row) for row in conn.execute(sql, params)]


def edit_unit(change: Change, unit_id: int, fields: UnitFields) -> list[str]:
    """Correct a unit; returns the names of the fields changed."""
    get_unit(change.conn, unit_id)
    values = _values(fields)
    if not values:
        raise BadValue(_("nothing to change"), hint="unit-fields")
    if "code" in values:
        _refuse_taken_code(change.conn, values["code"], unit_id)
    stored = change.conn.execute("SELECT * FROM units WHERE id = ?", [unit_id]).fetchone()
    changed = [
        "price" if key == "price_cents" else key
        for key, value in values.items()
        if stored[key] != value
    ]
    change.update("units", unit_id, values)
    change.describe(N_("edited unit #{id}"), id=unit_id)
    return changed


# Why a held unit cannot be deleted or taken, by how it is held.
HELD_UNDELETABLE = {
    "reserved": N_("unit {code} is reserved by deal #{deal}; it cannot be deleted"),
    "sold": N_("unit {code} is sold by deal #{deal}; it cannot be deleted"),
}
ALREADY_HELD = {
    "reserved": N_("unit {code} is already reserved by deal #{deal}"),
    "sold": N_("unit {code} is already sold by deal #{deal}"),
}


def delete_unit(change: Change, unit_id: int) -> list[int]:
    """Delete a unit nobody holds; deals that named it let go of it (undo ties them again).
    Returns those deals' ids."""
    unit = get_unit(change.conn, unit_id)
    if unit["deal_id"] is not None:
        raise Conflict(
            _(HELD_UNDELETABLE[unit["status"]]).format(code=unit["code"], deal=unit["deal_id"])
        )
    untied = [
        row[0] for row in change.conn.execute("SELECT id FROM deals WHERE unit_id = ?", [unit_id])
    ]
    for deal_id in untied:
        change.update("deals", deal_id, {"unit_id": None})
    change.delete("units", unit_id)
    change.describe(N_("deleted unit #{id}"), id=unit_id)
    return untied


# ---------------------------------------------------------------- holding a unit


def holder(conn: sqlite3.Connection, unit_id: int) -> sqlite3.Row | None:
    """The deal that holds a unit (reserved or sold), if one does."""
    found: sqlite3.Row | None = conn.execute(
        "SELECT id, unit_hold FROM deals WHERE unit_id = ? AND unit_hold IS NOT NULL", [unit_id]
    ).fetchone()
    return found


def refuse_taken(conn: sqlite3.Connection, unit_id: int, deal_id: int | None) -> None:
    """A unit reserved or sold by another deal cannot be taken; the refusal names that deal."""
    held = holder(conn, unit_id)
    if held is not None and held["id"] != deal_id:
        code = conn.execute("SELECT code FROM units WHERE id = ?", [unit_id]).fetchone()[0]
        raise Conflict(
            _(ALREADY_HELD[held["unit_hold"]]).format(code=code, deal=held["id"]),
            hint="unit-taken",
        )


def _deal(conn: sqlite3.Connection, deal_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, status, unit_id, unit_hold FROM deals WHERE id = ?", [deal_id]
    ).fetchone()
    if row is None:
        raise NotFound(_("no deal #{id}").format(id=deal_id))
    return row


def attach(change: Change, deal_id: int, unit_id: int | None) -> None:
    """Tie a deal to a unit (None: to none). A hold the deal had moves with it: the new unit
    must be free of other deals."""
    deal = _deal(change.conn, deal_id)
    hold = None
    if unit_id is not None:
        refuse_taken(change.conn, unit_id, deal_id)
        paid = change.conn.execute(
            "SELECT 1 FROM deal_deposits WHERE deal_id = ? LIMIT 1", [deal_id]
        ).fetchone()
        hold = deal["unit_hold"] or ("reserved" if deal["status"] == "open" and paid else None)
    change.update("deals", deal_id, {"unit_id": unit_id, "unit_hold": hold})


def take(change: Change, deal_id: int, hold: str) -> None:
    """The deal's unit becomes reserved (a deposit) or sold (a win); no unit, no change."""
    deal = _deal(change.conn, deal_id)
    if deal["unit_id"] is None:
        return
    refuse_taken(change.conn, deal["unit_id"], deal_id)
    change.update("deals", deal_id, {"unit_hold": hold})


def release(change: Change, deal_id: int) -> str | None:
    """The deal lets go of its unit (lost, reopened, returned); returns the unit's code when
    one was freed."""
    deal = _deal(change.conn, deal_id)
    if deal["unit_hold"] is None:
        return None
    change.update("deals", deal_id, {"unit_hold": None})
    code: str = change.conn.execute(
        "SELECT code FROM units WHERE id = ?", [deal["unit_id"]]
    ).fetchone()[0]
    return code


def release_for_sale(change: Change, sale_id: int) -> str | None:
    """A sale returned: the unit its deal holds is free again (the deal stays as it is).
    Returns the unit's code when one was freed."""
    row = change.conn.execute("SELECT deal_id FROM sales WHERE id = ?", [sale_id]).fetchone()
    if row is None or row[0] is None:
        return None
    return release(change, row[0])


# ---------------------------------------------------------------- deposits


def record_deposit(
    change: Change, deal_id: int, amount_cents: int, *, on: date, note: str | None
) -> Row:
    """Record a deposit (成交收订) on an open deal; its unit, if it has one, is reserved."""
    deal = _deal(change.conn, deal_id)
    if deal["status"] != "open":
        raise Conflict(
            (
                _("deal #{id} is won; deposits are taken on open deals")
                if deal["status"] == "won"
                else _("deal #{id} is lost; deposits are taken on open deals")
            ).format(id=deal_id)
        )
    if amount_cents <= 0:
        raise BadValue(_("a deposit must be more than zero"))
    if deal["unit_id"] is not None and deal["unit_hold"] is None:
        take(change, deal_id, "reserved")
    deposit_id = change.insert(
        "deal_deposits",
        {
            "deal_id": deal_id,
            "amount_cents": amount_cents,
            "paid_on": on.isoformat(),
            "note": (note or "").strip() or None,
        },
    )
    change.describe(N_("recorded deposit #{id} on deal #{deal}"), id=deposit_id, deal=deal_id)
    return {"deposit_id": deposit_id, "unit_id": deal["unit_id"]}


def deposits(conn: sqlite3.Connection, deal_id: int) -> list[Row]:
    return [
        {
            "id": row["id"],
            "deal_id": row["deal_id"],
            "amount": cents_to_decimal(row["amount_cents"]),
            "paid_on": row["paid_on"],
            "note": row["note"],
        }
        for row in conn.execute(
            "SELECT * FROM deal_deposits WHERE deal_id = ? ORDER BY paid_on, id", [deal_id]
        )
    ]


def deal_unit(conn: sqlite3.Connection, deal_id: int) -> Row:
    """What `deal show` says of a deal's unit, deposits and contract."""
    row = conn.execute(
        """SELECT d.unit_id, u.code, d.unit_hold, d.contract_no, d.contract_cents,
                  (SELECT sum(amount_cents) FROM deal_deposits WHERE deal_id = d.id) AS paid
           FROM deals d LEFT JOIN units u ON u.id = d.unit_id WHERE d.id = ?""",
        [deal_id],
    ).fetchone()
    return {
        "unit_id": row["unit_id"],
        "unit": row["code"],
        "unit_status": row["unit_hold"] if row["unit_id"] is not None else None,
        "deposit_total": cents_to_decimal(row["paid"]),
        "contract_no": row["contract_no"],
        "contract_amount": cents_to_decimal(row["contract_cents"]),
    }


# ---------------------------------------------------------------- report


def units_report(conn: sqlite3.Connection) -> list[Row]:
    """Units per project and status: how many, their list price, the deposits taken on the
    reserved and sold ones, and the contract amounts of the sold ones."""
    rows = conn.execute(
        f"""SELECT project, status, count(*) AS units, sum(price_cents) AS price,
                   sum(deposit_cents) AS paid,
                   sum(CASE WHEN status = 'sold' THEN contract_cents END) AS contracted
            FROM ({UNIT_SELECT}) GROUP BY project, status
            ORDER BY project IS NULL, project,
                     CASE status WHEN 'available' THEN 0 WHEN 'reserved' THEN 1 ELSE 2 END"""
    )
    return [
        {
            "project": row["project"],
            "status": row["status"],
            "units": row["units"],
            "price": cents_to_decimal(row["price"]),
            "deposits": cents_to_decimal(row["paid"]),
            "contract_amount": cents_to_decimal(row["contracted"]),
        }
        for row in rows
    ]
