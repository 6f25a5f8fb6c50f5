"""The database file: where it lives, opening it safely, migrations, and recorded changes.

Every write goes through `Change`, which holds a `BEGIN IMMEDIATE` transaction and records
each row's before/after image in the audit log, so history and undo need nothing from the
commands themselves.

The read path only runs `PRAGMA application_id` / `user_version`; sqlite-utils (and its
migration machinery) is imported when a file actually needs creating or upgrading.
"""

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from salesflow.errors import Busy, DatabaseRefused, NotFound

APPLICATION_ID = 0x53464C57  # "SFLW": marks a file as salesflow's
SQLITE_HEADER = b"SQLite format 3\x00"
# Columns the triggers in the schema maintain; never restored from an audit image.
SUMMARY_COLUMNS = frozenset({"last_contact_at", "next_follow_up", "last_sale_on"})

Row = dict[str, Any]


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("salesflow", appauthor=False)) / "salesflow.db"


def resolve_path(option: str | None) -> Path:
    """`--db` beats `SALESFLOW_DB`, which beats the per-user default."""
    chosen = option or os.environ.get("SALESFLOW_DB")
    return Path(chosen).expanduser() if chosen else default_path()


def busy_timeout_seconds() -> float:
    raw = os.environ.get("SALESFLOW_BUSY_TIMEOUT", "10")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        from salesflow.errors import BadValue

        raise BadValue(f"SALESFLOW_BUSY_TIMEOUT must be a number of seconds, not {raw!r}")
    return seconds


def open_db(path: Path, *, write: bool) -> sqlite3.Connection:
    """Open the salesflow file at `path`, creating and migrating it when needed.

    A missing file is created (0600, folder 0700) only for commands that write; a read
    command on a missing file gets an empty in-memory book and leaves the disk alone.
    """
    if not path.exists():
        if not write:
            return _empty_book()
        _create_private_file(path)
        return _connect(str(path), create=True)
    if not path.is_file():
        raise DatabaseRefused(f"{path} is not a file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise DatabaseRefused(f"cannot read {path}: {error.strerror}") from None
    if header and header != SQLITE_HEADER:
        raise DatabaseRefused(f"{path} is not a salesflow database; nothing was written to it")
    return _connect(str(path), create=not header)


def _empty_book() -> sqlite3.Connection:
    """An in-memory book with the current schema, for reading a file that does not exist."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    for step in MIGRATION_STEPS:
        step(conn)
    return conn


def _create_private_file(path: Path) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as error:
        raise DatabaseRefused(f"cannot create {path}: {error.strerror}") from None
    os.close(descriptor)


def _connect(target: str, *, create: bool) -> sqlite3.Connection:
    timeout = busy_timeout_seconds()
    conn = sqlite3.connect(target, timeout=timeout, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:
        conn.close()
        raise DatabaseRefused(
            f"{target} is not a readable salesflow database; nothing was written to it"
        ) from None
    if application_id != APPLICATION_ID:
        if application_id != 0 or _has_tables(conn):
            conn.close()
            raise DatabaseRefused(
                f"{target} is not a salesflow database; nothing was written to it"
            )
        version = 0
    latest = len(MIGRATION_STEPS)
    if version > latest:
        conn.close()
        raise DatabaseRefused(
            f"{target} was written by a newer salesflow (schema {version}, this one knows "
            f"{latest}); upgrade salesflow. The file was left untouched."
        )
    if version < latest:
        _migrate(conn)
    return conn


def _has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None


def _migrate(conn: sqlite3.Connection) -> None:
    import sqlite_utils

    migrations = sqlite_utils.Migrations("salesflow")
    for step in MIGRATION_STEPS:
        migrations()(step)
    conn.execute("PRAGMA journal_mode = WAL")
    with transaction(conn):
        # Another process may have migrated while this one waited for the lock.
        if conn.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATION_STEPS):
            migrations.apply(sqlite_utils.Database(conn, execute_plugins=False))
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {len(MIGRATION_STEPS)}")


def begin_immediate(conn: sqlite3.Connection) -> None:
    """Take the write lock now, waiting up to the busy timeout, so writers queue up."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise Busy(
                f"the database is busy: another salesflow kept it locked for more than "
                f"{busy_timeout_seconds():g}s (SALESFLOW_BUSY_TIMEOUT); try again"
            ) from None
        raise


