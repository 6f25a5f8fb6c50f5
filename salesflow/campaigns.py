"""Campaigns to a target list (选择目标客户 via 短信平台, 企业网站, 会员年度会议): one
contact per customer reached, logged in one step, and what the customers reached bought in
the days after."""

import csv
import io
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from salesflow.choices import CAMPAIGN_CHANNELS, CAMPAIGN_CONTACT_CHANNELS
from salesflow.customers import find_customer
from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, BadInput, BadValue, Conflict, NotFound
from salesflow.i18n import N_, _
from salesflow.inputs import cents_to_decimal
from salesflow.validate import contact_columns

CAMPAIGN_KEYS = ("id", "name", "channel", "date", "notes", "reached", "contacts")
CAMPAIGN_REPORT_KEYS = (
    "campaign_id",
    "campaign",
    "channel",
    "date",
    "reached",
    "contacts",
    "window_days",
    "buyers",
    "sales",
    "amount",
)
DEFAULT_WINDOW_DAYS = 30
# Columns of a customer file, in the order they are trusted to name a customer.
FILE_COLUMNS = (
    ("customer_id", "id", "#"),
    ("ref", "会员卡号", "card"),
    ("mobile", "phone", "手机", "电话", "手机号"),
    ("email", "邮箱"),
    ("name", "customer", "姓名", "客户"),
)

CAMPAIGN_SELECT = """
    SELECT g.*, count(DISTINCT k.customer_id) AS reached, count(k.id) AS contacts
    FROM campaigns g LEFT JOIN contacts k ON k.campaign_id = g.id
"""


def campaign_row(row: sqlite3.Row) -> Row:
    return {
        "id": row["id"],
        "name": row["name"],
        "channel": row["channel"],
        "date": row["run_on"],
        "notes": row["notes"],
        "reached": row["reached"],
        "contacts": row["contacts"],
    }


def add_campaign(
    change: Change, name: str, *, channel: str, run_on: date, notes: str | None
) -> int:
    if not name.strip():
        raise BadValue(_("a campaign needs a name"))
    if channel not in CAMPAIGN_CHANNELS:
        raise BadValue(
            _("channel {channel!r} is not one of {channels}").format(
                channel=channel, channels=", ".join(CAMPAIGN_CHANNELS)
            )
        )
    found = change.conn.execute(
        "SELECT id FROM campaigns WHERE name = ? COLLATE NOCASE", [name.strip()]
    ).fetchone()
    if found is not None:
        raise Conflict(
            _("a campaign named {name!r} exists as #{id}").format(name=name, id=found[0])
        )
    campaign_id = change.insert(
        "campaigns",
        {
            "name": name.strip(),
            "channel": channel,
            "run_on": run_on.isoformat(),
            "notes": (notes or "").strip() or None,
        },
    )
    change.describe(N_("added campaign #{id}"), id=campaign_id)
    return campaign_id


def find_campaign(conn: sqlite3.Connection, reference: str) -> int:
    """A campaign by its name (case-insensitive), id or #id."""
    text = reference.strip()
    found = conn.execute("SELECT id FROM campaigns WHERE name = ? COLLATE NOCASE", [text])
    row = found.fetchone()
    if row is not None:
        return int(row[0])
    if re.fullmatch(r"#?\d+", text):
        by_id = conn.execute("SELECT id FROM campaigns WHERE id = ?", [int(text.lstrip("#"))])
        row = by_id.fetchone()
        if row is not None:
            return int(row[0])
    raise NotFound(_("no campaign {reference!r}").format(reference=reference), hint="campaign-add")


def get_campaign(conn: sqlite3.Connection, campaign_id: int) -> Row:
    row = conn.execute(CAMPAIGN_SELECT + " WHERE g.id = ? GROUP BY g.id", [campaign_id])
    found = row.fetchone()
    if found is None:
        raise NotFound(_("no campaign #{id}").format(id=campaign_id))
    return campaign_row(found)


def list_campaigns(conn: sqlite3.Connection, *, limit: int | None = None) -> list[Row]:
    sql = CAMPAIGN_SELECT + " GROUP BY g.id ORDER BY g.run_on, g.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [campaign_row(row) for row in conn.execute(sql)]


