"""Unit commands: the units for sale one at a time and who holds each (现场销控)."""

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from salesflow import choices
from salesflow.cli.options import (
    TABLE,
    FormatOpt,
    LimitOpt,
    OutputOpt,
    RecordFormatOpt,
    YesOpt,
    choice_enum,
)
from salesflow.cli.render import confirm_added, emit, emit_record
from salesflow.cli.root import fail, group, open_book, tell, today
from salesflow.cli.startup import lazy
from salesflow.i18n import N_, _

if TYPE_CHECKING:
    from salesflow import db, inputs, units

    class UnitStatus(StrEnum): ...

else:
    db, inputs, units = lazy("db", "inputs", "units")
    UnitStatus = choice_enum("UnitStatus", choices.UNIT_STATUSES)

unit_app = group("unit", "Units sold one at a time (apartments, unique pieces) and who holds each.")

UNIT_COLUMNS = [
    ("id", N_("ID")),
    ("code", N_("Unit")),
    ("project", N_("Project")),
    ("kind", N_("Kind")),
    ("area", N_("Area")),
    ("price", N_("Price")),
    ("status", N_("Status")),
    ("deal_id", N_("Deal")),
    ("customer", N_("Customer")),
    ("deposits", N_("Deposits")),
    ("contract_no", N_("Contract")),
]
UnitArg = Annotated[str, typer.Argument(help="Unit code (or #id).", metavar="CODE")]
ProjectOpt = Annotated[str | None, typer.Option(help="Project (楼盘) or collection.")]
KindOpt = Annotated[str | None, typer.Option(help="Kind, e.g. 3房2厅 or 18K necklace.")]
AreaOpt = Annotated[str | None, typer.Option(help="Floor area, e.g. 89.5 or 89.5㎡.")]
PriceOpt = Annotated[str | None, typer.Option(help="List price.")]
NotesOpt = Annotated[str | None, typer.Option(help="Notes.")]


@unit_app.command("add")
def unit_add(
    ctx: typer.Context,
    code: UnitArg,
    project: ProjectOpt = None,
    kind: KindOpt = None,
    area: AreaOpt = None,
    price: PriceOpt = None,
    notes: NotesOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Add a unit for sale.

    Example: salesflow unit add 楼盘A-1801 --project 楼盘A --area 128 --price 2,560,000
    """
    fields = units.UnitFields(
        code=code,
        project=project,
        kind=kind,
        area=area,
        price_cents=inputs.parse_money(price) if price is not None else None,
        notes=notes,
    )
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "unit add") as change:
            unit_id = units.add_unit(change, fields, today=today())
        record = units.get_unit(conn, unit_id)
    confirm_added(
        _("Added unit #{id} {code}").format(id=record["id"], code=record["code"]), record, fmt
    )


@unit_app.command("list")
def unit_list(
    ctx: typer.Context,
    status: Annotated[UnitStatus | None, typer.Option(help="available, reserved or sold.")] = None,
    project: ProjectOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List units with their status and the deal holding each.

    Example: salesflow unit list --status available --project 楼盘A
    """
    with open_book(ctx) as conn:
        rows = units.list_units(
            conn, status=status.value if status else None, project=project, limit=limit
        )
    emit(rows, UNIT_COLUMNS, fmt, destination, keys=units.UNIT_KEYS)


@unit_app.command("edit")
def unit_edit(
    ctx: typer.Context,
    unit: UnitArg,
    code: Annotated[str | None, typer.Option(help="New code.")] = None,
    project: ProjectOpt = None,
    kind: KindOpt = None,
    area: AreaOpt = None,
    price: Annotated[str | None, typer.Option(help="List price ('' removes it).")] = None,
    notes: NotesOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Correct a unit: code, project, kind, area, price, notes ('' empties a field).

    Example: salesflow unit edit 楼盘A-1801 --price 2,480,000
    """
    fields = units.UnitFields(
        code=code,
        project=project,
        kind=kind,
        area=area,
        price_cents=inputs.parse_money(price) if price else None,
        clear_price=price == "",
        notes=notes,
    )
    with open_book(ctx, write=True) as conn:
        unit_id = units.find_unit(conn, unit)
        with db.change(conn, "unit edit") as change:
            changed = units.edit_unit(change, unit_id, fields)
        record = units.get_unit(conn, unit_id)
    tell(
        _("Updated unit {code}: {fields}").format(
            code=record["code"], fields=", ".join(changed) or _("no change")
        )
    )
    if fmt is not TABLE:
        emit_record(record, fmt, None, units.UNIT_KEYS)


@unit_app.command("delete")
def unit_delete(ctx: typer.Context, unit: UnitArg, yes: YesOpt = False) -> None:
    """Delete a unit nobody holds (deals that named it let go of it; undo ties them again).

    Example: salesflow unit delete 楼盘A-1801 --yes
    """
    with open_book(ctx, write=True) as conn:
        unit_id = units.find_unit(conn, unit)
        record = units.get_unit(conn, unit_id)
        if not yes and not typer.confirm(
            _("Delete unit {code}?").format(code=record["code"]), err=True
        ):
            fail(_("nothing deleted"), 1)
        with db.change(conn, "unit delete") as change:
            untied = units.delete_unit(change, unit_id)
    message = _("Deleted unit {code}").format(code=record["code"])
    if untied:
        message += _("; deals {deals} no longer name a unit").format(
            deals=", ".join(f"#{deal_id}" for deal_id in untied)
        )
    tell(message)
