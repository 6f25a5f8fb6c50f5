"""The salesflow command line: parse, call the domain, render. The only module that
talks to the terminal."""

import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from salesflow import book, db, inputs, output
from salesflow.errors import BadValue, SalesflowError


class SalesflowGroup(TyperGroup):
    """Turns every failure a user can cause into one `Error: …` line and its exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SalesflowError as error:
            fail(str(error), error.exit_code)
        except sqlite3.OperationalError as error:
            fail(database_error_message(error), 75 if "locked" in str(error) else 1)
        except sqlite3.DatabaseError as error:
            fail(database_error_message(error), 1)


def database_error_message(error: sqlite3.Error) -> str:
    text = str(error)
    if "locked" in text or "busy" in text:
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


@dataclass
class Session:
    db_option: str | None

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
def open_book(ctx: typer.Context, *, write: bool = False) -> Iterator[sqlite3.Connection]:
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
    rows: Sequence[dict[str, Any]],
    columns: Sequence[output.Column],
    fmt: Format,
    destination: Path | None,
    *,
    keys: Sequence[str],
    title: str | None = None,
) -> None:
    """Render records as a table, CSV or JSON on stdout or into a file."""
    if fmt is Format.json:
        text = output.to_json(list(rows))
    elif fmt is Format.csv:
        text = output.to_csv(rows, keys)
    elif destination is None and sys.stdout.isatty():
        rich_table(rows, columns, title)
        return
    else:
        text = output.plain_table(rows, columns)
    deliver(text, destination)


def deliver(text: str, destination: Path | None) -> None:
    if destination is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    output.write_private_file(destination, text.encode("utf-8"), force=True)
    tell(f"Wrote {destination}")


def rich_console() -> Any:
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False)


def rich_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[output.Column], title: str | None
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
        pairs = [{"field": key, "value": record.get(key)} for key in keys
                 if record.get(key) not in (None, [], {}, "", False)]  # fmt: skip
        emit(pairs, [("field", "Field"), ("value", "Value")], Format.table, destination, keys=keys)


def confirm_added(what: str, record: dict[str, Any], fmt: Format, label: str) -> None:
    tell(f"Added {what} #{record['id']} {label}".rstrip())
    if fmt is Format.json:
        deliver(output.to_json(record), None)
    elif fmt is Format.csv:
        deliver(output.to_csv([record], list(record)), None)


# ---------------------------------------------------------------- customers

CUSTOMER_COLUMNS = [
    ("id", "ID"), ("name", "Name"), ("company", "Company"), ("phone", "Phone"),
    ("owner", "Owner"), ("tier", "Tier"), ("tags", "Tags"),
    ("last_contact_at", "Last contact"), ("last_sale_on", "Last sale"),
]  # fmt: skip
TIMELINE_COLUMNS = [
    ("date", "Date"), ("kind", "Kind"), ("id", "#"), ("detail", "What"), ("by", "By"),
    ("amount", "Amount"),
]  # fmt: skip

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


def customer_fields(
    conn: sqlite3.Connection,
    *,
    name: str | None,
    text: dict[str, str | None],
    referred_by: str | None,
    tier: str | None,
    scores: dict[str, int | None],
    tags: list[str] | None,
    facts: list[str] | None,
    created: str | None,
    untag: list[str] | None = None,
    unset: list[str] | None = None,
) -> book.CustomerFields:
    referred_by_id = book.find_customer(conn, referred_by) if referred_by else None
    return book.CustomerFields(
        name=name,
        text={key: value for key, value in text.items() if value is not None},
        referred_by_id=referred_by_id,
        clear_referred_by=referred_by == "",
        tier=tier,
        scores={key: value for key, value in scores.items() if value is not None},
        add_tags=tuple(tags or ()),
        remove_tags=tuple(untag or ()),
        set_facts=tuple(inputs.parse_fact(fact) for fact in facts or ()),
        unset_facts=tuple(unset or ()),
        created=to_date(created),
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
    text = {
        "ref": ref, "company": company, "phone": phone, "email": email, "address": address,
        "source": source, "owner": owner, "department": department, "store": store,
        "economic": economic, "buying": buying, "suppliers": suppliers, "notes": notes,
    }  # fmt: skip
    scores = {"urgency": urgency, "quick_effect": quick_effect, "price_fit": price_fit}
    with open_book(ctx, write=True) as conn:
        fields = customer_fields(
            conn, name=name, text=text, referred_by=referred_by, tier=tier, scores=scores,
            tags=tag, facts=fact, created=created,
        )  # fmt: skip
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
            conn, tier=tier, owner=owner, tag=tag, source=source, store=store, search=search,
            limit=limit,
        )  # fmt: skip
    emit(rows, CUSTOMER_COLUMNS, fmt, destination, keys=book.CUSTOMER_KEYS)


@customer_app.command("show")
def customer_show(
    ctx: typer.Context, customer: CustomerArg, fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:  # fmt: skip
    """Show a customer's profile and timeline of contacts, purchases and deals.

    Example: salesflow customer show 张三
    """
    from salesflow import reports

    with open_book(ctx) as conn:
        record = book.get_customer(conn, book.find_customer(conn, customer))
        timeline = reports.customer_timeline(conn, record["id"])
    if fmt is Format.json:
        deliver(output.to_json({**record, "timeline": timeline}), destination)
    elif fmt is Format.csv:
        emit(timeline, TIMELINE_COLUMNS, fmt, destination, keys=list(TIMELINE_COLUMNS_KEYS))
    else:
        emit_record(record, fmt, destination, book.CUSTOMER_KEYS)
        if timeline and destination is None:
            sys.stdout.write("\n")
            emit(timeline, TIMELINE_COLUMNS, fmt, None, keys=TIMELINE_COLUMNS_KEYS,
                 title="Timeline")  # fmt: skip


TIMELINE_COLUMNS_KEYS = [key for key, _ in TIMELINE_COLUMNS]


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
    text = {
        "ref": ref, "company": company, "phone": phone, "email": email, "address": address,
        "source": source, "owner": owner, "department": department, "store": store,
        "economic": economic, "buying": buying, "suppliers": suppliers, "notes": notes,
    }  # fmt: skip
    scores = {"urgency": urgency, "quick_effect": quick_effect, "price_fit": price_fit}
    with open_book(ctx, write=True) as conn:
        customer_id = book.find_customer(conn, customer)
        fields = customer_fields(
            conn, name=name, text=text, referred_by=referred_by, tier=tier, scores=scores,
            tags=tag, facts=fact, created=created, untag=untag, unset=unset,
        )  # fmt: skip
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
    ("id", "ID"), ("at", "At"), ("customer", "Customer"), ("channel", "Channel"), ("by", "By"),
    ("summary", "Summary"), ("outcome", "Outcome"), ("next_at", "Next"),
]  # fmt: skip


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
                change, customer_id, summary, at=moment, channel=channel.value, by=by,
                outcome=outcome, next_at=follow_up, deal_id=deal,
            )  # fmt: skip
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
            conn, customer_id=customer_id, start=to_date(start), end=to_date(end), by=by,
            channel=channel.value if channel else None, limit=limit,
        )  # fmt: skip
    emit(rows, CONTACT_COLUMNS, fmt, destination, keys=book.CONTACT_KEYS)


# ---------------------------------------------------------------- products

PRODUCT_COLUMNS = [
    ("id", "ID"), ("name", "Name"), ("sku", "SKU"), ("category", "Category"),
    ("price", "Price"), ("cycle_days", "Cycle days"),
]  # fmt: skip


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
                change, name, sku=sku, category=category, price_cents=price_cents,
                cycle_days=cycle_days,
            )  # fmt: skip
        record = book.get_product(conn, product_id)
    confirm_added("product", record, fmt, record["name"])


@product_app.command("list")
def product_list(
    ctx: typer.Context, limit: LimitOpt = None, fmt: FormatOpt = Format.table,
    destination: OutputOpt = None,
) -> None:  # fmt: skip
    """List products by name.

    Example: salesflow product list --format csv
    """
    with open_book(ctx) as conn:
        rows = book.list_products(conn, limit=limit)
    emit(rows, PRODUCT_COLUMNS, fmt, destination, keys=book.PRODUCT_KEYS)


# ---------------------------------------------------------------- sales

SALE_COLUMNS = [
    ("id", "ID"), ("date", "Date"), ("customer", "Customer"), ("product", "Product"),
    ("quantity", "Qty"), ("amount", "Amount"), ("rep", "Rep"), ("store", "Store"),
]  # fmt: skip


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
                change, customer_id, product_id, quantity=units, amount_cents=amount_cents,
                sale_date=when, rep=rep, department=department, store=store, deal_id=deal,
            )  # fmt: skip
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
            conn, start=to_date(start), end=to_date(end),
            customer_id=book.find_customer(conn, customer) if customer else None,
            product_id=book.find_product(conn, product) if product else None,
            rep=rep, limit=limit,
        )  # fmt: skip
    emit(rows, SALE_COLUMNS, fmt, destination, keys=book.SALE_KEYS)


# ---------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> None:
    """Console entry point: the last net, so nothing a user does ends in a traceback."""
    try:
        app(args=argv, prog_name="salesflow")
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
