"""Who needs attention as of a day: the nine reminder kinds of the morning list, and
what the salesperson did with them (done, snoozed, a product stopped for a customer).

Each kind is one SELECT over the customers' summary columns and indexes, so only the due
rows leave SQLite; the database and "today" come in as parameters.

Every item has a key derived from the situation it is about — kind, customer, deal or
product, due date — so the same situation has the same key on every run and every copy
of the book, and a new situation (a new purchase, contact or stage) has a new one. Done
and snoozed are recorded against that situation with the day they were given, so an
evaluation as of an earlier day still shows the item as due.
"""

import importlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal

from salesflow.choices import REMINDER_KINDS, TIERS
from salesflow.db import Change, Row
from salesflow.errors import Ambiguous, BadValue, Conflict, NotFound
from salesflow.i18n import N_, _, labelled
from salesflow.summaries import (
    HAS_BIRTHDAY,
    PROFILE_BIRTHDAY,
    kept,
    lasts_days,
    net_quantity,
    runs_out,
)

REMINDER_KEYS = ("kind", "customer_id", "customer", "owner", "tier", "due", "days_overdue",
                 "detail", "deal_id", "product", "key")  # fmt: skip
STATE_KEYS = ("state", "snoozed_until", "done_at")
KEY_LENGTH = 7  # shown and typed; 35 bits, so two items of one book rarely share one
# (reminder_key spells exactly this many characters)
FULL_KEY_LENGTH = 16  # what a longer prefix can reach when two keys do share 7 characters
SHORTEST_PREFIX = 4
KEY_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")
# Follow-ups planned this far ahead can be marked done or snoozed before they are due.
LOOKUP_DAYS_AHEAD = 3650
SUMMARY_KEYS = 5  # keys named in the history line of one done or snooze


def whose(customer_id: str, owner: str) -> str:
    """Whose items a list holds, as every kind filters them: the owner asked for (:owner),
    and the customers asked for (:only, a JSON array of ids; a lookup by key reads the
    whole items of the few customers its keys name)."""
    return (
        f"(:owner IS NULL OR {owner} = :owner)"
        f" AND (:only IS NULL OR {customer_id} IN (SELECT value FROM json_each(:only)))"
    )


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
        CASE WHEN (c.last_sale_on IS NULL OR c.last_sale_on <= :today)
                  AND c.id NOT IN (SELECT customer_id FROM returned)
             THEN c.last_sale_on
             ELSE (SELECT max(date) FROM sales s WHERE customer_id = c.id AND date <= :today
                   AND {kept})
        END AS last_sale
    FROM customers c
    WHERE c.created_at <= :today AND {whose}
""".format(kept=kept("s", ":today"), whose=whose("c.id", "c.owner"))
# Customers with a return: their latest purchase is looked up net of it (the summary
# column holds their latest sale, returned or not).
RETURNED = """
    SELECT DISTINCT s.customer_id FROM returns r JOIN sales s ON s.id = r.sale_id
    WHERE r.date <= :today
