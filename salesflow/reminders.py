"""Who needs attention as of a day: the nine reminder kinds of the morning list.

Each kind is one SELECT over the customers' summary columns and indexes, so only the due
rows leave SQLite; the database and "today" come in as parameters.
"""

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from salesflow.choices import REMINDER_KINDS, TIERS
from salesflow.db import Row
from salesflow.summaries import lasts_days, runs_out

REMINDER_KEYS = ("kind", "customer_id", "customer", "owner", "tier", "due", "days_overdue",
                 "detail", "deal_id", "product")  # fmt: skip

# The latest contact and sale as of T: the summary columns when they are not after T
# (the everyday case, one row read per customer), else looked up in the history.
CUSTOMERS_AS_OF = """
    SELECT c.id AS customer_id, c.name, c.owner, c.tier, c.created_at,
        CASE WHEN c.last_contact_at IS NULL OR c.last_contact_at < :next_day
             THEN c.last_contact_at
             ELSE (SELECT max(at) FROM contacts WHERE customer_id = c.id AND at < :next_day)
        END AS last_contact,
        CASE WHEN c.last_contact_at IS NULL OR c.last_contact_at < :next_day
             THEN c.next_follow_up
             ELSE (SELECT next_at FROM contacts WHERE customer_id = c.id AND at < :next_day
                   ORDER BY at DESC, id DESC LIMIT 1)
        END AS next_follow_up,
        CASE WHEN c.last_sale_on IS NULL OR c.last_sale_on <= :today
             THEN c.last_sale_on
             ELSE (SELECT max(date) FROM sales WHERE customer_id = c.id AND date <= :today)
        END AS last_sale
    FROM customers c
    WHERE c.created_at <= :today AND (:owner IS NULL OR c.owner = :owner)
"""

