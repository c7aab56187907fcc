from flask import current_app, request

from titan.api import FIELD_ERRORS, SPA_INVALID_INPUT, Blueprint
from titan.market import services
from titan.market.schemas import ChartQuerySchema, ChartSchema, StatRowSchema

blp = Blueprint(
    "market",
    __name__,
    url_prefix="/api",
    description=(
        "The Titan portfolio against the S&P 500: the chart the single-page app draws and its "
        "statistics. The S&P 500 is Robert Shiller's monthly index level (without dividends). "
        "**The `titan` series shipped with the demo data is demo data, not a real portfolio:** a "
        "10-month trend-following rule applied to the S&P 500 (hold the index in a month if it "
        "closed the month before above its 10-month simple moving average, else cash at 0%)."
    ),
    # The chart and stats are part of the single-page app's contract (docs/contract.md §4).
    error_shape=FIELD_ERRORS,
)


def json_response(document):
    """The cached JSON text as it is (no re-serialising per request), with its ETag and
    `Cache-Control: public, max-age=MARKET_CACHE_MAX_AGE`; a matching `If-None-Match` gets 304."""
    response = current_app.response_class(document.text, mimetype="application/json")
    response.set_etag(document.etag)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["MARKET_CACHE_MAX_AGE"]
    return response.make_conditional(request)


NOT_MODIFIED = {
    "description": "Not Modified: the `If-None-Match` ETag is current (the data was not imported again since)."
}


@blp.route("/chart/")
@blp.doc(responses={"400": SPA_INVALID_INPUT, "304": NOT_MODIFIED})
@blp.arguments(ChartQuerySchema, location="query")
@blp.response(
    200,
    ChartSchema,
    description="The chart (the first months of `?period=1y` shown).",
    example={
        "labels": [1748736000, 1751328000, 1754006400, 1756684800],
        "titan": [10000.0, 10442.04, 10628.53, 10918.86],
        "sp500": [10000.0, 10442.04, 10628.53, 10918.86],
    },
)
def chart(args):
    """Growth of 10,000: Titan and the S&P 500 over a period.

    Both series are rebased to 10,000 at the first date of the period, on the dates both have,
    oldest first; `labels` are those dates as Unix seconds (midnight UTC). Every period ends at the
    latest date both series have. `all` starts at the first common date; `ytd` at the last common
    date of the previous year; `1y`, `3y`, `5y`, `10y` at the latest common date on or before the
    end date that many years earlier (a shorter history starts at its first date). With no data
    loaded, the three lists are empty. Invalid `period`: 400 `{"period": ["Must be one of: ..."]}`.
    """
    return json_response(services.chart_document(args["period"]))


@blp.route("/stats/")
@blp.doc(responses={"304": NOT_MODIFIED})
@blp.response(
    200,
    StatRowSchema(many=True),
    description="The statistics (of the demo data).",
    example=[
        {"label": "Total return (%)", "titan": 3030472.29, "sp500": 162210.02},
        {"label": "Annualized return (%)", "titan": 6.9, "sp500": 4.9},
        {"label": "Annualized volatility (%)", "titan": 9.43, "sp500": 14.04},
        {"label": "Sharpe ratio", "titan": 0.76, "sp500": 0.41},
        {"label": "Max drawdown (%)", "titan": -48.68, "sp500": -84.76},
        {"label": "Best calendar year (%)", "titan": 42.61, "sp500": 46.19},
        {"label": "Worst calendar year (%)", "titan": -17.33, "sp500": -45.58},
    ],
)
def stats():
    """Statistics of both series over their whole common range.

    Percentages are numbers (12.34 means 12.34%). Points a year are inferred from the data's
    spacing (12 for monthly data). Rows: total return; annualized return (compound, over
    intervals / points-a-year years); annualized volatility (sample standard deviation of the
    periodic returns × √points-a-year); Sharpe ratio (annualized mean return / annualized
    volatility, risk-free rate 0); max drawdown (deepest fall from a running peak, negative); best
    and worst calendar year (last value of a year over the last value of the year before, complete
    years only). A row that cannot be computed (too little data) is left out; with no data loaded
    the list is empty.
    """
    return json_response(services.statistics_document())
