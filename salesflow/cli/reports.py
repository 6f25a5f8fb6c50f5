"""Report commands: sales by period and dimension, pipeline, funnel, activity, members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from salesflow.cli.options import (
    BY_REP,
    BY_STAGE,
    BY_TIER,
    MONTH,
    TABLE,
    XLSX,
    ActivityBy,
    Compare,
    FormatOpt,
    FromOpt,
    Interval,
    MemberBy,
    OutputOpt,
    PipelineBy,
    ToOpt,
)
from salesflow.cli.render import emit
from salesflow.cli.root import group, open_book, to_date, today
from salesflow.cli.startup import lazy

if TYPE_CHECKING:
    from salesflow import reports
else:
    (reports,) = lazy("reports")

report_app = group("report", "Sales, pipeline, funnel, activity and member reports.")

YearOpt = Annotated[int | None, typer.Option("--year", help="A calendar year.", metavar="YYYY")]
MonthOpt = Annotated[
    str | None, typer.Option("--month", help="A calendar month.", metavar="YYYY-MM")
]
IntervalOpt = Annotated[Interval, typer.Option(help="Period length (ISO weeks for week).")]
CHART_WIDTH = 30


def period_range(start: str | None, end: str | None, year: int | None, month: str | None):

    return reports.report_range(
        today(), start=to_date(start), end=to_date(end), year=year, month=month
    )


def with_bars(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add a text bar per row, scaled to the largest amount."""
    largest = max((row["amount"] for row in rows), default=0) or 1
    return [{**row, "bar": "█" * round(CHART_WIDTH * row["amount"] / largest)} for row in rows]


@report_app.command("sales")
def report_sales(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    interval: IntervalOpt = MONTH,
    by: Annotated[
        str | None,
        typer.Option(
            help="company, department, rep, store, product, category, customer, tier, "
            "source; several comma-separated.",
            metavar="DIM[,DIM]",
        ),
    ] = None,
    compare: Annotated[
        Compare | None,
        typer.Option(help="prev: against the period before (环比); yoy: a year earlier (同比)."),
    ] = None,
    chart: Annotated[bool, typer.Option("--chart", help="Draw a bar per row.")] = False,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Sales per period by company, department, rep, store, product and more.

    Example: salesflow report sales --year 2026 --interval quarter --by department,rep --compare yoy
    """
    first, last = period_range(start, end, year, month)
    dims = reports.parse_dimensions(by)
    with open_book(ctx) as conn:
        rows = reports.sales_report(
            conn,
            start=first,
            end=last,
            interval=interval.value,
            by=dims,
            compare=compare.value if compare else None,
        )
    keys = ["period", *reports.dimension_keys(dims), "orders", "quantity", "amount"]
    if compare:
        keys += ["previous_amount", "change_pct"]
    if fmt is not TABLE and fmt is not XLSX:
        emit(rows, [], fmt, destination, keys=keys)
        return
    shown = [k for k in keys if not k.endswith("_id")]
    columns = [(key, key.replace("_", " ").capitalize()) for key in shown]
    table_rows = with_bars(rows) if chart else rows
    if chart:
        columns.append(("bar", ""))
    total = reports.sales_total(rows, bool(compare))
    title = f"Sales {first} … {last}"
    emit(table_rows, columns, fmt, destination, keys=keys, title=title, total=total)


@report_app.command("pipeline")
def report_pipeline(
    ctx: typer.Context,
    by: Annotated[
        PipelineBy, typer.Option(help="Group open deals by stage, owner or close month.")
    ] = BY_STAGE,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Open deals: count, amount and probability-weighted amount.

    Example: salesflow report pipeline --by close-month
    """
    with open_book(ctx) as conn:
        rows = reports.pipeline_report(conn, by=by.value)
    keys = [k for k, _ in reports.PIPELINE_GROUPS[by.value]] + [
        "count",
        "amount",
        "weighted_amount",
    ]
    emit(rows, [(k, k.replace("_", " ").capitalize()) for k in keys], fmt, destination, keys=keys)


FUNNEL_KEYS = [
    "pipeline",
    "stage",
    "reached",
    "advanced",
    "conversion_pct",
    "avg_days",
    "won",
    "lost",
    "win_rate_pct",
    "delivery",
]


@report_app.command("funnel")
def report_funnel(
    ctx: typer.Context,
    pipeline: Annotated[
        str | None, typer.Option(help="One pipeline (default: all with deals).")
    ] = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Stage funnel: reached, conversion to the next stage, days in stage, win rate.

    Example: salesflow report funnel --pipeline key-account
    """
    with open_book(ctx) as conn:
        rows = reports.funnel_report(conn, today(), pipeline)
    columns = [(k, k.replace("_", " ").capitalize()) for k in FUNNEL_KEYS]
    emit(rows, columns, fmt, destination, keys=FUNNEL_KEYS)


@report_app.command("activity")
def report_activity(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    interval: IntervalOpt = MONTH,
    by: Annotated[ActivityBy, typer.Option(help="Per salesperson or channel.")] = BY_REP,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Contacts logged per period and salesperson (or channel).

    Example: salesflow report activity --month 2026-03 --interval week --by channel
    """
    first, last = period_range(start, end, year, month)
    with open_book(ctx) as conn:
        rows = reports.activity_report(
            conn, start=first, end=last, interval=interval.value, by=by.value
        )
    keys = ["period", by.value, "contacts"]
    emit(rows, [(k, k.capitalize()) for k in keys], fmt, destination, keys=keys)


@report_app.command("customers")
def report_customers(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    by: Annotated[
        MemberBy, typer.Option(help="Group members by tier, source, owner or store.")
    ] = BY_TIER,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Member statistics: customers, new in the period, buying, amount.

    Example: salesflow report customers --by source --year 2026
    """
    first, last = period_range(start, end, year, month)
    with open_book(ctx) as conn:
        rows = reports.customers_report(conn, start=first, end=last, by=by.value)
    keys = [by.value, "customers", "new", "buying", "amount"]
    emit(rows, [(k, k.capitalize()) for k in keys], fmt, destination, keys=keys)
