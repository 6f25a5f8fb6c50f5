"""Options and arguments shared by many commands, defined once, and the choice enums
built from the domain's vocabularies (so `--help` lists exactly what the domain accepts)."""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import typer
from typer._types import TyperChoice

from salesflow import choices
from salesflow.i18n import N_, _


def choice_enum(name: str, values: tuple[str, ...]) -> type[StrEnum]:
    """A StrEnum whose members are `values` (Typer validates and lists them)."""
    return StrEnum(name, [(value.replace("-", "_"), value) for value in values])  # type: ignore[return-value]


# The choice enums and the vocabulary each offers, their members used as defaults, and the
# options offering them. Each is built when a command module first imports it
# (`__getattr__` below): building every enum (about 90 µs each) cost every start some 2 ms
# where a command uses two or three.
ENUMS: dict[str, tuple[str, ...]] = {
    "Format": choices.FORMATS,
    "Channel": choices.CHANNELS,
    "Status": choices.DEAL_STATUSES,
    "Role": choices.STAKEHOLDER_ROLES,
    "Attitude": choices.ATTITUDES,
    "Outcome": choices.OBJECTION_OUTCOMES,
    "Kind": choices.REMINDER_KINDS,
    "Interval": choices.INTERVALS,
    "Compare": choices.COMPARISONS,
    "PipelineBy": choices.PIPELINE_DIMENSIONS,
    "ActivityBy": choices.ACTIVITY_DIMENSIONS,
    "MemberBy": choices.MEMBER_DIMENSIONS,
    "ImportKind": choices.IMPORT_KINDS,
    "ExportKind": choices.EXPORT_KINDS,
    "ExportFormat": choices.EXPORT_FORMATS,
    "Encoding": choices.ENCODINGS,
    "Headers": choices.HEADER_LANGUAGES,
    "OnDuplicate": choices.ON_DUPLICATE,
    "RemindFormat": choices.REMIND_FORMATS,
    "TargetBy": choices.TARGET_RANKINGS,
    "TargetLayout": choices.TARGET_LAYOUTS,
}
# Defaults, as the enums' members (Typer shows and compares them by value).
MEMBERS: dict[str, tuple[str, str]] = {
    "TABLE": ("Format", "table"),
    "CSV": ("Format", "csv"),
    "JSON": ("Format", "json"),
    "XLSX": ("Format", "xlsx"),
    "CALL": ("Channel", "call"),
    "MONTH": ("Interval", "month"),
    "BY_STAGE": ("PipelineBy", "stage"),
    "BY_REP": ("ActivityBy", "rep"),
    "BY_TIER": ("MemberBy", "tier"),
    "AUTO_ENCODING": ("Encoding", "auto"),
    "REFUSE_DUPLICATES": ("OnDuplicate", "error"),
    "ENGLISH_HEADERS": ("Headers", "en"),
    "EXPORT_CSV": ("ExportFormat", "csv"),
    "EXPORT_JSON": ("ExportFormat", "json"),
    "EXPORT_XLSX": ("ExportFormat", "xlsx"),
    "EXPORT_VCF": ("ExportFormat", "vcf"),
    "REMIND_TABLE": ("RemindFormat", "table"),
    "ICS": ("RemindFormat", "ics"),
    "BY_SCORE": ("TargetBy", "score"),
}

if TYPE_CHECKING:  # the checker sees plain StrEnums; their members come from choices.py

    class Format(StrEnum): ...

    class Channel(StrEnum): ...

    class Status(StrEnum): ...

    class Role(StrEnum): ...

    class Attitude(StrEnum): ...

    class Outcome(StrEnum): ...

    class Kind(StrEnum): ...

    class Interval(StrEnum): ...

    class Compare(StrEnum): ...

    class PipelineBy(StrEnum): ...

    class ActivityBy(StrEnum): ...

    class MemberBy(StrEnum): ...

    class ImportKind(StrEnum): ...

    class ExportKind(StrEnum): ...

    class ExportFormat(StrEnum): ...

    class Encoding(StrEnum): ...

    class Headers(StrEnum): ...

    class OnDuplicate(StrEnum): ...

    class RemindFormat(StrEnum): ...

    class TargetBy(StrEnum): ...

    class TargetLayout(StrEnum): ...

    TABLE: Format
    CSV: Format
    JSON: Format
    XLSX: Format
    CALL: Channel
    MONTH: Interval
    BY_STAGE: PipelineBy
    BY_REP: ActivityBy
    BY_TIER: MemberBy
    AUTO_ENCODING: Encoding
    REFUSE_DUPLICATES: OnDuplicate
    ENGLISH_HEADERS: Headers
    EXPORT_CSV: ExportFormat
    EXPORT_JSON: ExportFormat
    EXPORT_XLSX: ExportFormat
    EXPORT_VCF: ExportFormat
    REMIND_TABLE: RemindFormat
    ICS: RemindFormat
    BY_SCORE: TargetBy
    FormatOpt: TypeAlias = Format
    RecordFormatOpt: TypeAlias = Format
    SummaryFormatOpt: TypeAlias = Format
    RemindFormatOpt: TypeAlias = RemindFormat
    TargetByOpt: TypeAlias = TargetBy
    TargetLayoutOpt: TypeAlias = TargetLayout | None


