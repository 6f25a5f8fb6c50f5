"""Products you sell and the sales of them (one order line each)."""

import re
import sqlite3
from datetime import date
from typing import Any

from salesflow.customers import get_customer
from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, BadValue, Conflict, NotFound
from salesflow.i18n import N_, _
from salesflow.inputs import cents_to_decimal, units
from salesflow.lookup import candidate_list, contains, require_deal_of, require_id
from salesflow.summaries import KEPT_ABOVE, returned_of
from salesflow.validate import SaleParty, product_columns, sale_columns

PRODUCT_KEYS = ("id", "name", "sku", "category", "price", "cycle_days")
SALE_KEYS = (
    "id",
    "customer_id",
    "customer",
    "product_id",
    "product",
    "quantity",
    "amount",
    "date",
    "rep",
    "department",
    "store",
    "deal_id",
    "deal",
    "returned_quantity",
    "returned_amount",
)


def product_row(row: sqlite3.Row) -> Row:
    record = {key: row[key] for key in PRODUCT_KEYS if key != "price"}
    record["price"] = cents_to_decimal(row["price_cents"])
    return record


def add_product(
    change: Change,
    name: str,
    *,
    sku: str | None,
    category: str | None,
    price_cents: int | None,
    cycle_days: int | None,
) -> int:
    values = product_columns(
        name, sku=sku, category=category, price_cents=price_cents, cycle_days=cycle_days
    )
    if change.conn.execute("SELECT 1 FROM products WHERE name = ?", [values["name"]]).fetchone():
        raise Conflict(_("a product named {name!r} already exists").format(name=values["name"]))
    if (
        values.get("sku")
        and change.conn.execute("SELECT 1 FROM products WHERE sku = ?", [values["sku"]]).fetchone()
    ):
        raise Conflict(
            _("SKU {sku!r} already belongs to another product").format(sku=values["sku"])
        )
    product_id = change.insert("products", values)
    change.describe(N_("added product #{id}"), id=product_id)
    return product_id


def get_product(conn: sqlite3.Connection, product_id: int) -> Row:
    row = conn.execute("SELECT * FROM products WHERE id = ?", [product_id]).fetchone()
    if row is None:
        raise NotFound(_("no product #{id}").format(id=product_id))
    return product_row(row)


def find_product(conn: sqlite3.Connection, reference: str) -> int:
    """Resolve a product by id, #id, SKU, exact name or a unique part of its name."""
    text = reference.strip()
    if re.fullmatch(r"#\d+", text):
        return require_id(conn, "products", int(text[1:]), _("no product #{id}"))
    if text.isdigit():
        found = conn.execute("SELECT id FROM products WHERE id = ?", [int(text)]).fetchone()
        if found:
            return found[0]
    exact = conn.execute(
        "SELECT id FROM products WHERE sku = ? OR name = ?", [text, text]
    ).fetchall()
    if len(exact) == 1:
        return exact[0][0]
    candidates = (
        exact
        or conn.execute(
            "SELECT id FROM products WHERE name LIKE ? ESCAPE '\\' ORDER BY id", [contains(text)]
        ).fetchall()
    )
    if len(candidates) == 1:
        return candidates[0][0]
    if not candidates:
        raise NotFound(_("no product matches {reference!r}").format(reference=reference))
    raise Ambiguous(
        _("{reference!r} matches {count} products: {candidates}; use the #id").format(
            reference=reference,
            count=len(candidates),
            candidates=candidate_list(conn, "products", [row[0] for row in candidates]),
        )
    )


def list_products(conn: sqlite3.Connection, *, limit: int | None = None) -> list[Row]:
    sql = "SELECT * FROM products ORDER BY name"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [product_row(row) for row in conn.execute(sql)]


# A sale whose product was deleted keeps the product's name (product_name).
SALE_SELECT = f"""
    SELECT s.*, c.name AS customer, coalesce(p.name, s.product_name) AS product,
           d.title AS deal, {returned_of("s.id", "quantity")} AS returned_quantity,
           {returned_of("s.id", "amount_cents")} AS returned_cents
    FROM sales s JOIN customers c ON c.id = s.customer_id
    LEFT JOIN products p ON p.id = s.product_id
    LEFT JOIN deals d ON d.id = s.deal_id
"""


