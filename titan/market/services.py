"""Market series: importing them, the demo portfolio, and the cached chart and statistics."""

import csv
import datetime as dt
import json
import re
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import marshmallow as ma
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import aliased

from titan.common.exceptions import InvalidInput
from titan.common.transactions import after_commit, commit, rollback
from titan.common.types import utcnow
from titan.extensions import cache, db
from titan.market import analytics
from titan.market.models import Point, Series
from titan.market.schemas import PointRowSchema

TITAN = "titan"
SP500 = "sp500"
SP500_CSV = Path(__file__).parent / "data" / "sp500_monthly.csv"
SP500_DESCRIPTION = (
    "S&P 500 index level, monthly (without dividends). Robert Shiller's data via the public-domain "
    "datasets/s-and-p-500, extended with FRED's S&P 500 series."
)
TITAN_DEMO_DESCRIPTION = (
    "Demo data, not a real portfolio: a 10-month trend-following rule on the S&P 500. In each month "
    "it holds the index if the index closed the month before above its 10-month simple moving "
    "average, else it holds cash earning 0%. No dividends, costs or taxes."
)
SERIES_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
INSERT_BATCH_SIZE = 5_000
CHART_CACHE_KEY = "market:chart:{period}"
STATS_CACHE_KEY = "market:stats"

point_row_schema = PointRowSchema()


class SeriesSummary(NamedTuple):
    name: str
    points: int
    first: dt.date | None
    last: dt.date | None


def normalise_series_name(name):
    name = name.strip().lower()
    if not SERIES_NAME.match(name):
        raise InvalidInput("A series name is 1-50 letters, digits, '_' or '-', starting with a letter or digit.")
    return name


def read_points(lines):
    """Yield (date, close) from the lines of a `date,close` CSV (e.g. an open file), a row at a time.

    Raises InvalidInput naming the first bad line: no header naming `date` and `close`, a date that
    is not YYYY-MM-DD, a close that is missing or not a positive finite number, a repeated date.
    """
    reader = csv.DictReader(lines)
    columns = [name.strip().lower() for name in reader.fieldnames or ()]
    if not {"date", "close"} <= set(columns):
        raise InvalidInput("Line 1: the header must name the columns date and close.")
    reader.fieldnames = columns
    seen = set()
    for row in reader:
        # A short row leaves its missing cells None: leave them out so the schema says they are missing.
        cells = {column: row[column].strip() for column in ("date", "close") if row[column] is not None}
        try:
            point = point_row_schema.load(cells)
        except ma.ValidationError as error:
            problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.messages.items())
            raise InvalidInput(f"Line {reader.line_num}: {problems}") from None
        if point["date"] in seen:
            raise InvalidInput(f"Line {reader.line_num}: date {point['date'].isoformat()} appears twice.")
        seen.add(point["date"])
        yield point["date"], point["close"]
    if not seen:
        raise InvalidInput("The file has no data rows.")


def replace_series(name, points, *, description="", is_demo=False):
    """Make series `name` (created if new) hold exactly `points`, an iterable of (date, value).

    One transaction: points are inserted in batches as the iterable yields them, so a long file is
    never held in memory whole, and if the iterable raises (a bad line) nothing is written. The
    market cache is cleared once the data is committed.
    """
    name = normalise_series_name(name)
    try:
        # Row lock: two imports of one series run one after the other (PostgreSQL).
        series = db.session.scalar(select(Series).where(Series.name == name).with_for_update())
        if series is None:
            series = Series(name=name)
            db.session.add(series)
        series.description, series.is_demo, series.updated_at = description, is_demo, utcnow()
        db.session.flush()
        db.session.execute(delete(Point).where(Point.series_id == series.id))
        rows = ({"series_id": series.id, "date": day, "value": value} for day, value in points)
        while batch := list(islice(rows, INSERT_BATCH_SIZE)):
            db.session.execute(insert(Point), batch)
        summary = summarise(series)
        after_commit(clear_cache)
        commit()
    except Exception:
        rollback()
        raise
    return summary


