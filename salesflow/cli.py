"""The salesflow command line: parse, call the domain, render. The only module that
talks to the terminal."""

from __future__ import annotations

import importlib
import itertools
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from salesflow.errors import BadValue, SalesflowError
from salesflow.errors import Conflict as SalesflowConflict


class Lazy:
    """A domain module imported on first use: `--help`, completion and the cron run of
    `remind` pay only for what they touch."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)  # introspection must not trigger the import
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


book, db, deals, demo, history, inputs, output, pipelines, reports, rules, settings, transfer = (
    Lazy(f"salesflow.{name}")
    for name in (
        "book",
        "db",
        "deals",
        "demo",
        "history",
        "inputs",
        "output",
        "pipelines",
        "reports",
        "rules",
        "settings",
        "transfer",
    )
)
Column = tuple[str, str]  # (key in the row, heading)


class SalesflowGroup(TyperGroup):
    """Turns every failure a user can cause into one `Error: …` line and its exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SalesflowError as error:
            fail(str(error), error.exit_code)
        except BrokenPipeError:
            raise
        except OSError as error:
            where = f" {error.filename}" if error.filename else ""
            fail(f"cannot use{where}: {error.strerror or error}", 1)
        except Exception as error:
            import sqlite3

            if not isinstance(error, sqlite3.DatabaseError):
                raise
            fail(database_error_message(error), 75 if is_busy(error) else 1)


def is_busy(error: Exception) -> bool:
    return type(error).__name__ == "OperationalError" and str(error) in (
        "database is locked",
        "database is busy",
        "database table is locked",
    )


def database_error_message(error: Exception) -> str:
    text = str(error)
    if is_busy(error):
        return "the database is busy (another salesflow is writing); try again"
    if "readonly" in text:
        return "the database file is read-only; nothing was changed"
    if "disk is full" in text or "disk I/O" in text:
        return f"the database could not be written ({text}); nothing was changed"
    if "malformed" in text or "not a database" in text:
        return "the database file is damaged; run `salesflow check` (nothing was changed)"
    return f"database error: {text}"


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
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
customer_app = typer.Typer(help="Add, find, show and change customers.", **APP_SETTINGS)
contact_app = typer.Typer(
    help="Read the contact log (write it with `salesflow log`).", **APP_SETTINGS
)
product_app = typer.Typer(
    help="Products you sell, with price and consumption cycle.", **APP_SETTINGS
)
sale_app = typer.Typer(help="Record and list sales (one order line each).", **APP_SETTINGS)
app.add_typer(customer_app, name="customer")
app.add_typer(contact_app, name="contact")
app.add_typer(product_app, name="product")
app.add_typer(sale_app, name="sale")


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


@contextmanager
def open_book(ctx: typer.Context, *, write: bool = False) -> Iterator[Any]:
    session: Session = ctx.find_root().obj
    conn = db.open_db(session.path, write=write)
    try:
        yield conn
    finally:
        conn.close()


# ---------------------------------------------------------------- shared options


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class Channel(StrEnum):
    call = "call"
    visit = "visit"
    email = "email"
    sms = "sms"
    wechat = "wechat"
    meeting = "meeting"
    showroom = "showroom"
    other = "other"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table (default), csv or json.")]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to FILE (mode 0600) instead of stdout.",
        metavar="FILE",
        dir_okay=False,
    ),
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Show at most N records.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
CustomerArg = Annotated[
    str,
    typer.Argument(
        help="Customer: id, #id, ref, phone, email or (part of) the name.", metavar="CUSTOMER"
    ),
]
DateOpt = Annotated[
    str | None,
    typer.Option(help="Date: YYYY-MM-DD, today, -2w, mon, 2026年3月5日…", metavar="DATE"),
]
ScoreOpt = Annotated[int | None, typer.Option(min=1, max=5, help="1–5.")]


def today() -> date:
    return inputs.today()


def to_date(text: str | None) -> date | None:
    return None if text is None else inputs.parse_date(text, today())


# ---------------------------------------------------------------- rendering


def emit(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[Column],
    fmt: Format,
    destination: Path | None,
    *,
    keys: Sequence[str],
    title: str | None = None,
) -> None:
    """Render records as a table, CSV or JSON on stdout or into a file; CSV and JSON
    stream, so a large listing never sits in memory whole."""
    if fmt is Format.json:
        deliver_chunks(output.json_chunks(rows), destination)
    elif fmt is Format.csv:
        deliver_chunks(output.csv_chunks(keys, rows), destination)
    elif destination is None and sys.stdout.isatty():
        rich_table(list(rows), columns, title)
    else:
        deliver(output.plain_table(list(rows), columns), destination)


def deliver(text: str, destination: Path | None) -> None:
    deliver_chunks((text,), destination)


def deliver_chunks(chunks: Iterable[str], destination: Path | None) -> None:
    if destination is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return
    output.write_private_stream(destination, chunks, force=True)
    tell(f"Wrote {destination}")


def rich_console() -> Any:
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False)


def rich_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[Column], title: str | None
) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, header_style="bold")
    for key, heading in columns:
        justify = "right" if output.numeric_column(rows, key) else "left"
        table.add_column(heading, justify=justify, overflow="fold")
    for row in rows:
        table.add_row(*(Text(output.display_text(row.get(key))) for key, _ in columns))
    rich_console().print(table)


def emit_record(
    record: dict[str, Any], fmt: Format, destination: Path | None, keys: Sequence[str]
) -> None:
    """One record: JSON object, one-row CSV, or a field/value listing."""
    if fmt is Format.json:
        deliver(output.to_json(record), destination)
    elif fmt is Format.csv:
        deliver(output.to_csv([record], keys), destination)
    else:
        pairs = [
            {"field": key, "value": record.get(key)}
            for key in keys
            if record.get(key) not in (None, [], {}, "", False)
        ]
        emit(pairs, [("field", "Field"), ("value", "Value")], Format.table, destination, keys=keys)


def confirm_added(what: str, record: dict[str, Any], fmt: Format, label: str) -> None:
    tell(f"Added {what} #{record['id']} {label}".rstrip())
    if fmt is Format.json:
        deliver(output.to_json(record), None)
    elif fmt is Format.csv:
        deliver(output.to_csv([record], list(record)), None)


# ---------------------------------------------------------------- customers

CUSTOMER_COLUMNS = [
    ("id", "ID"),
    ("name", "Name"),
    ("company", "Company"),
    ("phone", "Phone"),
    ("owner", "Owner"),
    ("tier", "Tier"),
    ("tags", "Tags"),
    ("last_contact_at", "Last contact"),
    ("last_sale_on", "Last sale"),
]
TIMELINE_KEYS = ["date", "kind", "id", "detail", "by", "amount"]
TIMELINE_COLUMNS = [
    ("date", "Date"),
    ("kind", "Kind"),
    ("id", "#"),
    ("detail", "What"),
    ("by", "By"),
    ("amount", "Amount"),
]

