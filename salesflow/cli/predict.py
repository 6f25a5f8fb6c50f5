"""Who is still buying: each customer's chance of still buying, the purchases to expect and
what they are worth (BG/NBD and Gamma-Gamma, fitted on the book as of a day)."""

from typing import TYPE_CHECKING, Annotated

import typer

from salesflow.cli.options import (
    TABLE,
    AsOfOpt,
    FormatOpt,
    HorizonOpt,
    LimitOpt,
    OutputOpt,
    horizon_or_default,
)
from salesflow.cli.render import emit, emit_record
from salesflow.cli.root import app, open_book, tell, to_date, today
from salesflow.cli.startup import lazy
from salesflow.i18n import N_, _

if TYPE_CHECKING:
    from salesflow import customers
    from salesflow import predict as prediction
else:
    customers, prediction = lazy("customers", "predict")

PREDICTION_COLUMNS = [
    ("customer_id", "#"),
    ("customer", N_("Customer")),
    ("frequency", N_("Repeat days")),
    ("recency_weeks", N_("Last (weeks)")),
    ("age_weeks", N_("Age (weeks)")),
    ("p_alive", N_("P(alive)")),
    ("expected_purchases", N_("Expected purchases")),
    ("expected_value", N_("Expected value")),
]


@app.command("predict")
def predict(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    horizon: HorizonOpt = None,
    customer: Annotated[
        str | None,
        typer.Option(
            help="Only this customer (id, #id, ref, phone, email or name).", metavar="REF"
        ),
    ] = None,
    tier: Annotated[str | None, typer.Option(help="Only tier A, B, C, D or none.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this salesperson's customers.")] = None,
    limit: LimitOpt = None,
    model: Annotated[
        bool, typer.Option("--model", help="Print the fitted model parameters instead.")
    ] = False,
    fmt: FormatOpt = TABLE,
    destination: OutputOpt = None,
) -> None:
    """List who is still buying: chance of buying, expected purchases and value per customer.

    Example: salesflow predict --horizon 3m --owner 李娜 --limit 20
    """
    evaluated = to_date(as_of) or today()
    horizon_days = prediction.parse_horizon(horizon_or_default(horizon), evaluated)
    with open_book(ctx) as conn:
        if model:
            history, fitted = prediction.fit_book(conn, evaluated)
        else:
            customer_id = customers.find_customer(conn, customer) if customer else None
            forecast = prediction.forecast(
                conn,
                evaluated,
                horizon_days=horizon_days,
                customer_id=customer_id,
                tier=tier,
                owner=owner,
                limit=limit,
            )
            fitted = forecast.fit
    if fitted.spend_problem:
        tell(_("Expected values left out: {reason}").format(reason=fitted.spend_problem))
    if model:
        parameters = prediction.model_parameters(history, fitted)
        emit_record(parameters, fmt, destination, prediction.MODEL_KEYS)
        return
    emit(forecast.rows, PREDICTION_COLUMNS, fmt, destination, keys=prediction.PREDICTION_KEYS)