def _run(db: Any, *statements: str) -> None:
    for statement in statements:
        db.execute(statement)


def m001_create_book(db: Any) -> None:
    """Customers, contacts, products and sales, with summary columns kept by triggers."""
    _run(
        db,
        """CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            ref TEXT UNIQUE,
            name TEXT NOT NULL,
            company TEXT, phone TEXT, phone_norm TEXT, email TEXT, address TEXT,
            source TEXT,
            referred_by_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
            owner TEXT, department TEXT, store TEXT,
            tier TEXT CHECK (tier IN ('A', 'B', 'C', 'D')),
            tier_locked INTEGER NOT NULL DEFAULT 0,
            economic TEXT, buying TEXT, suppliers TEXT,
            urgency INTEGER CHECK (urgency BETWEEN 1 AND 5),
            quick_effect INTEGER CHECK (quick_effect BETWEEN 1 AND 5),
            price_fit INTEGER CHECK (price_fit BETWEEN 1 AND 5),
            tags TEXT NOT NULL DEFAULT '[]',
            profile TEXT NOT NULL DEFAULT '{}',
            notes TEXT,
            created_at TEXT NOT NULL,
            last_contact_at TEXT,
            next_follow_up TEXT,
            last_sale_on TEXT
        )""",
        "CREATE INDEX customers_phone ON customers(phone_norm)",
        "CREATE INDEX customers_email ON customers(email COLLATE NOCASE)",
        "CREATE INDEX customers_name ON customers(name COLLATE NOCASE)",
        "CREATE INDEX customers_owner ON customers(owner)",
        """CREATE TABLE products (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            sku TEXT UNIQUE,
            category TEXT,
            price_cents INTEGER CHECK (price_cents >= 0),
            cycle_days INTEGER CHECK (cycle_days > 0)
        )""",
        """CREATE TABLE pipelines (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            builtin INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE stages (
            id INTEGER PRIMARY KEY,
            pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            key TEXT NOT NULL,
            label TEXT NOT NULL,
            label_zh TEXT,
            probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
            max_days INTEGER CHECK (max_days > 0),
            UNIQUE (pipeline_id, key)
        )""",
        """CREATE TABLE stage_items (
            id INTEGER PRIMARY KEY,
            stage_id INTEGER NOT NULL REFERENCES stages(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            required INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE deals (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            title TEXT NOT NULL,
            pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
            stage_id INTEGER NOT NULL REFERENCES stages(id),
            amount_cents INTEGER CHECK (amount_cents >= 0),
            probability INTEGER CHECK (probability BETWEEN 0 AND 100),
            expected_close TEXT,
            owner TEXT,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
            lost_reason TEXT,
            closed_on TEXT,
            created_at TEXT NOT NULL,
            stage_entered_at TEXT NOT NULL
        )""",
        "CREATE INDEX deals_customer ON deals(customer_id)",
        "CREATE INDEX deals_open ON deals(status, stage_id)",
        """CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            at TEXT NOT NULL,
            channel TEXT NOT NULL,
            rep TEXT,
            summary TEXT NOT NULL,
            outcome TEXT,
            next_at TEXT,
            deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL
        )""",
        "CREATE INDEX contacts_customer_at ON contacts(customer_id, at, id)",
        "CREATE INDEX contacts_at ON contacts(at)",
        """CREATE TABLE sales (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            product_id INTEGER REFERENCES products(id),
            quantity REAL NOT NULL CHECK (quantity > 0),
            amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
            date TEXT NOT NULL,
            rep TEXT, department TEXT, store TEXT,
            deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL
        )""",
        # Also serves "latest sale of a customer": a customer has few entries to scan.
        "CREATE INDEX sales_customer_product ON sales(customer_id, product_id, date)",
        "CREATE INDEX sales_date ON sales(date)",
        # The latest purchase of each product by each customer and the day it runs out,
        # so `used-up` reads one row per pair instead of grouping every sale. (No index on
        # runs_out: a scan of this narrow table is cheap, and a bulk load stays sequential.)
        """CREATE TABLE customer_products (
            customer_id INTEGER NOT NULL,
            product_id INTEGER NOT NULL,
            last_date TEXT NOT NULL,
            last_quantity REAL NOT NULL,
            runs_out TEXT,
            PRIMARY KEY (customer_id, product_id)
        ) WITHOUT ROWID""",
        # Summary columns: the latest contact and sale per customer, so that daily
        # reminders read one row per customer instead of scanning the history.
        """CREATE TRIGGER contacts_summary_insert AFTER INSERT ON contacts BEGIN
            UPDATE customers SET last_contact_at = NEW.at, next_follow_up = NEW.next_at
            WHERE id = NEW.customer_id
              AND (last_contact_at IS NULL OR last_contact_at <= NEW.at);
        END""",
        """CREATE TRIGGER contacts_summary_delete AFTER DELETE ON contacts BEGIN
            UPDATE customers SET
                last_contact_at = (SELECT max(at) FROM contacts WHERE customer_id = customers.id),
                next_follow_up = (SELECT next_at FROM contacts WHERE customer_id = customers.id
                                  ORDER BY at DESC, id DESC LIMIT 1)
            WHERE id = OLD.customer_id;
        END""",
        """CREATE TRIGGER contacts_summary_update AFTER UPDATE ON contacts BEGIN
            UPDATE customers SET
                last_contact_at = (SELECT max(at) FROM contacts WHERE customer_id = customers.id),
                next_follow_up = (SELECT next_at FROM contacts WHERE customer_id = customers.id
                                  ORDER BY at DESC, id DESC LIMIT 1)
            WHERE id IN (OLD.customer_id, NEW.customer_id);
        END""",
        """CREATE TRIGGER sales_summary_insert AFTER INSERT ON sales BEGIN
            UPDATE customers SET last_sale_on = NEW.date
            WHERE id = NEW.customer_id AND (last_sale_on IS NULL OR last_sale_on < NEW.date);
            INSERT INTO customer_products (customer_id, product_id, last_date, last_quantity)
            SELECT NEW.customer_id, NEW.product_id, NEW.date, NEW.quantity
            WHERE NEW.product_id IS NOT NULL
            ON CONFLICT (customer_id, product_id) DO UPDATE SET
                last_quantity = CASE
                    WHEN excluded.last_date > last_date THEN excluded.last_quantity
                    WHEN excluded.last_date = last_date THEN last_quantity + excluded.last_quantity
                    ELSE last_quantity END,
                last_date = max(last_date, excluded.last_date);
            UPDATE customer_products SET runs_out = (
                SELECT date(customer_products.last_date, '+' ||
                            CAST(customer_products.last_quantity * cycle_days AS INTEGER)
                            || ' days')
                FROM products WHERE id = NEW.product_id)
            WHERE customer_id = NEW.customer_id AND product_id = NEW.product_id;
        END""",
        """CREATE TRIGGER sales_summary_delete AFTER DELETE ON sales BEGIN
            UPDATE customers SET
                last_sale_on = (SELECT max(date) FROM sales WHERE customer_id = OLD.customer_id)
            WHERE id = OLD.customer_id;
            DELETE FROM customer_products
            WHERE customer_id = OLD.customer_id AND product_id = OLD.product_id;
            INSERT INTO customer_products (customer_id, product_id, last_date, last_quantity)
            SELECT customer_id, product_id, date, sum(quantity) FROM sales
            WHERE customer_id = OLD.customer_id AND product_id = OLD.product_id
              AND date = (SELECT max(date) FROM sales WHERE customer_id = OLD.customer_id
                          AND product_id = OLD.product_id)
            GROUP BY customer_id, product_id;
            UPDATE customer_products SET runs_out = (
                SELECT date(customer_products.last_date, '+' ||
                            CAST(customer_products.last_quantity * cycle_days AS INTEGER)
                            || ' days')
                FROM products WHERE id = OLD.product_id)
            WHERE customer_id = OLD.customer_id AND product_id = OLD.product_id;
        END""",
        # An update is a delete of the old row and an insert of the new one.
        """CREATE TRIGGER sales_summary_update AFTER UPDATE ON sales BEGIN
            UPDATE customers SET
                last_sale_on = (SELECT max(date) FROM sales WHERE customer_id = customers.id)
            WHERE id IN (OLD.customer_id, NEW.customer_id);
            DELETE FROM customer_products WHERE (customer_id = OLD.customer_id
                AND product_id = OLD.product_id) OR (customer_id = NEW.customer_id
                AND product_id = NEW.product_id);
            INSERT INTO customer_products (customer_id, product_id, last_date, last_quantity)
            SELECT customer_id, product_id, date, sum(quantity) FROM sales s
            WHERE ((customer_id = OLD.customer_id AND product_id = OLD.product_id)
                OR (customer_id = NEW.customer_id AND product_id = NEW.product_id))
              AND date = (SELECT max(date) FROM sales x WHERE x.customer_id = s.customer_id
                          AND x.product_id = s.product_id)
            GROUP BY customer_id, product_id;
            UPDATE customer_products SET runs_out = (
                SELECT date(customer_products.last_date, '+' ||
                            CAST(customer_products.last_quantity * cycle_days AS INTEGER)
                            || ' days')
                FROM products WHERE id = customer_products.product_id)
            WHERE (customer_id = OLD.customer_id AND product_id = OLD.product_id)
               OR (customer_id = NEW.customer_id AND product_id = NEW.product_id);
        END""",
        """CREATE TRIGGER products_cycle_update AFTER UPDATE OF cycle_days ON products BEGIN
            UPDATE customer_products SET runs_out = CASE WHEN NEW.cycle_days IS NULL THEN NULL
                ELSE date(last_date, '+' || CAST(last_quantity * NEW.cycle_days AS INTEGER)
                          || ' days') END
            WHERE product_id = NEW.id;
        END""",
        """CREATE TABLE deal_checks (
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES stage_items(id),
            done_at TEXT NOT NULL,
            note TEXT,
            PRIMARY KEY (deal_id, item_id)
        )""",
        """CREATE TABLE deal_history (
            id INTEGER PRIMARY KEY,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            stage_id INTEGER NOT NULL REFERENCES stages(id),
            entered_at TEXT NOT NULL,
            left_at TEXT,
            by TEXT,
            forced INTEGER NOT NULL DEFAULT 0,
            reason TEXT
        )""",
        "CREATE INDEX deal_history_deal ON deal_history(deal_id, id)",
        """CREATE TABLE stakeholders (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            name TEXT NOT NULL,
            title TEXT,
            role TEXT NOT NULL,
            attitude TEXT,
            owner TEXT
        )""",
        "CREATE INDEX stakeholders_customer ON stakeholders(customer_id)",
        """CREATE TABLE objections (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            response TEXT NOT NULL,
            stage TEXT,
            tags TEXT NOT NULL DEFAULT '[]'
        )""",
        """CREATE TABLE objection_uses (
            id INTEGER PRIMARY KEY,
            objection_id INTEGER NOT NULL REFERENCES objections(id) ON DELETE CASCADE,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            outcome TEXT NOT NULL CHECK (outcome IN ('worked', 'failed')),
            used_on TEXT NOT NULL
        )""",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            command TEXT NOT NULL,
            summary TEXT,
            undone INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            change_id INTEGER NOT NULL REFERENCES changes(id),
            tbl TEXT NOT NULL,
            row_id INTEGER NOT NULL,
            last_row_id INTEGER,
            before TEXT,
            after TEXT
        )""",
        "CREATE INDEX events_change ON events(change_id, id)",
        """CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            change_id INTEGER NOT NULL REFERENCES changes(id),
            kind TEXT NOT NULL,
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            rows INTEGER NOT NULL,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX imports_content ON imports(kind, sha256)",
    )


