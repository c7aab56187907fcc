"""Market series: importing them, and the cached chart and statistics."""

import csv
import datetime as dt
import hashlib
import json
import logging
import re
import threading
import time
from itertools import islice
from typing import NamedTuple

import marshmallow as ma
from flask import current_app
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
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
SERIES_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
INSERT_BATCH_SIZE = 5_000
CHART_CACHE_KEY = "market:chart:{period}"
STATS_CACHE_KEY = "market:stats"

point_row_schema = PointRowSchema()
log = logging.getLogger(__name__)
clock = time.monotonic  # tests move it on


class SeriesSummary(NamedTuple):
    name: str
    points: int
    first: dt.date | None
    last: dt.date | None


def normalise_series_name(name):
    name = name.strip().lower()
    if not SERIES_NAME.match(name):
        raise InvalidInput(
            "series_name_invalid", "A series name is 1-50 letters, digits, '_' or '-', starting with a letter or digit."
        )
    return name


def read_points(lines):
    """Yield (date, close) from the lines of a `date,close` CSV (e.g. an open file), a row at a time.

    Raises InvalidInput naming the first bad line: no header naming `date` and `close`, a date that
    is not YYYY-MM-DD, a close that is missing or not a positive finite number, a repeated date.
    """
    reader = csv.DictReader(lines)
    columns = [name.strip().lower() for name in reader.fieldnames or ()]
    if not {"date", "close"} <= set(columns):
        raise InvalidInput("csv_invalid", "Line 1: the header must name the columns date and close.")
    reader.fieldnames = columns
    seen = set()
    for row in reader:
        # A short row leaves its missing cells None: leave them out so the schema says they are missing.
        cells = {column: row[column].strip() for column in ("date", "close") if row[column] is not None}
        try:
            point = point_row_schema.load(cells)
        except ma.ValidationError as error:
            problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.messages.items())
            raise InvalidInput("csv_invalid", f"Line {reader.line_num}: {problems}") from None
        if point["date"] in seen:
            raise InvalidInput(
                "csv_invalid", f"Line {reader.line_num}: date {point['date'].isoformat()} appears twice."
            )
        seen.add(point["date"])
        yield point["date"], point["close"]
    if not seen:
        raise InvalidInput("csv_invalid", "The file has no data rows.")


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
    return tuple(zip(*rows, strict=True)) or ((), (), ())


def series_id(name):
    return select(Series.id).where(Series.name == name).scalar_subquery()


def chart(period):
    """Titan and the S&P 500 over `period` (one of analytics.PERIODS), rebased to 10,000."""
    return analytics.chart(*common_points(), period)


def statistics():
    """Stats rows `{label, titan, sp500}` over the whole common range."""
    return analytics.comparison(*common_points())


class Document(NamedTuple):
    """A JSON answer ready to send: its text, those bytes encoded, and its ETag (a digest of the
    text: it changes when the data does)."""

    text: str
    body: bytes
    etag: str

    @classmethod
    def of(cls, text):
        body = text.encode()
        return cls(text, body, hashlib.blake2b(body, digest_size=12).hexdigest())


class ProcessCache:
    """This process's copies of the market documents, valid for one data version.

    The version lives in the database (every series' id and `updated_at`, which each import
    sets in its own transaction), so every worker sees the same one; memory only caches it.
    It is read again at most every MARKET_VERSION_CHECK_SECONDS, and when it changed the copies
    are dropped: a worker answers from memory until then, so an import reaches every worker
    within that bound (the importing process drops its copies as soon as it commits).
    """

    def __init__(self):
        self.version = None
        self.checked_at = None
        self.documents = {}
        self.lock = threading.Lock()

    def current(self, interval):
        now = clock()
        if self.checked_at is not None and now - self.checked_at < interval:
            return self.version
        try:
            version = data_version()
        except SQLAlchemyError:
            if self.checked_at is None:
                raise
            # The database is out of reach, so no import can commit either: keep the copies.
            log.warning("market data version unreadable; answering from this process's copies")
            db.session.rollback()
            version = self.version
        with self.lock:
            if version != self.version:
                self.documents = {}
                self.version = version
            self.checked_at = now
        return version

    def drop(self):
        with self.lock:
            self.version, self.checked_at, self.documents = None, None, {}


def process_cache():
    extensions = current_app.extensions
    cached = extensions.get("titan_market_cache")
    if cached is None:
        cached = extensions.setdefault("titan_market_cache", ProcessCache())
    return cached


def data_version():
    """A digest of every series' id and `updated_at`: an import of any series changes it."""
    rows = db.session.execute(DATA_VERSION).all()
    return hashlib.blake2b(repr(rows).encode(), digest_size=8).hexdigest()


DATA_VERSION = select(Series.id, Series.updated_at).order_by(Series.id)


def chart_document(period):
    return cached_document(CHART_CACHE_KEY.format(period=period), lambda: chart(period))


def statistics_document():
    return cached_document(STATS_CACHE_KEY, statistics)


def chart_json(period):
    return chart_document(period).text


def statistics_json():
    return statistics_document().text


def cached_document(key, build):
    """The Document of `build()` for the current data version: from this process's memory (no
    database, cache or serialisation work), else from the shared cache under a key naming the
    version (built once for all workers), else built. A Redis outage only skips the shared cache."""
    memory = process_cache()
    version = memory.current(current_app.config["MARKET_VERSION_CHECK_SECONDS"])
    document = memory.documents.get(key)
    if document is not None:
        return document
    shared_key = f"{key}@{version}"
    text = cache.get(shared_key)
    if not isinstance(text, str):  # a miss, or a value an older release cached
        text = json.dumps(build(), separators=(",", ":"))
        cache.set(shared_key, text)
    document = Document.of(text)
    with memory.lock:
        if memory.version == version:
            memory.documents[key] = document
    return document


def clear_cache():
    """Drop this process's copies (after an import commits); other workers notice the new
    version within MARKET_VERSION_CHECK_SECONDS, and shared entries name their version."""
    process_cache().drop()