RefOpt = Annotated[str | None, typer.Option(help="External code, e.g. member-card number.")]
TextOpt = Annotated[str | None, typer.Option()]
SourceOpt = Annotated[
    str | None, typer.Option(help="How we found them: web, social, referral, event, cold-call…")
]
ReferredOpt = Annotated[
    str | None, typer.Option(help="The customer who referred them (a reference; '' clears).")
]
TierOpt = Annotated[
    str | None, typer.Option(help="A, B, C, D or none (locks it against grading); auto unlocks.")
]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", help="Add a tag (repeatable).")]
FactOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Profile fact KEY=VALUE, e.g. hobby=golf, birthday=03-05.",
        metavar="KEY=VALUE",
    ),
]
CreatedOpt = Annotated[
    str | None,
    typer.Option("--created", help="When the customer entered the book.", metavar="DATE"),
]


def customer_fields(conn: Any, options: dict[str, Any]) -> Any:
    """The profile a `customer add`/`edit` command line describes (its options by name)."""
    referred_by = options["referred_by"]
    return book.CustomerFields(
        name=options["name"],
        text={k: options[k] for k in book.CUSTOMER_TEXT_FIELDS if options[k] is not None},
        referred_by_id=book.find_customer(conn, referred_by) if referred_by else None,
        clear_referred_by=referred_by == "",
        tier=options["tier"],
        scores={k: options[k] for k in book.SCORE_FIELDS if options[k] is not None},
        add_tags=tuple(options["tag"] or ()),
        remove_tags=tuple(options.get("untag") or ()),
        set_facts=tuple(inputs.parse_fact(fact) for fact in options["fact"] or ()),
        unset_facts=tuple(options.get("unset") or ()),
        created=to_date(options["created"]),
    )


@customer_app.command("add")
def customer_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The customer's name.", metavar="NAME")],
    ref: RefOpt = None,
    company: TextOpt = None,
    phone: TextOpt = None,
    email: TextOpt = None,
    address: TextOpt = None,
    source: SourceOpt = None,
    referred_by: ReferredOpt = None,
    owner: Annotated[str | None, typer.Option(help="Salesperson who owns the customer.")] = None,
    department: TextOpt = None,
    store: Annotated[str | None, typer.Option(help="Sales point (门店).")] = None,
    tier: TierOpt = None,
    economic: Annotated[str | None, typer.Option(help="Economic situation.")] = None,
    buying: Annotated[str | None, typer.Option(help="Purchase characteristics.")] = None,
    suppliers: Annotated[str | None, typer.Option(help="Main suppliers, satisfaction.")] = None,
    urgency: ScoreOpt = None,
    quick_effect: ScoreOpt = None,
    price_fit: ScoreOpt = None,
    tag: TagOpt = None,
    fact: FactOpt = None,
    notes: TextOpt = None,
    created: CreatedOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a customer.

    Example: salesflow customer add 张三 --company 华为 --phone '138 0013 8000' --tag vip
    """
    options = dict(locals())  # every option, by name, for customer_fields
    with open_book(ctx, write=True) as conn:
        fields = customer_fields(conn, options)
        with db.change(conn, "customer add") as change:
            customer_id = book.add_customer(change, fields, today())
        record = book.get_customer(conn, customer_id)
    confirm_added("customer", record, fmt, record["name"])


@customer_app.command("list")
def customer_list(
    ctx: typer.Context,
    tier: Annotated[str | None, typer.Option(help="A, B, C, D or none.")] = None,
    owner: TextOpt = None,
    tag: Annotated[str | None, typer.Option(help="Only customers with this tag.")] = None,
    source: TextOpt = None,
    store: TextOpt = None,
    search: Annotated[
        str | None, typer.Option(help="Text in name, company, phone, email, ref or notes.")
    ] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """List customers, optionally filtered.

    Example: salesflow customer list --tier A --owner 李娜 --format csv -o a.csv
    """
    with open_book(ctx) as conn:
        rows = book.list_customers(
            conn,
            tier=tier,
            owner=owner,
            tag=tag,
            source=source,
            store=store,
            search=search,
            limit=limit,
        )
    emit(rows, CUSTOMER_COLUMNS, fmt, destination, keys=book.CUSTOMER_KEYS)


@customer_app.command("show")
def customer_show(
    ctx: typer.Context,
    customer: CustomerArg,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """Show a customer's profile and timeline of contacts, purchases and deals.

    Example: salesflow customer show 张三
    """
    with open_book(ctx) as conn:
        record = book.get_customer(conn, book.find_customer(conn, customer))
        timeline = reports.customer_timeline(conn, record["id"])
    if fmt is Format.json:
        deliver(output.to_json({**record, "timeline": timeline}), destination)
    elif fmt is Format.csv:
        emit(timeline, TIMELINE_COLUMNS, fmt, destination, keys=TIMELINE_KEYS)
    else:
        emit_record(record, fmt, destination, book.CUSTOMER_KEYS)
        if timeline and destination is None:
            sys.stdout.write("\n")
            emit(timeline, TIMELINE_COLUMNS, fmt, None, keys=TIMELINE_KEYS, title="Timeline")


@customer_app.command("edit")
def customer_edit(
    ctx: typer.Context,
    customer: CustomerArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    ref: RefOpt = None,
    company: TextOpt = None,
    phone: TextOpt = None,
    email: TextOpt = None,
    address: TextOpt = None,
    source: SourceOpt = None,
    referred_by: ReferredOpt = None,
    owner: TextOpt = None,
    department: TextOpt = None,
    store: TextOpt = None,
    tier: TierOpt = None,
    economic: TextOpt = None,
    buying: TextOpt = None,
    suppliers: TextOpt = None,
    urgency: ScoreOpt = None,
    quick_effect: ScoreOpt = None,
    price_fit: ScoreOpt = None,
    tag: TagOpt = None,
    untag: Annotated[list[str] | None, typer.Option("--untag", help="Remove a tag.")] = None,
    fact: FactOpt = None,
    unset: Annotated[
        list[str] | None, typer.Option("--unset", help="Remove a profile fact.", metavar="KEY")
    ] = None,
    notes: TextOpt = None,
    created: CreatedOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Change a customer; options not given stay as they are ('' clears a text field).

    Example: salesflow customer edit 张三 --tier A --set hobby=golf --unset title
    """
    options = dict(locals())  # every option, by name, for customer_fields
    with open_book(ctx, write=True) as conn:
        customer_id = book.find_customer(conn, customer)
        fields = customer_fields(conn, options)
        with db.change(conn, "customer edit") as change:
            book.edit_customer(change, customer_id, fields)
        record = book.get_customer(conn, customer_id)
    tell(f"Updated customer #{customer_id} {record['name']}")
    if fmt is not Format.table:
        emit_record(record, fmt, None, book.CUSTOMER_KEYS)


@customer_app.command("delete")
def customer_delete(ctx: typer.Context, customer: CustomerArg, yes: YesOpt = False) -> None:
    """Delete a customer with their contacts, sales and deals (undo can restore them).

    Example: salesflow customer delete '#12' --yes
    """
    with open_book(ctx, write=True) as conn:
        customer_id = book.find_customer(conn, customer)
        record = book.get_customer(conn, customer_id)
        counts = book.customer_history_counts(conn, customer_id)
        history = ", ".join(f"{count} {table}" for table, count in counts.items())
        if not yes and not typer.confirm(
            f"Delete customer #{customer_id} {record['name']} and {history}?", err=True
        ):
            fail("nothing deleted", 1)
        with db.change(conn, "customer delete") as change:
            book.delete_customer(change, customer_id)
    tell(f"Deleted customer #{customer_id} {record['name']}")