def sale_row(row: sqlite3.Row) -> Row:
    record = {key: row[key] for key in SALE_KEYS if not key.endswith("amount")}
    record["amount"] = cents_to_decimal(row["amount_cents"])
    record["quantity"] = units(row["quantity"])
    record["returned_quantity"] = units(row["returned_quantity"])
    record["returned_amount"] = cents_to_decimal(row["returned_cents"])
    return record


def add_sale(
    change: Change,
    customer_id: int,
    product_id: int | None,
    *,
    quantity: float,
    amount_cents: int | None,
    sale_date: date,
    rep: str | None,
    department: str | None,
    store: str | None,
    deal_id: int | None,
) -> int:
    customer = get_customer(change.conn, customer_id)
    product = (
        change.conn.execute("SELECT * FROM products WHERE id = ?", [product_id]).fetchone()
        if product_id is not None
        else None
    )
    if product_id is not None and product is None:
        raise NotFound(_("no product #{id}").format(id=product_id))
    if deal_id is not None:
        require_deal_of(change.conn, deal_id, customer_id)
    amount, rep, department, store = sale_columns(
        SaleParty(customer["owner"], customer["department"], customer["store"]),
        product["price_cents"] if product else None,
        quantity=quantity,
        amount_cents=amount_cents,
        rep=rep,
        department=department,
        store=store,
    )
    sale_id = change.insert(
        "sales",
        {
            "customer_id": customer_id,
            "product_id": product_id,
            "quantity": quantity,
            "amount_cents": amount,
            "date": sale_date.isoformat(),
            "rep": rep,
            "department": department,
            "store": store,
            "deal_id": deal_id,
        },
    )
    change.describe(
        N_("recorded sale #{id} for customer #{customer}"), id=sale_id, customer=customer_id
    )
    return sale_id


def get_sale(conn: sqlite3.Connection, sale_id: int) -> Row:
    row = conn.execute(SALE_SELECT + " WHERE s.id = ?", [sale_id]).fetchone()
    if row is None:
        raise NotFound(_("no sale #{id}").format(id=sale_id))
    return sale_row(row)


