import functools

from flask import current_app, request
from werkzeug.http import quote_etag

from titan.api import FIELD_ERRORS, SPA_INVALID_INPUT, Blueprint
from titan.market import services
from titan.market.analytics import PERIODS
from titan.market.schemas import ChartQuerySchema, ChartSchema, StatRowSchema

DEFAULT_PERIOD = ChartQuerySchema().fields["period"].load_default

blp = Blueprint(
    "market",
    __name__,
    url_prefix="/api",
    description=(
        "The Titan portfolio against the S&P 500: the chart the single-page app draws and its "
        "statistics. The S&P 500 is Robert Shiller's monthly index level (without dividends). "
        "**The `titan` series shipped with the demo data is demo data, not a real portfolio:** a "
        "10-month trend-following rule applied to the S&P 500 (hold the index in a month if it "
        "closed the month before above its 10-month simple moving average, else cash at 0%). "
        "Both answers are cached: after an import every server answers the new data within "
        "`MARKET_VERSION_CHECK_SECONDS` (1 s by default), with a new `ETag`."
    ),
    # The chart and stats are part of the single-page app's contract (docs/contract.md §4).
    error_shape=FIELD_ERRORS,
)


def json_response(document):
    """The document's bytes as they are (no re-serialising per request), with its ETag and
    `Cache-Control: public, max-age=MARKET_CACHE_MAX_AGE`; an `If-None-Match` naming the ETag (or
    `*`) gets 304. The headers are built once per document, not per request."""
    headers = response_headers(document.etag, current_app.config["MARKET_CACHE_MAX_AGE"])
    if request.if_none_match.contains_weak(document.etag):
        return current_app.response_class(status=304, headers=headers)
    return current_app.response_class(document.body, headers=headers, mimetype="application/json")


@functools.lru_cache(maxsize=64)
def response_headers(etag, max_age):
    return (("ETag", quote_etag(etag)), ("Cache-Control", f"public, max-age={max_age}"))


def plain_period(view):
    """Answer the query every client sends without the schema's parsing: no parameter, or
    `period` alone, spelled as in analytics.PERIODS. Anything else (another case, spaces, other
    parameters, a bad value) goes through the schema as before, which validates it or answers 400."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        query = request.args
        if not query:
            return json_response(services.chart_document(DEFAULT_PERIOD))
        if len(query) == 1 and (period := query.get("period")) in PERIODS:
            return json_response(services.chart_document(period))
        return view(*args, **kwargs)

    return wrapper


NOT_MODIFIED = {
    "description": "Not Modified: the `If-None-Match` ETag is current (the data was not imported again since)."
}


@blp.route("/chart/")
@blp.doc(responses={"400": SPA_INVALID_INPUT, "304": NOT_MODIFIED})
@plain_period
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
