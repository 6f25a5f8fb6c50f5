"""Pipeline, deal, stakeholder and objection commands: the sales processes and the deals
moving through their stage gates."""

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from salesflow.cli.options import (
    JSON,
    TABLE,
    Attitude,
    CustomerArg,
    DealArg,
    FormatOpt,
    LimitOpt,
    Outcome,
    OutputOpt,
    RecordFormatOpt,
    Role,
    Status,
    TagOpt,
    TextOpt,
    YesOpt,
)
from salesflow.cli.render import confirm_added, deliver, emit, emit_record, word
from salesflow.cli.root import fail, group, open_book, tell, to_date, today
from salesflow.cli.startup import lazy
from salesflow.errors import BadValue
from salesflow.i18n import N_, _, current_language

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable

    from salesflow import customers, db, deals, inputs, output, pipelines, techniques, units
else:
    customers, db, deals, inputs, output, pipelines, techniques, units = lazy(
        "customers", "db", "deals", "inputs", "output", "pipelines", "techniques", "units"
    )

pipeline_app = group("pipeline", "Sales processes: stages, probabilities, checkpoints.")
deal_app = group("deal", "Deals moving through a pipeline's stage gates.")
stakeholder_app = group("stakeholder", "The customer's people and who of ours maintains them.")
objection_app = group("objection", "A shared library of objections and answers that work.")

PIPELINE_COLUMNS = [("name", N_("Pipeline")), ("builtin", N_("Built-in")), ("stages", N_("Stages"))]
STAGE_COLUMNS = [
    ("key", N_("Stage")),
    ("label", N_("Label")),
    ("label_zh", "中文"),
    ("probability", N_("Prob %")),
    ("max_days", N_("Max days")),
    ("part", N_("Closing / delivery")),
    ("checkpoints", N_("Checklist (* required)")),
]
DEAL_COLUMNS = [
    ("id", N_("ID")),
    ("customer", N_("Customer")),
    ("title", N_("Title")),
    ("pipeline", N_("Pipeline")),
    ("stage", N_("Stage")),
    ("amount", N_("Amount")),
    ("probability", N_("Prob %")),
    ("expected_close", N_("Close")),
    ("owner", N_("Owner")),
    ("status", N_("Status")),
]
CHECKLIST_COLUMNS = [
    ("id", N_("Item")),
    ("stage", N_("Stage")),
    ("required", N_("Required")),
    ("done_at", N_("Done")),
    ("text", N_("Checkpoint")),
    ("note", N_("Note")),
]
HISTORY_COLUMNS = [
    ("stage", N_("Stage")),
    ("entered_at", N_("Entered")),
    ("left_at", N_("Left")),
    ("by", N_("By")),
    ("forced", N_("Forced")),
    ("reason", N_("Reason")),
]
DEAL_CONTACT_COLUMNS = [
    ("id", N_("ID")),
    ("at", N_("At")),
    ("channel", N_("Channel")),
    ("by", N_("By")),
    ("summary", N_("Summary")),
    ("outcome", N_("Outcome")),
    ("next_at", N_("Next")),
]
STAKEHOLDER_COLUMNS = [
    ("id", N_("ID")),
    ("customer", N_("Customer")),
    ("name", N_("Name")),
    ("title", N_("Title")),
    ("role", N_("Role")),
    ("attitude", N_("Attitude")),
    ("owner", N_("Our owner")),
    ("last_contact", N_("Last contact")),
]
QUESTION_COLUMNS = [
    ("number", "#"),
    ("stage", N_("Stage")),
    ("text", N_("Question")),
    ("answer", N_("Answer")),
    ("answered_on", N_("Answered")),
]
DEPOSIT_COLUMNS = [
    ("id", N_("ID")),
    ("paid_on", N_("Paid")),
    ("amount", N_("Amount")),
    ("note", N_("Note")),
]
COVERAGE_COLUMNS = [
    ("name", N_("Stakeholder")),
    ("role", N_("Role")),
    ("owner", N_("Our owner")),
    ("last_contact", N_("Last contact")),
]
UnitOpt = Annotated[
    str | None,
    typer.Option("--unit", help="The unit the deal is about (its code).", metavar="CODE"),
]
TechniqueOpt = Annotated[
    str | None,
    typer.Option(help="Closing technique used (name, 中文名 or id; see `technique list`)."),
]
OBJECTION_COLUMNS = [
    ("id", N_("ID")),
    ("stage", N_("Stage")),
    ("text", N_("Objection")),
    ("response", N_("Response")),
    ("uses", N_("Uses")),
    ("worked", N_("Worked")),
    ("worked_pct", N_("Worked %")),
]


