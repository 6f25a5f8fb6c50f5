"""Data in and out and the book itself: import, export, history, undo, backup, check, and
the demo book."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from salesflow.cli.options import (
    AUTO_ENCODING,
    ENGLISH_HEADERS,
    EXPORT_CSV,
    EXPORT_JSON,
    EXPORT_VCF,
    EXPORT_XLSX,
    JSON,
    REFUSE_DUPLICATES,
    TABLE,
    Encoding,
    ExportFormat,
    ExportKind,
    Format,
    FormatOpt,
    Headers,
    ImportKind,
    LimitOpt,
    OnDuplicate,
    OutputOpt,
    SummaryFormatOpt,
    workbook_needs_a_file,
)
from salesflow.cli.render import WORKBOOK_SUFFIX, counted, deliver, emit, record_kind
from salesflow.cli.root import app, fail, hint_text, open_book, session, tell, today
from salesflow.cli.startup import lazy
from salesflow.errors import BadValue, Conflict
from salesflow.i18n import N_, _

if TYPE_CHECKING:
    from salesflow import db, demo, exports, history, imports, output, workbook
else:
    db, demo, exports, history, imports, output, workbook = lazy(
        "db", "demo", "exports", "history", "imports", "output", "workbook"
    )


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many customers.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same book.")] = 1,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the records of a non-empty book (not undoable)."),
    ] = False,
) -> None:
    """Fill the database with a realistic demo book (dates relative to today).

    Example: salesflow --db /tmp/demo.db demo --customers 500 && salesflow --db /tmp/demo.db remind
    """
    with open_book(ctx, write=True) as conn, db.change(conn, "demo") as change:
        counts = demo.build(change, customers=customers, seed=seed, today=today(), force=force)
    made = ", ".join(counted(kind, count) for kind, count in counts.items())
    tell(_("Demo book ready: {records}").format(records=made))


@contextmanager
def progress_bar(label: str) -> Iterator[Any]:
    """A Rich progress bar on a terminal; nothing at all otherwise (cron, pipes)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@app.command("import")
def import_command(
    ctx: typer.Context,
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    path: Annotated[
        Path,
        typer.Argument(
            help="A CSV file or a workbook (.xlsx, .xls, .ods) with a header row; customers "
            "also from a phone's contacts (.vcf).",
            metavar="FILE",
            exists=True,
            dir_okay=False,
        ),
    ],
    sheet: Annotated[
        str | None,
        typer.Option(
            help="A workbook's sheet, by name or number (default: the first visible one).",
            metavar="NAME|NUMBER",
        ),
    ] = None,
    header_row: Annotated[
        int | None,
        typer.Option(
            "--header-row",
            min=1,
            help="A workbook's header row (default: the first non-empty one); rows above it, "
            "such as a merged title, are skipped.",
            metavar="N",
        ),
    ] = None,
    encoding: Annotated[
        Encoding, typer.Option(help="A CSV file's: auto is UTF-8 (BOM or not), else GB18030.")
    ] = AUTO_ENCODING,
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="Header SRC means FIELD.", metavar="SRC=FIELD")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; write nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the good rows.")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="With --skip-invalid: write bad rows and reasons here (.xlsx or CSV).",
            metavar="FILE",
            dir_okay=False,
        ),
    ] = None,
    on_duplicate: Annotated[
        OnDuplicate, typer.Option(help="A row matching a record by ref, email or phone.")
    ] = REFUSE_DUPLICATES,
    create_customers: Annotated[
        bool, typer.Option("--create-customers", help="Add unknown customers of sales/contacts.")
    ] = False,
    again: Annotated[
        bool, typer.Option("--again", help="Import a sales/contacts file already imported.")
    ] = False,
    fmt: SummaryFormatOpt = TABLE,
) -> None:
    """Import customers, products, sales or contacts from CSV, a workbook or .vcf (all or nothing).

    Example: salesflow import customers 会员.xlsx --header-row 3 --on-duplicate update
    """
    if rejects is not None and not skip_invalid:
        raise BadValue(_("--rejects goes with --skip-invalid"))
    if rejects is not None and not rejects.resolve().parent.is_dir():
        # checked before importing
        raise BadValue(_("--rejects {path}: the folder does not exist").format(path=rejects))
    if rejects is not None and rejects.suffix.lower() in set(workbook.WORKBOOK_SUFFIXES) - {
        WORKBOOK_SUFFIX
    }:
        raise BadValue(
            _("--rejects {path}: rejected rows are written as .xlsx or as CSV").format(path=rejects)
        )
    options = imports.ImportOptions(
        encoding=encoding.value,
        mapping=tuple(mapping or ()),
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        on_duplicate=on_duplicate.value,
        create_customers=create_customers,
        again=again,
        sheet=sheet,
        header_row=header_row,
    )
    try:
        with (
            open_book(ctx, write=not dry_run) as conn,
            progress_bar(_("Importing {file}").format(file=path.name)) as bar,
            db.change(conn, f"import {kind.value}", references_checked=True) as change,
        ):
            result = imports.import_file(
                change, kind.value, path, options, today=today(), progress=bar
            )
            if dry_run:
                raise DryRunDone(result)
    except DryRunDone as done:
        result = done.result
    except imports.ImportRefused as refused:
        tell_invalid(refused.result)
        tell_hints(refused.result.hints)
        raise
    report_import(result, rejects, fmt)


