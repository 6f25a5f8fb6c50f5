"""The database file: where it lives, opening it safely, migrations, and recorded changes.

Every write goes through `Change`, which holds a `BEGIN IMMEDIATE` transaction and records
each row's before/after image in the audit log, so history and undo need nothing from the
commands themselves.

The read path only runs `PRAGMA application_id` / `user_version`; the schema steps in
migrations.py run when a file actually needs creating or upgrading.
"""

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from salesflow import summaries
from salesflow.errors import Busy, DatabaseRefused, NotFound
from salesflow.i18n import N_, _

APPLICATION_ID = 0x53464C57  # "SFLW": marks a file as salesflow's
SQLITE_HEADER = b"SQLite format 3\x00"
# `salesflow follow` marks the read-only copy it keeps with a file beside it, PATH.follower.
FOLLOWER_SUFFIX = ".follower"
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

        raise BadValue(
            _("SALESFLOW_BUSY_TIMEOUT must be a number of seconds, not {value!r}").format(value=raw)
        )
    return seconds


def open_db(path: Path, *, write: bool) -> sqlite3.Connection:
    """Open the salesflow file at `path`, creating and migrating it when needed.

    A missing file is created (0600, folder 0700) only for commands that write; a read
    command on a missing file gets an empty in-memory book and leaves the disk alone.
    A follower (a copy kept by `follow`) opens read-only and refuses every write.
    """
    if is_follower(path):
        if write:
            raise DatabaseRefused(
                _(
                    "{path} is a read-only follower of a replica; make changes in the book it "
                    "follows (nothing was changed)"
                ).format(path=path)
            )
        if path.is_file():
            return _connect_follower(path)
    if not path.exists():
        if not write:
            return _empty_book()
        _create_private_file(path)
        return _connect(str(path), create=True)
    if not path.is_file():
        raise DatabaseRefused(_("{path} is not a file").format(path=path))
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise DatabaseRefused(
            _("cannot read {path}: {reason}").format(path=path, reason=error.strerror)
        ) from None
    if header and header != SQLITE_HEADER:
        raise DatabaseRefused(
            _("{path} is not a salesflow database; nothing was written to it").format(path=path)
        )
    return _connect(str(path), create=not header)


def follower_marker(path: Path) -> Path:
    return path.with_name(path.name + FOLLOWER_SUFFIX)


def is_follower(path: Path) -> bool:
    return follower_marker(path).exists()


def _connect_follower(path: Path) -> sqlite3.Connection:
    """A follower read-only: no migration, no WAL files, nothing written beside it.

    Its schema is the one the followed book has; it is upgraded there and arrives with the
    next refresh, so a follower at another version than this salesflow is refused.
    """
    conn, application_id, version = _opened(
        f"{path.absolute().as_uri()}?mode=ro",
        _("{path} is not a readable salesflow database").format(path=path),
        uri=True,
    )
    latest = latest_version()
    if application_id != APPLICATION_ID or version != latest:
        conn.close()
        if application_id != APPLICATION_ID:
            raise DatabaseRefused(_("{path} is not a salesflow database").format(path=path))
        raise DatabaseRefused(
            _(
                "{path} is a follower at schema {version} and this salesflow reads schema "
                "{latest}; use the same salesflow version on both machines"
            ).format(path=path, version=version, latest=latest)
        )
    return conn