def list_sales(
    conn: sqlite3.Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    customer_id: int | None = None,
    product_id: int | None = None,
    rep: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    where: list[str] = []
    params: list[Any] = []
    if start is not None:
        where.append("s.date >= ?")
        params.append(start.isoformat())
    if end is not None:
        where.append("s.date <= ?")
        params.append(end.isoformat())
    for column, value in (("customer_id", customer_id), ("product_id", product_id)):
        if value is not None:
            where.append(f"s.{column} = ?")
            params.append(value)
    if rep is not None:
        where.append("s.rep = ? COLLATE NOCASE")
        params.append(rep)
    sql = SALE_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY s.date, s.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [sale_row(row) for row in conn.execute(sql, params)]


# ---------------------------------------------------------------- correcting products


def _refuse_taken(conn: sqlite3.Connection, values: Row, product_id: int | None) -> None:
    """A product's name and SKU are its own: refuse what another product already has."""
    if (
        "name" in values
        and conn.execute(
            "SELECT 1 FROM products WHERE name = ? AND id IS NOT ?", [values["name"], product_id]
        ).fetchone()
    ):
        raise Conflict(_("a product named {name!r} already exists").format(name=values["name"]))
    if (
        values.get("sku")
        and conn.execute(
            "SELECT 1 FROM products WHERE sku = ? AND id IS NOT ?", [values["sku"], product_id]
        ).fetchone()
    ):
        raise Conflict(
            _("SKU {sku!r} already belongs to another product").format(sku=values["sku"])
        )


def edit_product(
    change: Change,
    product_id: int,
    *,
    name: str | None = None,
    sku: str | None = None,
    category: str | None = None,
    price_cents: int | None = None,
    clear_price: bool = False,
    cycle_days: str | None = None,
) -> list[str]:
    """Correct a product; returns the fields changed. A new cycle moves every customer's
    run-out day of the product (the schema's trigger recomputes them)."""
    before = get_product(change.conn, product_id)
    values = product_columns(
        name, sku=sku, category=category, price_cents=price_cents, cycle_days=cycle_days
    )
    if clear_price:
        values["price_cents"] = None
    if cycle_days is not None and not cycle_days.strip():
        values["cycle_days"] = None
    if not values:
        raise BadValue(_("nothing to change"), hint="product-fields")
    _refuse_taken(change.conn, values, product_id)
    stored = change.conn.execute("SELECT * FROM products WHERE id = ?", [product_id]).fetchone()
    changed = [key for key, value in values.items() if stored[key] != value]
    change.update("products", product_id, values)
    change.describe_edit(
        N_("edited product #{id}"), N_("edited product #{id} ({fields})"), changed, id=before["id"]
    )
    return changed


def product_sales(conn: sqlite3.Connection, product_id: int) -> int:
    return conn.execute("SELECT count(*) FROM sales WHERE product_id = ?", [product_id]).fetchone()[
        0
    ]


def delete_product(change: Change, product_id: int, *, force: bool = False) -> int:
    """Delete a product. While sales name it this is refused, unless `force`: then the
    sales keep the product's name and lose the link. Stopped used-up reminders of the
    product go with it. Returns how many sales kept the name."""
    conn = change.conn
    product = get_product(conn, product_id)
    sold = product_sales(conn, product_id)
    if sold and not force:
        raise Conflict(
            _("{count} sales use product #{id}; nothing was deleted").format(
                count=sold, id=product_id
            ),
            hint="force-product",
        )
    for (sale_id,) in conn.execute(
        "SELECT id FROM sales WHERE product_id = ?", [product_id]
    ).fetchall():
        change.update("sales", sale_id, {"product_id": None, "product_name": product["name"]})
    for (stop_id,) in conn.execute(
        "SELECT id FROM reminder_stops WHERE product_id = ?", [product_id]
    ).fetchall():
        change.delete("reminder_stops", stop_id)
    change.delete("products", product_id)
    if sold:
        change.describe(
            N_("deleted product #{id} ({count} sales keep its name)"), id=product_id, count=sold
        )
    else:
        change.describe(N_("deleted product #{id}"), id=product_id)
    return sold


# ---------------------------------------------------------------- correcting sales


def _stored_sale(conn: sqlite3.Connection, sale_id: int) -> sqlite3.Row:
    row = conn.execute(
        f"""SELECT s.*, {returned_of("s.id", "quantity")} AS returned_quantity,
                   {returned_of("s.id", "amount_cents")} AS returned_cents,
                   (SELECT min(date) FROM returns WHERE sale_id = s.id) AS first_return
            FROM sales s WHERE s.id = ?""",
        [sale_id],
    ).fetchone()
    if row is None:
        raise NotFound(_("no sale #{id}").format(id=sale_id))
    return row


def edit_sale(
    change: Change,
    sale_id: int,
    *,
    product_id: int | None = None,
    quantity: float | None = None,
    amount_cents: int | None = None,
    sale_date: date | None = None,
    rep: str | None = None,
    department: str | None = None,
    store: str | None = None,
) -> list[str]:
    """Correct a sale; returns the fields changed. Only what is given changes (the amount
    too: a new quantity or product does not reprice the sale); '' empties rep, department
    and store. A sale cannot shrink below what came back, nor move after a return of it."""
    conn = change.conn
    stored = _stored_sale(conn, sale_id)
    values: Row = {}
    if product_id is not None:
        require_id(conn, "products", product_id, _("no product #{id}"))
        values.update(product_id=product_id, product_name=None)
    if quantity is not None:
        if quantity <= 0:
            raise BadValue(_("a quantity must be a positive number"))
        if quantity < stored["returned_quantity"] - KEPT_ABOVE:
            raise Conflict(
                _("{returned} units of sale #{id} were returned; the quantity cannot be less")
                .format(returned=units(stored["returned_quantity"]), id=sale_id)
            )  # fmt: skip
        values["quantity"] = quantity
    if amount_cents is not None:
        if amount_cents < stored["returned_cents"]:
            raise Conflict(
                _("{returned} of sale #{id} was refunded; the amount cannot be less").format(
                    returned=cents_to_decimal(stored["returned_cents"]), id=sale_id
                )
            )
        values["amount_cents"] = amount_cents
    if sale_date is not None:
        if stored["first_return"] and sale_date.isoformat() > stored["first_return"]:
            raise Conflict(
                _("sale #{id} has a return dated {day}; the sale cannot be later").format(
                    id=sale_id, day=stored["first_return"]
                )
            )
        values["date"] = sale_date.isoformat()
    for key, text in (("rep", rep), ("department", department), ("store", store)):
        if text is not None:
            values[key] = text.strip() or None
    if not values:
        raise BadValue(_("nothing to change"), hint="sale-fields")
    changed = [
        key for key, value in values.items() if stored[key] != value and key != "product_name"
    ]
    change.update("sales", sale_id, values)
    change.describe_edit(
        N_("edited sale #{id}"),
        N_("edited sale #{id} ({fields})"),
        (FIELD_NAMES.get(key, key) for key in changed),
        id=sale_id,
    )
    return [FIELD_NAMES.get(key, key) for key in changed]


FIELD_NAMES = {"product_id": "product", "amount_cents": "amount"}


def delete_sale(change: Change, sale_id: int) -> Row:
    """Delete a sale with its returns; an exchange that named it as the replacement
    stays, without the link."""
    conn = change.conn
    sale = get_sale(conn, sale_id)
    for (return_id,) in conn.execute(
        "SELECT id FROM returns WHERE sale_id = ? ORDER BY id DESC", [sale_id]
    ).fetchall():
        change.delete("returns", return_id)
    for (return_id,) in conn.execute(
        "SELECT id FROM returns WHERE exchange_sale_id = ?", [sale_id]
    ).fetchall():
        change.update("returns", return_id, {"exchange_sale_id": None})
    change.delete("sales", sale_id)
    change.describe(N_("deleted sale #{id}"), id=sale_id)
    return sale


# ---------------------------------------------------------------- returns and exchanges

RETURN_KEYS = (
    "id",
    "sale_id",
    "date",
    "customer_id",
    "customer",
    "product",
    "quantity",
    "amount",
    "reason",
    "exchange_sale_id",
)
RETURN_SELECT = """
    SELECT r.*, s.customer_id, c.name AS customer, coalesce(p.name, s.product_name) AS product
    FROM returns r JOIN sales s ON s.id = r.sale_id
    JOIN customers c ON c.id = s.customer_id
    LEFT JOIN products p ON p.id = s.product_id
"""


def return_row(row: sqlite3.Row) -> Row:
    record = {key: row[key] for key in RETURN_KEYS if key != "amount"}
    record["amount"] = cents_to_decimal(row["amount_cents"])
    record["quantity"] = units(row["quantity"])
    return record


def get_return(conn: sqlite3.Connection, return_id: int) -> Row:
    row = conn.execute(RETURN_SELECT + " WHERE r.id = ?", [return_id]).fetchone()
    if row is None:
        raise NotFound(_("no return #{id}").format(id=return_id))
    return return_row(row)


def list_returns(conn: sqlite3.Connection, *, sale_id: int | None = None) -> list[Row]:
    where, params = ("WHERE r.sale_id = ?", [sale_id]) if sale_id is not None else ("", [])
    return [
        return_row(row)
        for row in conn.execute(RETURN_SELECT + f" {where} ORDER BY r.date, r.id", params)
    ]


def _share(part: float, whole: float, of: float) -> float:
    """`of` × part / whole, to three decimals (quantities) or whole cents."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(str(of)) * Decimal(str(part)) / Decimal(str(whole))
    return float(exact.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def return_values(
    sale: sqlite3.Row, *, quantity: float | None, amount_cents: int | None
) -> tuple[float, int]:
    """The units and cents a return takes back: what is given, the other in proportion
    to the sale; nothing given, everything still kept. More than is kept is refused."""
    left_units = sale["quantity"] - sale["returned_quantity"]
    left_cents = sale["amount_cents"] - sale["returned_cents"]
    if left_units <= KEPT_ABOVE:
        raise Conflict(_("sale #{id} was returned in full already").format(id=sale["id"]))
    if quantity is None and amount_cents is None:
        return left_units, left_cents
    if quantity is not None and amount_cents is not None:  # a file's row says both
        return _checked_units(sale, quantity, left_units), _checked_cents(
            sale, amount_cents, left_cents
        )
    if quantity is not None:
        quantity = _checked_units(sale, quantity, left_units)
        if abs(quantity - left_units) <= KEPT_ABOVE:
            return left_units, left_cents
        cents = round(_share(quantity, sale["quantity"], sale["amount_cents"]))
        return quantity, min(cents, left_cents)
    assert amount_cents is not None
    amount_cents = _checked_cents(sale, amount_cents, left_cents)
    if amount_cents == left_cents:
        return left_units, left_cents
    share = _share(amount_cents, sale["amount_cents"], sale["quantity"])
    return min(share, left_units), amount_cents


def _checked_units(sale: sqlite3.Row, quantity: float, left_units: float) -> float:
    if quantity <= 0:
        raise BadValue(_("a quantity must be a positive number"))
    if quantity > left_units + KEPT_ABOVE:
        raise Conflict(
            _("sale #{id} has {left} units left to return, not {quantity}").format(
                id=sale["id"], left=units(left_units), quantity=units(quantity)
            )
        )
    return min(quantity, left_units)


def _checked_cents(sale: sqlite3.Row, amount_cents: int, left_cents: int) -> int:
    if amount_cents <= 0:
        raise BadValue(_("a return takes back an amount above zero"))
    if amount_cents > left_cents:
        raise Conflict(
            _("sale #{id} has {left} left to refund, not {amount}").format(
                id=sale["id"],
                left=cents_to_decimal(left_cents),
                amount=cents_to_decimal(amount_cents),
            )
        )
    return amount_cents


def record_return(
    change: Change,
    sale_id: int,
    *,
    return_date: date,
    quantity: float | None = None,
    amount_cents: int | None = None,
    reason: str | None = None,
    exchange_sale_id: int | None = None,
) -> int:
    """Record goods coming back from a sale, in part or in full (quantity or amount; the
    other in proportion). Reports count it on its own date; purchases are net of it."""
    sale = _stored_sale(change.conn, sale_id)
    if return_date.isoformat() < sale["date"]:
        raise Conflict(
            _("a return cannot be dated before its sale ({day})").format(day=sale["date"])
        )
    taken_units, taken_cents = return_values(sale, quantity=quantity, amount_cents=amount_cents)
    return_id = change.insert(
        "returns",
        {
            "sale_id": sale_id,
            "date": return_date.isoformat(),
            "quantity": taken_units,
            "amount_cents": taken_cents,
            "reason": (reason or "").strip() or None,
            "exchange_sale_id": exchange_sale_id,
        },
    )
    if sale["quantity"] - sale["returned_quantity"] - taken_units <= KEPT_ABOVE:
        from salesflow import units  # nothing of the sale kept: its unit is for sale again

        units.release_for_sale(change, sale_id)
    change.describe(N_("recorded return #{id} of sale #{sale}"), id=return_id, sale=sale_id)
    return return_id


def exchange_sale(
    change: Change,
    sale_id: int,
    product_id: int,
    *,
    exchange_date: date,
    quantity: float | None = None,
    amount_cents: int | None = None,
    reason: str | None = None,
) -> tuple[int, int]:
    """换货: what is kept of a sale comes back in full and a new sale of `product_id`
    replaces it (by default as many units), for the same customer, rep, store and deal.
    Returns (return id, new sale id)."""
    sale = _stored_sale(change.conn, sale_id)
    left_units = sale["quantity"] - sale["returned_quantity"]
    if left_units <= KEPT_ABOVE:
        raise Conflict(_("sale #{id} was returned in full already").format(id=sale_id))
    if exchange_date.isoformat() < sale["date"]:
        raise Conflict(
            _("a return cannot be dated before its sale ({day})").format(day=sale["date"])
        )
    new_sale_id = add_sale(
        change,
        sale["customer_id"],
        product_id,
        quantity=quantity if quantity is not None else units(left_units),
        amount_cents=amount_cents,
        sale_date=exchange_date,
        rep=sale["rep"],
        department=sale["department"],
        store=sale["store"],
        deal_id=sale["deal_id"],
    )
    return_id = record_return(
        change,
        sale_id,
        return_date=exchange_date,
        reason=reason,
        exchange_sale_id=new_sale_id,
    )
    change.describe(
        N_("exchanged sale #{sale} for sale #{new_sale} (return #{id})"),
        sale=sale_id,
        new_sale=new_sale_id,
        id=return_id,
    )
    return return_id, new_sale_id