"""

# One SELECT per kind, each returning (kind, customer_id, customer, owner, tier, due,
# detail, deal_id, product, product_id, detail_args) for the due items only. `detail` is
# English (JSON and CSV carry it as it is in every language); `detail_args`, computed only
# when :detail_args is asked for, holds its parts as text, for `detail_text` to word it in
# the user's language from DETAIL_MESSAGES.
KIND_SQL = {
    "follow-up": """
        SELECT 1, customer_id, name, owner, tier, next_follow_up,
               'follow-up planned at the contact of ' || substr(last_contact, 1, 10), NULL, NULL,
               NULL,
               CASE WHEN :detail_args THEN json_object('date', substr(last_contact, 1, 10)) END
        FROM book WHERE next_follow_up <= :follow_limit""",
    "no-contact": """
        SELECT 2, customer_id, name, owner, tier,
               date(substr(last_contact, 1, 10), '+' || cadence || ' days'),
               'last contact ' || substr(last_contact, 1, 10) || '; cadence ' || cadence
               || ' days', NULL, NULL, NULL,
               CASE WHEN :detail_args THEN json_object('date', substr(last_contact, 1, 10),
                                                       'days', '' || cadence) END
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
               'in the book since ' || created_at || ', never contacted', NULL, NULL, NULL,
               CASE WHEN :detail_args THEN json_object('date', created_at) END
        FROM book WHERE last_contact IS NULL""",
    "used-up": """
        SELECT 4, c.id, c.name, c.owner, c.tier, u.due,
               p.name || ' ×' || CASE WHEN u.quantity = CAST(u.quantity AS INTEGER)
                                      THEN CAST(u.quantity AS INTEGER) ELSE u.quantity END
               || ' bought ' || u.bought || ', lasts '
               || {lasts} || ' days', NULL, p.name, p.id,
               CASE WHEN :detail_args THEN json_object(
                   'product', p.name,
                   'quantity', '' || CASE WHEN u.quantity = CAST(u.quantity AS INTEGER)
                                          THEN CAST(u.quantity AS INTEGER) ELSE u.quantity END,
                   'date', u.bought, 'days', '' || {lasts}) END
        FROM (
            SELECT customer_id, product_id, last_date AS bought, last_quantity AS quantity,
                   runs_out AS due
            FROM customer_products
            WHERE runs_out <= :used_up_limit AND last_date <= :today
            UNION ALL
            SELECT f.customer_id, f.product_id, f.bought, f.quantity,
                   {runs_out}
            FROM (SELECT customer_id, product_id, bought,
                         (SELECT sum({net}) FROM sales s WHERE s.customer_id = b.customer_id
                          AND s.product_id = b.product_id AND s.date = b.bought) AS quantity
                  FROM (SELECT customer_id, product_id,
                               (SELECT max(date) FROM sales s
                                WHERE s.customer_id = cp.customer_id
                                  AND s.product_id = cp.product_id AND s.date <= :today
                                  AND {kept}) AS bought
                        FROM customer_products cp WHERE last_date > :today) b
                  WHERE bought IS NOT NULL) f
            JOIN products p ON p.id = f.product_id AND p.cycle_days IS NOT NULL
        ) u
        JOIN products p ON p.id = u.product_id
        JOIN customers c ON c.id = u.customer_id
        WHERE u.due <= :used_up_limit AND u.due >= :used_up_expired_before
          AND c.created_at <= :today AND {whose}
          AND NOT EXISTS (SELECT 1 FROM reminder_stops s
                          WHERE s.customer_id = u.customer_id AND s.product_id = u.product_id
                            AND s.stopped_on <= :today AND u.bought <= s.stopped_on)""".format(
        lasts=lasts_days("u.quantity", "p.cycle_days"),
        runs_out=runs_out("f.bought", "f.quantity", "p.cycle_days"),
        net=net_quantity("s", ":today"),
        kept=kept("s", ":today"),
        whose=whose("c.id", "c.owner"),
    ),
    "no-repurchase": """
        SELECT 5, customer_id, name, owner, tier, date(last_sale, '+' || :repurchase_days
               || ' days'), 'last sale ' || last_sale, NULL, NULL, NULL,
               CASE WHEN :detail_args THEN json_object('date', last_sale) END
        FROM book WHERE last_sale <= :repurchase_before""",
    "never-purchased": """
        SELECT 6, customer_id, name, owner, tier,
               date(created_at, '+' || :never_purchased_days || ' days'),
               'in the book since ' || created_at || ', no purchase', NULL, NULL, NULL,
               CASE WHEN :detail_args THEN json_object('date', created_at) END
        FROM book WHERE last_sale IS NULL AND created_at <= :joined_before""",
    "stale-deal": """
        SELECT 7, customer_id, name, owner, tier, due,
               title || ': in ' || stage || ' since ' || entered_at || ' (max '
               || max_days || ' days)', id, NULL, NULL,
               CASE WHEN :detail_args THEN json_object(
                   'title', title, 'stage', stage, 'stage_zh', stage_zh, 'date', entered_at,
                   'days', '' || max_days) END
        FROM (SELECT *, date(entered_at, '+' || max_days || ' days') AS due FROM open_deals
              WHERE max_days IS NOT NULL)
        WHERE due <= :today""",
    "close-overdue": """
        SELECT 8, customer_id, name, owner, tier, expected_close,
               title || ': expected to close ' || expected_close, id, NULL, NULL,
               CASE WHEN :detail_args THEN json_object('title', title, 'date', expected_close) END
        FROM open_deals WHERE expected_close < :close_before""",
    "birthday": """
        SELECT 9, customer_id, name, owner, tier, due,
               'birthday ' || due || CASE WHEN length(birthday) = 10 THEN ' (turns '
                   || (CAST(substr(due, 1, 4) AS INTEGER) - CAST(substr(birthday, 1, 4) AS INTEGER))
                   || ')' ELSE '' END, NULL, NULL, NULL,
               CASE WHEN :detail_args THEN json_object(
                   'date', due,
                   'age', CASE WHEN length(birthday) = 10 THEN ''
                       || (CAST(substr(due, 1, 4) AS INTEGER)
                           - CAST(substr(birthday, 1, 4) AS INTEGER)) END) END
        FROM (SELECT *, CASE WHEN this_year >= :today THEN this_year ELSE next_year END AS due
              FROM (SELECT *,
                      :this_year || '-' || CASE WHEN month_day = '02-29' AND NOT :this_leap
                                           THEN '02-28' ELSE month_day END AS this_year,
                      :next_year || '-' || CASE WHEN month_day = '02-29' AND NOT :next_leap
                                           THEN '02-28' ELSE month_day END AS next_year
                    FROM (SELECT customer_id, name, owner, tier, birthday,
                                 substr(birthday, -5) AS month_day
                          FROM (SELECT id AS customer_id, name, owner, tier,
                                       {birthday} AS birthday
                                FROM customers WHERE {has_birthday}
                                  AND created_at <= :today
                                  AND {whose})
                          WHERE birthday GLOB '*[0-1][0-9]-[0-3][0-9]')))
        WHERE due <= :birthday_limit""".format(
        birthday=PROFILE_BIRTHDAY, has_birthday=HAS_BIRTHDAY, whose=whose("id", "owner")
    ),
    # the customers the purchase model flagged (see _slipping), passed in as JSON
    "slipping": """
        SELECT 10, b.customer_id, b.name, b.owner, b.tier, s.since,
               'chance of still buying ' || printf('%.2f', s.p_alive) || ', below '
               || :slipping_alert || ' since ' || s.since || '; last sale ' || b.last_sale,
               NULL, NULL, NULL,
               CASE WHEN :detail_args THEN json_object(
                   'chance', printf('%.2f', s.p_alive), 'alert', :slipping_alert,
                   'date', s.since, 'last_sale', b.last_sale) END
        FROM (SELECT json_extract(value, '$[0]') AS customer_id,
                     json_extract(value, '$[1]') AS since,
                     json_extract(value, '$[2]') AS p_alive
              FROM json_each(:slipping)) s
        JOIN book b ON b.customer_id = s.customer_id""",
}
SLIPPING = "slipping"
OPEN_DEALS_AS_OF = """
    SELECT d.id, d.title, d.owner, d.expected_close, c.id AS customer_id, c.name, c.tier,
           h.entered_at, s.key AS stage, s.label_zh AS stage_zh, s.max_days
    FROM deals d
    JOIN customers c ON c.id = d.customer_id
    JOIN deal_history h ON h.id = (SELECT id FROM deal_history WHERE deal_id = d.id
                                   AND entered_at <= :today ORDER BY id DESC LIMIT 1)
    JOIN stages s ON s.id = h.stage_id
    WHERE d.created_at <= :today AND (d.status = 'open' OR d.closed_on > :today)
      AND {whose}
