"""Floor for `remind --format json`: the same morning list written by hand.

    python bench/floor_remind.py BOOK TODAY > items.json

Every default kind (follow-up, no-contact, never-contacted, used-up, no-repurchase,
never-purchased, stale-deal, close-overdue, birthday; slipping is off by default) with the
same fields, `key` included, under the default settings: plain SQL over the base tables
(contacts, sales, returns, deals, deal_history) through the indexes the book already has —
none of salesflow's summary columns or its customer_products table — then the items
answered done or still snoozed left out, and the list encoded to JSON.

The key is computed the way docs and `reminders.full_key` document it, independently of
salesflow's code: the first 7 characters of the lower-case RFC 4648 base32 of SHA-256 over
"kind|customer_id|subject|due" (subject "d<deal>", "p<product>" or empty).
"""

import base64
import hashlib
import json
import sqlite3
import sys
from datetime import date, timedelta

CADENCE = {"A": 7, "B": 14, "C": 30, "D": 60, None: 30}
USED_UP_LEAD, USED_UP_EXPIRE = 3, 60
NO_REPURCHASE, NEVER_PURCHASED, BIRTHDAY_DAYS = 90, 30, 7
KINDS = ["follow-up", "no-contact", "never-contacted", "used-up", "no-repurchase",
         "never-purchased", "stale-deal", "close-overdue", "birthday"]  # fmt: skip

# Per customer: the latest contact before tomorrow (the next_at of the latest one, ties to
# the higher id) and the latest sale not returned in full, all through the indexes
# contacts(customer_id, at, id) and sales(customer_id, product_id, date).
SQL = """
WITH
returned AS MATERIALIZED (
    SELECT sale_id, sum(quantity) AS quantity FROM returns WHERE date <= :today
    GROUP BY sale_id),
pair_day AS MATERIALIZED (
    SELECT s.customer_id, s.product_id, s.date,
           sum(s.quantity - coalesce(r.quantity, 0)) AS quantity
    FROM sales s LEFT JOIN returned r ON r.sale_id = s.id
    WHERE s.date <= :today AND s.quantity - coalesce(r.quantity, 0) > 1e-9
    GROUP BY s.customer_id, s.product_id, s.date),
pair AS MATERIALIZED (
    -- one row per (customer, product); quantity comes from the row holding max(date)
    SELECT customer_id, product_id, max(date) AS bought, quantity FROM pair_day
    GROUP BY customer_id, product_id),
last_sale AS (SELECT customer_id, max(bought) AS day FROM pair GROUP BY customer_id),
c AS MATERIALIZED (
    SELECT c.id, c.name, c.owner, c.tier, c.created_at,
           (SELECT max(at) FROM contacts WHERE customer_id = c.id AND at < :next_day)
               AS last_contact,
           (SELECT next_at FROM contacts WHERE customer_id = c.id AND at < :next_day
            ORDER BY at DESC, id DESC LIMIT 1) AS next_at,
           ls.day AS last_sale,
           CASE c.tier WHEN 'A' THEN 7 WHEN 'B' THEN 14 WHEN 'C' THEN 30 WHEN 'D' THEN 60
                       ELSE 30 END AS cadence
    FROM customers c LEFT JOIN last_sale ls ON ls.customer_id = c.id
    WHERE c.created_at <= :today),
open_deals AS (
    SELECT d.id, d.title, d.owner, d.expected_close, d.customer_id, c.name, c.tier,
           h.entered_at, st.key AS stage, st.max_days
    FROM deals d JOIN customers c ON c.id = d.customer_id
    JOIN deal_history h ON h.id = (SELECT id FROM deal_history WHERE deal_id = d.id
                                   AND entered_at <= :today ORDER BY id DESC LIMIT 1)
    JOIN stages st ON st.id = h.stage_id
    WHERE d.created_at <= :today AND (d.status = 'open' OR d.closed_on > :today)),
items (k, customer_id, customer, owner, tier, due, detail, deal_id, product, product_id) AS (
    SELECT 1, id, name, owner, tier, next_at,
           'follow-up planned at the contact of ' || substr(last_contact, 1, 10),
           NULL, NULL, NULL
    FROM c WHERE next_at <= :today
    UNION ALL
    SELECT 2, id, name, owner, tier, due,
           'last contact ' || substr(last_contact, 1, 10) || '; cadence ' || cadence || ' days',
           NULL, NULL, NULL
    FROM (SELECT *, date(substr(last_contact, 1, 10), '+' || cadence || ' days') AS due FROM c
          WHERE last_contact IS NOT NULL AND (next_at IS NULL OR next_at <= :today))
    WHERE due <= :today
    UNION ALL
    SELECT 3, id, name, owner, tier, created_at,
           'in the book since ' || created_at || ', never contacted', NULL, NULL, NULL
    FROM c WHERE last_contact IS NULL
    UNION ALL
    SELECT 4, c.id, c.name, c.owner, c.tier, u.due,
           u.product || ' ×' || CASE WHEN u.quantity = CAST(u.quantity AS INTEGER)
                                     THEN CAST(u.quantity AS INTEGER) ELSE u.quantity END
           || ' bought ' || u.bought || ', lasts ' || u.lasts || ' days',
           NULL, u.product, u.product_id
    FROM (SELECT p.customer_id, p.product_id, p.bought, p.quantity, pr.name AS product,
                 CAST(p.quantity * pr.cycle_days AS INTEGER) AS lasts,
                 date(p.bought, '+' || CAST(p.quantity * pr.cycle_days AS INTEGER) || ' days')
                     AS due
          FROM pair p JOIN products pr ON pr.id = p.product_id
          WHERE pr.cycle_days IS NOT NULL) u
    JOIN c ON c.id = u.customer_id
    WHERE u.due BETWEEN :expired_before AND :used_up_limit
      AND NOT EXISTS (SELECT 1 FROM reminder_stops s
                      WHERE s.customer_id = u.customer_id AND s.product_id = u.product_id
                        AND s.stopped_on <= :today AND s.stopped_on >= u.bought)
    UNION ALL
    SELECT 5, id, name, owner, tier, date(last_sale, '+90 days'), 'last sale ' || last_sale,
           NULL, NULL, NULL
    FROM c WHERE last_sale <= :repurchase_before
    UNION ALL
    SELECT 6, id, name, owner, tier, date(created_at, '+30 days'),
           'in the book since ' || created_at || ', no purchase', NULL, NULL, NULL
    FROM c WHERE last_sale IS NULL AND created_at <= :joined_before
    UNION ALL
    SELECT 7, customer_id, name, owner, tier, due,
           title || ': in ' || stage || ' since ' || entered_at || ' (max ' || max_days
           || ' days)', id, NULL, NULL
    FROM (SELECT *, date(entered_at, '+' || max_days || ' days') AS due FROM open_deals
          WHERE max_days IS NOT NULL)
    WHERE due <= :today
    UNION ALL
    SELECT 8, customer_id, name, owner, tier, expected_close,
           title || ': expected to close ' || expected_close, id, NULL, NULL
    FROM open_deals WHERE expected_close < :today
)
SELECT * FROM items
"""


