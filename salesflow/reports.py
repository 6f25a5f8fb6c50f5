"""Read-only aggregations over the book, returned as plain data for cli.py to render."""

import re
import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from salesflow.choices import INTERVALS, SALES_DIMENSIONS
from salesflow.db import Row
from salesflow.errors import BadValue, NotFound
from salesflow.gates import share_pct
from salesflow.i18n import _
from salesflow.inputs import cents_to_decimal, units


def customer_timeline(conn: sqlite3.Connection, customer_id: int) -> list[Row]:
    """Everything that happened with one customer, oldest first: contacts, purchases,
    deals opened and closed."""
    events: list[Row] = []
    for row in conn.execute(
        "SELECT id, at, channel, rep, summary, outcome, next_at FROM contacts"
        " WHERE customer_id = ?",
        [customer_id],
    ):
        detail = f"{row['channel']}: {row['summary']}"
        if row["outcome"]:
            detail += f" → {row['outcome']}"
        if row["next_at"]:
            detail += f" (next {row['next_at']})"
        events.append(_event(row["at"], "contact", row["id"], detail, row["rep"], None))
    for row in conn.execute(
        "SELECT s.id, s.date, s.quantity, s.amount_cents, s.rep,"
        " coalesce(p.name, s.product_name) AS product"
        " FROM sales s LEFT JOIN products p ON p.id = s.product_id WHERE s.customer_id = ?",
        [customer_id],
    ):
        detail = f"{row['product'] or 'sale'} × {units(row['quantity'])}"
        events.append(
            _event(row["date"], "sale", row["id"], detail, row["rep"], row["amount_cents"])
        )
    for row in conn.execute(
        "SELECT r.id, r.date, r.quantity, r.amount_cents, r.sale_id, r.reason, s.rep"
        " FROM returns r JOIN sales s ON s.id = r.sale_id WHERE s.customer_id = ?",
        [customer_id],
    ):
        detail = f"return of sale #{row['sale_id']} × {units(row['quantity'])}" + (
            f": {row['reason']}" if row["reason"] else ""
        )
        events.append(
            _event(row["date"], "return", row["id"], detail, row["rep"], -row["amount_cents"])
        )
    for row in conn.execute(
        "SELECT d.id, d.title, d.created_at, d.status, d.closed_on, d.owner, d.amount_cents,"
        " s.key AS stage FROM deals d JOIN stages s ON s.id = d.stage_id"
        " WHERE d.customer_id = ?",
        [customer_id],
    ):
        events.append(
            _event(
                row["created_at"],
                "deal",
                row["id"],
                f"opened: {row['title']}",
                row["owner"],
                row["amount_cents"],
            )
        )
        if row["status"] != "open":
            events.append(
                _event(
                    row["closed_on"],
                    "deal",
                    row["id"],
                    f"{row['status']}: {row['title']}",
                    row["owner"],
                    row["amount_cents"],
                )
            )
    events.sort(key=lambda event: (event["date"] or "", event["kind"], event["id"]))
    return events


def _event(
    when: str, kind: str, record_id: int, detail: str, by: str | None, cents: int | None
) -> Row:
    return {
        "date": when,
        "kind": kind,
        "id": record_id,
        "detail": detail,
        "by": by,
        "amount": cents_to_decimal(cents),
    }


# ---------------------------------------------------------------- periods


def report_range(
    today: date,
    *,
    start: date | None = None,
    end: date | None = None,
    year: int | None = None,
    month: str | None = None,
) -> tuple[date, date]:
    """The dates a report covers: --from/--to, --year or --month; default this year."""
    if sum(option is not None for option in (year, month)) + bool(start or end) > 1:
        raise BadValue(_("give one period: a range, a year or a month"))
    if year is not None:
        if not 1900 <= year <= 9999:
            raise BadValue(_("year {year} is out of range").format(year=year))
        return date(year, 1, 1), date(year, 12, 31)
    if month is not None:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", month.strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise BadValue(_("a month must look like 2026-03, not {month!r}").format(month=month))
        first = date(int(match[1]), int(match[2]), 1)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following - timedelta(days=1)
    if start or end:
        first = start or date(1900, 1, 1)
        last = end or today
        if first > last:
            raise BadValue(
                _("the period starts ({first}) after it ends ({last})").format(
                    first=first, last=last
                )
            )
        return first, last
    return date(today.year, 1, 1), date(today.year, 12, 31)


