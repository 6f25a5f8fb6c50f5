"""What the book keeps derived from its history, and the one statement of each rule
behind it: the latest contact and sale per customer, the latest purchase of each
product with the day it runs out, and each day's sales per rep.

The schema's triggers, the bulk load, undo and `check` all build their SQL from the
fragments here, so the runs-out rule is written once.
"""

import sqlite3
from collections.abc import Sequence
from typing import Any

SUMMARY_SOURCES = {"contacts", "sales"}

# A customer's birthday from their profile, and which customers have one: the partial index
# customers_birthday is built on these, and the birthday reminder reads through it only
# when its SQL says the same (a profile that is not JSON has no birthday).
PROFILE_BIRTHDAY = "json_extract(profile, '$.birthday')"
HAS_BIRTHDAY = f"json_valid(profile) AND {PROFILE_BIRTHDAY} IS NOT NULL"


def lasts_days(quantity: str, cycle_days: str) -> str:
    """SQL: how many whole days `quantity` units last, one unit lasting `cycle_days`."""
    return f"CAST({quantity} * {cycle_days} AS INTEGER)"


def runs_out(day: str, quantity: str, cycle_days: str) -> str:
    """SQL: the day a purchase of `quantity` units made on `day` runs out."""
    return f"date({day}, '+' || {lasts_days(quantity, cycle_days)} || ' days')"


def runs_out_of_product(day: str, quantity: str, product_id: str) -> str:
    """SQL: `runs_out` with the cycle looked up from the product."""
    return f"(SELECT {runs_out(day, quantity, 'cycle_days')} FROM products WHERE id = {product_id})"


# A sale is a purchase while some of it is kept. Quantities are stored as REAL, so "all of
# it came back" is a net quantity at or below this.
KEPT_ABOVE = 1e-9


def returned_of(sale_id: str, column: str, as_of: str | None = None) -> str:
    """SQL: how much of a sale's `column` (quantity or amount_cents) came back, in its
    returns dated on or before `as_of` (an SQL expression), or in all of them."""
    dated = f" AND rt.date <= {as_of}" if as_of else ""
    return (
        f"coalesce((SELECT sum(rt.{column}) FROM returns rt"
        f" WHERE rt.sale_id = {sale_id}{dated}), 0)"
    )


def net_quantity(sale: str, as_of: str | None = None) -> str:
    """SQL: the units of sale `sale` (a table alias) the customer kept."""
    return f"({sale}.quantity - {returned_of(sale + '.id', 'quantity', as_of)})"


def net_cents(sale: str, as_of: str | None = None) -> str:
    """SQL: the amount of sale `sale` (a table alias) the customer kept, in cents."""
    return f"({sale}.amount_cents - {returned_of(sale + '.id', 'amount_cents', as_of)})"


def kept(sale: str, as_of: str | None = None) -> str:
    """SQL: sale `sale` is a purchase, not returned in full."""
    return f"{net_quantity(sale, as_of)} > {KEPT_ABOVE}"


def latest_kept_purchase(where: str, pairs: str) -> str:
    """SQL statements (for a trigger): recompute the latest purchase of the customer and
    product pairs `where` selects from `customer_products` and `pairs` selects from sales
    (alias s), on net quantities: a sale returned in full is no purchase, one returned in
    part runs out sooner."""
    quantity = f"sum({net_quantity('s')})"
    return f"""
    DELETE FROM customer_products WHERE {where};
    INSERT INTO customer_products (customer_id, product_id, last_date, last_quantity, runs_out)
    SELECT s.customer_id, s.product_id, s.date, {quantity},
           {runs_out_of_product("s.date", quantity, "s.product_id")}
    FROM sales s
    WHERE {pairs}
      AND s.date = (SELECT max(x.date) FROM sales x WHERE x.customer_id = s.customer_id
                    AND x.product_id = s.product_id AND {kept("x")})
    GROUP BY s.customer_id, s.product_id;"""


def sales_per_day(days: str = "") -> str:
    """SQL: the rows of `sales_days`, each day's orders, quantity and amount per rep,
    from the sales of the days `days` selects (a condition on sales.date) or of all. The
    sums run over the `sales_day_rep` index in its own order, as a query that groups the
    sales by day and rep does, so both give the same totals. (Amounts are whole cents,
    exact in any order; quantities are floats, and a report adding reps or days in another
    order is shown to three decimals, `inputs.units`.)"""
    where = f" WHERE {days}" if days else ""
    return (
        "SELECT date, rep, count(*), sum(quantity), sum(amount_cents)"
        f" FROM sales{where} GROUP BY date, rep"
    )


def day_totals(days: str) -> str:
    """SQL statements (for a trigger): recompute `sales_days` for the days `days` selects."""
    return f"""
    DELETE FROM sales_days WHERE {days};
    INSERT INTO sales_days (date, rep, orders, quantity, amount_cents) {sales_per_day(days)};"""


def days_spanned(conn: sqlite3.Connection, first: int, last: int) -> tuple[str | None, ...]:
    """The earliest and latest day of the sales with rowids first..last (one pass over
    them, where a list of their days would sort a million entries for a large load)."""
    return tuple(
        conn.execute(
            "SELECT min(date), max(date) FROM sales WHERE rowid BETWEEN ? AND ?", [first, last]
        ).fetchone()
    )