def stage_words(conn: "sqlite3.Connection", pipeline_names: "Iterable[str]") -> dict[str, str]:
    """In Chinese, the Chinese label of each stage that has one, by `pipeline/key` (the
    built-in pipelines have them); in English nothing: tables show the stage keys."""
    if current_language() != "zh":
        return {}
    words = {}
    for name in set(pipeline_names):
        for stage in pipelines.show_pipeline(conn, name)["stages"]:
            if stage.get("label_zh"):
                words[f"{name}/{stage['key']}"] = stage["label_zh"]
    return words


def stage_word(words: dict[str, str], pipeline: str, stage: str | None) -> str | None:
    return words.get(f"{pipeline}/{stage}", stage)


@pipeline_app.command("list")
def pipeline_list(
    ctx: typer.Context, fmt: FormatOpt = TABLE, destination: OutputOpt = None
) -> None:
    """List the pipelines: the built-in templates and your own.

    Example: salesflow pipeline list
    """
    with open_book(ctx) as conn:
        rows = pipelines.list_pipelines(conn)
    emit(rows, PIPELINE_COLUMNS, fmt, destination, keys=["name", "builtin", "stages"])


@pipeline_app.command("show")
def pipeline_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pipeline name.", metavar="NAME")],
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Show a pipeline's stages, probabilities and checklists.

    Example: salesflow pipeline show key-account
    """
    with open_book(ctx) as conn:
        shown = pipelines.show_pipeline(conn, name)
    if fmt is JSON:
        deliver(output.to_json(shown), destination)
        return
    chinese = current_language() == "zh" and fmt is TABLE  # CSV keeps both labels
    rows = [
        {
            **stage,
            # in Chinese the label column shows the Chinese label where there is one
            "label": (stage["label_zh"] or stage["label"]) if chinese else stage["label"],
            "part": _("closing")
            if stage["closing"]
            else _("delivery")
            if stage["delivery"]
            else "",
            "checkpoints": [
                ("* " if i["required"] else "- ") + i["text"] for i in stage["checklist"]
            ],
        }
        for stage in shown["stages"]
    ]
    keys = [
        "key",
        "label",
        "label_zh",
        "probability",
        "max_days",
        "closing",
        "delivery",
        "checkpoints",
    ]
    columns = [c for c in STAGE_COLUMNS if not (chinese and c[0] == "label_zh")]
    emit(rows, columns, fmt, destination, keys=keys, title=shown["name"])


@pipeline_app.command("import")
def pipeline_import(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="A TOML file (format in the README).",
            metavar="FILE.toml",
            exists=True,
            dir_okay=False,
        ),
    ],
) -> None:
    """Add your own pipeline from a TOML file.

    Example: salesflow pipeline import renewal.toml
    """
    pipeline = pipelines.read_toml(path)
    with open_book(ctx, write=True) as conn:
        pipelines.ensure_builtins(conn)
        with db.change(conn, "pipeline import") as change:
            pipelines.import_pipeline(change, pipeline)
    tell(
        _("Imported pipeline {name} with {count} stages").format(
            name=pipeline.name, count=len(pipeline.stages)
        )
    )


@deal_app.command("add")
def deal_add(
    ctx: typer.Context,
    customer: CustomerArg,
    title: Annotated[str, typer.Argument(help="What the deal is.", metavar="TITLE")],
    pipeline: Annotated[str, typer.Option(help="Pipeline name.")] = "key-account",
    stage: Annotated[str | None, typer.Option(help="Starting stage (default: the first).")] = None,
    amount: Annotated[str | None, typer.Option(help="Expected amount.")] = None,
    close: Annotated[str | None, typer.Option(help="Expected close date.", metavar="DATE")] = None,
    owner: Annotated[str | None, typer.Option(help="Default: the customer's owner.")] = None,
    probability: Annotated[
        int | None, typer.Option(min=0, max=100, help="Override the stage's probability (%).")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Notes on the deal.")] = None,
    unit: UnitOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Open a deal for a customer in a pipeline (for one unit with --unit).

    Example: salesflow deal add 华为 "Data centre cabling" --amount 1,200,000 --close +3m
    """
    amount_cents = inputs.parse_money(amount) if amount is not None else None
    expected_close = to_date(close)
    with open_book(ctx, write=True) as conn:
        customer_id = customers.find_customer(conn, customer)
        unit_id = units.find_unit(conn, unit) if unit is not None else None
        with db.change(conn, "deal add") as change:
            deal_id = deals.add_deal(
                change,
                customer_id,
                title,
                pipeline=pipeline,
                stage=stage,
                amount_cents=amount_cents,
                expected_close=expected_close,
                owner=owner,
                probability=probability,
                today=today(),
                notes=notes,
                unit_id=unit_id,
            )
        record = deals.get_deal(conn, deal_id)
        words = stage_words(conn, [record["pipeline"]])
    confirm_added(
        _("Added deal #{id} {title} ({pipeline}: {stage})").format(
            id=record["id"],
            title=record["title"],
            pipeline=record["pipeline"],
            stage=stage_word(words, record["pipeline"], record["stage"]),
        ),
        record,
        fmt,
    )


