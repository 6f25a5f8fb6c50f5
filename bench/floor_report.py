"""Floor for `report sales --year Y --interval month --by rep`: one raw GROUP BY."""

import json
import sqlite3
import sys

book, year = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(book)
rows = conn.execute(
    """SELECT substr(date, 1, 7), rep, count(*), sum(quantity), sum(amount_cents) FROM sales
       WHERE date BETWEEN ? AND ? GROUP BY 1, 2 ORDER BY 1, 2""",
    [f"{year}-01-01", f"{year}-12-31"],
)
print(
    json.dumps(
        [
            {"period": p, "rep": r, "orders": o, "quantity": q, "amount": a / 100}
            for p, r, o, q, a in rows
        ],
        ensure_ascii=False,
    )
)
