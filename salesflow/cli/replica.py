"""Beyond one laptop: replicate the book with Litestream, restore it (to a point in time),
and keep a read-only follower on a second machine."""

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from salesflow.cli.options import JSON, TABLE, FormatOpt, OutputOpt, SummaryFormatOpt
from salesflow.cli.render import deliver, emit_record
from salesflow.cli.root import app, fail, group, open_book, session, tell, today
from salesflow.cli.startup import lazy
from salesflow.errors import NotFound
from salesflow.i18n import _

if TYPE_CHECKING:
    from salesflow import db, inputs, output, replica, settings
else:
    db, inputs, output, replica, settings = lazy("db", "inputs", "output", "replica", "settings")

replica_app = group("replica", "Where the book is replicated, and how far the replica is behind.")

UrlArg = Annotated[
    str,
    typer.Argument(
        help="Replica: file:///folder, s3://bucket/path[?endpoint=…], oss://, gs://, abs://, "
        "sftp://user@host/path, webdav(s)://, nats://. Credentials come from the environment.",
        metavar="URL",
    ),
]
TargetOpt = Annotated[
    Path,
    typer.Option("--output", "-o", help="The file to write.", metavar="PATH", dir_okay=False),
]
STATUS_KEYS = [
    "target",
    "book",
    "replica_txid",
    "replicated_at",
    "local_txid",
    "local_changed_at",
    "txids_behind",
    "seconds_ahead",
    "unreplicated_changes",
]
FOLLOWER_KEYS = ["book", "follower_of", "txid", "refreshed_at"]


def litestream() -> None:
    """Fail with the install command before anything else when Litestream is missing."""
    replica.binary()


def stored_url(ctx: typer.Context) -> str:
    url = replica.configured_url(session(ctx).path)
    if not url:
        fail(_("no replica is set for this book; set one with `salesflow replica set URL`"))
    return url


def credentials_note(url: str) -> str | None:
    scheme = url.split(":", 1)[0].lower()
    names = replica.CREDENTIAL_VARIABLES.get(scheme)
    if not names:
        return None
    return _("credentials are read from the environment: {variables}").format(
        variables=", ".join(names)
    )


@replica_app.command("set")
def replica_set(ctx: typer.Context, url: UrlArg) -> None:
    """Store where the book is replicated (never a password: those stay in the environment).

    Example: salesflow replica set 's3://crm-backup/book?endpoint=oss-cn-hangzhou.aliyuncs.com'
    """
    litestream()
    with open_book(ctx, write=True) as conn, db.change(conn, "replica set") as change:
        stored = str(settings.set_value(change, replica.SETTING_KEY, url))
    tell(_("Replica set to {target}").format(target=replica.mask_url(stored)))
    note = credentials_note(stored)
    if note:
        tell(note)


@replica_app.command("status")
def replica_status(
    ctx: typer.Context, fmt: FormatOpt = TABLE, destination: OutputOpt = None
) -> None:
    """Show the replica, its last replicated transaction and time, and how far the book is ahead.

    Example: salesflow replica status --format json
    """
    litestream()
    path = session(ctx).path
    following = replica.follower_info(path)
    if following is not None:
        record = {
            "book": str(path),
            "follower_of": following.get("target"),
            "txid": following.get("txid"),
            "refreshed_at": following.get("refreshed_at"),
        }
        emit_record(record, fmt, destination, FOLLOWER_KEYS)
        return
    state = replica.status(path, stored_url(ctx))
    emit_record(state, fmt, destination, STATUS_KEYS)


@contextmanager
def stopped_by_signals() -> Iterator[threading.Event]:
    """An event set by Ctrl-C or SIGTERM (systemd's stop), so the loop ends cleanly."""
    stop = threading.Event()

    def request_stop(_signum: int, _frame: Any) -> None:
        stop.set()

    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in saved:
        signal.signal(number, request_stop)
    try:
        yield stop
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