@deal_app.command("list")
def deal_list(
    ctx: typer.Context,
    pipeline: TextOpt = None,
    stage: TextOpt = None,
    owner: TextOpt = None,
    status: Annotated[Status | None, typer.Option(help="open, won or lost.")] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List deals.

    Example: salesflow deal list --status open --pipeline key-account
    """
    with open_book(ctx) as conn:
        rows = deals.list_deals(
            conn,
            pipeline=pipeline,
            stage=stage,
            owner=owner,
            status=status.value if status else None,
            limit=limit,
        )
        words = stage_words(conn, [row["pipeline"] for row in rows]) if fmt is TABLE else {}
    if words:
        rows = [{**row, "stage": stage_word(words, row["pipeline"], row["stage"])} for row in rows]
    emit(rows, DEAL_COLUMNS, fmt, destination, keys=deals.DEAL_KEYS)


@deal_app.command("show")
def deal_show(
    ctx: typer.Context, deal: DealArg, fmt: FormatOpt = TABLE, destination: OutputOpt = None
) -> None:
    """Show a deal: stage, checklist with item ids, stage history, stakeholder gaps.

    Example: salesflow deal show 3
    """
    with open_book(ctx) as conn:
        shown = deals.show_deal(conn, deals.find_deal(conn, deal))
        words = stage_words(conn, [shown["pipeline"]]) if fmt is TABLE else {}
    if fmt is JSON:
        deliver(output.to_json(shown), destination)
        return
    if words:  # a table in Chinese: stages by their Chinese labels
        shown = chinese_stages(shown, words)
    emit_record(shown, fmt, destination, deals.DEAL_SHOW_KEYS)
    if fmt is TABLE and destination is None:
        for title, rows, columns in (
            (N_("Checklist"), shown["checklist"], CHECKLIST_COLUMNS),
            (N_("Standard questions"), shown["questions"], QUESTION_COLUMNS),
            (N_("Deposits"), shown["deposits"], DEPOSIT_COLUMNS),
            (N_("History"), shown["history"], HISTORY_COLUMNS),
            (N_("Contacts"), shown["contacts"], DEAL_CONTACT_COLUMNS),
            (N_("Stakeholder coverage"), shown["coverage"], COVERAGE_COLUMNS),
            (N_("Stakeholder gaps"), shown["gaps"], [("message", N_("Gap"))]),
        ):
            if rows:
                heading = _(title)
                sys.stdout.write(f"\n{heading}\n" if not sys.stdout.isatty() else "\n")
                keys = [key for key, _heading in columns]
                emit(rows, columns, fmt, None, keys=keys, title=heading)


def chinese_stages(shown: dict[str, Any], words: dict[str, str]) -> dict[str, Any]:
    """A shown deal with its stage, and those of its checklist, questions and history,
    named by their Chinese labels."""
    pipeline = shown["pipeline"]

    def relabel(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**row, "stage": stage_word(words, pipeline, row.get("stage"))} for row in rows]

    return {
        **shown,
        "stage_label": words.get(f"{pipeline}/{shown['stage']}", shown["stage_label"]),
        "checklist": relabel(shown["checklist"]),
        "questions": relabel(shown["questions"]),
        "history": relabel(shown["history"]),
    }


@deal_app.command("check")
def deal_check(
    ctx: typer.Context,
    deal: DealArg,
    item: Annotated[
        str, typer.Argument(help="Item id from `deal show`, or part of its text.", metavar="ITEM")
    ],
    undo: Annotated[bool, typer.Option("--undo", help="Untick the item.")] = False,
    note: TextOpt = None,
) -> None:
    """Tick off a checklist item (a milestone) of a deal.

    Example: salesflow deal check 3 "project information" --note "budget 2M confirmed"
    """
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "deal check") as change:
            chosen = deals.check_item(change, deal_id, item, undo=undo, note=note, today=today())
    message = (
        _("Unchecked [{item}] {text} on deal #{deal}")
        if undo
        else _("Checked [{item}] {text} on deal #{deal}")
    )
    tell(message.format(item=chosen["id"], text=chosen["text"], deal=deal_id))


@deal_app.command("advance")
def deal_advance(
    ctx: typer.Context,
    deal: DealArg,
    to: Annotated[str | None, typer.Option(help="Stage to move to (default: the next).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Pass an unmet gate (needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why the gate is skipped.")] = None,
    by: Annotated[str | None, typer.Option(help="Who moves it (default: the deal owner).")] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Move a deal to its next stage once the current stage's checkpoint is met.

    Example: salesflow deal advance 3   (or: --to bidding --force --reason "tender moved up")
    """
    if force and not (reason or "").strip():
        raise BadValue(_("--force needs --reason to record why the gate was skipped"))
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "deal advance") as change:
            moved = deals.advance(
                change, deal_id, to=to, force=force, reason=reason, by=by, today=today()
            )
        record = deals.get_deal(conn, deal_id)
        stage = stage_word(
            stage_words(conn, [record["pipeline"]]), record["pipeline"], record["stage"]
        )
    message = (
        _("Deal #{id} is now at {stage}, {probability}% (forced past: {missing})")
        if moved["missing"]
        else _("Deal #{id} is now at {stage}, {probability}%")
    )
    tell(
        message.format(
            id=deal_id,
            stage=stage,
            probability=record["probability"],
            missing="; ".join(i["text"] for i in moved["missing"]),
        )
    )
    if fmt is not TABLE:
        emit_record(record, fmt, None, deals.DEAL_KEYS)