def import_csv(name, lines, *, description="", is_demo=False):
    """Replace series `name` with the rows of a `date,close` CSV; all or nothing."""
    return replace_series(name, read_points(lines), description=description, is_demo=is_demo)


def summarise(series):
    points, first, last = db.session.execute(
        select(func.count(), func.min(Point.date), func.max(Point.date)).where(Point.series_id == series.id)
    ).one()
    return SeriesSummary(series.name, points, first, last)


def find_series(name):
    return db.session.scalar(select(Series).where(Series.name == name))


def compute_demo_titan():
    """Store the demo `titan` series: the trend-following rule applied to the stored S&P 500."""
    rows = db.session.execute(
        select(Point.date, Point.value).join(Series).where(Series.name == SP500).order_by(Point.date)
    ).all()
    values = analytics.trend_following([close for _, close in rows])
    points = zip((day for day, _ in rows[analytics.TREND_WINDOW - 1:]), values)
    return replace_series(TITAN, points, description=TITAN_DEMO_DESCRIPTION, is_demo=True)


def load_demo_series():
    """Import the shipped S&P 500 data and compute the demo `titan` series, unless already done.

    `titan` is recomputed when it is demo data older than the S&P 500 series (which was imported
    again since); an imported, real `titan` series is left alone. Returns a line saying what it did.
    """
    sp500 = find_series(SP500)
    if sp500 is None:
        with SP500_CSV.open(newline="", encoding="utf-8") as lines:
            sp500_summary = import_csv(SP500, lines, description=SP500_DESCRIPTION)
        sp500, sp500_state = find_series(SP500), "imported"
    else:
        sp500_summary, sp500_state = summarise(sp500), "already there"
    titan = find_series(TITAN)
    if titan is None or (titan.is_demo and titan.updated_at < sp500.updated_at):
        titan_summary, titan_state = compute_demo_titan(), "computed (demo data)"
    else:
        titan_summary, titan_state = summarise(titan), "already there"
    return (
        f"market: sp500 {sp500_summary.points} points {sp500_state}, "
        f"titan {titan_summary.points} points {titan_state}"
    )


def demo_notice():
    """What to show beside the titan series when it is demo data; None when it is real data."""
    titan = find_series(TITAN)
    return titan.description if titan is not None and titan.is_demo else None


def common_points():
    """(dates, titan values, sp500 values) on the dates both series have, oldest first."""
    titan, sp500 = aliased(Point), aliased(Point)
    rows = db.session.execute(
        select(titan.date, titan.value, sp500.value)
        .join(sp500, sp500.date == titan.date)
        .where(titan.series_id == series_id(TITAN), sp500.series_id == series_id(SP500))
        .order_by(titan.date)
    ).all()
    return tuple(zip(*rows)) or ((), (), ())


def series_id(name):
    return select(Series.id).where(Series.name == name).scalar_subquery()


def chart(period):
    """Titan and the S&P 500 over `period` (one of analytics.PERIODS), rebased to 10,000."""
    return analytics.chart(*common_points(), period)


def statistics():
    """Stats rows `{label, titan, sp500}` over the whole common range."""
    return analytics.comparison(*common_points())


def chart_json(period):
    return cached_json(CHART_CACHE_KEY.format(period=period), lambda: chart(period))


def statistics_json():
    return cached_json(STATS_CACHE_KEY, statistics)


def cached_json(key, build):
    """The JSON text of `build()`, kept in the (shared) cache: a hit skips the database and the
    serialisation alike. The cache is cleared on import; its timeout bounds a stale entry written
    by a request that raced an import."""
    text = cache.get(key)
    if text is None:
        text = json.dumps(build(), separators=(",", ":"))
        cache.set(key, text)
    return text


def clear_cache():
    cache.delete_many(*(CHART_CACHE_KEY.format(period=period) for period in analytics.PERIODS), STATS_CACHE_KEY)