def __getattr__(name: str) -> Any:
    """An enum, a default member or a choice option, built on first import."""
    if name in ENUMS:
        built: Any = choice_enum(name, ENUMS[name])
    elif name in MEMBERS:
        enum, value = MEMBERS[name]
        built = _built(enum)(value)
    elif name in CHOICE_OPTIONS:
        enum, optional, option = CHOICE_OPTIONS[name]
        offered = _built(enum)
        built = Annotated[offered | None if optional else offered, option]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = built
    return built


def _built(name: str) -> Any:
    return globals()[name] if name in globals() else __getattr__(name)


# The name of every command's -o parameter and --format parameter.
DESTINATION, FORMAT = "destination", "fmt"


def workbook_needs_a_file(ctx: typer.Context, param: typer.CallbackParam, value: object) -> object:
    """Refuse `--format xlsx` without -o FILE, before the command does anything (a command
    without -o takes RecordFormatOpt, which offers no workbook).

    Click handles the options given on the command line first, in their order, then the
    others; so one of the two callbacks (on --format, on -o) sees both values.
    """
    if param.name == DESTINATION:
        wanted, destination, known = ctx.params.get(FORMAT), value, True
    else:
        wanted, destination = value, ctx.params.get(DESTINATION)
        known = DESTINATION in ctx.params
    if wanted != "xlsx":
        return value
    if known and destination is None:
        raise typer.BadParameter(
            _("a workbook is written to a file, not to a terminal: add -o FILE.xlsx"),
            param_hint="'--format'",
        )
    return value


OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to FILE (mode 0600) instead of stdout; FILE.xlsx is a workbook.",
        metavar="FILE",
        dir_okay=False,
        callback=workbook_needs_a_file,
    ),
]


def formats_of(offered: tuple[str, ...], text: str) -> tuple[str, bool, Any]:
    """A --format offering only some of the formats: Typer checks and lists `offered`,
    and the command still gets the Format member (typer pinned below 0.29, see startup).
    `text` is marked with N_: help is worded in the user's language when shown."""
    return (
        "Format",
        False,
        typer.Option("--format", "-f", help=text, click_type=TyperChoice(offered)),
    )


# Options offering a choice enum: (the enum, whether it may be left out, the option).
CHOICE_OPTIONS: dict[str, tuple[str, bool, Any]] = {
    "FormatOpt": (
        "Format",
        False,
        typer.Option(
            "--format",
            "-f",
            help="table (default), csv, json; xlsx with -o FILE.",
            callback=workbook_needs_a_file,
        ),
    ),
    # A command that writes no file (a confirmation, a record shown) offers no workbook.
    "RecordFormatOpt": formats_of(choices.RECORD_FORMATS, N_("table (default), csv or json.")),
    # A command that reports what it did: table or JSON (its report has no rows for CSV).
    "SummaryFormatOpt": formats_of(choices.SUMMARY_FORMATS, N_("table (default) or json.")),
    "RemindFormatOpt": (
        "RemindFormat",
        False,
        typer.Option(
            "--format",
            "-f",
            help="table (default), csv, json; xlsx with -o FILE; ics: a calendar of the items.",
            callback=workbook_needs_a_file,
        ),
    ),
    # How `targets` ranks and lays out its list.
    "TargetByOpt": (
        "TargetBy",
        False,
        typer.Option(help="score: urgency + quick effect + price fit; value: predicted value."),
    ),
    "TargetLayoutOpt": (
        "TargetLayout",
        True,
        typer.Option("--for", help="sms: only name and mobile, for an SMS platform's upload."),
    ),
}
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Show at most N records.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
CustomerArg = Annotated[
    str,
    typer.Argument(
        help="Customer: id, #id, ref, phone, email or (part of) the name.", metavar="CUSTOMER"
    ),
]
DealArg = Annotated[str, typer.Argument(help="Deal: id, #id or part of its title.", metavar="DEAL")]
TextOpt = Annotated[str | None, typer.Option()]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", help="Add a tag (repeatable).")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Evaluate as of DATE (later records are ignored).", metavar="DATE"
    ),
]
# How far ahead a forecast looks (`predict`, `targets --by value`); 90 days unless given.
HorizonOpt = Annotated[
    str | None,
    typer.Option(
        help="How far ahead: days, weeks, months or years (90d, 12w, 3m, 1y; default 90d).",
        metavar="DURATION",
    ),
]


def horizon_or_default(given: str | None) -> str:
    """The horizon typed, or 90 days when none was (an empty one is refused as typed)."""
    return "90d" if given is None else given


FromOpt = Annotated[str | None, typer.Option("--from", help="First day.", metavar="DATE")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day.", metavar="DATE")]
# The filters of a target list, shared by `targets` and `campaign log --targets`.
TierOpt = Annotated[str | None, typer.Option(help="Only this tier (A-D, or none).")]
OwnerOpt = Annotated[str | None, typer.Option(help="Only this salesperson's customers.")]
StoreOpt = Annotated[str | None, typer.Option(help="Only this store's customers.")]
TagFilterOpt = Annotated[str | None, typer.Option("--tag", help="Only customers with this tag.")]
MinScoreOpt = Annotated[
    int | None, typer.Option("--min-score", min=0, max=15, help="Only a target score this high.")
]