@deal_app.command("won")
def deal_won(
    ctx: typer.Context,
    deal: DealArg,
    amount: Annotated[str | None, typer.Option(help="Final amount (default: the deal's).")] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="Close date (default today).", metavar="DATE")
    ] = None,
    record_sale: Annotated[
        bool, typer.Option("--record-sale", help="Also record the sale.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Win before the closing gate is met (needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why the gate is skipped.")] = None,
    by: Annotated[str | None, typer.Option(help="Who closes it (default: the deal owner).")] = None,
    contract: Annotated[
        str | None, typer.Option("--contract", help="The contract's number.", metavar="NO")
    ] = None,
    contract_amount: Annotated[
        str | None, typer.Option(help="The contract's amount (default: the deal's).")
    ] = None,
    technique: TechniqueOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Close a deal as won at its closing stage (its unit sold), optionally recording the sale.

    Example: salesflow deal won 3 --amount 1,150,000 --contract HT-2026-018 --technique 假设成交
    """
    if force and not (reason or "").strip():
        raise BadValue(_("--force needs --reason to record why the gate was skipped"))
    amount_cents = inputs.parse_money(amount) if amount is not None else None
    contract_cents = inputs.parse_money(contract_amount) if contract_amount is not None else None
    when = to_date(on) or today()
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        technique_id = techniques.find_technique(conn, technique) if technique else None
        with db.change(conn, "deal won") as change:
            won = deals.win(
                change,
                deal_id,
                amount_cents=amount_cents,
                on=when,
                record_sale=record_sale,
                force=force,
                reason=reason,
                by=by,
                contract_no=contract,
                contract_cents=contract_cents,
                technique_id=technique_id,
            )
        record = deals.show_deal(conn, deal_id)
    message = _("Won deal #{id} {title}").format(id=deal_id, title=record["title"])
    if record["unit_status"] == "sold":
        message += _("; unit {unit} sold").format(unit=record["unit"])
    if won["forced"]:
        message += _(" (forced past: {missing})").format(
            missing="; ".join(i["text"] for i in won["missing"]) or _("the closing stage")
        )
    if won["sale_id"]:
        message += _("; recorded sale #{id}").format(id=won["sale_id"])
    tell(message)
    if fmt is not TABLE:
        shown = {**record, "sale_id": won["sale_id"], "forced": won["forced"]}
        emit_record(shown, fmt, None, [*deals.DEAL_SHOW_KEYS, "sale_id", "forced"])


@deal_app.command("lost")
def deal_lost(
    ctx: typer.Context,
    deal: DealArg,
    reason: Annotated[str, typer.Option(help="Why it was lost (required).")],
    on: Annotated[
        str | None, typer.Option("--date", help="Close date (default today).", metavar="DATE")
    ] = None,
    technique: TechniqueOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Close a deal as lost, with the reason (its unit is free again).

    Example: salesflow deal lost 3 --reason "price 20% above competitor" --technique 压力成交
    """
    when = to_date(on) or today()
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        technique_id = techniques.find_technique(conn, technique) if technique else None
        with db.change(conn, "deal lost") as change:
            freed = deals.lose(change, deal_id, reason=reason, on=when, technique_id=technique_id)
        record = deals.get_deal(conn, deal_id)
    tell(_("Lost deal #{id} {title}").format(id=deal_id, title=record["title"]) + _freed(freed))
    if fmt is not TABLE:
        emit_record(record, fmt, None, deals.DEAL_KEYS)