""".format(whose=whose("d.customer_id", "d.owner"))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# What an item is about — (kind, customer_id, deal_id, product_id, due) — so the same
# situation is the same item on every run. A plain tuple: the list builds one per item.
Situation = tuple[str, int, int | None, int | None, str]


class Answer:
    """The latest done or snooze given to a situation, as of the evaluated day. (A plain
    class: a NamedTuple takes ten times as long to define, on every morning list's start.)"""

    __slots__ = ("since", "state", "until")

    def __init__(self, state: str, since: str, until: str | None) -> None:
        self.state, self.since, self.until = state, since, until


BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
# Every 10 bits spelled as two base32 letters: the list spells one key per item, so the
# spelling is a table lookup rather than the base64 module's bit loop.
PAIRS = [first + second for first in BASE32 for second in BASE32]


def _digest(situation: Situation) -> bytes:
    kind, customer_id, deal_id, product_id, due = situation
    subject = f"d{deal_id}" if deal_id is not None else f"p{product_id}" if product_id else ""
    return _sha256()(f"{kind}|{customer_id}|{subject}|{due}".encode()).digest()


@cache
def _sha256() -> Callable[[bytes], Any]:
    """SHA-256 from the interpreter's own module when it has one: hashlib's loads OpenSSL
    first (about 2 ms, paid by every morning list that has an item), for the same digest
    (tested). Loaded on first use, so an empty list loads neither."""
    for module in ("_sha2", "_sha256"):  # Python 3.12 on, then 3.11
        try:
            return importlib.import_module(module).sha256  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256


def full_key(situation: Situation) -> str:
    """The situation's key in full: base32 (RFC 4648, lower case) of the first 80 bits of
    a SHA-256 over its fields. The key people see is its first KEY_LENGTH characters."""
    number = int.from_bytes(_digest(situation)[:10], "big")
    return "".join(PAIRS[(number >> shift) & 1023] for shift in range(70, -1, -10))


def reminder_key(situation: Situation) -> str:
    """The short key people see and type: full_key's first 7 characters (35 bits)."""
    number = int.from_bytes(_digest(situation)[:5], "big")
    return (
        PAIRS[number >> 30]
        + PAIRS[(number >> 20) & 1023]
        + PAIRS[(number >> 10) & 1023]
        + BASE32[(number >> 5) & 31]
    )


def reminders(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    config: Mapping[str, Any],
    kinds: frozenset[str] | None = None,
    owner: str | None = None,
    days_ahead: int = 0,
    everything: bool = False,
    detail_args: bool = False,
) -> Iterator[Row]:
    """Who needs attention as of `as_of`; records dated after it do not exist here.

    Streams items sorted by kind (in REMINDER_KINDS order), then tier A→D→none, then
    most overdue first, each with its `key`. Items done or snoozed (as of `as_of`) are
    left out, unless `everything`: then every item comes with `state` (due, snoozed,
    done), `snoozed_until` and `done_at`. With `detail_args`, each item also carries the
    parts of its detail (`detail_args`), for `detail_text` to word it for a person.
    """
    for row, situation, answer in _evaluated(
        conn,
        as_of,
        config=config,
        kinds=kinds,
        owner=owner,
        days_ahead=days_ahead,
        detail_args=detail_args,
    ):
        if not everything and answer is not None and _state(answer, as_of) != "due":
            continue
        item = _item(row, situation, reminder_key(situation), detail_args)
        if everything:
            state = _state(answer, as_of)
            item["state"] = state
            item["snoozed_until"] = answer.until if answer and state == "snoozed" else None
            item["done_at"] = answer.since if answer and state == "done" else None
        yield item


def _state(answer: Answer | None, as_of: date) -> str:
    if answer is None:
        return "due"
    if answer.state == "snoozed":
        return "snoozed" if answer.until and answer.until > as_of.isoformat() else "due"
    return answer.state


def _evaluated(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    config: Mapping[str, Any],
    kinds: frozenset[str] | None = None,
    owner: str | None = None,
    days_ahead: int = 0,
    detail_args: bool = False,
    ordered: bool = True,
    bare: bool = False,
    only: Iterable[int] | None = None,
    slipping: Mapping[int, "Slip"] | None = None,
    answered: bool = True,
) -> Iterator[tuple[tuple[Any, ...], Situation, Answer | None]]:
    """Every due situation: its row (as `_situations` gives it), the situation and its
    latest answer. `_item` makes the row an item with its key, for the rows a caller keeps
    (a key costs a SHA-256: the brief spells only those it shows). Not `ordered`, in no
    particular order (a lookup by key needs none, and sorting takes a sixth of the time).
    `bare`, `only`: see `_situations`; `slipping`: the customers `_slipping` found, when
    the caller already has them (the purchase model is fitted once). Not `answered`, every
    answer None and none read (a lookup by key names done and snoozed items too)."""
    answers: dict[Situation, Answer] | None = None if answered else {}
    names = REMINDER_KINDS
    if slipping is None:
        slipping = _slipping(conn, as_of, config, kinds)
    rows = _situations(
        conn, as_of, config, kinds, owner, days_ahead, slipping, detail_args, ordered, bare, only
    )
    for row in rows:
        if answers is None:  # only once something is due: an empty list reads nothing more
            answers = _answers(conn, as_of)
        kind = names[row[0] - 1]
        situation = (kind, row[1], row[8], row[10], row[5])
        if kind == SLIPPING:
            situation = (kind, row[1], None, None, slipping[row[1]].last_sale)
        yield row, situation, answers.get(situation) if answers else None


def _item(row: tuple[Any, ...], situation: Situation, key: str, detail_args: bool) -> Row:
    """A due row as an item with REMINDER_KEYS (spelled out: a dict display builds it in a
    third of the time of dict(zip(...)), on a list that can hold thousands; a test checks
    the keys and their order)."""
    item = {
        "kind": situation[0], "customer_id": row[1], "customer": row[2], "owner": row[3],
        "tier": row[4], "due": row[5], "days_overdue": row[6], "detail": row[7],
        "deal_id": row[8], "product": row[9], "key": key,
    }  # fmt: skip
    if detail_args:
        item["detail_args"] = _parts(row[11])
    return item


class Slip:
    """A customer the purchase model says is slipping away, as of the evaluated day: since
    when their chance of still buying is below the alert, that chance, and their last sale
    (what the situation is about: the silence since it). A plain class, as Answer."""

    __slots__ = ("last_sale", "p_alive", "since")

    def __init__(self, since: str, p_alive: float, last_sale: str) -> None:
        self.since, self.p_alive, self.last_sale = since, p_alive, last_sale


def _slipping(
    conn: sqlite3.Connection,
    as_of: date,
    config: Mapping[str, Any],
    kinds: frozenset[str] | None,
) -> dict[int, Slip]:
    """Customers with at least `predict.min_purchases` purchase days whose chance of still
    buying fell below `predict.alert`, by id; empty unless `remind.slipping` is on and the
    kind is asked for. The purchase model is fitted once here, on the whole book.

    The day the chance fell moves a little as each day's fit moves, so the situation (and
    its key, and a done given to it) is the silence since the customer's last sale: done
    holds until they buy again.
    """
    if config.get("remind.slipping") != "on" or (kinds is not None and SLIPPING not in kinds):
        return {}
    if not conn.execute("SELECT 1 FROM sales LIMIT 1").fetchone():
        return {}
    from salesflow import predict, rhythm  # numpy and scipy: only for this kind

    try:
        fallen = predict.fallen_below(
            conn,
            as_of,
            threshold=predict.alert_threshold(dict(config)),
            min_purchases=int(config["predict.min_purchases"]),
            below_only=True,
        )
    except rhythm.TooLittleHistory:
        return {}  # a book too young to fit has nobody slipping; the list still runs
    below = {
        row["customer_id"]: (row["below_since"].isoformat(), float(row["p_alive"]))
        for row in fallen
        if row["below_since"] is not None
    }
    if not below:
        return {}
    import json

    last_sales = conn.execute(
        """SELECT j.value, (SELECT max(date) FROM sales s
                            WHERE s.customer_id = j.value AND s.date <= ?)
           FROM json_each(?) j""",
        [as_of.isoformat(), json.dumps(list(below))],
    )
    return {
        customer_id: Slip(*below[customer_id], last_sale) for customer_id, last_sale in last_sales
    }


def _answers(conn: sqlite3.Connection, as_of: date) -> dict[Situation, Answer]:
    """The latest done/snooze of each situation given on or before `as_of`."""
    answers: dict[Situation, Answer] = {}
    for row in conn.execute(
        """SELECT kind, customer_id, deal_id, product_id, due, state, since, until
           FROM reminder_states WHERE since <= ? ORDER BY since, id""",
        [as_of.isoformat()],
    ):
        answers[(row[0], row[1], row[2], row[3], row[4])] = Answer(row[5], row[6], row[7])
    return answers


def _situations(
    conn: sqlite3.Connection,
    as_of: date,
    config: Mapping[str, Any],
    kinds: frozenset[str] | None,
    owner: str | None,
    days_ahead: int,
    slipping: Mapping[int, Slip] | None = None,
    detail_args: bool = False,
    ordered: bool = True,
    bare: bool = False,
    only: Iterable[int] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """The due rows: (k, customer_id, customer, owner, tier, due, days_overdue, detail,
    deal_id, product, product_id, detail_args), in the list's order if `ordered`.

    `bare`: only what makes a situation (k, customer_id, due, deal_id, product_id), the
    other columns NULL; SQLite then builds no detail, which is most of a lookup's time.
    `only`: the items of these customers alone.
    """
    wanted = [kind for kind in REMINDER_KINDS if kinds is None or kind in kinds]
    day = timedelta(days=1)
    params: dict[str, Any] = {
        "today": as_of.isoformat(),
        "next_day": (as_of + day).isoformat(),
        "owner": owner,
        "follow_limit": (as_of + timedelta(days=days_ahead)).isoformat(),
        "used_up_limit": (as_of + timedelta(days=config["used_up.lead_days"])).isoformat(),
        "used_up_expired_before": (
            as_of - timedelta(days=config["used_up.expire_days"])
        ).isoformat(),
        "repurchase_days": config["no_repurchase.days"],
        "repurchase_before": (as_of - timedelta(days=config["no_repurchase.days"])).isoformat(),
        "never_purchased_days": config["never_purchased.days"],
        "joined_before": (as_of - timedelta(days=config["never_purchased.days"])).isoformat(),
        "birthday_limit": (
            as_of + timedelta(days=max(config["birthday.days"], days_ahead))
        ).isoformat(),
        # Looking ahead also brings the deals expected to close in the coming days.
        "close_before": (as_of + timedelta(days=days_ahead + 1 if days_ahead else 0)).isoformat(),
        "this_year": f"{as_of.year:04d}",
        "next_year": f"{as_of.year + 1:04d}",
        "this_leap": _leap(as_of.year),
        "next_leap": _leap(as_of.year + 1),
        "slipping": _slipping_json(slipping or {}),
        "slipping_alert": str(config.get("predict.alert", "")),
        "detail_args": detail_args,
        "only": None if only is None else _json_ids(only),
    }
    for tier in (*TIERS, "none"):
        cadence = config[f"cadence.{tier}"]
        params[f"cadence_{tier}"] = cadence
        # last contact L is due when L + cadence <= T, i.e. L is before T - cadence + 1 day
        params[f"silent_{tier}"] = (as_of - timedelta(days=cadence) + day).isoformat()
    if not wanted or not conn.execute("SELECT 1 FROM customers LIMIT 1").fetchone():
        return  # no customers, nothing due (every deal belongs to a customer)
    order = """
        ORDER BY k, CASE tier WHEN 'A' THEN 0 WHEN 'B' THEN 1 WHEN 'C' THEN 2
                              WHEN 'D' THEN 3 ELSE 4 END,
                 julianday(due), customer_id, deal_id, product"""
    sql = (
        f"WITH returned AS MATERIALIZED ({RETURNED}),"
        f" book AS MATERIALIZED ({CUSTOMERS_AS_OF}), open_deals AS ({OPEN_DEALS_AS_OF}),"
        " items (k, customer_id, customer, owner, tier, due, detail, deal_id, product,"
        " product_id, detail_args) AS ("
        + " UNION ALL ".join(KIND_SQL[kind] for kind in wanted)
        + ") SELECT "
        + (BARE_COLUMNS if bare else ITEM_COLUMNS)
        + " FROM items"
        + (order if ordered else "")
    )
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: the list reads them by position
    yield from cursor.execute(sql, params)


ITEM_COLUMNS = """k, customer_id, customer, owner, tier, due,
    CAST(julianday(:today) - julianday(due) AS INTEGER), detail, deal_id, product, product_id,
    detail_args"""
BARE_COLUMNS = "k, customer_id, NULL, NULL, NULL, due, NULL, NULL, deal_id, NULL, product_id, NULL"


def _json_ids(ids: Iterable[int]) -> str:
    import json

    return json.dumps([int(customer_id) for customer_id in ids])


def _parts(text: str | None) -> dict[str, str | None]:
    import json

    parts: dict[str, str | None] = json.loads(text) if text else {}
    return parts


# How each kind's detail reads, with the parts `detail_args` holds; in English exactly the
# `detail` the SQL writes.
DETAIL_MESSAGES = {
    "follow-up": N_("follow-up planned at the contact of {date}"),
    "no-contact": N_("last contact {date}; cadence {days} days"),
    "never-contacted": N_("in the book since {date}, never contacted"),
    "used-up": N_("{product} ×{quantity} bought {date}, lasts {days} days"),
    "no-repurchase": N_("last sale {date}"),
    "never-purchased": N_("in the book since {date}, no purchase"),
    "stale-deal": N_("{title}: in {stage} since {date} (max {days} days)"),
    "close-overdue": N_("{title}: expected to close {date}"),
    "birthday": N_("birthday {date}"),
    "slipping": N_(
        "chance of still buying {chance}, below {alert} since {date}; last sale {last_sale}"
    ),
}
BIRTHDAY_WITH_AGE = N_("birthday {date} (turns {age})")


def detail_text(item: Mapping[str, Any]) -> str:
    """An item's detail in the user's language, from its `detail_args` (see `reminders`);
    the English `detail` when the item has no parts. A built-in stage reads with its
    Chinese label in Chinese."""
    parts = item.get("detail_args")
    kind = item["kind"]
    if not parts or kind not in DETAIL_MESSAGES:
        return str(item["detail"] or "")
    values = dict(parts)
    message = DETAIL_MESSAGES[kind]
    if kind == "birthday" and values.get("age") is not None:
        message = BIRTHDAY_WITH_AGE
    return _(message).format(**labelled(values))


def _slipping_json(slipping: Mapping[int, Slip]) -> str:
    if not slipping:
        return "[]"  # the usual morning: no `json` to import
    import json

    return json.dumps([[key, slip.since, slip.p_alive] for key, slip in slipping.items()])


# ---------------------------------------------------------------- the brief


def listed_from(kind: str, due: str, config: Mapping[str, Any], days_ahead: int) -> date:
    """The first day an item of `kind` due on `due` is on the list.

    Most kinds are listed from their due date; used-up items `used_up.lead_days` before
    it, birthdays `birthday.days` (or `days_ahead`, if longer) before it, follow-ups and
    expected closes `days_ahead` before it; without looking ahead, close-overdue deals from
    the day after the expected close.
    """
    ahead = {
        "follow-up": days_ahead,
        "used-up": config["used_up.lead_days"],
        "birthday": max(config["birthday.days"], days_ahead),
        "close-overdue": days_ahead or -1,
    }.get(kind, 0)
    return date.fromisoformat(due) - timedelta(days=ahead)


def brief(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    config: Mapping[str, Any],
    per_kind: int,
    kinds: frozenset[str] | None = None,
    owner: str | None = None,
    days_ahead: int = 0,
    detail_args: bool = False,
) -> dict[str, Any]:
    """The morning list in counts: per kind how many are due and how many of them are new
    today, and the `per_kind` most overdue items of each kind (with `detail_args`, each
    carries the parts of its detail, as `reminders` gives them).

    New today: the item was not on yesterday's list — the first day it is listed (see
    `listed_from`) is `as_of`, or a snooze of it ended on `as_of`.
    """
    sections: dict[str, dict[str, Any]] = {}
    due: dict[str, list[tuple[tuple[Any, ...], Situation]]] = {}  # per kind, as listed
    today = as_of.isoformat()
    first_listed: dict[tuple[str, str], date] = {}  # items share their kinds and days
    for row, situation, answer in _evaluated(
        conn,
        as_of,
        config=config,
        kinds=kinds,
        owner=owner,
        days_ahead=days_ahead,
        detail_args=detail_args,
    ):
        if _state(answer, as_of) != "due":
            continue
        kind = situation[0]
        section = sections.get(kind)
        if section is None:
            section = sections[kind] = {"kind": kind, "due": 0, "new_today": 0, "items": []}
            due[kind] = []
        section["due"] += 1
        returned = answer is not None and answer.state == "snoozed" and answer.until == today
        seen = (kind, row[5])
        if seen not in first_listed:
            first_listed[seen] = listed_from(*seen, config, days_ahead)
        if returned or first_listed[seen] == as_of:
            section["new_today"] += 1
        due[kind].append((row, situation))
    for kind, section in sections.items():
        # most overdue first; the list's own order (tier, customer) among equals
        shown = sorted(due[kind], key=lambda listed: -listed[0][6])[:per_kind]
        section["items"] = [
            _item(row, situation, reminder_key(situation), detail_args) for row, situation in shown
        ]
        section["more"] = section["due"] - len(section["items"])
    listed = list(sections.values())
    return {
        "as_of": today,
        "due": sum(section["due"] for section in listed),
        "new_today": sum(section["new_today"] for section in listed),
        "kinds": listed,
    }


# ---------------------------------------------------------------- done, snooze, stop


def find_items(
    conn: sqlite3.Connection, as_of: date, keys: Iterable[str], *, config: Mapping[str, Any]
) -> list[tuple[Row, Situation]]:
    """The items the typed keys (or unique prefixes of them) name, as of `as_of`, with
    done and snoozed ones included. All or nothing: any key that names no item, or more
    than one, refuses the lot, naming every such key."""
    typed = list(dict.fromkeys(key.strip().lower() for key in keys))
    short = [key for key in typed if len(key) < SHORTEST_PREFIX]
    if short:
        raise BadValue(
            _("a reminder key has at least {count} characters: {keys}").format(
                count=SHORTEST_PREFIX, keys=", ".join(short)
            )
        )
    matches: dict[str, list[tuple[Situation, str, str]]] = {key: [] for key in typed}
    plausible = [key for key in typed if set(key) <= KEY_ALPHABET and len(key) <= FULL_KEY_LENGTH]
    slipping: Mapping[int, Slip] = {}
    if plausible:
        slipping = _slipping(conn, as_of, config, None)
        starts = tuple(key[:KEY_LENGTH] for key in plausible)
        for _row, situation, _answer in _evaluated(
            conn,
            as_of,
            config=config,
            days_ahead=LOOKUP_DAYS_AHEAD,
            ordered=False,
            bare=True,
            slipping=slipping,
            answered=False,
        ):
            shown = reminder_key(situation)  # the whole key's first KEY_LENGTH characters
            if not shown.startswith(starts):
                continue
            whole = full_key(situation)
            for key in plausible:
                if whole.startswith(key):
                    matches[key].append((situation, shown, whole))
    unknown = [key for key, found in matches.items() if not found]
    if unknown:
        raise NotFound(
            _("no reminder has the key {keys}; nothing was changed").format(keys=", ".join(unknown))
        )
    ambiguous = {key: found for key, found in matches.items() if len(found) > 1}
    if ambiguous:
        raise Ambiguous(
            "; ".join(
                _("{key} matches {count} reminders: {candidates}").format(
                    key=key, count=len(found), candidates=_candidates(found)
                )
                for key, found in ambiguous.items()
            )
            + _("; type more of the key (nothing was changed)")
        )
    chosen: dict[Situation, str] = {}
    for found in matches.values():
        situation, shown, _whole = found[0]
        chosen.setdefault(situation, shown)
    # The whole items of the few customers the keys name (same transaction, same rows).
    rows = {
        situation: row
        for row, situation, _answer in _evaluated(
            conn,
            as_of,
            config=config,
            kinds=frozenset(situation[0] for situation in chosen),
            days_ahead=LOOKUP_DAYS_AHEAD,
            ordered=False,
            only={situation[1] for situation in chosen},
            slipping=slipping,
            answered=False,
        )
        if situation in chosen
    }
    return [
        (_item(rows[situation], situation, shown, False), situation)
        for situation, shown in chosen.items()
    ]


def _candidates(found: list[tuple[Situation, str, str]]) -> str:
    """Each candidate as a key long enough to tell it from the others, its kind and
    customer number (no names: an error message carries no customer data), in the order
    of their keys."""
    found = sorted(found, key=lambda candidate: candidate[2])
    wholes = [whole for _situation, _shown, whole in found]
    length = KEY_LENGTH
    while length < FULL_KEY_LENGTH and len({w[:length] for w in wholes}) < len(wholes):
        length += 1
    return ", ".join(
        f"{whole[:length]} ({situation[0]}, #{situation[1]})" for situation, _shown, whole in found
    )


def answer(
    change: Change,
    chosen: list[tuple[Row, Situation]],
    as_of: date,
    *,
    state: Literal["done", "snoozed"],
    until: date | None = None,
    note: str | None = None,
) -> list[Row]:
    """Record `done` or `snoozed` (until a later day) for the chosen items, given on
    `as_of`; returns the items as they now stand."""
    if state == "snoozed" and (until is None or until <= as_of):
        raise BadValue(_("a snooze must end after {day}").format(day=as_of.isoformat()))
    since = as_of.isoformat()
    ending = until.isoformat() if state == "snoozed" and until else None
    for item, (kind, customer_id, deal_id, product_id, due) in chosen:
        change.insert(
            "reminder_states",
            {
                "key": item["key"],
                "kind": kind,
                "customer_id": customer_id,
                "deal_id": deal_id,
                "product_id": product_id,
                "due": due,
                "state": state,
                "since": since,
                "until": ending,
                "note": note,
            },
        )
    keys = [item["key"] for item, _situation in chosen]
    named, more = ", ".join(keys[:SUMMARY_KEYS]), len(keys) - SUMMARY_KEYS
    if state == "done" and more > 0:
        change.describe(N_("done {keys} and {more} more"), keys=named, more=more)
    elif state == "done":
        change.describe(N_("done {keys}"), keys=named)
    elif more > 0:
        change.describe(
            N_("snoozed {keys} and {more} more until {day}"), keys=named, more=more, day=str(ending)
        )
    else:
        change.describe(N_("snoozed {keys} until {day}"), keys=named, day=str(ending))
    return [
        {
            **item,
            "state": state,
            "snoozed_until": ending,
            "done_at": since if state == "done" else None,
        }
        for item, _situation in chosen
    ]


def stop_product(
    change: Change, customer_id: int, product_id: int, as_of: date, *, note: str | None = None
) -> Row:
    """No used-up items for this customer and product until they buy it again (a
    purchase dated after `as_of`)."""
    conn = change.conn
    product = conn.execute(
        "SELECT name, cycle_days FROM products WHERE id = ?", [product_id]
    ).fetchone()
    if product is None:
        raise NotFound(_("no product #{id}").format(id=product_id))
    if product["cycle_days"] is None:
        raise Conflict(
            _("{product} has no cycle days, so it has no used-up reminders to stop").format(
                product=product["name"]
            )
        )
    since = as_of.isoformat()
    bought = conn.execute(
        "SELECT max(date) FROM sales WHERE customer_id = ? AND product_id = ? AND date <= ?",
        [customer_id, product_id, since],
    ).fetchone()[0]
    if bought is None:
        raise Conflict(
            _("customer #{customer} has not bought {product}; nothing to stop").format(
                customer=customer_id, product=product["name"]
            )
        )
    already = _active_stop(conn, customer_id, product_id, bought, since)
    if already is not None:
        raise Conflict(
            _("used-up reminders of {product} for customer #{customer} are stopped since "
              "{day}").format(product=product["name"], customer=customer_id, day=already)
        )  # fmt: skip
    change.insert(
        "reminder_stops",
        {"customer_id": customer_id, "product_id": product_id, "stopped_on": since,
         "note": note},
    )  # fmt: skip
    change.describe(
        N_("stopped used-up of product #{product} for customer #{customer}"),
        product=product_id,
        customer=customer_id,
    )
    return {"customer_id": customer_id, "product_id": product_id, "product": product["name"],
            "stopped_on": since, "last_bought": bought, "note": note}  # fmt: skip


def _active_stop(
    conn: sqlite3.Connection, customer_id: int, product_id: int, bought: str, as_of: str
) -> str | None:
    found = conn.execute(
        """SELECT min(stopped_on) FROM reminder_stops
           WHERE customer_id = ? AND product_id = ? AND stopped_on <= ? AND stopped_on >= ?""",
        [customer_id, product_id, as_of, bought],
    ).fetchone()[0]
    return found


STOP_KEYS = ("product_id", "product", "stopped_on", "last_bought", "note")


def stopped_products(conn: sqlite3.Connection, customer_id: int, as_of: date) -> list[Row]:
    """The products whose used-up reminders are stopped for a customer as of a day: the
    stop was given, and no purchase of the product is dated after it."""
    return [
        dict(row)
        for row in conn.execute(
            """SELECT p.id AS product_id, p.name AS product, min(s.stopped_on) AS stopped_on,
                      b.bought AS last_bought, s.note
               FROM reminder_stops s
               JOIN products p ON p.id = s.product_id
               JOIN (SELECT product_id, max(date) AS bought FROM sales
                     WHERE customer_id = :customer AND date <= :today
                     GROUP BY product_id) b ON b.product_id = s.product_id
               WHERE s.customer_id = :customer AND s.stopped_on <= :today
                 AND s.stopped_on >= b.bought
               GROUP BY p.id ORDER BY p.name""",
            {"customer": customer_id, "today": as_of.isoformat()},
        )
    ]