MIGRATION_STEPS = [m001_create_book]


class Change:
    """One user-visible change: a write transaction plus its audit record.

    Use through `change(conn, command)`; every insert, update and delete made through
    it is stored as a before/after image that `undo` can replay backwards.
    """

    def __init__(self, conn: sqlite3.Connection, change_id: int) -> None:
        self.conn = conn
        self.id = change_id
        self.summary: str | None = None

    def insert(self, table: str, values: Row) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values())
        )
        row_id = cursor.lastrowid
        assert row_id is not None
        self._record(table, row_id, None, self._image(table, row_id))
        return row_id

    def update(self, table: str, row_id: int, values: Row) -> None:
        before = self._image(table, row_id)
        if before is None:
            raise NotFound(f"{table} #{row_id} no longer exists")
        changed = {key: value for key, value in values.items() if before.get(key) != value}
        if not changed:
            return
        assignments = ", ".join(f"{key} = ?" for key in changed)
        self.conn.execute(
            f"UPDATE {table} SET {assignments} WHERE rowid = ?", [*changed.values(), row_id]
        )
        self._record(table, row_id, before, self._image(table, row_id))

    def delete(self, table: str, row_id: int) -> None:
        before = self._image(table, row_id)
        if before is None:
            return
        self.conn.execute(f"DELETE FROM {table} WHERE rowid = ?", [row_id])
        self._record(table, row_id, before, None)

    def insert_many(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert many rows fast; recorded as one id range, so undo removes them together.

        Summary triggers are set aside for the load and the summaries recomputed once
        after it, inside the same transaction (other connections never see the gap).
        """
        first = self.conn.execute(f"SELECT coalesce(max(rowid), 0) + 1 FROM {table}").fetchone()[0]
        marks = ", ".join("?" for _ in columns)
        cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        # A bulk load touches index pages all over the file: give it a 128 MB page cache.
        self.conn.execute(f"PRAGMA cache_size = {min(cache, -BULK_CACHE_KIB)}")
        with suspended_triggers(self.conn, table), restored_cache(self.conn, cache):
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )
            last = self.conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
            if last is None or last < first:
                return 0
            absorb_new_rows(self.conn, table, first, last)
        self.conn.execute(
            "INSERT INTO events (change_id, tbl, row_id, last_row_id) VALUES (?, ?, ?, ?)",
            [self.id, table, first, last],
        )
        return last - first + 1

    def _image(self, table: str, row_id: int) -> Row | None:
        row = self.conn.execute(f"SELECT rowid AS _rowid, * FROM {table} WHERE rowid = ?", [row_id])
        found = row.fetchone()
        if found is None:
            return None
        image = dict(zip(found.keys(), found, strict=True))
        return {k: v for k, v in image.items() if k not in SUMMARY_COLUMNS}

    def _record(self, table: str, row_id: int, before: Row | None, after: Row | None) -> None:
        import json

        self.conn.execute(
            "INSERT INTO events (change_id, tbl, row_id, before, after) VALUES (?, ?, ?, ?, ?)",
            [
                self.id,
                table,
                row_id,
                None if before is None else json.dumps(before, ensure_ascii=False),
                None if after is None else json.dumps(after, ensure_ascii=False),
            ],
        )


SUMMARY_SOURCES = {"contacts", "sales"}
BULK_CACHE_KIB = 131072


@contextmanager
def restored_cache(conn: sqlite3.Connection, cache: int) -> Iterator[None]:
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")


@contextmanager
def suspended_triggers(conn: sqlite3.Connection, table: str) -> Iterator[None]:
    """Drop a table's triggers for a bulk load and put them back exactly as stored."""
    if table not in SUMMARY_SOURCES:
        yield
        return
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [table]
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    try:
        yield
    except BaseException:
        # A failure that ended the transaction (disk full, I/O) also undid the drop.
        if conn.in_transaction:
            for _, sql in triggers:
                conn.execute(sql)
        raise
    for _, sql in triggers:
        conn.execute(sql)


def absorb_new_rows(conn: sqlite3.Connection, table: str, first: int, last: int) -> None:
    """Fold rows first..last just inserted into what the triggers maintain, reading only
    those rows (the bulk-load counterpart of the insert triggers)."""
    new = {"first": first, "last": last}
    if table == "contacts":
        conn.execute(
            """UPDATE customers SET last_contact_at = latest.at, next_follow_up = latest.next_at
               FROM (SELECT customer_id, at, next_at FROM (
                        SELECT customer_id, at, next_at, row_number() OVER (
                            PARTITION BY customer_id ORDER BY at DESC, id DESC) AS rank
                        FROM contacts WHERE rowid BETWEEN :first AND :last)
                     WHERE rank = 1) AS latest
               WHERE customers.id = latest.customer_id
                 AND (customers.last_contact_at IS NULL
                      OR customers.last_contact_at <= latest.at)""",
            new,
        )
    elif table == "sales":
        conn.execute(
            """UPDATE customers SET last_sale_on = latest.day
               FROM (SELECT customer_id, max(date) AS day FROM sales
                     WHERE rowid BETWEEN :first AND :last GROUP BY customer_id) AS latest
               WHERE customers.id = latest.customer_id
                 AND (customers.last_sale_on IS NULL OR customers.last_sale_on < latest.day)""",
            new,
        )
        conn.execute(
            f"""INSERT INTO customer_products
                   (customer_id, product_id, last_date, last_quantity, runs_out)
               SELECT customer_id, product_id, date, sum(quantity),
                      {RUNS_OUT.format(day="date", quantity="sum(quantity)", product="product_id")}
               FROM (SELECT customer_id, product_id, date, quantity,
                            max(date) OVER (PARTITION BY customer_id, product_id) AS latest
                     FROM sales WHERE rowid BETWEEN :first AND :last AND product_id IS NOT NULL)
               WHERE date = latest GROUP BY customer_id, product_id
               ON CONFLICT (customer_id, product_id) DO UPDATE SET
                   last_quantity = {NEW_QUANTITY},
                   last_date = max(last_date, excluded.last_date),
                   runs_out = {
                RUNS_OUT.format(
                    day="max(last_date, excluded.last_date)",
                    quantity=NEW_QUANTITY,
                    product="product_id",
                )
            }""",
            new,
        )


# The day the latest purchase runs out: day + quantity × the product's cycle.
RUNS_OUT = (
    "(SELECT date({day}, '+' || CAST({quantity} * cycle_days AS INTEGER) || ' days')"
    " FROM products WHERE id = {product})"
)
# An upsert's quantity bought on the latest day: a later day replaces it, the same adds.
NEW_QUANTITY = """CASE WHEN excluded.last_date > last_date THEN excluded.last_quantity
                       WHEN excluded.last_date = last_date
                           THEN last_quantity + excluded.last_quantity
                       ELSE last_quantity END"""


def refresh_summaries(
    conn: sqlite3.Connection,
    table: str,
    customers_sql: str | None = None,
    params: Sequence[Any] = (),
) -> None:
    """Recompute what the triggers maintain from `table` (contacts or sales), for the
    customers `customers_sql` selects, or for everyone."""
    if table not in SUMMARY_SOURCES:
        return
    scope = f" WHERE id IN ({customers_sql})" if customers_sql else ""
    if table == "contacts":
        conn.execute(
            "UPDATE customers SET"
            " last_contact_at = (SELECT max(at) FROM contacts WHERE customer_id = customers.id),"
            " next_follow_up = (SELECT next_at FROM contacts WHERE customer_id = customers.id"
            " ORDER BY at DESC, id DESC LIMIT 1)" + scope,
            params,
        )
        return
    conn.execute(
        "UPDATE customers SET last_sale_on ="
        " (SELECT max(date) FROM sales WHERE customer_id = customers.id)" + scope,
        params,
    )
    pairs = f" WHERE customer_id IN ({customers_sql})" if customers_sql else ""
    conn.execute("DELETE FROM customer_products" + pairs, params)
    scope = f"AND customer_id IN ({customers_sql})" if customers_sql else ""
    conn.execute(f"INSERT INTO customer_products {latest_purchases(scope)}", params)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All-or-nothing writes under the write lock (taken up front, so writers queue).

    Inside an open transaction it nests as a savepoint.
    """
    if conn.in_transaction:
        conn.execute("SAVEPOINT nested")
        try:
            yield conn
            conn.execute("RELEASE nested")
        except BaseException:
            conn.execute("ROLLBACK TO nested")
            conn.execute("RELEASE nested")
            raise
        return
    begin_immediate(conn)
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def change(
    conn: sqlite3.Connection, command: str, *, references_checked: bool = False
) -> Iterator[Change]:
    """Run a block as one recorded, all-or-nothing change to the book.

    `references_checked`: the caller resolved every id it writes inside this transaction
    (bulk imports do), so SQLite's per-row foreign-key lookups can be skipped.
    """
    if references_checked:
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with _recorded(conn, command) as recorded:
            yield recorded
    finally:
        if references_checked:
            conn.execute("PRAGMA foreign_keys = ON")


@contextmanager
def _recorded(conn: sqlite3.Connection, command: str) -> Iterator[Change]:
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO changes (at, command) VALUES (?, ?)",
            [datetime.now(UTC).isoformat(timespec="seconds"), command],
        )
        recorded = Change(conn, cursor.lastrowid or 0)
        yield recorded
        if recorded.summary:
            conn.execute(
                "UPDATE changes SET summary = ? WHERE id = ?", [recorded.summary, recorded.id]
            )


# ---------------------------------------------------------------- backup and check


def backup(conn: sqlite3.Connection, source: Path, target: Path | None) -> Path:
    """A consistent copy of the live file (VACUUM INTO), mode 0600, never overwriting."""
    if target is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = source.with_name(f"{source.stem}-backup-{stamp}{source.suffix or '.db'}")
    if target.exists():
        raise DatabaseRefused(f"{target} already exists; choose another backup path")
    _create_private_file(target)
    try:
        conn.execute("VACUUM INTO ?", [str(target)])
    except sqlite3.Error:
        target.unlink(missing_ok=True)
        raise
    return target


def check(path: Path) -> dict[str, Any]:
    """Integrity, schema version and derived data of a file, read-only; never raises for
    a damaged file, it reports it."""
    report: dict[str, Any] = {"file": str(path), "ok": False, "schema_version": None,
                              "latest_version": len(MIGRATION_STEPS), "problems": []}  # fmt: skip
    problems: list[str] = report["problems"]
    if not path.is_file():
        problems.append("no database file at this path")
        return report
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        problems.append("not a SQLite database (bad header)")
        return report
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        problems.append(f"cannot open: {error}")
        return report
    try:
        _check_open(conn, report, problems)
    except sqlite3.DatabaseError as error:
        problems.append(f"damaged: {error}")
    finally:
        conn.close()
    report["ok"] = not problems
    return report


def latest_purchases(scope: str = "") -> str:
    """Each customer's latest purchase of each product, recomputed from the sales (the rows
    of `customer_products`); `scope` narrows the sales read, e.g. to some customers."""
    return f"""
        SELECT s.customer_id, s.product_id, s.date, sum(s.quantity),
               date(s.date, '+' || CAST(sum(s.quantity) * p.cycle_days AS INTEGER) || ' days')
        FROM sales s
        JOIN (SELECT customer_id, product_id, max(date) AS last_date FROM sales
              WHERE product_id IS NOT NULL {scope} GROUP BY customer_id, product_id) latest
          ON latest.customer_id = s.customer_id AND latest.product_id = s.product_id
         AND latest.last_date = s.date
        JOIN products p ON p.id = s.product_id
        GROUP BY s.customer_id, s.product_id"""


def _check_open(conn: sqlite3.Connection, report: dict[str, Any], problems: list[str]) -> None:
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        problems.append("not a salesflow database")
        return
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    report["schema_version"] = version
    if version > len(MIGRATION_STEPS):
        problems.append(f"schema {version} is newer than this salesflow ({len(MIGRATION_STEPS)})")
    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems.extend(f"integrity: {line}" for line in integrity[:20])
        return
    foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
    if foreign:
        problems.append(f"{len(foreign)} rows point at records that do not exist")
    stale = conn.execute(
        """SELECT count(*) FROM customers c WHERE
           c.last_contact_at IS NOT (SELECT max(at) FROM contacts WHERE customer_id = c.id)
           OR c.last_sale_on IS NOT (SELECT max(date) FROM sales WHERE customer_id = c.id)
           OR c.next_follow_up IS NOT (SELECT next_at FROM contacts WHERE customer_id = c.id
                                       ORDER BY at DESC, id DESC LIMIT 1)"""
    ).fetchone()[0]
    if stale:
        problems.append(f"{stale} customers have out-of-date summaries")
    drift = conn.execute(
        f"""SELECT count(*) FROM (
                SELECT * FROM customer_products EXCEPT {latest_purchases()}
                UNION ALL
                SELECT * FROM ({latest_purchases()}) EXCEPT SELECT * FROM customer_products)"""
    ).fetchone()[0]
    if drift:
        problems.append(f"{drift} latest-purchase records are out of date")
    for table in ("customers", "contacts", "products", "sales", "deals"):
        report[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