@deal_app.command("edit")
def deal_edit(
    ctx: typer.Context,
    deal: DealArg,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    amount: Annotated[str | None, typer.Option(help="Expected amount ('' removes it).")] = None,
    close: Annotated[
        str | None, typer.Option(help="Expected close date ('' removes it).", metavar="DATE")
    ] = None,
    probability: Annotated[
        str | None,
        typer.Option(help="0-100, or 'stage' to follow the stage's again.", metavar="N|stage"),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Our salesperson ('' for nobody).")] = None,
    notes: Annotated[str | None, typer.Option(help="Notes on the deal ('' removes them).")] = None,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="The unit it is about ('' for none).", metavar="CODE"),
    ] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Correct a deal: title, amount, expected close, probability, owner, notes, unit.

    Example: salesflow deal edit 3 --close 2026-07-15 --probability stage
    """
    edit = deals.DealEdit(
        title=title,
        amount_cents=inputs.parse_money(amount) if amount else None,
        clear_amount=amount == "",
        expected_close=to_date(close) if close else None,
        clear_close=close == "",
        probability=_probability(probability),
        stage_probability=(probability or "").strip().lower() == "stage",
        owner=owner,
        notes=notes,
        clear_unit=unit is not None and not unit.strip(),
    )
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        if unit is not None and unit.strip():
            edit = replace(edit, unit_id=units.find_unit(conn, unit))
        with db.change(conn, "deal edit") as change:
            changed = deals.edit_deal(change, deal_id, edit)
        record = deals.get_deal(conn, deal_id)
    tell(
        _("Updated deal #{id} {title}: {fields}").format(
            id=deal_id, title=record["title"], fields=", ".join(changed) or _("no change")
        )
    )
    if fmt is not TABLE:
        emit_record(record, fmt, None, deals.DEAL_KEYS)


def _probability(text: str | None) -> int | None:
    """`--probability`: a whole percentage, or None for 'stage' and for no option."""
    if text is None or text.strip().lower() == "stage":
        return None
    if not text.strip().isdigit() or not 0 <= int(text) <= 100:
        raise BadValue(
            _(
                "--probability must be a whole number from 0 to 100, or 'stage'; got {value!r}"
            ).format(value=text)
        )
    return int(text)


@deal_app.command("delete")
def deal_delete(ctx: typer.Context, deal: DealArg, yes: YesOpt = False) -> None:
    """Delete a deal with its checklist, stage history and objection uses (undo restores
    them); contacts and sales logged for it stay, without the deal.

    Example: salesflow deal delete 3 --yes
    """
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        record = deals.get_deal(conn, deal_id)
        counts = deals.deal_dependants(conn, deal_id)
        if not yes and not typer.confirm(
            _(
                "Delete deal #{id} {title} with {checks} checks, {history} stage entries and "
                "{uses} objection uses, and untie {contacts} contacts and {sales} sales?"
            ).format(
                id=deal_id,
                title=record["title"],
                checks=counts["deal_checks"],
                history=counts["deal_history"],
                uses=counts["objection_uses"],
                contacts=counts["contacts"],
                sales=counts["sales"],
            ),
            err=True,
        ):
            fail(_("nothing deleted"), 1)
        with db.change(conn, "deal delete") as change:
            deals.delete_deal(change, deal_id)
    tell(_("Deleted deal #{id} {title}").format(id=deal_id, title=record["title"]))


ReasonOpt = Annotated[str | None, typer.Option(help="Why (required; kept in the stage history).")]
ByOpt = Annotated[str | None, typer.Option(help="Who moves it (default: the deal owner).")]


@deal_app.command("back")
def deal_back(
    ctx: typer.Context,
    deal: DealArg,
    reason: ReasonOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Return a deal to its previous stage, saying why.

    Example: salesflow deal back 3 --reason "budget not approved after all"
    """
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "deal back") as change:
            deals.back(change, deal_id, reason=reason, by=by, today=today())
        record = deals.get_deal(conn, deal_id)
    tell(
        _("Deal #{id} is back at {stage}, {probability}%").format(
            id=deal_id, stage=record["stage"], probability=record["probability"]
        )
    )
    if fmt is not TABLE:
        emit_record(record, fmt, None, deals.DEAL_KEYS)


