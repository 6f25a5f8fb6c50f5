"""Product and sale commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from salesflow.cli.root import group, open_book, to_date, today
from salesflow.cli.options import (
    TABLE,
    CustomerArg,
    FormatOpt,
    LimitOpt,
    OutputOpt,
    TextOpt,
)
from salesflow.cli.render import confirm_added, emit
from salesflow.cli.startup import lazy
from salesflow.i18n import _

if TYPE_CHECKING:
    from salesflow import customers, db, inputs, sales
else:
    customers, db, inputs, sales = lazy("customers", "db", "inputs", "sales")

product_app = group("product", "Products you sell, with price and consumption cycle.")
sale_app = group("sale", "Record and list sales (one order line each).")


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
    fmt: FormatOpt = TABLE,
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
    confirm_added(_("Added product"), record, fmt, record["name"])


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
    fmt: FormatOpt = TABLE,
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
    confirm_added(_("Added sale"), record, fmt, f"{record['amount']:.2f} for {record['customer']}")


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
