"""The root command, the book each command opens, and the one place where a failure
becomes an `Error: …` line and an exit code."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from salesflow.cli.startup import lazy
from salesflow.errors import SalesflowError
from salesflow.i18n import N_, _

if TYPE_CHECKING:
    import sqlite3

    from salesflow import db, inputs
else:
    db, inputs = lazy("db", "inputs")

# How the command line words the way out that a domain error names (SalesflowError.hint).
HINTS = {
    "amount": N_("give --amount"),
    "gate": N_("tick it with `salesflow deal check DEAL ITEM`, or use --force --reason"),
    "reason": N_("give --reason"),
    "force-replace": N_("use --force to replace them"),
    "again": N_("use --again to import it once more"),
    "skip-invalid": N_("fix them, or use --skip-invalid --rejects FILE"),
    "on-duplicate": N_("use --on-duplicate skip or update"),
    "map": N_("name the column or use --map SRC=FIELD"),
    "create-customers": N_("use --create-customers to add it"),
    "encoding": N_("try --encoding"),
    "force-reason": N_("--force needs --reason to record why the gate was skipped"),
    "force": N_("use --force to overwrite it"),
    "config-list": N_("`salesflow config list` shows them all"),
    "check": N_("run `salesflow check`"),
    "won": N_("close it with `salesflow deal won DEAL`"),
    "won-gate": N_(
        "advance it to its closing stage and tick what is missing with "
        "`salesflow deal check`, or use --force --reason"
    ),
    "reopen": N_("reopen it first with `salesflow deal reopen DEAL --reason TEXT`"),
    "deal-edit": N_("give --title, --amount, --close, --probability, --owner or --notes"),
    "stakeholder-edit": N_("change them with `salesflow stakeholder edit ID`"),
    "stakeholder-fields": N_("give --name, --role, --title, --attitude or --owner"),
    "objection-fields": N_("give --text, --response, --stage or --tag"),
    "unit-taken": N_("choose another unit with `salesflow unit list --status available`"),
    "unit-list": N_("`salesflow unit list` shows them, `salesflow unit add CODE` adds one"),
    "unit-fields": N_("give --code, --project, --kind, --area, --price or --notes"),
    "people-gate": N_(
        "add them with `salesflow stakeholder add CUSTOMER NAME --role ROLE "
        "--owner NAME`, or give one an owner with `salesflow stakeholder edit ID --owner NAME`"
    ),
    "answer": N_("record them with `salesflow deal answer DEAL QUESTION TEXT`"),
    "contract": N_("give --contract NO"),
    "technique-list": N_("`salesflow technique list` shows them"),
    "technique-fields": N_("give --name, --zh or --description"),
    "campaign-add": N_("add it with `salesflow campaign add NAME --channel CHANNEL`"),
    "stakeholder-add": N_("`salesflow stakeholder list CUSTOMER` shows them"),
    "product-fields": N_("give --name, --sku, --category, --price or --cycle-days"),
    "sale-fields": N_(
        "give --product, --quantity, --amount, --date, --rep, --department or --store"
    ),
    "contact-fields": N_("give --summary, --at, --channel, --by, --outcome, --next or --deal"),
    "force-product": N_("use --force to delete it and keep its name on those sales"),
    "next": N_("plan what is to come with --next DATE"),
}


def hint_text(hint: str | None) -> str | None:
    """How this command line gets out of what a domain error names."""
    found = HINTS.get(hint or "")
    return _(found) if found else None


def failure(error: BaseException) -> tuple[str, int] | None:
    """The message and exit code for a failure a user can cause; None for a bug."""
    if isinstance(error, SalesflowError):
        hint = hint_text(error.hint)
        if hint:
            return _("{message} ({hint})").format(message=error, hint=hint), error.exit_code
        return str(error), error.exit_code
    if isinstance(error, BrokenPipeError):
        return None
    if isinstance(error, UnicodeEncodeError) and error.reason == "surrogates not allowed":
        # bytes the terminal's encoding could not decode, typed where text belongs
        return _("an argument is not text in the terminal's encoding; check its locale"), 2
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        if error.filename:
            return _("cannot use {path}: {reason}").format(path=error.filename, reason=reason), 1
        return _("cannot use: {reason}").format(reason=reason), 1
    import sqlite3  # loaded by every command that opens a book; not by --help

    if isinstance(error, sqlite3.DatabaseError):
        return database_error_message(error), 75 if is_busy(error) else 1
    import json

    if isinstance(error, json.JSONDecodeError):
        # A stored JSON field that does not parse (a book edited by hand), as SQLite's own
        # "malformed JSON" is: `check` names the customers whose fields are not JSON.
        return _(DAMAGED), 1
    return None


DAMAGED = N_("the database file is damaged; run `salesflow check` (nothing was changed)")


def is_busy(error: Exception) -> bool:
    return type(error).__name__ == "OperationalError" and str(error) in (
        "database is locked",
        "database is busy",
        "database table is locked",
    )


def database_error_message(error: Exception) -> str:
    text = str(error)
    if is_busy(error):
        return _("the database is busy (another salesflow is writing); try again")
    if "readonly" in text:
        return _("the database file is read-only; nothing was changed")
    if "disk is full" in text or "disk I/O" in text:
        return _("the database could not be written ({reason}); nothing was changed").format(
            reason=text
        )
    if "malformed" in text or "not a database" in text:
        return _(DAMAGED)
    return _("database error: {reason}").format(reason=text)


class SalesflowGroup(TyperGroup):
    """Every command runs inside this group: a failure a user caused ends as one line."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except Exception as error:
            found = failure(error)
            if found is None:
                raise
            fail(*found)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(_("Error: {message}").format(message=message), err=True)
    raise typer.Exit(code)


def tell(message: str) -> None:
    """A message for the person, not for the pipe: stderr."""
    typer.echo(message, err=True)


APP_SETTINGS: dict[str, Any] = {
    "rich_markup_mode": None,
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
app = typer.Typer(
    name="salesflow",
    cls=SalesflowGroup,
    help="salesflow: customers, contacts, sales and deals in one local file.\n\n"
    "Example: salesflow customer add 张三 --phone '138 0013 8000' --owner 李娜",
    **APP_SETTINGS,
)


def group(name: str, help: str) -> typer.Typer:
    """A command group (`salesflow customer …`) registered under the root."""
    sub_app = typer.Typer(help=help, **APP_SETTINGS)
    app.add_typer(sub_app, name=name)
    return sub_app


class Session:
    """What the root options say, kept in the context until a command opens the book."""

    def __init__(self, db_option: str | None) -> None:
        self.db_option = db_option

    @property
    def path(self) -> Path:
        return db.resolve_path(self.db_option)


@app.callback()
def root(
    ctx: typer.Context,
    db_path: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database file (default: $SALESFLOW_DB, else the per-user data folder).",
            metavar="PATH",
        ),
    ] = None,
) -> None:
    """salesflow: a CRM for the terminal. The database opens in each command, never here,
    so --help and completion stay instant."""
    ctx.obj = Session(db_path)


def session(ctx: typer.Context) -> Session:
    found: Session = ctx.find_root().obj
    return found


@contextmanager
def open_book(ctx: typer.Context, *, write: bool = False) -> "Iterator[sqlite3.Connection]":
    conn = db.open_db(session(ctx).path, write=write)
    try:
        yield conn
    finally:
        conn.close()


def today() -> date:
    return inputs.today()


def to_date(text: str | None) -> date | None:
    return None if text is None else inputs.parse_date(text, today())
