"""Floor for `remind --format json`: the same reminders by one hand-written SQL query over
the base tables (contacts, sales, deals), with default settings."""

import json
import sqlite3
import sys
from datetime import date, timedelta

book, today = sys.argv[1], date.fromisoformat(sys.argv[2])
SQL = """
WITH
last_contact AS (
    SELECT customer_id, max(at) AS at FROM contacts WHERE at < :next_day GROUP BY customer_id),
latest_contact AS (
    SELECT customer_id, next_at FROM (
        SELECT customer_id, next_at,
               row_number() OVER (PARTITION BY customer_id ORDER BY at DESC, id DESC) AS rn
        FROM contacts WHERE at < :next_day)
    WHERE rn = 1),
last_sale AS (
    SELECT customer_id, max(date) AS date FROM sales WHERE date <= :today GROUP BY customer_id),
c AS (
    SELECT c.id, c.name, c.owner, c.tier, c.created_at, c.profile, lc.at AS last_contact,
           nc.next_at, ls.date AS last_sale,
           CASE c.tier WHEN 'A' THEN 7 WHEN 'B' THEN 14 WHEN 'C' THEN 30 WHEN 'D' THEN 60
                       ELSE 30 END AS cadence
    FROM customers c
    LEFT JOIN last_contact lc ON lc.customer_id = c.id
    LEFT JOIN latest_contact nc ON nc.customer_id = c.id
    LEFT JOIN last_sale ls ON ls.customer_id = c.id
    WHERE c.created_at <= :today),
purchases AS (
    SELECT customer_id, product_id, date, sum(quantity) AS quantity FROM (
        SELECT customer_id, product_id, date, quantity,
               max(date) OVER (PARTITION BY customer_id, product_id) AS latest
        FROM sales WHERE date <= :today AND product_id IS NOT NULL)
    WHERE date = latest GROUP BY customer_id, product_id),
open_deals AS (
    SELECT d.*, c.name, c.tier, s.max_days FROM deals d
    JOIN customers c ON c.id = d.customer_id JOIN stages s ON s.id = d.stage_id
    WHERE d.status = 'open' AND d.created_at <= :today),
items (kind, customer_id, customer, owner, tier, due, deal_id, product) AS (
    SELECT 1, id, name, owner, tier, next_at, NULL, NULL FROM c WHERE next_at <= :today
    UNION ALL
    SELECT 2, id, name, owner, tier, date(substr(last_contact, 1, 10), '+' || cadence || ' days'),
           NULL, NULL FROM c
    WHERE last_contact IS NOT NULL AND (next_at IS NULL OR next_at <= :today)
      AND date(substr(last_contact, 1, 10), '+' || cadence || ' days') <= :today
    UNION ALL
    SELECT 3, id, name, owner, tier, created_at, NULL, NULL FROM c WHERE last_contact IS NULL
    UNION ALL
    SELECT 4, c.id, c.name, c.owner, c.tier,
           date(p.date, '+' || CAST(p.quantity * pr.cycle_days AS INTEGER) || ' days'), NULL,
           pr.name
    FROM purchases p JOIN products pr ON pr.id = p.product_id AND pr.cycle_days IS NOT NULL
    JOIN c ON c.id = p.customer_id
    WHERE date(p.date, '+' || CAST(p.quantity * pr.cycle_days AS INTEGER) || ' days')
          <= :lead_limit
    UNION ALL
    SELECT 5, id, name, owner, tier, date(last_sale, '+90 days'), NULL, NULL FROM c
    WHERE date(last_sale, '+90 days') <= :today
    UNION ALL
    SELECT 6, id, name, owner, tier, date(created_at, '+30 days'), NULL, NULL FROM c
    WHERE last_sale IS NULL AND date(created_at, '+30 days') <= :today
    UNION ALL
    SELECT 7, customer_id, name, owner, tier, date(stage_entered_at, '+' || max_days || ' days'),
           id, NULL FROM open_deals
    WHERE date(stage_entered_at, '+' || max_days || ' days') <= :today
    UNION ALL
    SELECT 8, customer_id, name, owner, tier, expected_close, id, NULL FROM open_deals
    WHERE expected_close < :today
)
SELECT kind, customer_id, customer, owner, tier, due,
       CAST(julianday(:today) - julianday(due) AS INTEGER) AS days_overdue, deal_id, product
FROM items
ORDER BY kind, CASE tier WHEN 'A' THEN 0 WHEN 'B' THEN 1 WHEN 'C' THEN 2 WHEN 'D' THEN 3
         ELSE 4 END, days_overdue DESC, customer_id
"""
KINDS = [
    "follow-up",
    "no-contact",
    "never-contacted",
    "used-up",
    "no-repurchase",
    "never-purchased",
    "stale-deal",
    "close-overdue",
]
conn = sqlite3.connect(book)
params = {
    "today": today.isoformat(),
    "next_day": (today + timedelta(days=1)).isoformat(),
    "lead_limit": (today + timedelta(days=3)).isoformat(),
}
items = [
    {
        "kind": KINDS[kind - 1],
        "customer_id": customer_id,
        "customer": customer,
        "owner": owner,
        "tier": tier,
        "due": due,
        "days_overdue": overdue,
        "deal_id": deal_id,
        "product": product,
    }
    for kind, customer_id, customer, owner, tier, due, overdue, deal_id, product in conn.execute(
        SQL, params
    )
]
# Birthdays (profile facts) are few; the floor reads them in Python.
for customer_id, name, owner, tier, birthday in conn.execute(
    "SELECT id, name, owner, tier, json_extract(profile, '$.birthday') FROM customers"
    " WHERE json_extract(profile, '$.birthday') IS NOT NULL AND created_at <= ?",
    [today.isoformat()],
):
    month, day = int(birthday[-5:-3]), int(birthday[-2:])
    for year in (today.year, today.year + 1):
        try:
            due = date(year, month, day)
        except ValueError:
            due = date(year, 2, 28)
        if due >= today:
            break
    if (due - today).days <= 7:
        items.append(
            {
                "kind": "birthday",
                "customer_id": customer_id,
                "customer": name,
                "owner": owner,
                "tier": tier,
                "due": due.isoformat(),
                "days_overdue": (today - due).days,
                "deal_id": None,
                "product": None,
            }
        )
print(json.dumps(items, ensure_ascii=False))
