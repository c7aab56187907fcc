"""The arithmetic behind the market chart and statistics: pure functions over dates and values.

Dates are ascending `datetime.date`s, one value per date. Nothing here touches Flask or the database.
"""

import calendar
import datetime as dt
import math
import statistics
from bisect import bisect_left, bisect_right
from itertools import pairwise

REBASE_TO = 10_000
DAYS_PER_YEAR = 365.25
PERIOD_YEARS = {"1y": 1, "3y": 3, "5y": 5, "10y": 10}
PERIODS = (*PERIOD_YEARS, "ytd", "all")
TREND_WINDOW = 10


def years_before(day, years):
    """The same calendar day `years` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def period_start(dates, period):
    """Index of the first date of `period`, which ends at the last date.

    `all` starts at the first date; `ytd` at the last date of the previous year; `Ny` at the
    latest date on or before the end date N years earlier. A series too short for the period
    starts at its first date.
    """
    end = dates[-1]
    if period == "all":
        return 0
    if period == "ytd":
        index = bisect_left(dates, dt.date(end.year, 1, 1)) - 1
    else:
        index = bisect_right(dates, years_before(end, PERIOD_YEARS[period])) - 1
    return max(index, 0)


def rebase(values):
    """`values` scaled so the first is REBASE_TO ("growth of $10,000"), to the cent."""
    scale = REBASE_TO / values[0]
    return [round(value * scale, 2) for value in values]


def unix_seconds(day):
    """Midnight UTC at the start of `day`, in seconds since the epoch."""
    return calendar.timegm(day.timetuple())


def chart(dates, titan, sp500, period):
    """The chart payload: both series over `period`, rebased to REBASE_TO at its first date."""
    if not dates:
        return {"labels": [], "titan": [], "sp500": []}
    start = period_start(dates, period)
    return {
        "labels": [unix_seconds(day) for day in dates[start:]],
        "titan": rebase(titan[start:]),
        "sp500": rebase(sp500[start:]),
    }


def periods_per_year(dates):
    """How many points a year the data has, from its spacing (12 for monthly, ~252 for trading days)."""
    elapsed_years = (dates[-1] - dates[0]).days / DAYS_PER_YEAR
    return max(1, round((len(dates) - 1) / elapsed_years))


def simple_returns(values):
    return [later / earlier - 1 for earlier, later in pairwise(values)]


def total_return(values):
    return values[-1] / values[0] - 1


def annualized_return(values, per_year):
    """Compound annual growth rate; the span is (number of intervals) / per_year years."""
    years = (len(values) - 1) / per_year
    return (values[-1] / values[0]) ** (1 / years) - 1


def annualized_volatility(returns, per_year):
    """Sample standard deviation of the periodic returns, times sqrt(per_year); None below two returns."""
    if len(returns) < 2:
        return None
    return statistics.stdev(returns) * math.sqrt(per_year)


def sharpe_ratio(returns, per_year):
    """Annualized mean return over annualized volatility, risk-free rate 0; None without volatility."""
    volatility = annualized_volatility(returns, per_year)
    if not volatility:
        return None
    return statistics.fmean(returns) * per_year / volatility


def max_drawdown(values):
    """The deepest fall from a running peak, as a negative fraction (0 if the series never fell)."""
    peak = values[0]
    deepest = 0.0
    for value in values:
        peak = max(peak, value)
        deepest = min(deepest, value / peak - 1)
    return deepest


def calendar_year_returns(dates, values):
    """{year: return from the last value of the year before to the last value of the year}.

    A year counts when the data also has the year before it and is complete: a later year follows,
    or the data reaches its December.
    """
    year_end = {}
    for day, value in zip(dates, values, strict=True):
        year_end[day.year] = value
    last = dates[-1]
    return {
        year: value / year_end[year - 1] - 1
        for year, value in year_end.items()
        if year - 1 in year_end and (year < last.year or last.month == 12)
    }


def percent(fraction):
    return None if fraction is None else round(fraction * 100, 2)


def summary(dates, values):
    """{label: value} of one series: percentages as numbers (12.34 means 12.34%), None if undefined."""
    per_year = periods_per_year(dates)
    returns = simple_returns(values)
    year_returns = calendar_year_returns(dates, values).values()
    sharpe = sharpe_ratio(returns, per_year)
    return {
        "Total return (%)": percent(total_return(values)),
        "Annualized return (%)": percent(annualized_return(values, per_year)),
        "Annualized volatility (%)": percent(annualized_volatility(returns, per_year)),
        "Sharpe ratio": None if sharpe is None else round(sharpe, 2),
        "Max drawdown (%)": percent(max_drawdown(values)),
        "Best calendar year (%)": percent(max(year_returns, default=None)),
        "Worst calendar year (%)": percent(min(year_returns, default=None)),
    }


def comparison(dates, titan, sp500):
    """Stats rows `{label, titan, sp500}` over the common dates; rows undefined for either are left out."""
    if len(dates) < 2:
        return []
    titan_summary, sp500_summary = summary(dates, titan), summary(dates, sp500)
    return [
        {"label": label, "titan": value, "sp500": sp500_summary[label]}
        for label, value in titan_summary.items()
        if value is not None and sp500_summary[label] is not None
    ]


def trend_following(closes, window=TREND_WINDOW):
    """The demo portfolio: in each interval it holds the index if the index closed above its
    `window`-point simple moving average at the start of the interval, else cash at 0%.

    Returns values aligned with `closes[window - 1:]`, starting at the index level there.
    """
    if len(closes) < window:
        return []
    values = [closes[window - 1]]
    for today in range(window, len(closes)):
        previous = closes[today - 1]
        average = statistics.fmean(closes[today - window : today])
        growth = closes[today] / previous if previous > average else 1.0
        values.append(values[-1] * growth)
    return values