def _empty_book() -> sqlite3.Connection:
    """An in-memory book with the current schema, for reading a file that does not exist."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    _migrate(conn)
    return conn


def latest_version() -> int:
    from salesflow.migrations import STEPS

    return len(STEPS)


def _create_private_file(path: Path) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as error:
        raise DatabaseRefused(
            _("cannot create {path}: {reason}").format(path=path, reason=error.strerror)
        ) from None
    os.close(descriptor)


def _opened(
    target: str, unreadable: str, *, uri: bool = False
) -> tuple[sqlite3.Connection, int, int]:
    """A connection with its application id and schema version; refused with `unreadable`
    when it is no SQLite database."""
    conn = sqlite3.connect(
        target,
        uri=uri,
        timeout=busy_timeout_seconds(),
        isolation_level=None,
    )
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:
        conn.close()
        raise DatabaseRefused(unreadable) from None
    return conn, application_id, version


def _connect(target: str, *, create: bool) -> sqlite3.Connection:
    # Litestream takes short write locks while it checkpoints the WAL it replicates; its
    # tips ask every writer to wait for them (busy_timeout, 5 s recommended) rather than
    # fail. `timeout` sets SQLite's busy timeout: $SALESFLOW_BUSY_TIMEOUT, 10 s by default.
    # Checkpoints are left to SQLite's automatic PASSIVE ones and to Litestream: salesflow
    # never runs a RESTART or TRUNCATE checkpoint, which would block Litestream's reader.
    conn, application_id, version = _opened(
        target,
        _("{path} is not a readable salesflow database; nothing was written to it").format(
            path=target
        ),
    )
    if application_id != APPLICATION_ID:
        if application_id != 0 or _has_tables(conn):
            conn.close()
            raise DatabaseRefused(
                _("{path} is not a salesflow database; nothing was written to it").format(
                    path=target
                )
            )
        version = 0
    latest = latest_version()
    if version > latest:
        conn.close()
        raise DatabaseRefused(
            _(
                "{path} was written by a newer salesflow (schema {version}, this one knows "
                "{latest}); upgrade salesflow. The file was left untouched."
            ).format(path=target, version=version, latest=latest)
        )
    if version < latest:
        _migrate(conn, file=True)
    return conn


def _has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None


def _migrate(conn: sqlite3.Connection, *, file: bool = False) -> None:
    """Take the schema steps the book has not taken yet, all in one transaction."""
    from salesflow.migrations import STEPS

    if file:
        conn.execute("PRAGMA journal_mode = WAL")
    with transaction(conn):
        # Another process may have migrated while this one waited for the lock.
        taken = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in STEPS[taken:]:
            step(conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {len(STEPS)}")


def begin_immediate(conn: sqlite3.Connection) -> None:
    """Take the write lock now, waiting up to the busy timeout, so writers queue up."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise Busy(
                _(
                    "the database is busy: another salesflow kept it locked for more than "
                    "{seconds}s (SALESFLOW_BUSY_TIMEOUT); try again"
                ).format(seconds=f"{busy_timeout_seconds():g}")
            ) from None
        raise


