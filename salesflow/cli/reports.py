"""Report commands: sales by period and dimension, pipeline, funnel, activity, members."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from salesflow.cli.deals import stage_word, stage_words
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
from salesflow.i18n import N_, _

if TYPE_CHECKING:
    import sqlite3

    from salesflow import customers, output, reports
else:
    customers, output, reports = lazy("customers", "output", "reports")

report_app = group("report", "Sales, pipeline, funnel, activity and member reports.")

YearOpt = Annotated[int | None, typer.Option("--year", help="A calendar year.", metavar="YYYY")]
MonthOpt = Annotated[
    str | None, typer.Option("--month", help="A calendar month.", metavar="YYYY-MM")
]
IntervalOpt = Annotated[Interval, typer.Option(help="Period length (ISO weeks for week).")]
CHART_WIDTH = 30
# The narrowest bar drawn, and what a table spends on each column besides its text: a
# border and a space either side in a Rich table (a terminal), two spaces in plain text.
SHORTEST_BAR = 1
RICH_FRAME, PLAIN_FRAME = 3, 2
MINUS = "\u2212"


# A report's columns are its JSON keys; a table heads each with the key in words.
HEADINGS = {
    "period": N_("Period"),
    "company": N_("Company"),
    "department": N_("Department"),
    "product": N_("Product"),
    "category": N_("Category"),
    "customer": N_("Customer"),
    "orders": N_("Orders"),
    "quantity": N_("Quantity"),
    "amount": N_("Amount"),
    "returned_amount": N_("Returned amount"),
    "previous_amount": N_("Previous amount"),
    "change_pct": N_("Change pct"),
    "count": N_("Count"),
    "weighted_amount": N_("Weighted amount"),
    "deposits": N_("Deposits"),
    "contacts": N_("Contacts"),
    "customers": N_("Customers"),
    "new": N_("New"),
    "buying": N_("Buying"),
    "pipeline": N_("Pipeline"),
    "stage": N_("Stage"),
    "owner": N_("Owner"),
    "close_month": N_("Close month"),
    "reached": N_("Reached"),
    "advanced": N_("Advanced"),
    "conversion_pct": N_("Conversion pct"),
    "avg_days": N_("Avg days"),
    "won": N_("Won"),
    "lost": N_("Lost"),
    "win_rate_pct": N_("Win rate pct"),
    "delivery": N_("Delivery"),
    "rep": N_("Rep"),
    "channel": N_("Channel"),
    "tier": N_("Tier"),
    "source": N_("Source"),
    "store": N_("Store"),
    "project": N_("Project"),
    "status": N_("Status"),
    "units": N_("Units"),
    "price": N_("Price"),
    "contract_amount": N_("Contract amount"),
    "technique": N_("Technique"),
    "label_zh": N_("Label zh"),
    "uses": N_("Uses"),
    "campaign": N_("Campaign"),
    "date": N_("Date"),
    "buyers": N_("Buyers"),
    "sales": N_("Sales"),
}


def columns_of(keys: list[str]) -> list[tuple[str, str]]:
    """Table columns for report keys: each headed by its key in words (marked above)."""
    return [(key, HEADINGS.get(key, key.replace("_", " ").capitalize())) for key in keys]


def period_range(start: str | None, end: str | None, year: int | None, month: str | None):

    return reports.report_range(
        today(), start=to_date(start), end=to_date(end), year=year, month=month
    )


def bar_width(rows: list[dict[str, Any]], columns: list[tuple[str, str]], width: int) -> int:
    """How wide the longest bar may be so that a row fits on one line of `width` columns
    beside the table's other columns (at most CHART_WIDTH, at least SHORTEST_BAR)."""
    import sys

    frame = RICH_FRAME if sys.stdout.isatty() else PLAIN_FRAME
    used = 1 + frame  # the table's last border, and the bar column's own frame
    for key, heading in columns:
        cells = [output.text_width(output.display_text(row.get(key))) for row in rows]
        used += max([output.text_width(_(heading)), *cells]) + frame
    return max(SHORTEST_BAR, min(CHART_WIDTH, width - used))


def with_bars(rows: list[dict[str, Any]], longest: int) -> list[dict[str, Any]]:
    """Add a text bar per row, the largest amount `longest` characters (none for a period
    that nets to a loss)."""
    largest = max((row["amount"] for row in rows), default=0) or 1
    return [{**row, "bar": "█" * max(0, round(longest * row["amount"] / largest))} for row in rows]