def period_label(day: date, interval: str) -> str:
    if interval == "year":
        return f"{day.year}"
    if interval == "quarter":
        return f"{day.year}-Q{(day.month + 2) // 3}"
    if interval == "month":
        return f"{day.year}-{day.month:02d}"
    if interval == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return day.isoformat()


def period_start(label: str, interval: str) -> date:
    if interval == "year":
        return date(int(label), 1, 1)
    if interval == "quarter":
        return date(int(label[:4]), 3 * int(label[-1]) - 2, 1)
    if interval == "month":
        return date(int(label[:4]), int(label[5:7]), 1)
    if interval == "week":
        return date.fromisocalendar(int(label[:4]), int(label[-2:]), 1)
    return date.fromisoformat(label)


def compared_label(label: str, interval: str, compare: str) -> str:
    """The period a period is compared with: the one before (环比) or a year earlier (同比)."""
    start = period_start(label, interval)
    if compare == "yoy":
        if interval == "week":
            year, week = int(label[:4]) - 1, int(label[-2:])
            weeks = date(year, 12, 28).isocalendar().week
            return f"{year}-W{min(week, weeks):02d}"
        try:
            return period_label(start.replace(year=start.year - 1), interval)
        except ValueError:  # 29 February
            return period_label(start.replace(year=start.year - 1, day=28), interval)
    return period_label(start - timedelta(days=1), interval)


# ---------------------------------------------------------------- sales report

PERIOD_SQL = {
    "year": "substr(s.date, 1, 4)",
    "quarter": "substr(s.date, 1, 4) || '-Q' || ((CAST(substr(s.date, 6, 2) AS INTEGER) + 2) / 3)",
    "month": "substr(s.date, 1, 7)",
    "week": "s.date",  # rolled up to ISO weeks in Python (SQLite here lacks %V)
    "day": "s.date",
}
# Each dimension's output keys and SQL; a record reference shows as <thing>_id and <thing>.
DIMENSION_SQL = {
    "department": (("department", "s.department"),),
    "rep": (("rep", "s.rep"),),
    "store": (("store", "s.store"),),
    # a sale whose product was deleted keeps the product's name
    "product": (("product_id", "s.product_id"), ("product", "coalesce(p.name, s.product_name)")),
    "category": (("category", "p.category"),),
    "customer": (("customer_id", "s.customer_id"), ("customer", "c.name")),
    "tier": (("tier", "c.tier"),),
    "source": (("source", "c.source"),),
}


def dimension_keys(dims: list[str]) -> list[str]:
    return [key for dim in dims for key, _ in DIMENSION_SQL[dim]]


def narrow_range(conn: sqlite3.Connection, table: str, column: str, start: date, end: date) -> bool:
    """Whether [start, end] holds few enough of the table's rows for its date index to pay.

    Rows are stored in the order they were entered, not by date: reading a long range
    through the index jumps all over the file, while a straight scan reads each page once.
    The first and last dates (two index probes) tell how much of the history the range spans.
    """
    first, last = conn.execute(f"SELECT min({column}), max({column}) FROM {table}").fetchone()
    if first is None:
        return True
    lowest, highest = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
    covered = (min(end, highest) - max(start, lowest)).days + 1
    return covered <= 0.1 * ((highest - lowest).days + 1)