class Change:
    """One user-visible change: a write transaction plus its audit record.

    Use through `change(conn, command)`; every insert, update and delete made through
    it is stored as a before/after image that `undo` can replay backwards.
    """

    def __init__(self, conn: sqlite3.Connection, change_id: int) -> None:
        self.conn = conn
        self.id = change_id
        # What it did, as `describe` gives it: stored in the book as an English summary,
        # as the log records it (JSON and CSV show that), and in parts, so a person reads
        # it in their own language (history.worded).
        self.described: tuple[str, dict[str, str | int]] | None = None

    def describe(self, message: str, **values: str | int) -> None:
        """Say what this change did: `message` is English marked with N_, its named
        placeholders filled with `values` (ids, counts, keys: never a customer's data)."""
        self.described = (message, values)

    def describe_edit(
        self, message: str, with_fields: str, fields: Iterable[str], **values: str | int
    ) -> None:
        """`describe` an edit, naming the fields it changed ({fields} in `with_fields`)
        when it changed any."""
        named = ", ".join(fields)
        if named:
            self.describe(with_fields, fields=named, **values)
        else:
            self.describe(message, **values)

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
            raise NotFound(
                _("record #{id} of {table} no longer exists").format(id=row_id, table=table)
            )
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
        A load that adds at least as many rows as the table held (any load into an empty
        table) sets the table's indexes aside once it gets there and builds each again
        after the last row: one sort instead of a B-tree walk per row and index. That too
        happens inside the transaction, so a crash or a refusal leaves them as they were.
        """
        first = self.conn.execute(f"SELECT coalesce(max(rowid), 0) + 1 FROM {table}").fetchone()[0]
        marks = ", ".join("?" for _ in columns)
        insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        # A bulk load touches index pages all over the file: give it a 128 MB page cache.
        self.conn.execute(f"PRAGMA cache_size = {min(cache, -BULK_CACHE_KIB)}")
        with (
            suspended_triggers(self.conn, table),
            restored_cache(self.conn, cache),
            indexes_set_aside(self.conn, table) as indexes,
        ):
            rows = iter(rows)
            loaded = 0
            size = min(LOAD_CHUNK, max(first - 1, 1000))  # a small table checks more often
            while chunk := list(islice(rows, size)):
                if loaded >= first - 1:  # as many rows as the table held: cheaper to rebuild
                    indexes.set_aside()
                self.conn.executemany(insert, chunk)
                loaded += len(chunk)
            indexes.rebuild()
            last = self.conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
            if last is None or last < first:
                return 0
            summaries.absorb_new_rows(self.conn, table, first, last)
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


BULK_CACHE_KIB = 131072


@contextmanager
def restored_cache(conn: sqlite3.Connection, cache: int) -> Iterator[None]:
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")


# Rows handed to SQLite per executemany in a bulk load; between two, the load may set the
# table's indexes aside.
LOAD_CHUNK = 50_000


class SetAsideIndexes:
    """A table's own indexes (not those behind UNIQUE or PRIMARY KEY), dropped for a bulk
    load and created again from their stored statements."""

    def __init__(self, conn: sqlite3.Connection, table: str) -> None:
        self.conn, self.table = conn, table
        self.statements: list[str] = []

    def set_aside(self) -> None:
        if self.statements or not self.conn.in_transaction:
            return
        plain = {
            name
            for _seq, name, unique, origin, _partial in self.conn.execute(
                f"PRAGMA index_list({self.table})"
            )
            if origin == "c" and not unique  # a UNIQUE index keeps refusing duplicates
        }
        for name, sql in self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " ORDER BY rowid",
            [self.table],
        ).fetchall():
            if name in plain:
                self.conn.execute(f'DROP INDEX "{name}"')
                self.statements.append(sql)

    def rebuild(self) -> None:
        statements, self.statements = self.statements, []
        for sql in statements:
            self.conn.execute(sql)


@contextmanager
def indexes_set_aside(conn: sqlite3.Connection, table: str) -> Iterator[SetAsideIndexes]:
    """Indexes a bulk load may set aside; put back whatever happens, as long as the
    transaction lasts (a failure that ended it also undid the drop)."""
    indexes = SetAsideIndexes(conn, table)
    try:
        yield indexes
    except Exception:
        if conn.in_transaction:
            indexes.rebuild()
        raise
    indexes.rebuild()


@contextmanager
def suspended_triggers(conn: sqlite3.Connection, table: str) -> Iterator[None]:
    """Drop a table's triggers for a bulk load and put them back exactly as stored."""
    if table not in summaries.SUMMARY_SOURCES:
        yield
        return
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [table]
    ).fetchall()
    for name, _sql in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    try:
        yield
    except BaseException:
        # A failure that ended the transaction (disk full, I/O) also undid the drop.
        if conn.in_transaction:
            for _name, sql in triggers:
                conn.execute(sql)
        raise
    for _name, sql in triggers:
        conn.execute(sql)


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
        if recorded.described:
            import json

            message, values = recorded.described
            parts = json.dumps({"message": message, "values": values}, ensure_ascii=False)
            conn.execute(
                "UPDATE changes SET summary = ?, summary_parts = ? WHERE id = ?",
                [message.format(**values), parts, recorded.id],
            )


# ---------------------------------------------------------------- backup and check


def backup(conn: sqlite3.Connection, source: Path, target: Path | None) -> Path:
    """A consistent copy of the live file (VACUUM INTO), mode 0600, never overwriting."""
    if target is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = source.with_name(f"{source.stem}-backup-{stamp}{source.suffix or '.db'}")
    if target.exists():
        raise DatabaseRefused(
            _("{path} already exists; choose another backup path").format(path=target)
        )
    _create_private_file(target)
    try:
        conn.execute("VACUUM INTO ?", [str(target)])
    except sqlite3.Error:
        target.unlink(missing_ok=True)
        raise
    return target


class Problem(str):
    """A problem `check` found: English text in the report (JSON is the same in every
    language), with its message and values kept to say it in the user's language."""

    message: str
    values: dict[str, Any]

    def __new__(cls, message: str, **values: Any) -> "Problem":
        problem = super().__new__(cls, message.format(**values))
        problem.message, problem.values = message, values
        return problem

    def said(self) -> str:
        return _(self.message).format(**self.values)


