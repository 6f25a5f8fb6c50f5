"""Options and arguments shared by many commands, defined once, and the choice enums
built from the domain's vocabularies (so `--help` lists exactly what the domain accepts)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from salesflow import choices
from salesflow.i18n import _


def choice_enum(name: str, values: tuple[str, ...]) -> type[StrEnum]:
    """A StrEnum whose members are `values` (Typer validates and lists them)."""
    return StrEnum(name, [(value.replace("-", "_"), value) for value in values])  # type: ignore[return-value]


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

else:
    Format = choice_enum("Format", choices.FORMATS)
    Channel = choice_enum("Channel", choices.CHANNELS)
    Status = choice_enum("Status", choices.DEAL_STATUSES)
    Role = choice_enum("Role", choices.STAKEHOLDER_ROLES)
    Attitude = choice_enum("Attitude", choices.ATTITUDES)
    Outcome = choice_enum("Outcome", choices.OBJECTION_OUTCOMES)
    Kind = choice_enum("Kind", choices.REMINDER_KINDS)
    Interval = choice_enum("Interval", choices.INTERVALS)
    Compare = choice_enum("Compare", choices.COMPARISONS)
    PipelineBy = choice_enum("PipelineBy", choices.PIPELINE_DIMENSIONS)
    ActivityBy = choice_enum("ActivityBy", choices.ACTIVITY_DIMENSIONS)
    MemberBy = choice_enum("MemberBy", choices.MEMBER_DIMENSIONS)
    ImportKind = choice_enum("ImportKind", choices.IMPORT_KINDS)
    ExportKind = choice_enum("ExportKind", choices.EXPORT_KINDS)
    ExportFormat = choice_enum("ExportFormat", choices.EXPORT_FORMATS)
    Encoding = choice_enum("Encoding", choices.ENCODINGS)
    Headers = choice_enum("Headers", choices.HEADER_LANGUAGES)
    OnDuplicate = choice_enum("OnDuplicate", choices.ON_DUPLICATE)
    RemindFormat = choice_enum("RemindFormat", choices.REMIND_FORMATS)

# Defaults, as the enums' members (Typer shows and compares them by value).
TABLE, CSV, JSON, XLSX = Format("table"), Format("csv"), Format("json"), Format("xlsx")
CALL = Channel("call")
MONTH = Interval("month")
BY_STAGE, BY_REP, BY_TIER = PipelineBy("stage"), ActivityBy("rep"), MemberBy("tier")
AUTO_ENCODING, REFUSE_DUPLICATES = Encoding("auto"), OnDuplicate("error")
ENGLISH_HEADERS = Headers("en")
EXPORT_CSV, EXPORT_JSON = ExportFormat("csv"), ExportFormat("json")
EXPORT_XLSX = ExportFormat("xlsx")
EXPORT_VCF = ExportFormat("vcf")
REMIND_TABLE, ICS = RemindFormat("table"), RemindFormat("ics")
# The name of every command's -o parameter and --format parameter.
DESTINATION, FORMAT = "destination", "fmt"


def workbook_needs_a_file(ctx: typer.Context, param: typer.CallbackParam, value: object) -> object:
    """Refuse `--format xlsx` where no file is written, before the command does anything.

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
    has_output = any(option.name == DESTINATION for option in ctx.command.params)
    if not has_output:
        raise typer.BadParameter(
            _("this command writes no file, so it has no workbook to write"),
            param_hint="'--format'",
        )
    if known and destination is None:
        raise typer.BadParameter(
            _("a workbook is written to a file, not to a terminal: add -o FILE.xlsx"),
            param_hint="'--format'",
        )
    return value


FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="table (default), csv, json; xlsx with -o FILE.",
        callback=workbook_needs_a_file,
    ),
]
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
RemindFormatOpt = Annotated[
    RemindFormat,
    typer.Option(
        "--format",
        "-f",
        help="table (default), csv, json; xlsx with -o FILE; ics: a calendar of the items.",
        callback=workbook_needs_a_file,
    ),
]
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
FromOpt = Annotated[str | None, typer.Option("--from", help="First day.", metavar="DATE")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day.", metavar="DATE")]