# ---------------------------------------------------------------- contacts

CONTACT_COLUMNS = [
    ("id", "ID"),
    ("at", "At"),
    ("customer", "Customer"),
    ("channel", "Channel"),
    ("by", "By"),
    ("summary", "Summary"),
    ("outcome", "Outcome"),
    ("next_at", "Next"),
]


@app.command("log")
def log_contact(
    ctx: typer.Context,
    customer: CustomerArg,
    summary: Annotated[str, typer.Argument(help="What happened.", metavar="SUMMARY")],
    channel: Annotated[Channel, typer.Option(help="How you were in touch.")] = Channel.call,
    at: Annotated[
        str | None, typer.Option(help="When (default now): a date, optionally HH:MM.")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who (default: the customer's owner).")] = None,
    outcome: TextOpt = None,
    next_at: Annotated[
        str | None, typer.Option("--next", help="Next follow-up date.", metavar="DATE")
    ] = None,
    deal: Annotated[int | None, typer.Option(help="The deal this contact was about (id).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Log a contact with a customer, and when to follow up.

    Example: salesflow log 张三 "Demo went well" --channel visit --next +1w
    """
    moment = inputs.parse_moment(at, today()) if at else inputs.now_moment(today())
    follow_up = to_date(next_at)
    with open_book(ctx, write=True) as conn:
        customer_id = book.find_customer(conn, customer)
        with db.change(conn, "log") as change:
            contact_id = book.log_contact(
                change,
                customer_id,
                summary,
                at=moment,
                channel=channel.value,
                by=by,
                outcome=outcome,
                next_at=follow_up,
                deal_id=deal,
            )
        record = book.get_contact(conn, contact_id)
    confirm_added("contact", record, fmt, f"with {record['customer']}")


@contact_app.command("list")
def contact_list(
    ctx: typer.Context,
    customer: Annotated[
        str | None, typer.Argument(help="Only this customer's contacts.", metavar="[CUSTOMER]")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="From DATE.", metavar="DATE")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Up to DATE.", metavar="DATE")] = None,
    by: Annotated[str | None, typer.Option(help="Only contacts by this salesperson.")] = None,
    channel: Annotated[Channel | None, typer.Option(help="Only this channel.")] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """List logged contacts, oldest first.

    Example: salesflow contact list 张三 --from -1m --channel visit
    """
    with open_book(ctx) as conn:
        customer_id = book.find_customer(conn, customer) if customer else None
        rows = book.list_contacts(
            conn,
            customer_id=customer_id,
            start=to_date(start),
            end=to_date(end),
            by=by,
            channel=channel.value if channel else None,
            limit=limit,
        )
    emit(rows, CONTACT_COLUMNS, fmt, destination, keys=book.CONTACT_KEYS)


# ---------------------------------------------------------------- products

PRODUCT_COLUMNS = [
    ("id", "ID"),
    ("name", "Name"),
    ("sku", "SKU"),
    ("category", "Category"),
    ("price", "Price"),
    ("cycle_days", "Cycle days"),
]


@product_app.command("add")
def product_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Product name (unique).", metavar="NAME")],
    sku: TextOpt = None,
    category: TextOpt = None,
    price: Annotated[str | None, typer.Option(help="Unit price, e.g. 1299.00 or ¥1,299.")] = None,
    cycle_days: Annotated[
        int | None, typer.Option(min=1, help="Days one unit lasts a customer (consumables).")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a product.

    Example: salesflow product add 洗发水 --sku SH-01 --price 89 --cycle-days 30
    """
    price_cents = inputs.parse_money(price) if price is not None else None
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "product add") as change:
            product_id = book.add_product(
                change,
                name,
                sku=sku,
                category=category,
                price_cents=price_cents,
                cycle_days=cycle_days,
            )
        record = book.get_product(conn, product_id)
    confirm_added("product", record, fmt, record["name"])


@product_app.command("list")
def product_list(
    ctx: typer.Context,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """List products by name.

    Example: salesflow product list --format csv
    """
    with open_book(ctx) as conn:
        rows = book.list_products(conn, limit=limit)
    emit(rows, PRODUCT_COLUMNS, fmt, destination, keys=book.PRODUCT_KEYS)


# ---------------------------------------------------------------- sales

SALE_COLUMNS = [
    ("id", "ID"),
    ("date", "Date"),
    ("customer", "Customer"),
    ("product", "Product"),
    ("quantity", "Qty"),
    ("amount", "Amount"),
    ("rep", "Rep"),
    ("store", "Store"),
]


@sale_app.command("add")
def sale_add(
    ctx: typer.Context,
    customer: CustomerArg,
    product: Annotated[
        str | None,
        typer.Argument(help="Product: id, SKU or (part of) the name.", metavar="[PRODUCT]"),
    ] = None,
    quantity: Annotated[str, typer.Option(help="Units sold (default 1).")] = "1",
    amount: Annotated[
        str | None, typer.Option(help="Total amount (default: price × quantity).")
    ] = None,
    sale_date: Annotated[
        str | None, typer.Option("--date", help="Sale date (default today).", metavar="DATE")
    ] = None,
    rep: Annotated[str | None, typer.Option(help="Default: the customer's owner.")] = None,
    department: Annotated[str | None, typer.Option(help="Default: the customer's.")] = None,
    store: Annotated[str | None, typer.Option(help="Default: the customer's.")] = None,
    deal: Annotated[int | None, typer.Option(help="The deal this sale closes (id).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a sale.

    Example: salesflow sale add 张三 洗发水 --quantity 2 --date yesterday
    """
    units = inputs.parse_quantity(quantity)
    amount_cents = inputs.parse_money(amount) if amount is not None else None
    when = to_date(sale_date) or today()
    with open_book(ctx, write=True) as conn:
        customer_id = book.find_customer(conn, customer)
        product_id = book.find_product(conn, product) if product else None
        with db.change(conn, "sale add") as change:
            sale_id = book.add_sale(
                change,
                customer_id,
                product_id,
                quantity=units,
                amount_cents=amount_cents,
                sale_date=when,
                rep=rep,
                department=department,
                store=store,
                deal_id=deal,
            )
        record = book.get_sale(conn, sale_id)
    confirm_added("sale", record, fmt, f"{record['amount']:.2f} for {record['customer']}")


@sale_app.command("list")
def sale_list(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="From DATE.", metavar="DATE")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Up to DATE.", metavar="DATE")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer.")] = None,
    product: Annotated[str | None, typer.Option(help="Only this product.")] = None,
    rep: Annotated[str | None, typer.Option(help="Only this salesperson.")] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """List sales, oldest first.

    Example: salesflow sale list --from 2026-01-01 --rep 李娜 --format json
    """
    with open_book(ctx) as conn:
        rows = book.list_sales(
            conn,
            start=to_date(start),
            end=to_date(end),
            customer_id=book.find_customer(conn, customer) if customer else None,
            product_id=book.find_product(conn, product) if product else None,
            rep=rep,
            limit=limit,
        )
    emit(rows, SALE_COLUMNS, fmt, destination, keys=book.SALE_KEYS)


# ---------------------------------------------------------------- pipelines and deals

pipeline_app = typer.Typer(
    help="Sales processes: stages, probabilities, checkpoints.", **APP_SETTINGS
)
deal_app = typer.Typer(help="Deals moving through a pipeline's stage gates.", **APP_SETTINGS)
stakeholder_app = typer.Typer(
    help="The customer's people and who of ours maintains them.", **APP_SETTINGS
)
objection_app = typer.Typer(
    help="A shared library of objections and answers that work.", **APP_SETTINGS
)
app.add_typer(pipeline_app, name="pipeline")
app.add_typer(deal_app, name="deal")
app.add_typer(stakeholder_app, name="stakeholder")
app.add_typer(objection_app, name="objection")


class Status(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"


class Role(StrEnum):
    decision_maker = "decision-maker"
    coach = "coach"
    influencer = "influencer"
    purchasing = "purchasing"
    technical = "technical"
    quality = "quality"
    user = "user"
    gatekeeper = "gatekeeper"


class Attitude(StrEnum):
    supporter = "supporter"
    neutral = "neutral"
    opponent = "opponent"


class Outcome(StrEnum):
    worked = "worked"
    failed = "failed"


DealArg = Annotated[str, typer.Argument(help="Deal: id, #id or part of its title.", metavar="DEAL")]
PIPELINE_COLUMNS = [("name", "Pipeline"), ("builtin", "Built-in"), ("stages", "Stages")]
STAGE_COLUMNS = [
    ("key", "Stage"),
    ("label", "Label"),
    ("label_zh", "中文"),
    ("probability", "Prob %"),
    ("max_days", "Max days"),
    ("checkpoints", "Checklist (* required)"),
]
DEAL_COLUMNS = [
    ("id", "ID"),
    ("customer", "Customer"),
    ("title", "Title"),
    ("pipeline", "Pipeline"),
    ("stage", "Stage"),
    ("amount", "Amount"),
    ("probability", "Prob %"),
    ("expected_close", "Close"),
    ("owner", "Owner"),
    ("status", "Status"),
]
CHECKLIST_COLUMNS = [
    ("id", "Item"),
    ("stage", "Stage"),
    ("required", "Required"),
    ("done_at", "Done"),
    ("text", "Checkpoint"),
]
HISTORY_COLUMNS = [
    ("stage", "Stage"),
    ("entered_at", "Entered"),
    ("left_at", "Left"),
    ("by", "By"),
    ("forced", "Forced"),
    ("reason", "Reason"),
]
STAKEHOLDER_COLUMNS = [
    ("id", "ID"),
    ("name", "Name"),
    ("title", "Title"),
    ("role", "Role"),
    ("attitude", "Attitude"),
    ("owner", "Our owner"),
]
OBJECTION_COLUMNS = [
    ("id", "ID"),
    ("stage", "Stage"),
    ("text", "Objection"),
    ("response", "Response"),
    ("uses", "Uses"),
    ("worked", "Worked"),
    ("worked_pct", "Worked %"),
]


@pipeline_app.command("list")
def pipeline_list(
    ctx: typer.Context, fmt: FormatOpt = Format.table, destination: OutputOpt = None
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
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """Show a pipeline's stages, probabilities and checklists.

    Example: salesflow pipeline show key-account
    """
    with open_book(ctx) as conn:
        shown = pipelines.show_pipeline(conn, name)
    if fmt is Format.json:
        deliver(output.to_json(shown), destination)
        return
    rows = [
        {
            **stage,
            "checkpoints": [
                ("* " if i["required"] else "- ") + i["text"] for i in stage["checklist"]
            ],
        }
        for stage in shown["stages"]
    ]
    keys = ["key", "label", "label_zh", "probability", "max_days", "checkpoints"]
    emit(rows, STAGE_COLUMNS, fmt, destination, keys=keys, title=shown["name"])


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
    tell(f"Imported pipeline {pipeline.name} with {len(pipeline.stages)} stages")


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
    fmt: FormatOpt = Format.table,
) -> None:
    """Open a deal for a customer in a pipeline.

    Example: salesflow deal add 华为 "Data centre cabling" --amount 1,200,000 --close +3m
    """
    amount_cents = inputs.parse_money(amount) if amount is not None else None
    expected_close = to_date(close)
    with open_book(ctx, write=True) as conn:
        customer_id = book.find_customer(conn, customer)
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
            )
        record = deals.get_deal(conn, deal_id)
    confirm_added(
        "deal", record, fmt, f"{record['title']} ({record['pipeline']}: {record['stage']})"
    )


@deal_app.command("list")
def deal_list(
    ctx: typer.Context,
    pipeline: TextOpt = None,
    stage: TextOpt = None,
    owner: TextOpt = None,
    status: Annotated[Status | None, typer.Option(help="open, won or lost.")] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.table,
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
    emit(rows, DEAL_COLUMNS, fmt, destination, keys=deals.DEAL_KEYS)


@deal_app.command("show")
def deal_show(
    ctx: typer.Context, deal: DealArg, fmt: FormatOpt = Format.table, destination: OutputOpt = None
) -> None:
    """Show a deal: stage, checklist with item ids, stage history, stakeholder gaps.

    Example: salesflow deal show 3
    """
    with open_book(ctx) as conn:
        shown = deals.show_deal(conn, deals.find_deal(conn, deal))
    if fmt is Format.json:
        deliver(output.to_json(shown), destination)
        return
    emit_record(shown, fmt, destination, deals.DEAL_KEYS)
    if fmt is Format.table and destination is None:
        for title, rows, columns in (
            ("Checklist", shown["checklist"], CHECKLIST_COLUMNS),
            ("History", shown["history"], HISTORY_COLUMNS),
            ("Stakeholder gaps", shown["gaps"], [("message", "Gap")]),
        ):
            if rows:
                sys.stdout.write(f"\n{title}\n" if not sys.stdout.isatty() else "\n")
                emit(rows, columns, fmt, None, keys=[k for k, _ in columns], title=title)


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
    tell(
        f"{'Unchecked' if undo else 'Checked'} [{chosen['id']}] {chosen['text']} on deal #{deal_id}"
    )


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
    fmt: FormatOpt = Format.table,
) -> None:
    """Move a deal to its next stage once the current stage's checkpoint is met.

    Example: salesflow deal advance 3   (or: --to bidding --force --reason "tender moved up")
    """
    if force and not (reason or "").strip():
        raise BadValue("--force needs --reason to record why the gate was skipped")
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "deal advance") as change:
            moved = deals.advance(
                change, deal_id, to=to, force=force, reason=reason, by=by, today=today()
            )
        record = deals.get_deal(conn, deal_id)
    forced = (
        " (forced past: " + "; ".join(i["text"] for i in moved["missing"]) + ")"
        if moved["missing"]
        else ""
    )
    tell(f"Deal #{deal_id} is now at {record['stage']}, {record['probability']}%{forced}")
    if fmt is not Format.table:
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
    fmt: FormatOpt = Format.table,
) -> None:
    """Close a deal as won, optionally recording the sale.

    Example: salesflow deal won 3 --amount 1,150,000 --record-sale
    """
    amount_cents = inputs.parse_money(amount) if amount is not None else None
    when = to_date(on) or today()
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "deal won") as change:
            sale_id = deals.win(
                change, deal_id, amount_cents=amount_cents, on=when, record_sale=record_sale
            )
        record = deals.get_deal(conn, deal_id)
    tell(
        f"Won deal #{deal_id} {record['title']}"
        + (f"; recorded sale #{sale_id}" if sale_id else "")
    )
    if fmt is not Format.table:
        emit_record({**record, "sale_id": sale_id}, fmt, None, [*deals.DEAL_KEYS, "sale_id"])


@deal_app.command("lost")
def deal_lost(
    ctx: typer.Context,
    deal: DealArg,
    reason: Annotated[str, typer.Option(help="Why it was lost (required).")],
    on: Annotated[
        str | None, typer.Option("--date", help="Close date (default today).", metavar="DATE")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Close a deal as lost, with the reason.

    Example: salesflow deal lost 3 --reason "price 20% above competitor"
    """
    when = to_date(on) or today()
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal)
        with db.change(conn, "deal lost") as change:
            deals.lose(change, deal_id, reason=reason, on=when)
        record = deals.get_deal(conn, deal_id)
    tell(f"Lost deal #{deal_id} {record['title']}")
    if fmt is not Format.table:
        emit_record(record, fmt, None, deals.DEAL_KEYS)


@stakeholder_app.command("add")
def stakeholder_add(
    ctx: typer.Context,
    customer: CustomerArg,
    name: Annotated[str, typer.Argument(help="The person's name.", metavar="NAME")],
    role: Annotated[Role, typer.Option(help="Their part in the decision.")],
    title: Annotated[str | None, typer.Option(help="Job title, e.g. 采购部经理.")] = None,
    attitude: Annotated[Attitude | None, typer.Option(help="Towards us.")] = None,
    owner: Annotated[str | None, typer.Option(help="Our staff member who maintains them.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a person on the customer's side to the account map.

    Example: salesflow stakeholder add 华为 王总 --role decision-maker --owner 销售总监
    """
    with open_book(ctx, write=True) as conn:
        customer_id = book.find_customer(conn, customer)
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
    confirm_added("stakeholder", record, fmt, f"{record['name']} ({record['role']})")


@stakeholder_app.command("list")
def stakeholder_list(
    ctx: typer.Context,
    customer: CustomerArg,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """List a customer's stakeholders and who of ours maintains each.

    Example: salesflow stakeholder list 华为 --format json
    """
    with open_book(ctx) as conn:
        rows = deals.list_stakeholders(conn, book.find_customer(conn, customer))
    emit(rows, STAKEHOLDER_COLUMNS, fmt, destination, keys=deals.STAKEHOLDER_KEYS)


@objection_app.command("add")
def objection_add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The objection as customers say it.", metavar="TEXT")],
    response: Annotated[str, typer.Option(help="The answer that works (required).")],
    stage: Annotated[str | None, typer.Option(help="Stage where it comes up.")] = None,
    tag: TagOpt = None,
    fmt: FormatOpt = Format.table,
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
    confirm_added("objection", record, fmt, "")


@objection_app.command("list")
def objection_list(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(help="Text in objection, response or tags.")] = None,
    stage: TextOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.table,
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
    tell(
        f"Recorded: objection #{objection_id} {outcome.value} on deal #{deal_id} "
        f"({record['worked']}/{record['uses']} worked)"
    )


# ---------------------------------------------------------------- rules: tiers, targets, remind

config_app = typer.Typer(help="Reminder cadences and thresholds, tier thresholds.", **APP_SETTINGS)
app.add_typer(config_app, name="config")

AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Evaluate as of DATE (later records are ignored).", metavar="DATE"
    ),
]


class Kind(StrEnum):
    follow_up = "follow-up"
    no_contact = "no-contact"
    never_contacted = "never-contacted"
    used_up = "used-up"
    no_repurchase = "no-repurchase"
    never_purchased = "never-purchased"
    stale_deal = "stale-deal"
    close_overdue = "close-overdue"
    birthday = "birthday"


TIER_COLUMNS = [
    ("customer_id", "#"),
    ("customer", "Customer"),
    ("recency_days", "R days"),
    ("frequency", "F days"),
    ("monetary", "M amount"),
    ("r", "R"),
    ("f", "F"),
    ("m", "M"),
    ("score", "Score"),
    ("previous_tier", "Was"),
    ("tier", "Now"),
]
TIER_KEYS = [
    "customer_id",
    "customer",
    "recency_days",
    "frequency",
    "monetary",
    "r",
    "f",
    "m",
    "score",
    "tier",
    "previous_tier",
    "locked",
]
TARGET_KEYS = ["customer_id", "customer", "urgency", "quick_effect", "price_fit", "score", "tier"]
TARGET_COLUMNS = [
    ("customer_id", "#"),
    ("customer", "Customer"),
    ("urgency", "Urgency"),
    ("quick_effect", "Quick effect"),
    ("price_fit", "Price fit"),
    ("score", "Score"),
    ("tier", "Tier"),
]
REMINDER_COLUMNS = [
    ("customer_id", "#"),
    ("customer", "Customer"),
    ("tier", "Tier"),
    ("owner", "Owner"),
    ("due", "Due"),
    ("days_overdue", "Overdue"),
    ("detail", "Detail"),
]


@app.command("tiers")
def tiers(
    ctx: typer.Context,
    apply: Annotated[bool, typer.Option("--apply", help="Write the new tiers (undoable).")] = False,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """Grade members into tiers A–D by RFM; show counts and changes, --apply writes them.

    Example: salesflow tiers --apply
    """
    evaluated = to_date(as_of) or today()
    with open_book(ctx, write=apply) as conn:
        graded = rules.grade_members(conn, evaluated, settings.load(conn))
        counts = rules.tier_counts(conn, graded)
        if apply:
            with db.change(conn, "tiers --apply") as change:
                applied = rules.apply_tiers(change, graded)
    changes = rules.tier_changes(graded)
    if fmt is not Format.table:
        emit(graded, TIER_COLUMNS, fmt, destination, keys=TIER_KEYS)
    else:
        emit(
            counts,
            [("tier", "Tier"), ("customers", "Customers")],
            fmt,
            destination,
            keys=["tier", "customers"],
            title="Members per tier",
        )
        if changes and destination is None:
            sys.stdout.write("\nChanges\n" if not sys.stdout.isatty() else "\n")
            emit(changes, TIER_COLUMNS, fmt, None, keys=TIER_KEYS, title="Changes")
    if apply:
        tell(f"Applied {applied} tier changes")
    elif changes:
        tell(f"{len(changes)} tier changes; run `salesflow tiers --apply` to write them")


@app.command("targets")
def targets(
    ctx: typer.Context,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """Rank target customers by urgency + quick effect + price fit (选择目标客户).

    Example: salesflow targets --limit 20
    """
    with open_book(ctx) as conn:
        rows = rules.targets(conn, limit=limit)
    emit(rows, TARGET_COLUMNS, fmt, destination, keys=TARGET_KEYS)


@app.command("remind")
def remind(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    kind: Annotated[
        list[Kind] | None, typer.Option("--kind", help="Only this kind (repeatable).")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Only this salesperson's customers and deals.")
    ] = None,
    days_ahead: Annotated[
        int, typer.Option(min=0, max=3650, help="Also list follow-ups due in the next N days.")
    ] = 0,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """List who needs attention today; prints nothing at all when nothing is due (cron).

    Example: salesflow remind --kind follow-up --days-ahead 3
    """
    evaluated = to_date(as_of) or today()
    wanted = frozenset(k.value for k in kind) if kind else None
    with open_book(ctx) as conn:
        items = rules.reminders(
            conn,
            evaluated,
            config=settings.load(conn),
            kinds=wanted,
            owner=owner,
            days_ahead=days_ahead,
        )
        if fmt is not Format.table:
            emit(items, REMINDER_COLUMNS, fmt, destination, keys=rules.REMINDER_KEYS)
            return
        sections = [
            (f"{kind_name}: {len(rows)} due", rows)
            for kind_name, group in itertools.groupby(items, key=lambda item: item["kind"])
            for rows in [list(group)]
        ]
    if not sections:
        return  # cron mails nothing when nothing is due
    if destination is None and sys.stdout.isatty():
        for heading, rows in sections:
            rich_table(rows, REMINDER_COLUMNS, heading)
        return
    text = "\n".join(
        f"{heading}\n{output.plain_table(rows, REMINDER_COLUMNS)}" for heading, rows in sections
    )
    deliver(text, destination)


CONFIG_COLUMNS = [("key", "Key"), ("value", "Value"), ("default", "Default"), ("help", "Meaning")]


@config_app.command("list")
def config_list(
    ctx: typer.Context, fmt: FormatOpt = Format.table, destination: OutputOpt = None
) -> None:
    """Show every setting with its value and default.

    Example: salesflow config list
    """
    with open_book(ctx) as conn:
        rows = settings.list_settings(conn)
    emit(rows, CONFIG_COLUMNS, fmt, destination, keys=["key", "value", "default", "help"])


@config_app.command("get")
def config_get(
    ctx: typer.Context, key: Annotated[str, typer.Argument(metavar="KEY", help="Setting name.")]
) -> None:
    """Print one setting's value.

    Example: salesflow config get cadence.A
    """
    with open_book(ctx) as conn:
        value = settings.get(conn, key)
    deliver(f"{value}\n", None)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="Setting name (see config list).")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="A whole number.")],
) -> None:
    """Change a setting (validated; undoable).

    Example: salesflow config set no_repurchase.days 60
    """
    with open_book(ctx, write=True) as conn, db.change(conn, "config set") as change:
        stored = settings.set_value(change, key, value)
    tell(f"Set {key} = {stored}")


# ---------------------------------------------------------------- reports

report_app = typer.Typer(
    help="Sales, pipeline, funnel, activity and member reports.", **APP_SETTINGS
)
app.add_typer(report_app, name="report")


class Interval(StrEnum):
    year = "year"
    quarter = "quarter"
    month = "month"
    week = "week"
    day = "day"
    none = "none"


class Compare(StrEnum):
    prev = "prev"
    yoy = "yoy"


class PipelineBy(StrEnum):
    stage = "stage"
    owner = "owner"
    close_month = "close-month"


class ActivityBy(StrEnum):
    rep = "rep"
    channel = "channel"


class MemberBy(StrEnum):
    tier = "tier"
    source = "source"
    owner = "owner"
    store = "store"


FromOpt = Annotated[str | None, typer.Option("--from", help="First day.", metavar="DATE")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day.", metavar="DATE")]
YearOpt = Annotated[int | None, typer.Option("--year", help="A calendar year.", metavar="YYYY")]
MonthOpt = Annotated[
    str | None, typer.Option("--month", help="A calendar month.", metavar="YYYY-MM")
]
IntervalOpt = Annotated[Interval, typer.Option(help="Period length (ISO weeks for week).")]
CHART_WIDTH = 30


def period_range(start: str | None, end: str | None, year: int | None, month: str | None):

    return reports.report_range(
        today(), start=to_date(start), end=to_date(end), year=year, month=month
    )


def with_bars(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add a text bar per row, scaled to the largest amount."""
    largest = max((row["amount"] for row in rows), default=0) or 1
    return [{**row, "bar": "█" * round(CHART_WIDTH * row["amount"] / largest)} for row in rows]


@report_app.command("sales")
def report_sales(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    interval: IntervalOpt = Interval.month,
    by: Annotated[
        str | None,
        typer.Option(
            help="company, department, rep, store, product, category, customer, tier, "
            "source; several comma-separated.",
            metavar="DIM[,DIM]",
        ),
    ] = None,
    compare: Annotated[
        Compare | None,
        typer.Option(help="prev: against the period before (环比); yoy: a year earlier (同比)."),
    ] = None,
    chart: Annotated[bool, typer.Option("--chart", help="Draw a bar per row.")] = False,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """Sales per period by company, department, rep, store, product and more.

    Example: salesflow report sales --year 2026 --interval quarter --by department,rep --compare yoy
    """
    first, last = period_range(start, end, year, month)
    dims = reports.parse_dimensions(by)
    with open_book(ctx) as conn:
        rows = reports.sales_report(
            conn,
            start=first,
            end=last,
            interval=interval.value,
            by=dims,
            compare=compare.value if compare else None,
        )
    keys = ["period", *reports.dimension_keys(dims), "orders", "quantity", "amount"]
    if compare:
        keys += ["previous_amount", "change_pct"]
    if fmt is not Format.table:
        emit(rows, [], fmt, destination, keys=keys)
        return
    shown = [k for k in keys if not k.endswith("_id")]
    columns = [(key, key.replace("_", " ").capitalize()) for key in shown]
    table_rows = with_bars(rows) if chart else rows
    if chart:
        columns.append(("bar", ""))
    total = reports.sales_total(rows, bool(compare))
    emit(
        [*table_rows, total], columns, fmt, destination, keys=keys, title=f"Sales {first} … {last}"
    )


@report_app.command("pipeline")
def report_pipeline(
    ctx: typer.Context,
    by: Annotated[
        PipelineBy, typer.Option(help="Group open deals by stage, owner or close month.")
    ] = PipelineBy.stage,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """Open deals: count, amount and probability-weighted amount.

    Example: salesflow report pipeline --by close-month
    """
    with open_book(ctx) as conn:
        rows = reports.pipeline_report(conn, by=by.value)
    keys = [k for k, _ in reports.PIPELINE_GROUPS[by.value]] + [
        "count",
        "amount",
        "weighted_amount",
    ]
    emit(rows, [(k, k.replace("_", " ").capitalize()) for k in keys], fmt, destination, keys=keys)


FUNNEL_KEYS = [
    "pipeline",
    "stage",
    "reached",
    "advanced",
    "conversion_pct",
    "avg_days",
    "won",
    "lost",
    "win_rate_pct",
]


@report_app.command("funnel")
def report_funnel(
    ctx: typer.Context,
    pipeline: Annotated[
        str | None, typer.Option(help="One pipeline (default: all with deals).")
    ] = None,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """Stage funnel: reached, conversion to the next stage, days in stage, win rate.

    Example: salesflow report funnel --pipeline key-account
    """
    with open_book(ctx) as conn:
        rows = reports.funnel_report(conn, today(), pipeline)
    columns = [(k, k.replace("_", " ").capitalize()) for k in FUNNEL_KEYS]
    emit(rows, columns, fmt, destination, keys=FUNNEL_KEYS)


@report_app.command("activity")
def report_activity(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    interval: IntervalOpt = Interval.month,
    by: Annotated[ActivityBy, typer.Option(help="Per salesperson or channel.")] = ActivityBy.rep,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """Contacts logged per period and salesperson (or channel).

    Example: salesflow report activity --month 2026-03 --interval week --by channel
    """
    first, last = period_range(start, end, year, month)
    with open_book(ctx) as conn:
        rows = reports.activity_report(
            conn, start=first, end=last, interval=interval.value, by=by.value
        )
    keys = ["period", by.value, "contacts"]
    emit(rows, [(k, k.capitalize()) for k in keys], fmt, destination, keys=keys)


@report_app.command("customers")
def report_customers(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    by: Annotated[
        MemberBy, typer.Option(help="Group members by tier, source, owner or store.")
    ] = MemberBy.tier,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """Member statistics: customers, new in the period, buying, amount.

    Example: salesflow report customers --by source --year 2026
    """
    first, last = period_range(start, end, year, month)
    with open_book(ctx) as conn:
        rows = reports.customers_report(conn, start=first, end=last, by=by.value)
    keys = [by.value, "customers", "new", "buying", "amount"]
    emit(rows, [(k, k.capitalize()) for k in keys], fmt, destination, keys=keys)


# ---------------------------------------------------------------- demo


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
    made = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    tell(f"Demo book ready: {made}")


# ---------------------------------------------------------------- data in and out


class ImportKind(StrEnum):
    customers = "customers"
    products = "products"
    sales = "sales"
    contacts = "contacts"


class ExportKind(StrEnum):
    customers = "customers"
    products = "products"
    sales = "sales"
    contacts = "contacts"
    deals = "deals"


class Encoding(StrEnum):
    auto = "auto"
    utf8 = "utf-8"
    gb18030 = "gb18030"


class OnDuplicate(StrEnum):
    error = "error"
    skip = "skip"
    update = "update"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


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
            help="A CSV file with a header row.", metavar="FILE", exists=True, dir_okay=False
        ),
    ],
    encoding: Annotated[
        Encoding, typer.Option(help="auto: UTF-8 (BOM or not), else GB18030.")
    ] = Encoding.auto,
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
            help="With --skip-invalid: write bad rows and reasons here.",
            metavar="FILE",
            dir_okay=False,
        ),
    ] = None,
    on_duplicate: Annotated[
        OnDuplicate, typer.Option(help="A row matching a record by ref, email or phone.")
    ] = OnDuplicate.error,
    create_customers: Annotated[
        bool, typer.Option("--create-customers", help="Add unknown customers of sales/contacts.")
    ] = False,
    again: Annotated[
        bool, typer.Option("--again", help="Import a sales/contacts file already imported.")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import customers, products, sales or contacts from CSV (all-or-nothing by default).

    Example: salesflow import customers 会员.csv --on-duplicate update
    """
    if rejects is not None and not skip_invalid:
        raise BadValue("--rejects goes with --skip-invalid")
    if rejects is not None and not rejects.resolve().parent.is_dir():
        raise BadValue(
            f"--rejects {rejects}: the folder does not exist"
        )  # checked before importing
    options = transfer.ImportOptions(
        encoding=encoding.value,
        mapping=tuple(mapping or ()),
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        on_duplicate=on_duplicate.value,
        create_customers=create_customers,
        again=again,
    )
    try:
        with (
            open_book(ctx, write=not dry_run) as conn,
            progress_bar(f"Importing {path.name}") as bar,
            db.change(conn, f"import {kind.value}", references_checked=True) as change,
        ):
            result = transfer.import_file(
                change, kind.value, path, options, today=today(), progress=bar
            )
            if dry_run:
                raise DryRunDone(result)
    except DryRunDone as done:
        result = done.result
    except transfer.ImportRefused as refused:
        for line, reason, _ in refused.result.invalid:
            tell(f"line {line}: {reason}")
        raise
    report_import(result, rejects, fmt)


class DryRunDone(Exception):
    """Leaves the import transaction without writing (rolled back)."""

    def __init__(self, result: Any) -> None:
        super().__init__("dry run")
        self.result = result


def report_import(result: Any, rejects: Path | None, fmt: Format) -> None:

    if result.ignored_columns:
        tell(f"Ignored columns: {', '.join(result.ignored_columns)}")
    for line, reason, _ in result.invalid:
        tell(f"line {line}: {reason}")
    if rejects is not None and result.invalid:
        output.write_private_file(rejects, transfer.rejects_csv(result).encode("utf-8"), force=True)
    verb = "Would import" if result.dry_run else "Imported"
    parts = [f"{verb} {result.imported} {result.kind} from {result.file} ({result.encoding})"]
    for label, count in (
        ("updated", result.updated),
        ("unchanged", result.unchanged),
        ("skipped as duplicates", result.skipped),
        ("invalid rows skipped", len(result.invalid)),
        ("customers created", result.created_customers),
        ("products created", result.created_products),
    ):
        if count:
            parts.append(f"{count} {label}")
    if rejects is not None and result.invalid:
        parts.append(f"rejects in {rejects}")
    tell("; ".join(parts))
    if fmt is Format.json:
        deliver(output.to_json(result.summary()), None)


@app.command("export")
def export_command(
    ctx: typer.Context,
    kind: Annotated[ExportKind, typer.Argument(help="What to export.")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="csv (default) or json.")
    ] = ExportFormat.csv,
    destination: OutputOpt = None,
    excel: Annotated[
        bool, typer.Option("--excel", help="Start with a BOM so Excel reads Chinese.")
    ] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Do not defuse formula-like cells.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing FILE.")] = False,
) -> None:
    """Export records as CSV (Excel-safe) or JSON, to stdout or a private file.

    Example: salesflow export customers --excel -o customers.csv
    """
    if destination is not None and destination.exists() and not force:
        raise SalesflowConflict(f"{destination} already exists; use --force to overwrite it")
    with open_book(ctx) as conn:
        columns, rows = transfer.export_records(conn, kind.value)
        chunks = (
            output.json_chunks(rows)
            if fmt is ExportFormat.json
            else output.csv_chunks(columns, rows, raw=raw)
        )
        prefix = "\ufeff" if excel and fmt is ExportFormat.csv else ""
        if destination is None:
            sys.stdout.write(prefix)
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
            return
        output.write_private_stream(destination, (prefix, *chunks), force=force)
    tell(f"Exported {kind.value} to {destination}")


HISTORY_COLUMNS_LOG = [
    ("id", "#"),
    ("at", "When (UTC)"),
    ("command", "Command"),
    ("summary", "What"),
    ("records", "Records"),
    ("undone", "Undone"),
]


@app.command("history")
def history_command(
    ctx: typer.Context,
    limit: LimitOpt = None,
    fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:
    """List recorded changes, newest first.

    Example: salesflow history --limit 10
    """
    with open_book(ctx) as conn:
        rows = history.list_changes(conn, limit=limit)
    keys = ["id", "at", "command", "summary", "records", "undone"]
    emit(rows, HISTORY_COLUMNS_LOG, fmt, destination, keys=keys)


@app.command("undo")
def undo_command(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Revert the latest change: an edit, a deletion, a whole import, a merge, a tier run.

    Example: salesflow undo
    """
    with open_book(ctx, write=True) as conn:
        undone = history.undo_last(conn)
    tell(
        f"Undid change #{undone['id']} ({undone['command']}): {undone['summary'] or ''}".rstrip(
            ": "
        )
    )
    if fmt is Format.json:
        deliver(output.to_json(undone), None)


@customer_app.command("merge")
def customer_merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="The customer to keep.", metavar="KEEP")],
    duplicate: Annotated[
        str, typer.Argument(help="The duplicate to fold in and delete.", metavar="DUPLICATE")
    ],
    yes: YesOpt = False,
) -> None:
    """Merge a duplicate customer into another, moving all history (undo reverses it).

    Example: salesflow customer merge '#12' '#57' --yes
    """
    with open_book(ctx, write=True) as conn:
        keep_id, duplicate_id = book.find_customer(conn, keep), book.find_customer(conn, duplicate)
        keeper, other = book.get_customer(conn, keep_id), book.get_customer(conn, duplicate_id)
        if not yes and not typer.confirm(
            f"Merge #{duplicate_id} {other['name']} into #{keep_id} {keeper['name']}?", err=True
        ):
            fail("nothing merged", 1)
        with db.change(conn, "customer merge") as change:
            moved = book.merge_customers(change, keep_id, duplicate_id)
    detail = ", ".join(f"{count} {table}" for table, count in moved.items() if count)
    tell(f"Merged #{duplicate_id} into #{keep_id}" + (f" (moved {detail})" if detail else ""))


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
    session: Session = ctx.find_root().obj
    if not session.path.exists():
        fail(f"there is no database at {session.path} to back up", 1)
    with open_book(ctx) as conn:
        written = db.backup(conn, session.path, path)
    tell(f"Backed up to {written}")


@app.command("check")
def check_command(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Check the database file: integrity, schema version, derived data; exit 1 if damaged.

    Example: salesflow check
    """
    session: Session = ctx.find_root().obj
    report = db.check(session.path)
    if fmt is Format.json:
        deliver(output.to_json(report), None)
    else:
        lines = [
            f"file: {report['file']}",
            f"schema: {report['schema_version']} (this salesflow: {report['latest_version']})",
        ]
        lines += [
            f"{table}: {report[table]}"
            for table in ("customers", "contacts", "products", "sales", "deals")
            if table in report
        ]
        lines += [f"problem: {problem}" for problem in report["problems"]]
        lines.append("ok" if report["ok"] else "DAMAGED or unusable")
        deliver("\n".join(lines) + "\n", None)
    if not report["ok"]:
        fail(f"{session.path} failed the check: {report['problems'][0]}", 1)


# ---------------------------------------------------------------- entry point


def summary_only(info: Any) -> Any:
    """A stand-in for a command in the root help: its name and docstring, no options."""
    from typer.models import CommandInfo

    def stub() -> None:
        """Replaced by the real command whenever it is run."""

    stub.__doc__ = info.callback.__doc__
    return CommandInfo(name=command_name(info), callback=stub)


def command_name(info: Any) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


@contextmanager
def only_invoked(typer_app: typer.Typer, args: list[str]) -> Iterator[None]:
    """Trim the command tree to what `args` runs while Typer converts and runs it.

    Typer inspects the signature of every registered command at start-up; salesflow has
    dozens, and every cron run and tab completion would pay for all of them. The root help
    (no command named) keeps every command and group, without the groups' commands.
    """
    groups = [typer_app, *(group.typer_instance for group in typer_app.registered_groups)]
    saved = [(t, t.registered_commands, t.registered_groups) for t in groups]
    try:
        _trim(typer_app, args)
        yield
    finally:
        for owner, commands, subgroups in saved:
            owner.registered_commands, owner.registered_groups = commands, subgroups


def _trim(typer_app: typer.Typer, args: list[str]) -> None:
    words = iter(args)
    for word in words:
        if word == "--db":
            next(words, None)
        elif not word.startswith("-"):
            break
    else:
        # Root help: names and summaries only, so no command's options need converting.
        typer_app.registered_commands = [summary_only(c) for c in typer_app.registered_commands]
        for group in typer_app.registered_groups:
            group.typer_instance.registered_commands = []
        return
    commands = [c for c in typer_app.registered_commands if command_name(c) == word]
    groups = [g for g in typer_app.registered_groups if g.name == word]
    if not commands and not groups:
        return  # unknown: let the full tree report it
    typer_app.registered_commands, typer_app.registered_groups = commands, groups
    if groups:
        following = [arg for arg in args[args.index(word) + 1 :] if not arg.startswith("-")]
        sub_app = groups[0].typer_instance
        chosen = [
            c for c in sub_app.registered_commands if following and command_name(c) == following[0]
        ]
        if chosen:
            sub_app.registered_commands = chosen


def main(argv: list[str] | None = None) -> None:
    """Console entry point: the last net, so nothing a user does ends in a traceback."""
    args = sys.argv[1:] if argv is None else argv
    completing = any(name.endswith("_COMPLETE") for name in os.environ)
    try:
        with nullcontext() if completing else only_invoked(app, args):
            app(args=args, prog_name="salesflow")
    except SystemExit:
        raise
    except BrokenPipeError:
        # The reader (head, less) went away; say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BadValue as error:  # raised before a command ran (e.g. SALESFLOW_TODAY)
        sys.stderr.write(f"Error: {error}\n")
        raise SystemExit(error.exit_code) from None
    except Exception as error:
        if os.environ.get("SALESFLOW_DEBUG"):
            raise
        sys.stderr.write(
            f"Error: internal error ({type(error).__name__}); nothing more was changed. "
            "Set SALESFLOW_DEBUG=1 to see details.\n"
        )
        raise SystemExit(1) from None


def run() -> NoReturn:
    """The `salesflow` program: main(), then leave without tearing the interpreter down.

    Every module and object is about to vanish with the process; freeing them one by one
    costs about 15 ms, paid by every cron run and every tab completion. Output is flushed
    and every database connection was closed by its command, so nothing is lost.
    """
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away: nothing more to say
        code = code or 1
    os._exit(code)