def check(path: Path) -> dict[str, Any]:
    """Integrity, schema version and derived data of a file, read-only; never raises for
    a damaged file, it reports it."""
    report: dict[str, Any] = {"file": str(path), "ok": False, "schema_version": None,
                              "latest_version": latest_version(), "problems": []}  # fmt: skip
    problems: list[str] = report["problems"]
    if not path.is_file():
        problems.append(Problem(N_("no database file at this path")))
        return report
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        problems.append(Problem(N_("not a SQLite database (bad header)")))
        return report
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        problems.append(Problem(N_("cannot open: {reason}"), reason=str(error)))
        return report
    try:
        _check_open(conn, report, problems)
    except sqlite3.DatabaseError as error:
        problems.append(Problem(N_("damaged: {reason}"), reason=str(error)))
    finally:
        conn.close()
    report["ok"] = not problems
    return report


def _check_open(conn: sqlite3.Connection, report: dict[str, Any], problems: list[str]) -> None:
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        problems.append(Problem(N_("not a salesflow database")))
        return
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    report["schema_version"] = version
    if version > latest_version():
        problems.append(
            Problem(
                N_("schema {version} is newer than this salesflow ({latest})"),
                version=version,
                latest=latest_version(),
            )
        )
    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems.extend(Problem(N_("integrity: {line}"), line=line) for line in integrity[:20])
        return
    foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
    if foreign:
        problems.append(
            Problem(N_("{count} rows point at records that do not exist"), count=len(foreign))
        )
    unreadable = conn.execute(
        "SELECT count(*) FROM customers WHERE NOT json_valid(profile) OR NOT json_valid(tags)"
    ).fetchone()[0]
    if unreadable:
        problems.append(
            Problem(
                N_("{count} customers have a profile or tags that are not JSON"), count=unreadable
            )
        )
    report["upgrade_pending"] = version < latest_version()
    if report["upgrade_pending"]:
        # Written by an earlier salesflow: the next command that writes upgrades it. Its
        # derived data follows that release's rules, so only its records are counted.
        _count_records(conn, report)
        return
    stale = conn.execute(
        """SELECT count(*) FROM customers c WHERE
           c.last_contact_at IS NOT (SELECT max(at) FROM contacts WHERE customer_id = c.id)
           OR c.last_sale_on IS NOT (SELECT max(date) FROM sales WHERE customer_id = c.id)
           OR c.next_follow_up IS NOT (SELECT next_at FROM contacts WHERE customer_id = c.id
                                       ORDER BY at DESC, id DESC LIMIT 1)"""
    ).fetchone()[0]
    if stale:
        problems.append(Problem(N_("{count} customers have out-of-date summaries"), count=stale))
    drift = _drift(conn, "customer_products", summaries.latest_purchases())
    if drift:
        problems.append(Problem(N_("{count} latest-purchase records are out of date"), count=drift))
    drift = _drift(conn, "sales_days", summaries.sales_per_day())
    if drift:
        problems.append(Problem(N_("{count} daily sales totals are out of date"), count=drift))
    _count_records(conn, report)


def _drift(conn: sqlite3.Connection, table: str, derived: str) -> int:
    """How many rows of `table` differ from what `derived` computes from the records: the
    rows it holds that should not be there, and those it lacks (a changed row is both).
    Rows are compared with how many times each occurs, so a copy of a row counts too."""
    columns = len(conn.execute(f"PRAGMA table_info({table})").fetchall())
    every = ", ".join(str(number) for number in range(1, columns + 1))
    stored = f"SELECT *, count(*) FROM {table} GROUP BY {every}"
    computed = f"SELECT *, count(*) FROM ({derived}) GROUP BY {every}"
    return conn.execute(
        f"""SELECT count(*) FROM (
                SELECT * FROM ({stored} EXCEPT {computed})
                UNION ALL
                SELECT * FROM ({computed} EXCEPT {stored}))"""
    ).fetchone()[0]


def _count_records(conn: sqlite3.Connection, report: dict[str, Any]) -> None:
    for table in ("customers", "contacts", "products", "sales", "deals"):
        report[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
