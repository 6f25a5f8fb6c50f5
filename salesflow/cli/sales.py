"""Product and sale commands."""

from typing import TYPE_CHECKING, Annotated

import typer

from salesflow.cli.options import (
    TABLE,
    CustomerArg,
    FormatOpt,
    LimitOpt,
    OutputOpt,
    RecordFormatOpt,
    TextOpt,
    YesOpt,
)
from salesflow.cli.render import confirm_added, emit, emit_record
from salesflow.cli.root import fail, group, open_book, tell, to_date, today
from salesflow.cli.startup import lazy
from salesflow.errors import BadValue
from salesflow.i18n import N_, _

if TYPE_CHECKING:
    from salesflow import customers, db, inputs, sales
else:
    customers, db, inputs, sales = lazy("customers", "db", "inputs", "sales")

product_app = group("product", "Products you sell, with price and consumption cycle.")
sale_app = group("sale", "Record and list sales (one order line each).")


PRODUCT_COLUMNS = [
    ("id", N_("ID")),
    ("name", N_("Name")),
    ("sku", N_("SKU")),
    ("category", N_("Category")),
    ("price", N_("Price")),
    ("cycle_days", N_("Cycle days")),
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
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Add a product.

    Example: salesflow product add 洗发水 --sku SH-01 --price 89 --cycle-days 30
    """
    price_cents = inputs.parse_money(price) if price is not None else None
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "product add") as change:
            product_id = sales.add_product(
                change,
                name,
                sku=sku,
                category=category,
                price_cents=price_cents,
                cycle_days=cycle_days,
            )
        record = sales.get_product(conn, product_id)
    confirm_added(
        _("Added product #{id} {name}").format(id=record["id"], name=record["name"]), record, fmt
    )


@product_app.command("list")
def product_list(
    ctx: typer.Context,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List products by name.

    Example: salesflow product list --format csv
    """
    with open_book(ctx) as conn:
        rows = sales.list_products(conn, limit=limit)
    emit(rows, PRODUCT_COLUMNS, fmt, destination, keys=sales.PRODUCT_KEYS)


SALE_COLUMNS = [
    ("id", N_("ID")),
    ("date", N_("Date")),
    ("customer", N_("Customer")),
    ("product", N_("Product")),
    ("quantity", N_("Qty")),
    ("amount", N_("Amount")),
    ("rep", N_("Rep")),
    ("store", N_("Store")),
    ("returned_amount", N_("Returned")),
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
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Record a sale.

    Example: salesflow sale add 张三 洗发水 --quantity 2 --date yesterday
    """
    units = inputs.parse_quantity(quantity)
    amount_cents = inputs.parse_money(amount) if amount is not None else None
    when = to_date(sale_date) or today()
    with open_book(ctx, write=True) as conn:
        customer_id = customers.find_customer(conn, customer)
        product_id = sales.find_product(conn, product) if product else None
        with db.change(conn, "sale add") as change:
            sale_id = sales.add_sale(
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
        record = sales.get_sale(conn, sale_id)
    confirm_added(
        _("Added sale #{id} {amount} for {customer}").format(
            id=record["id"], amount=f"{record['amount']:.2f}", customer=record["customer"]
        ),
        record,
        fmt,
    )


@sale_app.command("list")
def sale_list(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="From DATE.", metavar="DATE")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Up to DATE.", metavar="DATE")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer.")] = None,
    product: Annotated[str | None, typer.Option(help="Only this product.")] = None,
    rep: Annotated[str | None, typer.Option(help="Only this salesperson.")] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List sales, oldest first.

    Example: salesflow sale list --from 2026-01-01 --rep 李娜 --format json
    """
    with open_book(ctx) as conn:
        rows = sales.list_sales(
            conn,
            start=to_date(start),
            end=to_date(end),
            customer_id=customers.find_customer(conn, customer) if customer else None,
            product_id=sales.find_product(conn, product) if product else None,
            rep=rep,
            limit=limit,
        )
    emit(rows, SALE_COLUMNS, fmt, destination, keys=sales.SALE_KEYS)


ProductIdArg = Annotated[int, typer.Argument(help="The product's id.", metavar="ID")]
SaleIdArg = Annotated[int, typer.Argument(help="The sale's id (see `sale list`).", metavar="ID")]


@product_app.command("edit")
def product_edit(
    ctx: typer.Context,
    product_id: ProductIdArg,
    name: Annotated[str | None, typer.Option(help="New name (unique).")] = None,
    sku: Annotated[str | None, typer.Option(help="SKU ('' removes it).")] = None,
    category: Annotated[str | None, typer.Option(help="Category ('' removes it).")] = None,
    price: Annotated[str | None, typer.Option(help="Unit price ('' removes it).")] = None,
    cycle_days: Annotated[
        str | None,
        typer.Option(help="Days one unit lasts ('' removes it); run-out days follow."),
    ] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Correct a product: name, SKU, category, price, cycle days.

    Example: salesflow product edit 3 --cycle-days 45 --price 99
    """
    price_cents = inputs.parse_money(price) if price else None
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "product edit") as change:
            changed = sales.edit_product(
                change,
                product_id,
                name=name,
                sku=sku,
                category=category,
                price_cents=price_cents,
                clear_price=price == "",
                cycle_days=cycle_days,
            )
        record = sales.get_product(conn, product_id)
    tell(
        _("Updated product #{id} {name}: {fields}").format(
            id=product_id, name=record["name"], fields=", ".join(changed) or _("no change")
        )
    )
    if fmt is not TABLE:
        emit_record(record, fmt, None, sales.PRODUCT_KEYS)


@product_app.command("delete")
def product_delete(
    ctx: typer.Context,
    product_id: ProductIdArg,
    force: Annotated[
        bool,
        typer.Option("--force", help="Delete it although sales use it; they keep its name."),
    ] = False,
    yes: YesOpt = False,
) -> None:
    """Delete a product; refused while sales use it, unless --force (undo restores it).

    Example: salesflow product delete 3 --force --yes
    """
    with open_book(ctx, write=True) as conn:
        record = sales.get_product(conn, product_id)
        sold = sales.product_sales(conn, product_id)
        question = (
            _("Delete product #{id} {name}? {count} sales keep its name.")
            if sold and force
            else _("Delete product #{id} {name}?")
        )
        if (
            (force or not sold)
            and not yes
            and not typer.confirm(
                question.format(id=product_id, name=record["name"], count=sold), err=True
            )
        ):
            fail(_("nothing deleted"), 1)
        with db.change(conn, "product delete") as change:
            kept_names = sales.delete_product(change, product_id, force=force)
    message = _("Deleted product #{id} {name}").format(id=product_id, name=record["name"])
    if kept_names:
        message += _("; {count} sales keep its name").format(count=kept_names)
    tell(message)


@sale_app.command("edit")
def sale_edit(
    ctx: typer.Context,
    sale_id: SaleIdArg,
    product: Annotated[
        str | None, typer.Option(help="Product: id, SKU or (part of) the name.")
    ] = None,
    quantity: Annotated[str | None, typer.Option(help="Units sold.")] = None,
    amount: Annotated[
        str | None, typer.Option(help="Total amount (kept as it is unless given).")
    ] = None,
    sale_date: Annotated[
        str | None, typer.Option("--date", help="Sale date.", metavar="DATE")
    ] = None,
    rep: Annotated[str | None, typer.Option(help="Salesperson ('' for nobody).")] = None,
    department: Annotated[str | None, typer.Option(help="Department ('' removes it).")] = None,
    store: Annotated[str | None, typer.Option(help="Store ('' removes it).")] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Correct a sale: product, quantity, amount, date, rep, department, store.

    Example: salesflow sale edit 12 --amount 1299 --date 2026-03-02
    """
    units = inputs.parse_quantity(quantity) if quantity is not None else None
    amount_cents = inputs.parse_money(amount) if amount is not None else None
    when = to_date(sale_date)
    with open_book(ctx, write=True) as conn:
        product_id = sales.find_product(conn, product) if product else None
        with db.change(conn, "sale edit") as change:
            changed = sales.edit_sale(
                change,
                sale_id,
                product_id=product_id,
                quantity=units,
                amount_cents=amount_cents,
                sale_date=when,
                rep=rep,
                department=department,
                store=store,
            )
        record = sales.get_sale(conn, sale_id)
    tell(
        _("Updated sale #{id}: {fields}").format(
            id=sale_id, fields=", ".join(changed) or _("no change")
        )
    )
    if fmt is not TABLE:
        emit_record(record, fmt, None, sales.SALE_KEYS)


@sale_app.command("delete")
def sale_delete(ctx: typer.Context, sale_id: SaleIdArg, yes: YesOpt = False) -> None:
    """Delete a sale with its returns (undo restores them).

    Example: salesflow sale delete 12 --yes
    """
    with open_book(ctx, write=True) as conn:
        record = sales.get_sale(conn, sale_id)
        returns = len(sales.list_returns(conn, sale_id=sale_id))
        question = _("Delete sale #{id} ({amount} on {day}) and its {count} returns?")
        if not yes and not typer.confirm(
            question.format(
                id=sale_id, amount=f"{record['amount']:.2f}", day=record["date"], count=returns
            ),
            err=True,
        ):
            fail(_("nothing deleted"), 1)
        with db.change(conn, "sale delete") as change:
            sales.delete_sale(change, sale_id)
    tell(_("Deleted sale #{id}").format(id=sale_id))


RETURN_COLUMNS = [
    ("id", N_("ID")),
    ("date", N_("Date")),
    ("sale_id", N_("Sale")),
    ("customer", N_("Customer")),
    ("product", N_("Product")),
    ("quantity", N_("Qty")),
    ("amount", N_("Amount")),
    ("reason", N_("Reason")),
    ("exchange_sale_id", N_("Exchanged for")),
]
ReturnDateOpt = Annotated[
    str | None, typer.Option("--date", help="When it came back (default today).", metavar="DATE")
]
ReasonOpt = Annotated[str | None, typer.Option(help="Why it came back.")]


@sale_app.command("return")
def sale_return(
    ctx: typer.Context,
    sale_id: SaleIdArg,
    quantity: Annotated[
        str | None, typer.Option(help="Units returned (default: all still kept).")
    ] = None,
    amount: Annotated[
        str | None,
        typer.Option(help="Amount refunded instead of a quantity (that share of the units)."),
    ] = None,
    return_date: ReturnDateOpt = None,
    reason: ReasonOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Record goods coming back from a sale, in full or in part (退货).

    Example: salesflow sale return 12 --quantity 1 --reason "wrong size"
    """
    if quantity is not None and amount is not None:
        raise BadValue(_("give --quantity or --amount, not both"))
    units = inputs.parse_quantity(quantity) if quantity is not None else None
    amount_cents = inputs.parse_money(amount) if amount is not None else None
    when = to_date(return_date) or today()
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "sale return") as change:
            return_id = sales.record_return(
                change,
                sale_id,
                return_date=when,
                quantity=units,
                amount_cents=amount_cents,
                reason=reason,
            )
        record = sales.get_return(conn, return_id)
    confirm_added(
        _("Recorded return #{id} of sale #{sale}: {quantity} × {product}, {amount}").format(
            id=record["id"],
            sale=sale_id,
            quantity=record["quantity"],
            product=record["product"] or _("sale"),
            amount=f"{record['amount']:.2f}",
        ),
        record,
        fmt,
    )


@sale_app.command("exchange")
def sale_exchange(
    ctx: typer.Context,
    sale_id: SaleIdArg,
    product: Annotated[
        str, typer.Option(help="The product given instead: id, SKU or (part of) the name.")
    ],
    quantity: Annotated[
        str | None, typer.Option(help="Units of it (default: as many as come back).")
    ] = None,
    amount: Annotated[
        str | None, typer.Option(help="Its amount (default: price × quantity).")
    ] = None,
    exchange_date: Annotated[
        str | None, typer.Option("--date", help="When (default today).", metavar="DATE")
    ] = None,
    reason: ReasonOpt = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Exchange a sale for another product: a full return and a new sale, one undo (换货).

    Example: salesflow sale exchange 12 --product 'Sofa, grey' --amount 4999
    """
    units = inputs.parse_quantity(quantity) if quantity is not None else None
    amount_cents = inputs.parse_money(amount) if amount is not None else None
    when = to_date(exchange_date) or today()
    with open_book(ctx, write=True) as conn:
        product_id = sales.find_product(conn, product)
        with db.change(conn, "sale exchange") as change:
            return_id, new_sale_id = sales.exchange_sale(
                change,
                sale_id,
                product_id,
                exchange_date=when,
                quantity=units,
                amount_cents=amount_cents,
                reason=reason,
            )
        record = sales.get_sale(conn, new_sale_id)
    tell(
        _(
            "Exchanged sale #{sale} (return #{returned}) for sale #{new}: {product}, {amount}"
        ).format(
            sale=sale_id,
            returned=return_id,
            new=new_sale_id,
            product=record["product"],
            amount=f"{record['amount']:.2f}",
        )
    )
    if fmt is not TABLE:
        emit_record({**record, "return_id": return_id}, fmt, None, [*sales.SALE_KEYS, "return_id"])


@sale_app.command("returns")
def sale_returns(
    ctx: typer.Context,
    sale_id: Annotated[
        int | None, typer.Argument(help="Only this sale's returns.", metavar="[SALE_ID]")
    ] = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List returns, oldest first.

    Example: salesflow sale returns 12 --format json
    """
    with open_book(ctx) as conn:
        if sale_id is not None:
            sales.get_sale(conn, sale_id)
        rows = sales.list_returns(conn, sale_id=sale_id)
    emit(rows, RETURN_COLUMNS, fmt, destination, keys=sales.RETURN_KEYS)