def change_text(row: dict[str, Any]) -> str | None:
    """The change column as a table shows it: +76.5%, −12.0%, or new when the period
    compared with had nothing (JSON and CSV keep the number)."""
    pct = row.get("change_pct")
    if pct is None:
        return _("new") if row.get("amount") and not row.get("previous_amount") else None
    return f"+{pct:.1f}%" if pct >= 0 else f"{MINUS}{-pct:.1f}%"


def terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size().columns


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
    customer: Annotated[
        str | None, typer.Option(help="Only this customer's purchases.", metavar="CUSTOMER")
    ] = None,
    chart: Annotated[bool, typer.Option("--chart", help="Draw a bar per row.")] = False,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Net sales per period by company, department, rep, store, product and more.

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
            customer_id=customers.find_customer(conn, customer) if customer else None,
        )
    keys = ["period", *reports.dimension_keys(dims), "orders", "quantity", "amount"]
    keys.append("returned_amount")
    if compare:
        keys += ["previous_amount", "change_pct"]
    if fmt is not TABLE and fmt is not XLSX:
        emit(rows, [], fmt, destination, keys=keys)
        return
    shown = [k for k in keys if not k.endswith("_id")]
    columns = columns_of(shown)
    total = reports.sales_total(rows, bool(compare))
    table_rows = rows
    if compare and fmt is TABLE:
        table_rows = [{**row, "change_pct": change_text(row)} for row in rows]
        total = {**total, "change_pct": change_text(total)}
    if chart:
        longest = bar_width([*table_rows, total], columns, terminal_width())
        table_rows = with_bars(table_rows, longest)
        columns.append(("bar", ""))
    title = _("Sales {first} … {last}").format(first=first, last=last)
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
        if fmt is TABLE and by.value == "stage":
            rows = with_stage_words(conn, rows)
    keys = [k for k, _ in reports.PIPELINE_GROUPS[by.value]] + [
        "count",
        "amount",
        "weighted_amount",
        "deposits",
    ]
    emit(rows, columns_of(keys), fmt, destination, keys=keys)


def with_stage_words(
    conn: "sqlite3.Connection", rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows with each stage named as the table shows it (its Chinese label under zh)."""
    words = stage_words(conn, {row["pipeline"] for row in rows})
    return [{**row, "stage": stage_word(words, row["pipeline"], row["stage"])} for row in rows]


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
        if fmt is TABLE:
            rows = with_stage_words(conn, rows)
    columns = columns_of(FUNNEL_KEYS)
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
    emit(rows, columns_of(keys), fmt, destination, keys=keys)


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
    emit(rows, columns_of(keys), fmt, destination, keys=keys)


@report_app.command("units")
def report_units(ctx: typer.Context, fmt: FormatOpt = TABLE, destination: OutputOpt = None) -> None:
    """Units per project and status: how many, list price, deposits, contract amounts.

    Example: salesflow report units
    """
    from salesflow import units

    with open_book(ctx) as conn:
        rows = units.units_report(conn)
    keys = list(units.UNIT_REPORT_KEYS)
    emit(rows, columns_of(keys), fmt, destination, keys=keys)


@report_app.command("techniques")
def report_techniques(
    ctx: typer.Context,
    pipeline: Annotated[str | None, typer.Option(help="Only deals of this pipeline.")] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Closing techniques: deals closed with each (by close date), won, lost, win rate.

    Example: salesflow report techniques --pipeline showroom --year 2026
    """
    from salesflow import techniques

    bounded = any(value is not None for value in (start, end, year, month))
    first, last = period_range(start, end, year, month) if bounded else (None, None)
    with open_book(ctx) as conn:
        rows = techniques.techniques_report(conn, pipeline=pipeline, start=first, end=last)
    keys = list(techniques.TECHNIQUE_REPORT_KEYS)
    shown = [k for k in keys if k != "technique_id"]
    columns = columns_of(shown)
    emit(rows, columns, fmt, destination, keys=keys)


@report_app.command("campaigns")
def report_campaigns(
    ctx: typer.Context,
    window: Annotated[
        int, typer.Option(min=0, max=3650, help="Count sales this many days after each campaign.")
    ] = 30,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """Campaigns: customers reached, contacts, and their sales in the days after.

    Example: salesflow report campaigns --window 14
    """
    from salesflow import campaigns

    with open_book(ctx) as conn:
        rows = campaigns.campaigns_report(conn, window_days=window)
    keys = list(campaigns.CAMPAIGN_REPORT_KEYS)
    shown = [k for k in keys if k not in ("campaign_id", "window_days")]
    columns = columns_of(shown)
    title = _("Sales within {days} days").format(days=window)
    emit(rows, columns, fmt, destination, keys=keys, title=title)
