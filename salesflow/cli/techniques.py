"""Closing technique commands: the shared list of ways to ask for the order (成交技巧)."""

from typing import TYPE_CHECKING, Annotated

import typer

from salesflow.cli.options import TABLE, FormatOpt, LimitOpt, OutputOpt, RecordFormatOpt, YesOpt
from salesflow.cli.render import confirm_added, emit, emit_record
from salesflow.cli.root import fail, group, open_book, tell
from salesflow.cli.startup import lazy
from salesflow.i18n import N_, _

if TYPE_CHECKING:
    from salesflow import db, techniques
else:
    db, techniques = lazy("db", "techniques")

technique_app = group("technique", "Closing techniques (成交技巧) and how often each one wins.")

TECHNIQUE_COLUMNS = [
    ("id", N_("ID")),
    ("name", N_("Technique")),
    ("label_zh", "中文"),
    ("description", N_("How")),
    ("builtin", N_("Built-in")),
    ("uses", N_("Deals")),
]
TechniqueArg = Annotated[
    str, typer.Argument(help="Technique: id, name or 中文名.", metavar="TECHNIQUE")
]
ZhOpt = Annotated[str | None, typer.Option("--zh", help="Its Chinese name, e.g. 假设成交.")]
DescriptionOpt = Annotated[str | None, typer.Option(help="How it is done.")]


@technique_app.command("add")
def technique_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short name.", metavar="NAME")],
    zh: ZhOpt = None,
    description: DescriptionOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Add a closing technique to the shared list.

    Example: salesflow technique add trial-close --zh 试探成交 --description "Ask a small yes first"
    """
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "technique add") as change:
            technique_id = techniques.add_technique(
                change, name, label_zh=zh, description=description
            )
        record = techniques.get_technique(conn, technique_id)
    confirm_added(
        _("Added closing technique #{id} {name}").format(id=record["id"], name=record["name"]),
        record,
        fmt,
    )


@technique_app.command("list")
def technique_list(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(help="Text in name or description.")] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List the closing techniques and how many deals each closed.

    Example: salesflow technique list
    """
    with open_book(ctx) as conn:
        rows = techniques.list_techniques(conn, search=search, limit=limit)
    emit(rows, TECHNIQUE_COLUMNS, fmt, destination, keys=techniques.TECHNIQUE_KEYS)


@technique_app.command("edit")
def technique_edit(
    ctx: typer.Context,
    technique: TechniqueArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    zh: Annotated[str | None, typer.Option("--zh", help="Chinese name ('' removes it).")] = None,
    description: Annotated[str | None, typer.Option(help="How it is done ('' removes it).")] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Correct a closing technique: name, Chinese name, description.

    Example: salesflow technique edit direct-close --description "Ask for the order, then wait"
    """
    with open_book(ctx, write=True) as conn:
        technique_id = techniques.find_technique(conn, technique)
        with db.change(conn, "technique edit") as change:
            techniques.edit_technique(
                change, technique_id, name=name, label_zh=zh, description=description
            )
        record = techniques.get_technique(conn, technique_id)
    tell(_("Updated closing technique #{id} {name}").format(id=technique_id, name=record["name"]))
    if fmt is not TABLE:
        emit_record(record, fmt, None, techniques.TECHNIQUE_KEYS)


@technique_app.command("delete")
def technique_delete(ctx: typer.Context, technique: TechniqueArg, yes: YesOpt = False) -> None:
    """Delete a closing technique; deals it closed keep their outcome (undo restores it).

    Example: salesflow technique delete trial-close --yes
    """
    with open_book(ctx, write=True) as conn:
        technique_id = techniques.find_technique(conn, technique)
        record = techniques.get_technique(conn, technique_id)
        if not yes and not typer.confirm(
            _("Delete closing technique {name}, recorded on {uses} deals?").format(
                name=record["name"], uses=record["uses"]
            ),
            err=True,
        ):
            fail(_("nothing deleted"), 1)
        with db.change(conn, "technique delete") as change:
            techniques.delete_technique(change, technique_id)
    tell(_("Deleted closing technique #{id} {name}").format(id=technique_id, name=record["name"]))