# One SELECT per kind, each returning (kind, customer_id, customer, owner, tier, due,
# detail, deal_id, product) for the due items only.
KIND_SQL = {
    "follow-up": """
        SELECT 1, customer_id, name, owner, tier, next_follow_up,
               'follow-up planned at the contact of ' || substr(last_contact, 1, 10), NULL, NULL
        FROM book WHERE next_follow_up <= :follow_limit""",
    "no-contact": """
        SELECT 2, customer_id, name, owner, tier,
               date(substr(last_contact, 1, 10), '+' || cadence || ' days'),
               'last contact ' || substr(last_contact, 1, 10) || '; cadence ' || cadence
               || ' days', NULL, NULL
        FROM (SELECT *, CASE tier WHEN 'A' THEN :cadence_A WHEN 'B' THEN :cadence_B
                                  WHEN 'C' THEN :cadence_C WHEN 'D' THEN :cadence_D
                                  ELSE :cadence_none END AS cadence,
                        CASE tier WHEN 'A' THEN :silent_A WHEN 'B' THEN :silent_B
                                  WHEN 'C' THEN :silent_C WHEN 'D' THEN :silent_D
                                  ELSE :silent_none END AS silent_before
              FROM book WHERE last_contact IS NOT NULL
                AND (next_follow_up IS NULL OR next_follow_up <= :today))
        WHERE last_contact < silent_before""",
    "never-contacted": """
        SELECT 3, customer_id, name, owner, tier, created_at,
               'in the book since ' || created_at || ', never contacted', NULL, NULL
        FROM book WHERE last_contact IS NULL""",
    "used-up": """
        SELECT 4, c.id, c.name, c.owner, c.tier, u.due,
               p.name || ' ×' || CASE WHEN u.quantity = CAST(u.quantity AS INTEGER)
                                      THEN CAST(u.quantity AS INTEGER) ELSE u.quantity END
               || ' bought ' || u.bought || ', lasts '
               || {lasts} || ' days', NULL, p.name
        FROM (
            SELECT customer_id, product_id, last_date AS bought, last_quantity AS quantity,
                   runs_out AS due
            FROM customer_products
            WHERE runs_out <= :used_up_limit AND last_date <= :today
            UNION ALL
            SELECT f.customer_id, f.product_id, f.bought, f.quantity,
                   {runs_out}
            FROM (SELECT customer_id, product_id, bought,
                         (SELECT sum(quantity) FROM sales s WHERE s.customer_id = b.customer_id
                          AND s.product_id = b.product_id AND s.date = b.bought) AS quantity
                  FROM (SELECT customer_id, product_id,
                               (SELECT max(date) FROM sales s
                                WHERE s.customer_id = cp.customer_id
                                  AND s.product_id = cp.product_id AND s.date <= :today) AS bought
                        FROM customer_products cp WHERE last_date > :today) b
                  WHERE bought IS NOT NULL) f
            JOIN products p ON p.id = f.product_id AND p.cycle_days IS NOT NULL
        ) u
        JOIN products p ON p.id = u.product_id
        JOIN customers c ON c.id = u.customer_id
        WHERE u.due <= :used_up_limit AND c.created_at <= :today
          AND (:owner IS NULL OR c.owner = :owner)""".format(
        lasts=lasts_days("u.quantity", "p.cycle_days"),
        runs_out=runs_out("f.bought", "f.quantity", "p.cycle_days"),
    ),
    "no-repurchase": """
        SELECT 5, customer_id, name, owner, tier, date(last_sale, '+' || :repurchase_days
               || ' days'), 'last sale ' || last_sale, NULL, NULL
        FROM book WHERE last_sale <= :repurchase_before""",
    "never-purchased": """
        SELECT 6, customer_id, name, owner, tier,
               date(created_at, '+' || :never_purchased_days || ' days'),
               'in the book since ' || created_at || ', no purchase', NULL, NULL
        FROM book WHERE last_sale IS NULL AND created_at <= :joined_before""",
    "stale-deal": """
        SELECT 7, customer_id, name, owner, tier, due,
               title || ': in ' || stage || ' since ' || entered_at || ' (max '
               || max_days || ' days)', id, NULL
        FROM (SELECT *, date(entered_at, '+' || max_days || ' days') AS due FROM open_deals
              WHERE max_days IS NOT NULL)
        WHERE due <= :today""",
    "close-overdue": """
        SELECT 8, customer_id, name, owner, tier, expected_close,
               title || ': expected to close ' || expected_close, id, NULL
        FROM open_deals WHERE expected_close < :today""",
    "birthday": """
        SELECT 9, customer_id, name, owner, tier, due,
               'birthday ' || due || CASE WHEN length(birthday) = 10 THEN ' (turns '
                   || (CAST(substr(due, 1, 4) AS INTEGER) - CAST(substr(birthday, 1, 4) AS INTEGER))
                   || ')' ELSE '' END, NULL, NULL
        FROM (SELECT *, CASE WHEN this_year >= :today THEN this_year ELSE next_year END AS due
              FROM (SELECT *,
                      :this_year || '-' || CASE WHEN month_day = '02-29' AND NOT :this_leap
                                           THEN '02-28' ELSE month_day END AS this_year,
                      :next_year || '-' || CASE WHEN month_day = '02-29' AND NOT :next_leap
                                           THEN '02-28' ELSE month_day END AS next_year
                    FROM (SELECT customer_id, name, owner, tier, birthday,
                                 substr(birthday, -5) AS month_day
                          FROM (SELECT id AS customer_id, name, owner, tier,
                                       json_extract(profile, '$.birthday') AS birthday
                                FROM customers WHERE profile LIKE '%"birthday"%'
                                  AND created_at <= :today
                                  AND (:owner IS NULL OR owner = :owner))
                          WHERE birthday GLOB '*[0-1][0-9]-[0-3][0-9]')))
        WHERE due <= :birthday_limit""",
}
OPEN_DEALS_AS_OF = """
    SELECT d.id, d.title, d.owner, d.expected_close, c.id AS customer_id, c.name, c.tier,
           h.entered_at, s.key AS stage, s.max_days
    FROM deals d
    JOIN customers c ON c.id = d.customer_id
    JOIN deal_history h ON h.id = (SELECT id FROM deal_history WHERE deal_id = d.id
                                   AND entered_at <= :today ORDER BY id DESC LIMIT 1)
    JOIN stages s ON s.id = h.stage_id
    WHERE d.created_at <= :today AND (d.status = 'open' OR d.closed_on > :today)
      AND (:owner IS NULL OR d.owner = :owner)
"""


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def reminders(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    config: Mapping[str, Any],
    kinds: frozenset[str] | None = None,
    owner: str | None = None,
    days_ahead: int = 0,
) -> Iterator[Row]:
    """Who needs attention as of `as_of`; records dated after it do not exist here.

    Streams items sorted by kind (in REMINDER_KINDS order), then tier A→D→none, then
    most overdue first. Each kind is one SELECT over the summary columns and indexes, so
    only the due rows leave SQLite.
    """
    wanted = [kind for kind in REMINDER_KINDS if kinds is None or kind in kinds]
    day = timedelta(days=1)
    params: dict[str, Any] = {
        "today": as_of.isoformat(),
        "next_day": (as_of + day).isoformat(),
        "owner": owner,
        "follow_limit": (as_of + timedelta(days=days_ahead)).isoformat(),
        "used_up_limit": (as_of + timedelta(days=config["used_up.lead_days"])).isoformat(),
        "repurchase_days": config["no_repurchase.days"],
        "repurchase_before": (as_of - timedelta(days=config["no_repurchase.days"])).isoformat(),
        "never_purchased_days": config["never_purchased.days"],
        "joined_before": (as_of - timedelta(days=config["never_purchased.days"])).isoformat(),
        "birthday_limit": (as_of + timedelta(days=config["birthday.days"])).isoformat(),
        "this_year": f"{as_of.year:04d}",
        "next_year": f"{as_of.year + 1:04d}",
        "this_leap": _leap(as_of.year),
        "next_leap": _leap(as_of.year + 1),
    }
    for tier in (*TIERS, "none"):
        cadence = config[f"cadence.{tier}"]
        params[f"cadence_{tier}"] = cadence
        # last contact L is due when L + cadence <= T, i.e. L is before T - cadence + 1 day
        params[f"silent_{tier}"] = (as_of - timedelta(days=cadence) + day).isoformat()
    if not wanted or not conn.execute("SELECT 1 FROM customers LIMIT 1").fetchone():
        return  # no customers, nothing due (every deal belongs to a customer)
    sql = (
        f"WITH book AS MATERIALIZED ({CUSTOMERS_AS_OF}), open_deals AS ({OPEN_DEALS_AS_OF}),"
        " items (k, customer_id, customer, owner, tier, due, detail, deal_id, product) AS ("
        + " UNION ALL ".join(KIND_SQL[kind] for kind in wanted)
        + """)
        SELECT k, customer_id, customer, owner, tier, due,
               CAST(julianday(:today) - julianday(due) AS INTEGER), detail, deal_id, product
        FROM items
        ORDER BY k, CASE tier WHEN 'A' THEN 0 WHEN 'B' THEN 1 WHEN 'C' THEN 2
                              WHEN 'D' THEN 3 ELSE 4 END,
                 julianday(due), customer_id, deal_id, product"""
    )
    for row in conn.execute(sql, params):
        yield dict(zip(REMINDER_KEYS, (REMINDER_KINDS[row[0] - 1], *row[1:]), strict=True))