def parse_dimensions(text: str | None) -> list[str]:
    names = [part.strip().lower() for part in (text or "company").split(",") if part.strip()]
    for name in names:
        if name not in SALES_DIMENSIONS:
            raise BadValue(
                _("cannot report by {name!r}; use any of {dimensions}").format(
                    name=name, dimensions=", ".join(SALES_DIMENSIONS)
                )
            )
    if len(set(names)) != len(names):
        raise BadValue(_("each dimension may appear once"))
    return [name for name in names if name != "company"]


def _aggregate(
    conn: sqlite3.Connection,
    start: date,
    end: date,
    interval: str,
    dims: list[str],
    label: str,
    customer_id: int | None = None,
) -> dict[tuple[Any, ...], list[Any]]:
    """(period, *dimension values) → [orders, quantity, cents, returned cents]: sales in
    [start, end] less the returns dated in it (a return counts in its own period, under
    its sale's rep, product, customer…; orders count sales only)."""
    # A report by rep (or by nothing) reads the book's daily totals per rep, a row per day
    # and rep whatever the number of sales, and the days fold into their periods here.
    # Any other report reads the sales: a long range faster by a scan of the table.
    covered = set(dims) <= {"rep"} and customer_id is None
    by_day = interval == "week" or (covered and interval != "none")
    period = "s.date" if by_day else PERIOD_SQL.get(interval, "?")
    columns = [sql for dim in dims for _, sql in DIMENSION_SQL[dim]]
    select = [period if interval != "none" else "?", *columns]
    group = ["1", *columns]
    joins = ""
    if {"product", "category"} & set(dims):
        joins += " LEFT JOIN products p ON p.id = s.product_id"
    if {"customer", "tier", "source"} & set(dims):
        joins += " JOIN customers c ON c.id = s.customer_id"
    one_customer = " AND s.customer_id = ?" if customer_id is not None else ""
    if covered:
        sold = (
            f"SELECT {', '.join(select)}, s.orders, s.quantity, s.amount_cents, 0"
            " FROM sales_days s WHERE s.date BETWEEN ? AND ?"
        )
    else:
        date_column = "s.date" if narrow_range(conn, "sales", "date", start, end) else "+s.date"
        sold = (
            f"SELECT {', '.join(select)}, count(*), sum(s.quantity), sum(s.amount_cents), 0"
            f" FROM sales s{joins} WHERE {date_column} BETWEEN ? AND ?{one_customer}"
            f" GROUP BY {', '.join(group)}"
        )
    returned_select = [period.replace("s.date", "r.date") if interval != "none" else "?", *columns]
    returned = (
        f"SELECT {', '.join(returned_select)}, 0, -sum(r.quantity), -sum(r.amount_cents),"
        f" sum(r.amount_cents) FROM returns r JOIN sales s ON s.id = r.sale_id{joins}"
        f" WHERE r.date BETWEEN ? AND ?{one_customer} GROUP BY {', '.join(group)}"
    )
    params: list[Any] = [label] if interval == "none" else []
    params += [start.isoformat(), end.isoformat()]
    if customer_id is not None:
        params.append(customer_id)
    labels: dict[str, str] = {}  # each day's period, worked out once
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for sql in (sold, returned):
        for row in conn.execute(sql, params):
            key = tuple(row[: 1 + len(columns)])
            if by_day:
                day = key[0]
                found_label = labels.get(day)
                if found_label is None:
                    found_label = labels[day] = period_label(date.fromisoformat(day), interval)
                key = (found_label, *key[1:])
            found = totals.setdefault(key, [0, 0, 0, 0])
            for index, value in enumerate(row[-4:]):
                found[index] += value
    return totals


