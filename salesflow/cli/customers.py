"""Customer commands: add, list, show, edit, delete, merge; logging contacts and reading
the contact log."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from salesflow.cli.options import (
    CALL,
    CSV,
    JSON,
    TABLE,
    Channel,
    CustomerArg,
    FormatOpt,
    LimitOpt,
    OutputOpt,
    RecordFormatOpt,
    TagOpt,
    TextOpt,
    YesOpt,
)
from salesflow.cli.render import confirm_added, counted, deliver, emit, emit_record, needed_keys
from salesflow.cli.root import app, fail, group, open_book, tell, to_date, today
from salesflow.cli.startup import lazy
from salesflow.errors import BadValue
from salesflow.i18n import N_, _

if TYPE_CHECKING:
    import sqlite3

    from salesflow import contacts, customers, db, inputs, output, reminders, reports
    from salesflow.validate import CustomerFields
else:
    contacts, customers, db, inputs, output, reminders, reports = lazy(
        "contacts", "customers", "db", "inputs", "output", "reminders", "reports"
    )

customer_app = group("customer", "Add, find, show and change customers.")
contact_app = group("contact", "Read and correct the contact log (write it with `salesflow log`).")
ScoreOpt = Annotated[int | None, typer.Option(min=1, max=5, help="1–5.")]


CUSTOMER_COLUMNS = [
    ("id", N_("ID")),
    ("name", N_("Name")),
    ("company", N_("Company")),
    ("phone", N_("Phone")),
    ("owner", N_("Owner")),
    ("tier", N_("Tier")),
    ("tags", N_("Tags")),
    ("last_contact_at", N_("Last contact")),
    ("last_sale_on", N_("Last sale")),
]
TIMELINE_KEYS = ["date", "kind", "id", "detail", "by", "amount"]
TIMELINE_COLUMNS = [
    ("date", N_("Date")),
    ("kind", N_("Kind")),
    ("id", "#"),
    ("detail", N_("What")),
    ("by", N_("By")),
    ("amount", N_("Amount")),
]

STOPPED_COLUMNS = [
    ("product", N_("Product")),
    ("stopped_on", N_("Stopped")),
    ("last_bought", N_("Last bought")),
    ("note", N_("Note")),
]

RefOpt = Annotated[str | None, typer.Option(help="External code, e.g. member-card number.")]
SourceOpt = Annotated[
    str | None, typer.Option(help="How we found them: web, social, referral, event, cold-call…")
]
ReferredOpt = Annotated[
    str | None, typer.Option(help="The customer who referred them (a reference; '' clears).")
]
TierOpt = Annotated[
    str | None, typer.Option(help="A, B, C, D or none (locks it against grading); auto unlocks.")
]
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


def customer_fields(options: dict[str, Any]) -> "CustomerFields":
    """The profile a `customer add`/`edit` command line describes (its options by name)."""
    return customers.CustomerFields(
        name=options["name"],
        text={k: options[k] for k in customers.CUSTOMER_TEXT_FIELDS if options[k] is not None},
        tier=options["tier"],
        scores={k: options[k] for k in customers.SCORE_FIELDS if options[k] is not None},
        add_tags=tuple(options["tag"] or ()),
        remove_tags=tuple(options.get("untag") or ()),
        set_facts=tuple(inputs.parse_fact(fact) for fact in options["fact"] or ()),
        unset_facts=tuple(options.get("unset") or ()),
        created=to_date(options["created"]),
    )


def referrer(conn: "sqlite3.Connection", reference: str | None) -> int | None:
    """The customer `--referred-by` names ('' names nobody)."""
    return customers.find_customer(conn, reference) if reference else None


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
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Add a customer.

    Example: salesflow customer add 张三 --company 华为 --phone '138 0013 8000' --tag vip
    """
    options = dict(locals())  # every option, by name, for customer_fields
    with open_book(ctx, write=True) as conn:
        fields, referred_by_id = customer_fields(options), referrer(conn, referred_by)
        with db.change(conn, "customer add") as change:
            customer_id = customers.add_customer(
                change, fields, today(), referred_by_id=referred_by_id
            )
        record = customers.get_customer(conn, customer_id)
    confirm_added(
        _("Added customer #{id} {name}").format(id=record["id"], name=record["name"]), record, fmt
    )