@app.command("replicate")
def replicate_command(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Ship what is committed, then exit (for cron).")
    ] = False,
    fmt: SummaryFormatOpt = TABLE,
) -> None:
    """Replicate the book continuously in the foreground, or once with --once.

    Example: salesflow replicate --once
    """
    litestream()
    path = session(ctx).path
    if replica.follower_info(path) is not None:
        fail(_("{path} is a read-only follower; replicate the book it follows").format(path=path))
    url = stored_url(ctx)
    if once:
        state = replica.replicate_once(path, url)
        if fmt is JSON:
            deliver(output.to_json(state), None)
        elif sys.stderr.isatty():  # cron mails only what goes wrong
            tell(
                _("Replicated {book} to {target} (transaction {txid})").format(
                    book=path, target=state["target"], txid=state["replica_txid"]
                )
            )
        return
    tell(
        _("Replicating {book} to {target}; stop with Ctrl-C").format(
            book=path, target=replica.mask_url(url)
        )
    )
    with stopped_by_signals() as stop:
        code = replica.run_forever(path, url, stop=stop, on_restart=restarted)
    if code:
        fail(_("Litestream stopped with status {code}").format(code=code))


def restarted(reason: str) -> None:
    tell(_("Restarting replication: {reason}").format(reason=reason))


def moment(text: str) -> datetime:
    """A point in time as the command line writes it: an ISO timestamp (as `replica status`
    shows), or any date (`-3d`, `yesterday`, `2026年3月5日`) with an optional HH:MM, in local
    time; a date alone means the start of that day."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        pass
    written = inputs.parse_moment(text, today())
    return datetime.fromisoformat(written if " " in written else written + " 00:00")


@app.command("restore")
def restore_command(
    ctx: typer.Context,
    destination: TargetOpt,
    url: Annotated[
        str | None,
        typer.Argument(help="Replica to restore (default: this book's replica).", metavar="[URL]"),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Restore the book as it was then: a date (start of day), 'DATE HH:MM' or an "
            "ISO timestamp; local time unless it names a zone.",
            metavar="TIMESTAMP",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    fmt: SummaryFormatOpt = TABLE,
) -> None:
    """Restore the replica (as it was at --at) into a new, checked file.

    Example: salesflow restore -o ~/crm-before.db --at '-3d 09:00'
    """
    when = moment(at) if at is not None else None
    litestream()
    source = url if url is not None else stored_url(ctx)
    restored = replica.restore(source, destination, at=when, force=force)
    tell(
        _("Restored {target} into {path} (schema {version}{at})").format(
            target=restored["target"],
            path=restored["output"],
            version=restored["schema_version"],
            at=_(", as of {at}").format(at=restored["at"]) if restored["at"] else "",
        )
    )
    if fmt is JSON:
        deliver(output.to_json(restored), None)


@app.command("follow")
def follow_command(
    url: UrlArg,
    destination: TargetOpt,
    every: Annotated[
        float, typer.Option("--every", min=1, help="Seconds between refreshes.", metavar="SECONDS")
    ] = 10.0,
    once: Annotated[bool, typer.Option("--once", help="Refresh once, then exit.")] = False,
) -> None:
    """Keep PATH a read-only copy of the replica, refreshed until stopped.

    Example: salesflow follow s3://crm-backup/book -o ~/crm-follower.db
    """
    litestream()
    refresh(url, destination)
    if once:
        return
    with stopped_by_signals() as stop:
        while not stop.wait(every):
            try:
                refresh(url, destination)
            except (NotFound, replica.ReplicaFailed) as error:
                # a passing network fault: say so and try again at the next refresh
                tell(_("Warning: {message}").format(message=error))


def refresh(url: str, destination: Path) -> dict[str, Any]:
    result = replica.follow(url, destination, now=datetime.now(UTC))
    if result["changed"]:
        tell(
            _("{path} now follows {target} at transaction {txid}").format(
                path=result["output"], target=result["target"], txid=result["txid"]
            )
        )
    return result