def sales_report(
    conn: sqlite3.Connection,
    *,
    start: date,
    end: date,
    interval: str = "month",
    by: list[str] | None = None,
    compare: str | None = None,
    customer_id: int | None = None,
) -> list[Row]:
    """Net sales per period and dimension (company, department, rep, store, product…),
    for one customer or all: amounts and quantities less the returns dated in each
    period (`returned_amount`); `orders` counts sales."""
    if interval not in INTERVALS:
        raise BadValue(
            _("the interval must be one of {intervals}").format(intervals=", ".join(INTERVALS))
        )
    dims = by or []
    label = f"{start.isoformat()}..{end.isoformat()}"
    current = _aggregate(conn, start, end, interval, dims, label, customer_id)
    previous: dict[tuple[Any, ...], list[Any]] = {}
    if compare and current:
        if interval == "none":
            span = end - start + timedelta(days=1)
            earlier = (
                (start - span, start - timedelta(days=1))
                if compare == "prev"
                else (_year_earlier(start), _year_earlier(end))
            )
            previous = {
                (label, *key[1:]): value
                for key, value in _aggregate(conn, *earlier, "none", dims, "", customer_id).items()
            }
        else:
            first = min(key[0] for key in current)
            since = period_start(compared_label(first, interval, compare), interval)
            shifted = _aggregate(conn, since, end, interval, dims, label, customer_id)
            previous = {
                (period, *key[1:]): value
                for period in {key[0] for key in current}
                for key, value in shifted.items()
                if key[0] == compared_label(period, interval, compare)
            }
    rows = []
    # by their text, an empty value (none, then blank) first
    for key in sorted(
        current, key=lambda k: tuple((0, "") if v is None else (1, str(v)) for v in k)
    ):
        orders, quantity, cents, returned_cents = current[key]
        row: Row = {"period": key[0]}
        row.update(zip(dimension_keys(dims), key[1:], strict=True))
        row.update(
            {
                "orders": orders,
                "quantity": _number(quantity),
                "amount": cents_to_decimal(cents),
                "returned_amount": cents_to_decimal(returned_cents),
            }
        )
        if compare:
            before = previous.get(key, [0, 0, 0])[2]
            row["previous_amount"] = cents_to_decimal(before)
            row["change_pct"] = change_pct(cents, before)
        rows.append(row)
    return rows


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _number(value: float | int | None) -> float | int:
    return 0 if value is None else units(value)


def change_pct(now: int, before: int) -> float | None:
    return None if not before else round(100 * (now - before) / before, 1)


def sales_total(rows: list[Row], compare: bool) -> Row:
    total: Row = {
        "period": "Total",
        "orders": sum(row["orders"] for row in rows),
        "quantity": _number(sum(row["quantity"] for row in rows)),
        "amount": sum((row["amount"] for row in rows), Decimal("0.00")),
        "returned_amount": sum((row["returned_amount"] for row in rows), Decimal("0.00")),
    }
    if compare:
        before = sum((row["previous_amount"] for row in rows), Decimal("0.00"))
        total["previous_amount"] = before
        total["change_pct"] = change_pct(int(total["amount"] * 100), int(before * 100))
    return total


# ---------------------------------------------------------------- pipeline and funnel

PIPELINE_GROUPS = {
    "stage": (("pipeline", "p.name"), ("stage", "s.key")),
    "owner": (("owner", "d.owner"),),
    "close-month": (("close_month", "substr(d.expected_close, 1, 7)"),),
}


# The position of each pipeline's closing stage (its last stage when none is marked).
CLOSING_POSITION = """
    SELECT pipeline_id, coalesce(max(CASE WHEN closing THEN position END), max(position))
           AS position
    FROM stages GROUP BY pipeline_id
"""