def tell_invalid(result: Any) -> None:
    """Each bad row with its reason: a CSV file's line, the row Excel shows, or a vCard
    file's card and line."""
    if result.cards:
        for line, reason, cells in result.invalid:
            tell(
                _("card {number} (line {line}): {reason}").format(
                    number=cells[0], line=line, reason=reason
                )
            )
        return
    where = _("line {line}: {reason}") if result.sheet is None else _("row {line}: {reason}")
    for line, reason, _cells in result.invalid:
        tell(where.format(line=line, reason=reason))


def tell_hints(hints: set[str]) -> None:
    for hint in sorted(hints):
        tell(_("hint: {text}").format(text=hint_text(hint)))


class DryRunDone(Exception):
    """Leaves the import transaction without writing (rolled back)."""

    def __init__(self, result: Any) -> None:
        super().__init__("dry run")
        self.result = result


def report_import(result: Any, rejects: Path | None, fmt: Format) -> None:

    if result.ignored_columns:
        tell(_("Ignored columns: {columns}").format(columns=", ".join(result.ignored_columns)))
    tell_invalid(result)
    tell_hints(result.hints)
    if rejects is not None and result.invalid:
        if rejects.suffix.lower() == WORKBOOK_SUFFIX:
            imports.write_rejects_workbook(result, rejects)
        elif result.cards and rejects.suffix.lower() in imports.VCARD_SUFFIXES:
            output.write_private_file(rejects, imports.rejects_vcf(result).encode(), force=True)
        else:
            rejects_text = imports.rejects_csv(result).encode("utf-8")
            output.write_private_file(rejects, rejects_text, force=True)
    source = (
        "vCard"
        if result.cards
        else result.encoding
        if result.sheet is None
        else _("sheet {sheet}").format(sheet=result.sheet)
    )
    imported = (
        _("Would import {count} {kind} from {file} ({source})")
        if result.dry_run
        else _("Imported {count} {kind} from {file} ({source})")
    )
    parts = [
        imported.format(
            count=result.imported, kind=record_kind(result.kind), file=result.file, source=source
        )
    ]
    for label, count in (
        (N_("{count} updated"), result.updated),
        (N_("{count} unchanged"), result.unchanged),
        (N_("{count} skipped as duplicates"), result.skipped),
        (N_("{count} invalid rows skipped"), len(result.invalid)),
        (N_("{count} customers created"), result.created_customers),
        (N_("{count} of them named by their number (ref and name)"), result.numbered_customers),
        (N_("{count} products created"), result.created_products),
    ):
        if count:
            parts.append(_(label).format(count=count))
    if rejects is not None and result.invalid:
        parts.append(_("rejects in {path}").format(path=rejects))
    tell("; ".join(parts))
    if fmt is JSON:
        deliver(output.to_json(result.summary()), None)


