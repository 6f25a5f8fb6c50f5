"""Floor for `report sales --year Y --interval month --by rep --format json`.

    python bench/floor_report.py COPY.db YEAR --prepare   # once: the floor's own index
    python bench/floor_report.py COPY.db YEAR             # timed

Runs on the floor's own copy of the book, in which `--prepare` creates the best index for
the query: sales_report_floor(date, rep, quantity, amount_cents), which covers it, so the
year is one range read of a narrow index, grouped by day and rep in the index's order and
folded into months in Python. Same answer as salesflow's:
sales in the year per month and rep, less the returns dated in it (under the sale's rep),
with the returned amount; amounts in yuan as JSON numbers.
"""

import json
import sqlite3
import sys

INDEX = "CREATE INDEX IF NOT EXISTS sales_report_floor ON sales(date, rep, quantity, amount_cents)"


def main() -> None:
    book, year = sys.argv[1], sys.argv[2]
    conn = sqlite3.connect(book, isolation_level=None)
    if "--prepare" in sys.argv:
        conn.execute(INDEX)
        conn.execute("ANALYZE sales")
        return
    span = [f"{year}-01-01", f"{year}-12-31"]
    totals: dict[tuple[str, str | None], list[float]] = {}
    # Grouped by day and rep, the index's own order, so SQLite sorts nothing; the days
    # fold into months here. (Grouping by substr(date, 1, 7) in SQL takes four times as
    # long: every row goes through a temporary B-tree.)
    for day, rep, orders, quantity, cents in conn.execute(
        "SELECT date, rep, count(*), sum(quantity), sum(amount_cents)"
        " FROM sales INDEXED BY sales_report_floor WHERE date BETWEEN ? AND ? GROUP BY 1, 2",
        span,
    ):
        row = totals.setdefault((day[:7], rep), [0, 0, 0, 0])
        row[0] += orders
        row[1] += quantity
        row[2] += cents
    for month, rep, quantity, cents in conn.execute(
        "SELECT substr(r.date, 1, 7), s.rep, sum(r.quantity), sum(r.amount_cents)"
        " FROM returns r JOIN sales s ON s.id = r.sale_id WHERE r.date BETWEEN ? AND ?"
        " GROUP BY 1, 2",
        span,
    ):
        row = totals.setdefault((month, rep), [0, 0, 0, 0])
        row[1] -= quantity
        row[2] -= cents
        row[3] += cents
    rows = [
        {
            "period": month,
            "rep": rep,
            "orders": orders,
            "quantity": int(round(quantity, 3))
            if round(quantity, 3).is_integer()
            else round(quantity, 3),
            "amount": cents / 100,
            "returned_amount": returned / 100,
        }
        for (month, rep), (orders, quantity, cents, returned) in sorted(
            totals.items(), key=lambda item: (item[0][0], item[0][1] or "")
        )
    ]
    sys.stdout.write(json.dumps(rows, ensure_ascii=False))


if __name__ == "__main__":
    main()