def key(kind: str, customer_id: int, deal_id, product_id, due: str) -> str:
    subject = f"d{deal_id}" if deal_id is not None else f"p{product_id}" if product_id else ""
    digest = hashlib.sha256(f"{kind}|{customer_id}|{subject}|{due}".encode()).digest()
    return base64.b32encode(digest[:5]).decode().lower()[:7]


def birthdays(conn: sqlite3.Connection, today: date) -> list[tuple]:
    """Birthdays in the coming BIRTHDAY_DAYS days, from the profile facts (few rows)."""
    found = []
    limit = (today + timedelta(days=BIRTHDAY_DAYS)).isoformat()
    for customer_id, name, owner, tier, born in conn.execute(
        "SELECT id, name, owner, tier, json_extract(profile, '$.birthday') FROM customers"
        " WHERE profile LIKE '%\"birthday\"%' AND created_at <= ?",
        [today.isoformat()],
    ):
        if not isinstance(born, str) or len(born) < 5:
            continue
        month_day = born[-5:]
        if not (month_day[:2].isdigit() and month_day[2] == "-" and month_day[3:].isdigit()):
            continue
        if month_day[0] not in "01" or month_day[3] not in "0123":
            continue
        due = ""
        for year in (today.year, today.year + 1):
            leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            due = f"{year:04d}-{'02-28' if month_day == '02-29' and not leap else month_day}"
            if due >= today.isoformat():
                break
        if due > limit:
            continue
        turns = f" (turns {int(due[:4]) - int(born[:4])})" if len(born) == 10 else ""
        found.append((9, customer_id, name, owner, tier, due, f"birthday {due}{turns}",
                      None, None, None))  # fmt: skip
    return found


def main() -> None:
    book, today = sys.argv[1], date.fromisoformat(sys.argv[2])
    conn = sqlite3.connect(f"file:{book}?mode=ro", uri=True)
    day = timedelta(days=1)
    params = {
        "today": today.isoformat(),
        "next_day": (today + day).isoformat(),
        "used_up_limit": (today + timedelta(days=USED_UP_LEAD)).isoformat(),
        "expired_before": (today - timedelta(days=USED_UP_EXPIRE)).isoformat(),
        "repurchase_before": (today - timedelta(days=NO_REPURCHASE)).isoformat(),
        "joined_before": (today - timedelta(days=NEVER_PURCHASED)).isoformat(),
    }
    rows = conn.execute(SQL, params).fetchall()
    rows += birthdays(conn, today)
    # The latest answer of each situation as of today; done, or snoozed past today, hides it.
    hidden = {}
    for kind, customer_id, deal_id, product_id, due, state, until in conn.execute(
        "SELECT kind, customer_id, deal_id, product_id, due, state, until FROM reminder_states"
        " WHERE since <= ? ORDER BY since, id",
        [today.isoformat()],
    ):
        hidden[(kind, customer_id, deal_id, product_id, due)] = state == "done" or (
            until is not None and until > today.isoformat()
        )
    tier_rank = {"A": 0, "B": 1, "C": 2, "D": 3}
    rows.sort(key=lambda r: (r[0], tier_rank.get(r[4], 4), r[5], r[1], r[7] or 0, r[8] or ""))
    items = []
    for k, customer_id, customer, owner, tier, due, detail, deal_id, product, product_id in rows:
        kind = KINDS[k - 1]
        situation = (kind, customer_id, deal_id, product_id, due)
        if hidden.get(situation):
            continue
        items.append(
            {
                "kind": kind,
                "customer_id": customer_id,
                "customer": customer,
                "owner": owner,
                "tier": tier,
                "due": due,
                "days_overdue": (today - date.fromisoformat(due)).days,
                "detail": detail,
                "deal_id": deal_id,
                "product": product,
                "key": key(*situation),
            }
        )
    sys.stdout.write(json.dumps(items, ensure_ascii=False))


if __name__ == "__main__":
    main()
