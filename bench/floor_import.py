"""Floor for the sales import: a hand-written executemany loader into a table with the
same columns and indexes as salesflow's sales table (no validation, no triggers)."""

import csv
import sqlite3
import sys
from pathlib import Path

base, target, source = (Path(arg) for arg in sys.argv[1:4])
for suffix in ("", "-wal", "-shm"):
    Path(f"{target}{suffix}").unlink(missing_ok=True)
lookup = sqlite3.connect(base)
customers = dict(lookup.execute("SELECT ref, id FROM customers"))
products = dict(lookup.execute("SELECT name, id FROM products"))
conn = sqlite3.connect(target, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("""CREATE TABLE sales (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL,
    product_id INTEGER, quantity REAL NOT NULL, amount_cents INTEGER NOT NULL, date TEXT NOT NULL,
    rep TEXT, department TEXT, store TEXT, deal_id INTEGER)""")
conn.execute("CREATE INDEX sales_customer_product ON sales(customer_id, product_id, date)")
conn.execute("CREATE INDEX sales_date ON sales(date)")
with open(source, newline="", encoding="utf-8") as handle:
    rows = csv.reader(handle)
    next(rows)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO sales (customer_id, product_id, quantity, amount_cents, date, rep, store)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (
                customers[ref],
                products.get(product),
                float(quantity),
                round(float(amount) * 100),
                day,
                rep,
                store,
            )
            for ref, product, quantity, amount, day, rep, store in rows
        ),
    )
    conn.execute("COMMIT")