def log_campaign(
    change: Change,
    campaign_id: int,
    customer_ids: list[int],
    *,
    at: str | None,
    now: str,
    by: str | None = None,
    summary: str | None = None,
) -> Row:
    """One contact per customer on the list, on the campaign's channel, at `at` (default:
    the campaign's day), all in this one change. A customer the campaign already reached,
    or listed twice, is logged once."""
    conn = change.conn
    campaign = get_campaign(conn, campaign_id)
    at = at or campaign["date"]
    if at[:10] > now[:10]:
        raise BadValue(
            _(
                "a campaign's contacts cannot be logged on {day}, after today; log them once it ran"
            ).format(day=at[:10])
        )
    if not customer_ids:
        raise BadValue(_("the list names no customer; nothing was logged"))
    reached = {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT customer_id FROM contacts WHERE campaign_id = ?", [campaign_id]
        )
    }
    owners = dict(conn.execute("SELECT id, owner FROM customers"))
    text = (summary or "").strip() or _("Campaign {name}").format(name=campaign["name"])
    logged, skipped = 0, 0
    for customer_id in dict.fromkeys(customer_ids):
        if customer_id in reached:
            skipped += 1
            continue
        channel, rep, summary_text, _outcome = contact_columns(
            owners.get(customer_id),
            channel_name=CAMPAIGN_CONTACT_CHANNELS[campaign["channel"]],
            summary=text,
            by=by,
            outcome=None,
        )
        change.insert(
            "contacts",
            {
                "customer_id": customer_id,
                "at": at,
                "channel": channel,
                "rep": rep,
                "summary": summary_text,
                "campaign_id": campaign_id,
            },
        )
        logged += 1
    change.describe(N_("logged campaign #{id}: {count} contacts"), id=campaign_id, count=logged)
    return {"logged": logged, "already_reached": skipped}


def read_customer_file(conn: sqlite3.Connection, path: Path) -> list[int]:
    """The customers a CSV file names (a header row; UTF-8 or GB18030; `,` `;` or tab): by
    id, ref, mobile or phone, email or name, whichever column comes first in that order.
    Any line that names no customer, or several, refuses the whole file."""
    from salesflow.imports import pick_delimiter, sniff_encoding  # the import's own rules

    encoding, _digest, _has_nul = sniff_encoding(path, "auto")
    text = path.read_text(encoding=encoding)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = pick_delimiter(first)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    headers = [cell.strip().lower() for cell in next(reader, [])]
    column = next(
        (headers.index(name) for names in FILE_COLUMNS for name in names if name in headers),
        None,
    )
    if column is None:
        raise BadInput(
            _(
                "{path} has no column naming customers (customer_id, ref, mobile, phone, "
                "email or name)"
            ).format(path=path)
        )
    found, problems = [], []
    for line, cells in enumerate(reader, start=2):
        value = cells[column].strip() if column < len(cells) else ""
        if not value:
            if any(cell.strip() for cell in cells):
                problems.append(_("line {line}: empty").format(line=line))
            continue
        try:
            found.append(find_customer(conn, value))
        except NotFound:
            problems.append(_("line {line}: no customer matches").format(line=line))
        except Ambiguous:
            problems.append(_("line {line}: matches several customers").format(line=line))
    if problems:
        raise BadInput(
            _("{path}: {problems}; nothing was logged").format(
                path=path, problems="; ".join(problems[:20])
            )
        )
    return found


def campaigns_report(
    conn: sqlite3.Connection, *, window_days: int = DEFAULT_WINDOW_DAYS
) -> list[Row]:
    """Per campaign: customers reached, contacts logged, and the sales to those customers
    from the campaign's day through `window_days` days after it (buyers, sale lines,
    amount)."""
    if window_days < 0:
        raise BadValue(_("the window must be zero or more days"))
    rows = []
    for campaign in conn.execute(CAMPAIGN_SELECT + " GROUP BY g.id ORDER BY g.run_on, g.id"):
        start = date.fromisoformat(campaign["run_on"])
        end = start + timedelta(days=window_days)
        bought = conn.execute(
            """SELECT count(DISTINCT s.customer_id) AS buyers, count(s.id) AS lines,
                      coalesce(sum(s.amount_cents), 0) AS cents
               FROM sales s
               WHERE s.date BETWEEN ? AND ?
                 AND s.customer_id IN (SELECT customer_id FROM contacts WHERE campaign_id = ?)""",
            [start.isoformat(), end.isoformat(), campaign["id"]],
        ).fetchone()
        rows.append(
            {
                "campaign_id": campaign["id"],
                "campaign": campaign["name"],
                "channel": campaign["channel"],
                "date": campaign["run_on"],
                "reached": campaign["reached"],
                "contacts": campaign["contacts"],
                "window_days": window_days,
                "buyers": bought["buyers"],
                "sales": bought["lines"],
                "amount": cents_to_decimal(bought["cents"]),
            }
        )
    return rows