@deal_app.command("reopen")
def deal_reopen(
    ctx: typer.Context,
    deal: DealArg,
    reason: ReasonOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Reopen a won or lost deal, saying why.

    Example: salesflow deal reopen 3 --reason "customer came back with a new budget"
    """
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "deal reopen") as change:
            reopened = deals.reopen(change, deal_id, reason=reason, by=by, today=today())
        record = deals.get_deal(conn, deal_id)
    message = _("Reopened deal #{id} at {stage}").format(id=deal_id, stage=record["stage"])
    message += _freed(reopened["freed_unit"])
    if reopened["sale_ids"]:
        message += _("; sale {sales} recorded for it is kept").format(
            sales=", ".join(f"#{sale_id}" for sale_id in reopened["sale_ids"])
        )
    tell(message)
    if fmt is not TABLE:
        shown = {**record, "sale_ids": reopened["sale_ids"]}
        emit_record(shown, fmt, None, [*deals.DEAL_KEYS, "sale_ids"])


def _freed(unit: str | None) -> str:
    return _("; unit {unit} is available again").format(unit=unit) if unit else ""


@deal_app.command("deposit")
def deal_deposit(
    ctx: typer.Context,
    deal: DealArg,
    amount: Annotated[str, typer.Argument(help="The deposit taken.", metavar="AMOUNT")],
    on: Annotated[
        str | None, typer.Option("--date", help="Day it was paid (default today).", metavar="DATE")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Receipt number, how it was paid…")] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Record a deposit (成交收订) on an open deal; its unit becomes reserved for it.

    Example: salesflow deal deposit 3 50,000 --date 2026-03-14 --note "receipt 0042"
    """
    cents = inputs.parse_money(amount)
    when = to_date(on) or today()
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "deal deposit") as change:
            units.record_deposit(change, deal_id, cents, on=when, note=note)
        record = deals.show_deal(conn, deal_id)
    message = _("Deposit {amount} on deal #{id} (deposits {total})").format(
        amount=output.display_text(inputs.cents_to_decimal(cents)),
        id=deal_id,
        total=output.display_text(record["deposit_total"]),
    )
    if record["unit"]:
        message += _("; unit {unit} {status}").format(
            unit=record["unit"], status=word("status", record["unit_status"] or "available")
        )
    tell(message)
    if fmt is not TABLE:
        emit_record(record, fmt, None, deals.DEAL_SHOW_KEYS)