def refresh_days(conn: sqlite3.Connection, earliest: str | None, latest: str | None) -> None:
    """Recompute `sales_days` for every day from `earliest` to `latest`."""
    if earliest is None or latest is None:
        return
    for statement in day_totals("date BETWEEN :earliest AND :latest").split(";"):
        if statement.strip():
            conn.execute(statement, {"earliest": earliest, "latest": latest})


def absorb_new_rows(conn: sqlite3.Connection, table: str, first: int, last: int) -> None:
    """Fold rows first..last just inserted into what the triggers maintain, reading only
    those rows (the bulk-load counterpart of the insert triggers)."""
    new = {"first": first, "last": last}
    if table == "contacts":
        conn.execute(
            """UPDATE customers SET last_contact_at = latest.at, next_follow_up = latest.next_at
               FROM (SELECT customer_id, at, next_at FROM (
                        SELECT customer_id, at, next_at, row_number() OVER (
                            PARTITION BY customer_id ORDER BY at DESC, id DESC) AS rank
                        FROM contacts WHERE rowid BETWEEN :first AND :last)
                     WHERE rank = 1) AS latest
               WHERE customers.id = latest.customer_id
                 AND (customers.last_contact_at IS NULL
                      OR customers.last_contact_at <= latest.at)""",
            new,
        )
    elif table == "sales":
        conn.execute(
            """UPDATE customers SET last_sale_on = latest.day
               FROM (SELECT customer_id, max(date) AS day FROM sales
                     WHERE rowid BETWEEN :first AND :last GROUP BY customer_id) AS latest
               WHERE customers.id = latest.customer_id
                 AND (customers.last_sale_on IS NULL OR customers.last_sale_on < latest.day)""",
            new,
        )
        conn.execute(
            f"""INSERT INTO customer_products
                   (customer_id, product_id, last_date, last_quantity, runs_out)
               SELECT customer_id, product_id, date, sum(quantity),
                      {runs_out_of_product("date", "sum(quantity)", "product_id")}
               FROM (SELECT customer_id, product_id, date, quantity,
                            max(date) OVER (PARTITION BY customer_id, product_id) AS latest
                     FROM sales WHERE rowid BETWEEN :first AND :last AND product_id IS NOT NULL)
               WHERE date = latest GROUP BY customer_id, product_id
               ON CONFLICT (customer_id, product_id) DO UPDATE SET
                   last_quantity = {NEW_QUANTITY},
                   last_date = max(last_date, excluded.last_date),
                   runs_out = {
                runs_out_of_product(
                    "max(last_date, excluded.last_date)", NEW_QUANTITY, "product_id"
                )
            }""",
            new,
        )
        refresh_days(conn, *days_spanned(conn, first, last))


# An upsert's quantity bought on the latest day: a later day replaces it, the same adds.
NEW_QUANTITY = """CASE WHEN excluded.last_date > last_date THEN excluded.last_quantity
                       WHEN excluded.last_date = last_date
                           THEN last_quantity + excluded.last_quantity
                       ELSE last_quantity END"""


def refresh_summaries(
    conn: sqlite3.Connection,
    table: str,
    customers_sql: str | None = None,
    params: Sequence[Any] = (),
) -> None:
    """Recompute what the triggers maintain from `table` (contacts or sales), for the
    customers `customers_sql` selects, or for everyone."""
    if table not in SUMMARY_SOURCES:
        return
    scope = f" WHERE id IN ({customers_sql})" if customers_sql else ""
    if table == "contacts":
        conn.execute(
            "UPDATE customers SET"
            " last_contact_at = (SELECT max(at) FROM contacts WHERE customer_id = customers.id),"
            " next_follow_up = (SELECT next_at FROM contacts WHERE customer_id = customers.id"
            " ORDER BY at DESC, id DESC LIMIT 1)" + scope,
            params,
        )
        return
    conn.execute(
        "UPDATE customers SET last_sale_on ="
        " (SELECT max(date) FROM sales WHERE customer_id = customers.id)" + scope,
        params,
    )
    pairs = f" WHERE customer_id IN ({customers_sql})" if customers_sql else ""
    conn.execute("DELETE FROM customer_products" + pairs, params)
    scope = f"AND customer_id IN ({customers_sql})" if customers_sql else ""
    conn.execute(f"INSERT INTO customer_products {latest_purchases(scope)}", params)


def latest_purchases(scope: str = "") -> str:
    """Each customer's latest purchase of each product, recomputed from the sales net of
    their returns (the rows of `customer_products`); `scope` narrows the sales read, e.g.
    to some customers."""
    quantity = f"sum({net_quantity('s')})"
    return f"""
        SELECT s.customer_id, s.product_id, s.date, {quantity},
               {runs_out("s.date", quantity, "p.cycle_days")}
        FROM sales s
        JOIN (SELECT customer_id, product_id, max(date) AS last_date FROM sales x
              WHERE product_id IS NOT NULL AND {kept("x")} {scope}
              GROUP BY customer_id, product_id) latest
          ON latest.customer_id = s.customer_id AND latest.product_id = s.product_id
         AND latest.last_date = s.date
        JOIN products p ON p.id = s.product_id
        GROUP BY s.customer_id, s.product_id"""
