"""Floor for `import sales FILE.csv`: the fastest straightforward loader for the same rows.

    python bench/floor_import.py BASE.db TARGET.db sales.csv

Parses the CSV with csv.reader, looks each member number and product name up in
dictionaries read from BASE (the customer's department fills the sale's, as salesflow
does), inserts every row with one executemany into a fresh file whose `sales` table is
salesflow's (its CREATE statement read from BASE), and only then builds every index BASE
declares on sales (sales_customer_product, sales_date, sales_deal): building an index
once after the load is cheaper than keeping it up to date row by row. Durability as
salesflow's: WAL journal, `synchronous` left at SQLite's default (FULL; salesflow does not
change it), one transaction, the same 128 MB page cache salesflow gives a bulk load.
No validation, no history, no summaries.
"""

import csv
import sqlite3
import sys
from pathlib import Path


def main() -> None:
    base, target, source = (Path(arg) for arg in sys.argv[1:4])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    lookup = sqlite3.connect(f"file:{base}?mode=ro", uri=True)
    customers = {ref: (id_, dept) for ref, id_, dept in lookup.execute(
        "SELECT ref, id, department FROM customers WHERE ref IS NOT NULL")}  # fmt: skip
    products = dict(lookup.execute("SELECT name, id FROM products"))
    # salesflow's own sales table and indexes, as the book's schema declares them
    (table,) = lookup.execute("SELECT sql FROM sqlite_master WHERE name = 'sales'").fetchone()
    indexes = [sql for (sql,) in lookup.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sales'"
        " AND sql IS NOT NULL")]  # fmt: skip
    lookup.close()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA cache_size = -131072")
    # REFERENCES clauses are kept but not enforced (foreign keys off, as in any loader)
    conn.execute(table)
    with open(source, newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        next(rows)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO sales (customer_id, product_id, quantity, amount_cents, date, rep,"
            " department, store) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    (customer := customers[ref])[0],
                    products[product] if product else None,
                    int(quantity),
                    round(float(amount) * 100),
                    day,
                    rep,
                    customer[1],
                    store,
                )
                for ref, product, quantity, amount, day, rep, store in rows
            ),
        )
        for index in indexes:
            conn.execute(index)
        conn.execute("COMMIT")
    conn.close()


if __name__ == "__main__":
    main()