@deal_app.command("answer")
def deal_answer(
    ctx: typer.Context,
    deal: DealArg,
    question: Annotated[
        str,
        typer.Argument(
            help="The question's number in `deal show`, or a unique part of it.",
            metavar="QUESTION",
        ),
    ],
    text: Annotated[str, typer.Argument(help="What the customer said.", metavar="TEXT")],
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Record the customer's answer to a standard question of the deal's pipeline.

    Example: salesflow deal answer 3 2 "对账太慢, 月底要加班三天"
    """
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "deal answer") as change:
            answered = deals.answer_question(change, deal_id, question, text, today=today())
        remaining = [q for q in deals.questions(conn, deal_id) if q["answer"] is None]
    tell(
        _("Answered question {number} of deal #{id}; {left} still open").format(
            number=answered["number"], id=deal_id, left=len(remaining)
        )
    )
    if fmt is not TABLE:
        keys = ["number", "stage", "text", "answer", "answered_on", "replaced"]
        emit_record(answered, fmt, None, keys)


@stakeholder_app.command("add")
def stakeholder_add(
    ctx: typer.Context,
    customer: CustomerArg,
    name: Annotated[str, typer.Argument(help="The person's name.", metavar="NAME")],
    role: Annotated[Role, typer.Option(help="Their part in the decision.")],
    title: Annotated[str | None, typer.Option(help="Job title, e.g. 采购部经理.")] = None,
    attitude: Annotated[Attitude | None, typer.Option(help="Towards us.")] = None,
    owner: Annotated[str | None, typer.Option(help="Our staff member who maintains them.")] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Add a person on the customer's side to the account map.

    Example: salesflow stakeholder add 华为 王总 --role decision-maker --owner 销售总监
    """
    with open_book(ctx, write=True) as conn:
        customer_id = customers.find_customer(conn, customer)
        with db.change(conn, "stakeholder add") as change:
            stakeholder_id = deals.add_stakeholder(
                change,
                customer_id,
                name,
                role=role.value,
                title=title,
                attitude=attitude.value if attitude else None,
                owner=owner,
            )
        record = deals.get_stakeholder(conn, stakeholder_id)
    confirm_added(
        _("Added stakeholder #{id} {name} ({role})").format(
            id=record["id"], name=record["name"], role=record["role"]
        ),
        record,
        fmt,
    )


@stakeholder_app.command("list")
def stakeholder_list(
    ctx: typer.Context,
    customer: Annotated[
        str | None,
        typer.Argument(
            help="Only this customer's (default: every customer's).", metavar="[CUSTOMER]"
        ),
    ] = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List stakeholders (one customer's, or all) and who of ours maintains each.

    Example: salesflow stakeholder list 华为 --format json
    """
    with open_book(ctx) as conn:
        customer_id = customers.find_customer(conn, customer) if customer is not None else None
        rows = deals.list_stakeholders(conn, customer_id)
    emit(rows, STAKEHOLDER_COLUMNS, fmt, destination, keys=deals.STAKEHOLDER_KEYS)


StakeholderArg = Annotated[int, typer.Argument(help="Stakeholder id.", metavar="ID")]


@stakeholder_app.command("edit")
def stakeholder_edit(
    ctx: typer.Context,
    stakeholder_id: StakeholderArg,
    name: Annotated[str | None, typer.Option(help="The person's name.")] = None,
    role: Annotated[Role | None, typer.Option(help="Their part in the decision.")] = None,
    title: Annotated[str | None, typer.Option(help="Job title ('' removes it).")] = None,
    attitude: Annotated[
        str | None, typer.Option(help="supporter, neutral or opponent ('' removes it).")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Our staff member who maintains them ('' for nobody).")
    ] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Correct a stakeholder: name, title, role, attitude, our owner.

    Example: salesflow stakeholder edit 4 --owner 销售总监 --attitude supporter
    """
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "stakeholder edit") as change:
            unticked = deals.edit_stakeholder(
                change,
                stakeholder_id,
                name=name,
                role=role.value if role else None,
                title=title,
                attitude=attitude,
                owner=owner,
            )
        record = deals.get_stakeholder(conn, stakeholder_id)
    tell(_("Updated stakeholder #{id} {name}").format(id=stakeholder_id, name=record["name"]))
    _tell_unticked(unticked)
    if fmt is not TABLE:
        emit_record(record, fmt, None, deals.STAKEHOLDER_KEYS)


@stakeholder_app.command("delete")
def stakeholder_delete(
    ctx: typer.Context, stakeholder_id: StakeholderArg, yes: YesOpt = False
) -> None:
    """Remove a person from the customer's account map.

    Example: salesflow stakeholder delete 4 --yes
    """
    with open_book(ctx, write=True) as conn:
        record = deals.get_stakeholder(conn, stakeholder_id)
        if not yes and not typer.confirm(
            _("Delete stakeholder #{id} {name}?").format(id=stakeholder_id, name=record["name"]),
            err=True,
        ):
            fail(_("nothing deleted"), 1)
        with db.change(conn, "stakeholder delete") as change:
            deleted = deals.delete_stakeholder(change, stakeholder_id)
    tell(_("Deleted stakeholder #{id} {name}").format(id=stakeholder_id, name=record["name"]))
    _tell_unticked(deleted["unticked"])


def _tell_unticked(unticked: list[dict[str, Any]]) -> None:
    for item in unticked:
        tell(
            _("Unticked [{item}] on deal #{deal}: no {roles} with an owner of ours now").format(
                item=item["item_id"], deal=item["deal_id"], roles=", ".join(item["missing"])
            )
        )


@objection_app.command("add")
def objection_add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The objection as customers say it.", metavar="TEXT")],
    response: Annotated[str, typer.Option(help="The answer that works (required).")],
    stage: Annotated[str | None, typer.Option(help="Stage where it comes up.")] = None,
    tag: TagOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Add a recurring objection and the answer to it.

    Example: salesflow objection add "太贵了" --response "算一笔经济账…" --stage proposal
    """
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "objection add") as change:
            objection_id = deals.add_objection(
                change, text, response=response, stage=stage, tags=tuple(tag or ())
            )
        record = deals.get_objection(conn, objection_id)
    confirm_added(_("Added objection #{id}").format(id=record["id"]), record, fmt)


@objection_app.command("list")
def objection_list(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(help="Text in objection, response or tags.")] = None,
    stage: TextOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List objections with how often each answer worked.

    Example: salesflow objection list --search 贵 --stage proposal
    """
    with open_book(ctx) as conn:
        rows = deals.list_objections(conn, search=search, stage=stage, limit=limit)
    emit(rows, OBJECTION_COLUMNS, fmt, destination, keys=deals.OBJECTION_KEYS)


@objection_app.command("use")
def objection_use(
    ctx: typer.Context,
    objection_id: Annotated[int, typer.Argument(help="Objection id.", metavar="ID")],
    deal: Annotated[str, typer.Option(help="The deal it came up in.")],
    outcome: Annotated[Outcome, typer.Option(help="Did the answer work?")],
) -> None:
    """Record that an objection's answer was used on a deal, and whether it worked.

    Example: salesflow objection use 2 --deal 3 --outcome worked
    """
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "objection use") as change:
            deals.use_objection(change, objection_id, deal_id, outcome=outcome.value, today=today())
        record = deals.get_objection(conn, objection_id)
    message = (
        _("Recorded: objection #{id} worked on deal #{deal} ({worked}/{uses} worked)")
        if outcome.value == "worked"
        else _("Recorded: objection #{id} failed on deal #{deal} ({worked}/{uses} worked)")
    )
    tell(
        message.format(id=objection_id, deal=deal_id, worked=record["worked"], uses=record["uses"])
    )


ObjectionArg = Annotated[int, typer.Argument(help="Objection id.", metavar="ID")]


@objection_app.command("edit")
def objection_edit(
    ctx: typer.Context,
    objection_id: ObjectionArg,
    text: Annotated[str | None, typer.Option(help="The objection as customers say it.")] = None,
    response: Annotated[str | None, typer.Option(help="The answer that works.")] = None,
    stage: Annotated[
        str | None, typer.Option(help="Stage where it comes up ('' removes it).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Replace the tags (repeatable; '' for none).")
    ] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Correct an objection: its text, response, stage or tags.

    Example: salesflow objection edit 2 --response "算一笔经济账…" --stage negotiation
    """
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "objection edit") as change:
            deals.edit_objection(
                change,
                objection_id,
                text=text,
                response=response,
                stage=stage,
                tags=None if tag is None else tuple(tag),
            )
        record = deals.get_objection(conn, objection_id)
    tell(_("Updated objection #{id}").format(id=objection_id))
    if fmt is not TABLE:
        emit_record(record, fmt, None, deals.OBJECTION_KEYS)


@objection_app.command("delete")
def objection_delete(ctx: typer.Context, objection_id: ObjectionArg, yes: YesOpt = False) -> None:
    """Delete an objection with the record of its uses (undo restores them).

    Example: salesflow objection delete 2 --yes
    """
    with open_book(ctx, write=True) as conn:
        record = deals.get_objection(conn, objection_id)
        if not yes and not typer.confirm(
            _("Delete objection #{id} and its {uses} recorded uses?").format(
                id=objection_id, uses=record["uses"]
            ),
            err=True,
        ):
            fail(_("nothing deleted"), 1)
        with db.change(conn, "objection delete") as change:
            deals.delete_objection(change, objection_id)
    tell(_("Deleted objection #{id}").format(id=objection_id))