def pipeline_report(conn: sqlite3.Connection, *, by: str = "stage") -> list[Row]:
    """Open deals: count, amount, amount weighted by probability and deposits taken. Won
    deals and deals in a delivery stage (after the closing stage) are contracts already,
    not forecast."""
    if by not in PIPELINE_GROUPS:
        raise BadValue(
            _("the grouping must be one of {groups}").format(groups=", ".join(PIPELINE_GROUPS))
        )
    keys = [key for key, _ in PIPELINE_GROUPS[by]]
    columns = ", ".join(sql for _, sql in PIPELINE_GROUPS[by])
    order = "p.id, s.position" if by == "stage" else columns
    rows = conn.execute(
        f"""SELECT {columns}, count(*) AS count, sum(coalesce(d.amount_cents, 0)) AS cents,
                   sum(coalesce(d.amount_cents, 0) * coalesce(d.probability, s.probability))
                       AS weighted,
                   sum(coalesce((SELECT sum(amount_cents) FROM deal_deposits
                                 WHERE deal_id = d.id), 0)) AS paid
            FROM deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id
            JOIN ({CLOSING_POSITION}) closing ON closing.pipeline_id = d.pipeline_id
            WHERE d.status = 'open' AND s.position <= closing.position
            GROUP BY {columns} ORDER BY {order}"""
    )
    return [
        {
            **dict(zip(keys, row[: len(keys)], strict=True)),
            "count": row["count"],
            "amount": cents_to_decimal(row["cents"]),
            # amount × probability %, to the cent, halves rounded up
            "weighted_amount": cents_to_decimal((row["weighted"] + 50) // 100),
            # deposits taken on these deals (成交收订): money in hand, not a forecast
            "deposits": cents_to_decimal(row["paid"]),
        }
        for row in rows
    ]


def funnel_report(conn: sqlite3.Connection, today: date, pipeline: str | None = None) -> list[Row]:
    """Per stage: deals that reached it, conversion to the next, average days spent there,
    and how the deals that reached it ended (won, lost, win rate); `delivery` marks the
    stages after the closing stage, which won deals go through."""
    where, params = "", []
    if pipeline is not None:
        where, params = "WHERE p.name = ?", [pipeline]
        if not conn.execute("SELECT 1 FROM pipelines WHERE name = ?", [pipeline]).fetchone():
            raise NotFound(_("no pipeline {name!r}").format(name=pipeline))
    stages = conn.execute(
        f"""SELECT p.id AS pipeline_id, p.name AS pipeline, s.id, s.key, s.position,
                   s.position > closing.position AS delivery
            FROM stages s JOIN pipelines p ON p.id = s.pipeline_id
            JOIN ({CLOSING_POSITION}) closing ON closing.pipeline_id = p.id {where}
            ORDER BY p.id, s.position""",
        params,
    ).fetchall()
    deepest = {
        row["id"]: (row["pipeline_id"], row["position"], row["status"])
        for row in conn.execute(
            """SELECT d.id, d.pipeline_id, d.status, max(s.position) AS position
               FROM deals d JOIN deal_history h ON h.deal_id = d.id
               JOIN stages s ON s.id = h.stage_id GROUP BY d.id"""
        )
    }
    days: dict[int, list[int]] = {}
    for row in conn.execute(
        """SELECT h.stage_id, h.entered_at,
                  coalesce(h.left_at, CASE WHEN d.closed_on > h.entered_at THEN d.closed_on END)
                      AS left_at
           FROM deal_history h JOIN deals d ON d.id = h.deal_id"""
    ):
        # A delivery stage entered after the win is still running: count up to today.
        left = date.fromisoformat(row["left_at"]) if row["left_at"] else today
        days.setdefault(row["stage_id"], []).append(
            (left - date.fromisoformat(row["entered_at"])).days
        )
    used = {pipeline_id for pipeline_id, _, _ in deepest.values()}
    rows = []
    for index, stage in enumerate(stages):
        if pipeline is None and stage["pipeline_id"] not in used:
            continue
        reached = [
            status
            for pid, pos, status in deepest.values()
            if pid == stage["pipeline_id"] and pos >= stage["position"]
        ]
        following = stages[index + 1] if index + 1 < len(stages) else None
        has_next = following is not None and following["pipeline_id"] == stage["pipeline_id"]
        advanced = sum(
            1
            for pid, pos, _ in deepest.values()
            if pid == stage["pipeline_id"] and pos > stage["position"]
        )
        spent = days.get(stage["id"], [])
        won, lost = reached.count("won"), reached.count("lost")
        rows.append(
            {
                "pipeline": stage["pipeline"],
                "stage": stage["key"],
                "reached": len(reached),
                "advanced": advanced if has_next else None,
                "conversion_pct": share_pct(advanced, len(reached)) if has_next else None,
                "avg_days": round(sum(spent) / len(spent), 1) if spent else None,
                "won": won,
                "lost": lost,
                "win_rate_pct": share_pct(won, won + lost),
                "delivery": bool(stage["delivery"]),
            }
        )
    return rows


# ---------------------------------------------------------------- activity and members


def activity_report(
    conn: sqlite3.Connection, *, start: date, end: date, interval: str = "month", by: str = "rep"
) -> list[Row]:
    """Contacts per period and salesperson or channel."""
    if interval not in INTERVALS:
        raise BadValue(
            _("the interval must be one of {intervals}").format(intervals=", ".join(INTERVALS))
        )
    if by not in ("rep", "channel"):
        raise BadValue(_("activity is grouped by rep or channel"))
    column = "rep" if by == "rep" else "channel"
    counts: dict[tuple[str, Any], int] = {}
    at = "at" if narrow_range(conn, "contacts", "at", start, end) else "+at"
    for row in conn.execute(
        f"SELECT substr(at, 1, 10) AS day, {column}, count(*) FROM contacts"
        f" WHERE {at} >= ? AND {at} < ? GROUP BY day, {column}",
        [start.isoformat(), (end + timedelta(days=1)).isoformat()],
    ):
        label = (
            f"{start}..{end}"
            if interval == "none"
            else period_label(date.fromisoformat(row[0]), interval)
        )
        counts[(label, row[1])] = counts.get((label, row[1]), 0) + row[2]
    ordered = sorted(counts, key=lambda key: (key[0], key[1] or ""))
    return [{"period": key[0], by: key[1], "contacts": counts[key]} for key in ordered]


MEMBER_GROUPS = {"tier": "c.tier", "source": "c.source", "owner": "c.owner", "store": "c.store"}


def customers_report(
    conn: sqlite3.Connection, *, start: date, end: date, by: str = "tier"
) -> list[Row]:
    """Member statistics per group: customers, new in the period, buying in it, amount
    (net of the returns dated in it). Customers without a tier are the group `none`."""
    if by not in MEMBER_GROUPS:
        raise BadValue(
            _("the grouping must be one of {groups}").format(groups=", ".join(MEMBER_GROUPS))
        )
    column = MEMBER_GROUPS[by]
    rows = conn.execute(
        f"""SELECT {column} AS grp, count(*) AS customers,
                   sum(c.created_at BETWEEN :start AND :end) AS new,
                   sum(coalesce(b.sold, 0)) AS buying, sum(coalesce(b.cents, 0)) AS cents
            FROM customers c LEFT JOIN (
                SELECT customer_id, sum(cents) AS cents, max(sold) AS sold FROM (
                    SELECT customer_id, amount_cents AS cents, 1 AS sold FROM sales
                    WHERE date BETWEEN :start AND :end
                    UNION ALL
                    SELECT s.customer_id, -r.amount_cents, 0 FROM returns r
                    JOIN sales s ON s.id = r.sale_id WHERE r.date BETWEEN :start AND :end)
                GROUP BY customer_id
            ) b ON b.customer_id = c.id
            WHERE c.created_at <= :end
            GROUP BY grp ORDER BY grp IS NULL, grp""",
        {"start": start.isoformat(), "end": end.isoformat()},
    )
    return [
        {
            by: "none" if by == "tier" and row["grp"] is None else row["grp"],
            "customers": row["customers"],
            "new": row["new"],
            "buying": row["buying"],
            "amount": cents_to_decimal(row["cents"]),
        }
        for row in rows
    ]
