"""Campaign commands: a message, event or call round to a target list, logged as one
contact per customer reached, and what it sold."""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from salesflow import choices
from salesflow.cli.options import (
    TABLE,
    FormatOpt,
    LimitOpt,
    MinScoreOpt,
    OutputOpt,
    OwnerOpt,
    RecordFormatOpt,
    StoreOpt,
    TagFilterOpt,
    TierOpt,
    choice_enum,
)
from salesflow.cli.render import confirm_added, emit, emit_record
from salesflow.cli.root import group, open_book, tell, to_date, today
from salesflow.cli.startup import lazy
from salesflow.errors import BadValue
from salesflow.i18n import N_, _

if TYPE_CHECKING:
    from salesflow import campaigns, db, inputs
    from salesflow import tiers as grading

    class CampaignChannel(StrEnum): ...

else:
    campaigns, db, inputs, grading = lazy("campaigns", "db", "inputs", "tiers")
    CampaignChannel = choice_enum("CampaignChannel", choices.CAMPAIGN_CHANNELS)

campaign_app = group("campaign", "Campaigns to a target list: SMS, web, events, calls, visits.")

CAMPAIGN_COLUMNS = [
    ("id", N_("ID")),
    ("name", N_("Campaign")),
    ("channel", N_("Channel")),
    ("date", N_("Date")),
    ("reached", N_("Reached")),
    ("contacts", N_("Contacts")),
    ("notes", N_("Notes")),
]


@campaign_app.command("add")
def campaign_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for the campaign.", metavar="NAME")],
    channel: Annotated[CampaignChannel, typer.Option(help="How it reaches customers.")],
    on: Annotated[
        str | None, typer.Option("--date", help="Its day (default today).", metavar="DATE")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="What it offered.")] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Add a campaign: an SMS blast, a web offer, an event, a call or visit round.

    Example: salesflow campaign add 春季会员日 --channel sms --date 2026-03-20
    """
    with open_book(ctx, write=True) as conn:
        with db.change(conn, "campaign add") as change:
            campaign_id = campaigns.add_campaign(
                change, name, channel=channel.value, run_on=to_date(on) or today(), notes=notes
            )
        record = campaigns.get_campaign(conn, campaign_id)
    confirm_added(
        _("Added campaign #{id} {name} ({channel})").format(
            id=record["id"], name=record["name"], channel=record["channel"]
        ),
        record,
        fmt,
    )


@campaign_app.command("list")
def campaign_list(
    ctx: typer.Context,
    limit: LimitOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List campaigns with the customers each reached.

    Example: salesflow campaign list
    """
    with open_book(ctx) as conn:
        rows = campaigns.list_campaigns(conn, limit=limit)
    emit(rows, CAMPAIGN_COLUMNS, fmt, destination, keys=campaigns.CAMPAIGN_KEYS)


@campaign_app.command("log")
def campaign_log(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The campaign (name or #id).", metavar="NAME")],
    from_targets: Annotated[
        bool, typer.Option("--targets", help="To the target list the filters choose.")
    ] = False,
    tier: TierOpt = None,
    owner: OwnerOpt = None,
    store: StoreOpt = None,
    tag: TagFilterOpt = None,
    min_score: MinScoreOpt = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="The N best targets only.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="To the customers a CSV names (customer_id, ref, mobile, email or name).",
            metavar="CSV",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="When it reached them (default: the campaign's day).")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who (default: each customer's owner).")] = None,
    summary: Annotated[
        str | None, typer.Option(help="The contact's summary (default: the campaign).")
    ] = None,
    fmt: RecordFormatOpt = TABLE,
) -> None:
    """Log one contact per customer the campaign reached, in one undoable step.

    Example: salesflow campaign log 春季会员日 --targets --tier A   (or: --file sms.csv)
    """
    filtered = any(value is not None for value in (tier, owner, store, min_score, limit))
    if file is not None and (from_targets or tag is not None or filtered):
        raise BadValue(_("name the customers one way: --targets with filters, --tag, or --file"))
    if file is None and not from_targets and tag is None:
        raise BadValue(_("say who it reached: --targets [filters], --tag T or --file CSV"))
    if filtered and not from_targets:
        raise BadValue(_("--tier, --owner, --store, --min-score and --limit go with --targets"))
    with open_book(ctx, write=True) as conn:
        campaign_id = campaigns.find_campaign(conn, name)
        if file is not None:
            customer_ids = campaigns.read_customer_file(conn, file)
        else:
            chosen = grading.TargetFilter(
                tier=tier, owner=owner, store=store, tag=tag, min_score=min_score
            )
            rows = grading.targets(conn, where=chosen, limit=limit)
            customer_ids = [row["customer_id"] for row in rows]
        moment = inputs.parse_moment(at, today()) if at else None
        with db.change(conn, "campaign log") as change:
            logged = campaigns.log_campaign(
                change,
                campaign_id,
                customer_ids,
                at=moment,
                now=inputs.now_moment(today()),
                by=by,
                summary=summary,
            )
        record = campaigns.get_campaign(conn, campaign_id)
    message = _("Logged {count} contacts for campaign {name}").format(
        count=logged["logged"], name=record["name"]
    )
    if logged["already_reached"]:
        message += _("; {count} customers it had reached already were left alone").format(
            count=logged["already_reached"]
        )
    tell(message)
    if fmt is not TABLE:
        emit_record({**record, **logged}, fmt, None, [*campaigns.CAMPAIGN_KEYS, "logged",
                                                      "already_reached"])  # fmt: skip