@app.command("export")
def export_command(
    ctx: typer.Context,
    kind: Annotated[ExportKind, typer.Argument(help="What to export.")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="csv (default), json, xlsx (the default for a FILE.xlsx; needs -o), or vcf "
            "(customers as phone contacts, vCard 3.0; the default for a FILE.vcf).",
            callback=workbook_needs_a_file,
        ),
    ] = None,
    destination: OutputOpt = None,
    excel: Annotated[
        bool, typer.Option("--excel", help="Start CSV with a BOM so Excel reads Chinese.")
    ] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Do not defuse formula-like cells.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing FILE.")] = False,
    headers: Annotated[
        Headers,
        typer.Option(
            "--headers",
            help="Column headings of CSV and workbooks: en (the field names) or zh (Chinese "
            "headings that import reads back).",
        ),
    ] = ENGLISH_HEADERS,
) -> None:
    """Export records as CSV (Excel-safe), JSON, a typed workbook or vCards, to stdout or a file.

    Example: salesflow export sales --headers zh -o sales.xlsx
    """
    fmt = export_format(fmt, destination)
    if headers.value != "en" and fmt not in (EXPORT_CSV, EXPORT_XLSX):
        raise BadValue(_("only CSV and workbooks have column headings to translate"))
    if fmt is EXPORT_VCF and kind.value != "customers":
        raise BadValue(_("only customers are exported as vCards (--format vcf)"))
    if destination is not None and destination.exists() and not force:
        raise Conflict(_("{path} already exists").format(path=destination), hint="force")
    with open_book(ctx) as conn:
        if fmt is EXPORT_VCF:
            export_cards(conn, destination, force=force)
            return
        columns, rows = exports.export_records(conn, kind.value)
        if fmt is EXPORT_XLSX:
            assert destination is not None  # the --format callback refuses xlsx without -o
            written = workbook.write_workbook(
                destination,
                kind.value,
                exports.workbook_columns(kind.value, columns, headers.value),
                rows,
                force=force,
            )
            tell(
                _("Exported {count} {kind} to {path}").format(
                    count=written, kind=record_kind(kind.value), path=destination
                )
            )
            return
        chunks = (
            output.json_chunks(rows)
            if fmt is EXPORT_JSON
            else output.csv_chunks(
                columns,
                rows,
                raw=raw,
                headings=exports.headings(kind.value, columns, headers.value),
            )
        )
        prefix = "\ufeff" if excel and fmt is EXPORT_CSV else ""
        if destination is None:
            sys.stdout.write(prefix)
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
            return
        output.write_private_stream(destination, (prefix, *chunks), force=force)
    tell(_("Exported {kind} to {path}").format(kind=record_kind(kind.value), path=destination))


def export_cards(conn: Any, destination: Path | None, *, force: bool) -> None:
    """The customers as vCard 3.0 cards (CRLF lines), to stdout or a private file."""
    cards = exports.customer_cards(conn)
    if destination is None:
        sys.stdout.flush()
        for card in cards:
            sys.stdout.buffer.write(card.encode("utf-8"))
        sys.stdout.buffer.flush()
        return
    output.write_private_stream(destination, cards, force=force)
    tell(_("Exported customers to {path}").format(path=destination))


def export_format(fmt: ExportFormat | None, destination: Path | None) -> ExportFormat:
    """The format asked for; without one, a workbook for a FILE.xlsx, vCards for a
    FILE.vcf, else CSV. CSV or JSON into a FILE.xlsx is refused: the file would not open."""
    named_workbook = destination is not None and destination.suffix.lower() == WORKBOOK_SUFFIX
    if fmt is None:
        if destination is not None and destination.suffix.lower() in (".vcf", ".vcard"):
            return EXPORT_VCF
        return EXPORT_XLSX if named_workbook else EXPORT_CSV
    if named_workbook and fmt is not EXPORT_XLSX:
        raise BadValue(
            _(
                "{path} is named as a workbook, but --format {format} writes text: use "
                "--format xlsx, or a name that does not end in .xlsx"
            ).format(path=destination, format=fmt.value)
        )
    return fmt


HISTORY_COLUMNS_LOG = [
    ("id", "#"),
    ("at", N_("When (UTC)")),
    ("command", N_("Command")),
    ("summary", N_("What")),
    ("records", N_("Records")),
    ("undone", N_("Undone")),
]