@customer_app.command("list")
def customer_list(
    ctx: typer.Context,
    tier: Annotated[str | None, typer.Option(help="A, B, C, D or none.")] = None,
    owner: Annotated[
        str | None, typer.Option(help="Only this salesperson's customers ('' for nobody's).")
    ] = None,
    unowned: Annotated[bool, typer.Option("--unowned", help="Only customers nobody owns.")] = False,
    tag: Annotated[str | None, typer.Option(help="Only customers with this tag.")] = None,
    source: TextOpt = None,
    store: TextOpt = None,
    search: Annotated[
        str | None, typer.Option(help="Text in name, company, phone, email, ref or notes.")
    ] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List customers, optionally filtered.

    Example: salesflow customer list --tier A --owner 李娜 --format csv -o a.csv
    """
    if unowned and owner:
        raise BadValue(_("--unowned lists customers nobody owns; leave out --owner"))
    with open_book(ctx) as conn:
        rows = customers.list_customers(
            conn,
            tier=tier,
            owner="" if unowned else owner,
            tag=tag,
            source=source,
            store=store,
            search=search,
            limit=limit,
            keys=needed_keys(fmt, destination, CUSTOMER_COLUMNS, customers.CUSTOMER_KEYS),
        )
    emit(rows, CUSTOMER_COLUMNS, fmt, destination, keys=customers.CUSTOMER_KEYS)


@customer_app.command("show")
def customer_show(
    ctx: typer.Context,
    customer: CustomerArg,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Show a customer's profile and timeline of contacts, purchases and deals.

    Example: salesflow customer show 张三
    """
    with open_book(ctx) as conn:
        record = customers.get_customer(conn, customers.find_customer(conn, customer))
        timeline = reports.customer_timeline(conn, record["id"])
        stopped = reminders.stopped_products(conn, record["id"], today())
    if fmt is JSON:
        shown = {**record, "timeline": timeline, "stopped_reminders": stopped}
        deliver(output.to_json(shown), destination)
    elif fmt is CSV:
        emit(timeline, TIMELINE_COLUMNS, fmt, destination, keys=TIMELINE_KEYS)
    else:
        emit_record(record, fmt, destination, customers.CUSTOMER_KEYS)
        if timeline and destination is None:
            sys.stdout.write("\n")
            events = [{**event, "kind": timeline_kind(event["kind"])} for event in timeline]
            emit(events, TIMELINE_COLUMNS, fmt, None, keys=TIMELINE_KEYS, title=_("Timeline"))
        if stopped and destination is None:
            title = _("Used-up reminders stopped")
            sys.stdout.write("\n" if sys.stdout.isatty() else f"\n{title}\n")
            emit(stopped, STOPPED_COLUMNS, fmt, None, keys=list(stopped[0]), title=title)


# What a timeline event is, as its table names it (CSV and JSON keep the kind).
TIMELINE_KINDS = {
    "contact": N_("contact"),
    "sale": N_("sale"),
    "return": N_("return"),
    "deal": N_("deal"),
}


def timeline_kind(kind: str) -> str:
    return _(TIMELINE_KINDS[kind]) if kind in TIMELINE_KINDS else kind


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
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Change a customer; options not given stay as they are ('' clears a text field).

    Example: salesflow customer edit 张三 --tier A --set hobby=golf --unset title
    """
    options = dict(locals())  # every option, by name, for customer_fields
    with open_book(ctx, write=True) as conn:
        customer_id = customers.find_customer(conn, customer)
        fields, referred_by_id = customer_fields(options), referrer(conn, referred_by)
        with db.change(conn, "customer edit") as change:
            customers.edit_customer(
                change,
                customer_id,
                fields,
                referred_by_id=referred_by_id,
                clear_referred_by=referred_by == "",
            )
        record = customers.get_customer(conn, customer_id)
    tell(_("Updated customer #{id} {name}").format(id=customer_id, name=record["name"]))
    if fmt is not TABLE:
        emit_record(record, fmt, None, customers.CUSTOMER_KEYS)


@customer_app.command("delete")
def customer_delete(ctx: typer.Context, customer: CustomerArg, yes: YesOpt = False) -> None:
    """Delete a customer with their contacts, sales and deals (undo can restore them).

    Example: salesflow customer delete '#12' --yes
    """
    with open_book(ctx, write=True) as conn:
        customer_id = customers.find_customer(conn, customer)
        record = customers.get_customer(conn, customer_id)
        counts = customers.customer_history_counts(conn, customer_id)
        history = ", ".join(counted(table, count) for table, count in counts.items())
        if not yes and not typer.confirm(
            _("Delete customer #{id} {name} and {history}?").format(
                id=customer_id, name=record["name"], history=history
            ),
            err=True,
        ):
            fail(_("nothing deleted"), 1)
        with db.change(conn, "customer delete") as change:
            customers.delete_customer(change, customer_id)
    tell(_("Deleted customer #{id} {name}").format(id=customer_id, name=record["name"]))


CONTACT_COLUMNS = [
    ("id", N_("ID")),
    ("at", N_("At")),
    ("customer", N_("Customer")),
    ("channel", N_("Channel")),
    ("by", N_("By")),
    ("summary", N_("Summary")),
    ("outcome", N_("Outcome")),
    ("next_at", N_("Next")),
]


@app.command("log")
def log_contact(
    ctx: typer.Context,
    customer: CustomerArg,
    summary: Annotated[str, typer.Argument(help="What happened.", metavar="SUMMARY")],
    channel: Annotated[Channel, typer.Option(help="How you were in touch.")] = CALL,
    at: Annotated[
        str | None, typer.Option(help="When (default now): a date, optionally HH:MM.")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who (default: the customer's owner).")] = None,
    outcome: TextOpt = None,
    next_at: Annotated[
        str | None, typer.Option("--next", help="Next follow-up date.", metavar="DATE")
    ] = None,
    deal: Annotated[int | None, typer.Option(help="The deal this contact was about (id).")] = None,
    with_name: Annotated[
        str | None,
        typer.Option("--with", help="The stakeholder it was with (name or #id).", metavar="NAME"),
    ] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Log a contact with a customer, and when to follow up.

    Example: salesflow log 张三 "Demo went well" --channel visit --next +1w
    """
    now = inputs.now_moment(today())
    moment = inputs.parse_moment(at, today()) if at else now
    follow_up = to_date(next_at)
    with open_book(ctx, write=True) as conn:
        customer_id = customers.find_customer(conn, customer)
        with db.change(conn, "log") as change:
            contact_id = contacts.log_contact(
                change,
                customer_id,
                summary,
                at=moment,
                channel=channel.value,
                by=by,
                outcome=outcome,
                next_at=follow_up,
                deal_id=deal,
                with_name=with_name,
                now=now,
            )
        record = contacts.get_contact(conn, contact_id)
    confirm_added(
        _("Added contact #{id} with {customer}").format(
            id=record["id"], customer=record["customer"]
        ),
        record,
        fmt,
    )


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
    deal: Annotated[
        str | None, typer.Option(help="Only contacts logged for this deal (id or title).")
    ] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List logged contacts, oldest first.

    Example: salesflow contact list 张三 --from -1m --channel visit   (or: --deal 3)
    """
    with open_book(ctx) as conn:
        customer_id = customers.find_customer(conn, customer) if customer else None
        deal_id = None
        if deal is not None:
            from salesflow import deals  # a large module: only when a deal is named

            deal_id = deals.find_deal(conn, deal)
        rows = contacts.list_contacts(
            conn,
            customer_id=customer_id,
            start=to_date(start),
            end=to_date(end),
            by=by,
            channel=channel.value if channel else None,
            deal_id=deal_id,
            limit=limit,
            keys=needed_keys(fmt, destination, CONTACT_COLUMNS, contacts.CONTACT_KEYS),
        )
    emit(rows, CONTACT_COLUMNS, fmt, destination, keys=contacts.CONTACT_KEYS)


ContactIdArg = Annotated[
    int, typer.Argument(help="The contact's id (see `contact list`).", metavar="ID")
]


@contact_app.command("edit")
def contact_edit(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    summary: Annotated[str | None, typer.Option(help="What happened.")] = None,
    at: Annotated[
        str | None, typer.Option(help="When: a date, optionally HH:MM (not in the future).")
    ] = None,
    channel: Annotated[Channel | None, typer.Option(help="How you were in touch.")] = None,
    by: Annotated[str | None, typer.Option(help="Who ('' for the customer's owner).")] = None,
    outcome: Annotated[str | None, typer.Option(help="The outcome ('' removes it).")] = None,
    next_at: Annotated[
        str | None,
        typer.Option("--next", help="Next follow-up date ('' removes it).", metavar="DATE"),
    ] = None,
    deal: Annotated[
        str | None, typer.Option(help="The deal it was about: id or title ('' for none).")
    ] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Correct a logged contact: summary, time, channel, who, outcome, follow-up, deal.

    Example: salesflow contact edit 7 --at "2026-03-12 15:00" --next +1w
    """
    from salesflow import deals

    now = inputs.now_moment(today())
    with open_book(ctx, write=True) as conn:
        deal_id = deals.find_deal(conn, deal) if deal else None
        with db.change(conn, "contact edit") as change:
            changed = contacts.edit_contact(
                change,
                contact_id,
                now=now,
                summary=summary,
                at=inputs.parse_moment(at, today()) if at else None,
                channel=channel.value if channel else None,
                by=by,
                outcome=outcome,
                next_at=to_date(next_at) if next_at else None,
                clear_next=next_at == "",
                deal_id=deal_id,
                clear_deal=deal == "",
            )
        record = contacts.get_contact(conn, contact_id)
    tell(
        _("Updated contact #{id}: {fields}").format(
            id=contact_id, fields=", ".join(changed) or _("no change")
        )
    )
    if fmt is not TABLE:
        emit_record(record, fmt, None, contacts.CONTACT_KEYS)


@contact_app.command("delete")
def contact_delete(ctx: typer.Context, contact_id: ContactIdArg, yes: YesOpt = False) -> None:
    """Delete a logged contact (undo restores it).

    Example: salesflow contact delete 7 --yes
    """
    with open_book(ctx, write=True) as conn:
        record = contacts.get_contact(conn, contact_id)
        if not yes and not typer.confirm(
            _("Delete contact #{id} of {at}?").format(id=contact_id, at=record["at"]), err=True
        ):
            fail(_("nothing deleted"), 1)
        with db.change(conn, "contact delete") as change:
            contacts.delete_contact(change, contact_id)
    tell(_("Deleted contact #{id}").format(id=contact_id))


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
        keep_id, duplicate_id = (
            customers.find_customer(conn, keep),
            customers.find_customer(conn, duplicate),
        )
        keeper, other = (
            customers.get_customer(conn, keep_id),
            customers.get_customer(conn, duplicate_id),
        )
        if not yes and not typer.confirm(
            _("Merge #{duplicate} {duplicate_name} into #{keep} {keep_name}?").format(
                duplicate=duplicate_id,
                duplicate_name=other["name"],
                keep=keep_id,
                keep_name=keeper["name"],
            ),
            err=True,
        ):
            fail(_("nothing merged"), 1)
        with db.change(conn, "customer merge") as change:
            moved = customers.merge_customers(change, keep_id, duplicate_id)
    detail = ", ".join(counted(table, count) for table, count in moved.items() if count)
    if detail:
        message = _("Merged #{duplicate} into #{keep} (moved {moved})")
    else:
        message = _("Merged #{duplicate} into #{keep}")
    tell(message.format(duplicate=duplicate_id, keep=keep_id, moved=detail))