@app.command("history")
def history_command(
    ctx: typer.Context,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List recorded changes, newest first.

    Example: salesflow history --limit 10
    """
    with open_book(ctx) as conn:
        rows = history.list_changes(conn, limit=limit)
    keys = ["id", "at", "command", "summary", "records", "undone"]
    listed = [{key: row[key] for key in keys} for row in rows]
    if fmt is TABLE:  # for people: in their language (JSON, CSV, a workbook: as stored)
        for shown, row in zip(listed, rows, strict=True):
            shown["summary"] = history.worded(row)
    emit(listed, HISTORY_COLUMNS_LOG, fmt, destination, keys=keys)


@app.command("undo")
def undo_command(ctx: typer.Context, fmt: SummaryFormatOpt = TABLE) -> None:
    """Revert the latest change: an edit, a deletion, a whole import, a merge, a tier run.

    Example: salesflow undo
    """
    with open_book(ctx, write=True) as conn:
        undone = history.undo_last(conn)
    tell(
        _("Undid change #{id} ({command}): {summary}")
        .format(id=undone["id"], command=undone["command"], summary=history.worded(undone))
        .rstrip(": ")
    )
    if fmt is JSON:
        deliver(output.to_json({key: undone[key] for key in CHANGE_KEYS}), None)


@app.command("redo")
def redo_command(ctx: typer.Context, fmt: SummaryFormatOpt = TABLE) -> None:
    """Apply again the change undone last (until a new change is made).

    Example: salesflow undo && salesflow redo
    """
    with open_book(ctx, write=True) as conn:
        redone = history.redo_last(conn)
    tell(
        _("Redid change #{id} ({command}): {summary}")
        .format(id=redone["id"], command=redone["command"], summary=history.worded(redone))
        .rstrip(": ")
    )
    if fmt is JSON:
        deliver(output.to_json({key: redone[key] for key in CHANGE_KEYS}), None)


# What `undo` and `redo` say of the change in JSON (its summary in English, as stored).
CHANGE_KEYS = ("id", "command", "summary", "records")


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write (default: beside the database).", metavar="[PATH]", dir_okay=False
        ),
    ] = None,
) -> None:
    """Write a consistent copy of the database, even while it is in use.

    Example: salesflow backup ~/backups/crm-$(date +%F).db
    """
    book_path = session(ctx).path
    if not book_path.exists():
        fail(_("there is no database at {path} to back up").format(path=book_path), 1)
    with open_book(ctx) as conn:
        written = db.backup(conn, book_path, path)
    tell(_("Backed up to {path}").format(path=written))


@app.command("check")
def check_command(ctx: typer.Context, fmt: SummaryFormatOpt = TABLE) -> None:
    """Check the database file: integrity, schema version, derived data; exit 1 if damaged.

    Example: salesflow check
    """
    book_path = session(ctx).path
    report = db.check(book_path)
    if fmt is JSON:
        deliver(output.to_json(report), None)
    else:
        lines = [
            _("file: {path}").format(path=report["file"]),
            _("schema: {version} (this salesflow: {latest})").format(
                version=report["schema_version"], latest=report["latest_version"]
            ),
        ]
        lines += [
            _(CHECK_COUNTS[table]).format(count=report[table])
            for table in CHECK_COUNTS
            if table in report
        ]
        if report.get("upgrade_pending"):
            lines.append(_("written by an earlier salesflow: the next change upgrades it"))
        lines += [_("problem: {problem}").format(problem=said(p)) for p in report["problems"]]
        lines.append(_("ok") if report["ok"] else _("DAMAGED or unusable"))
        deliver("\n".join(lines) + "\n", None)
    if not report["ok"]:
        fail(
            _("{path} failed the check: {problem}").format(
                path=book_path, problem=said(report["problems"][0])
            ),
            1,
        )


def said(problem: str) -> str:
    """A problem `check` found, in the user's language."""
    return problem.said() if isinstance(problem, db.Problem) else problem


CHECK_COUNTS = {
    "customers": N_("customers: {count}"),
    "contacts": N_("contacts: {count}"),
    "products": N_("products: {count}"),
    "sales": N_("sales: {count}"),
    "deals": N_("deals: {count}"),
}
