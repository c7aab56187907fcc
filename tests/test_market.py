"""Market data: the arithmetic (by hand-computed values), the import, the chart and stats routes."""

import datetime as dt
import math

import pytest
from sqlalchemy import func, select, update

from titan.common.exceptions import InvalidInput
from titan.demo.market import load_demo_series
from titan.extensions import db
from titan.market import analytics, services
from titan.market.models import Point, Series

D = dt.date


def monthly(first_year, first_month, count):
    """`count` first-of-month dates from the given month on."""
    return [D(first_year + (first_month - 1 + i) // 12, (first_month - 1 + i) % 12 + 1, 1) for i in range(count)]


def csv_text(*rows, header="date,close"):
    return "\n".join((header, *rows)) + "\n"


def seconds(day):
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


@pytest.fixture
def store(app):
    """Replace a series with {date: value} points."""

    def store(name, points, **fields):
        return services.replace_series(name, sorted(points.items()), **fields)

    return store


@pytest.fixture
def import_cli(app, tmp_path):
    """Run `flask market import NAME FILE.csv` on a file holding `text`."""
    runner = app.test_cli_runner()

    def run(name, text, *options):
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        return runner.invoke(args=["market", "import", name, str(path), *options])

    return run


def point_count(name=None):
    statement = select(func.count()).select_from(Point)
    if name is not None:
        statement = statement.join(Series).where(Series.name == name)
    return db.session.scalar(statement)


# --- arithmetic, by hand ---------------------------------------------------------------------


def test_rebase_to_ten_thousand_at_the_first_value():
    assert analytics.rebase([50, 55, 40]) == [10000.0, 11000.0, 8000.0]
    assert analytics.rebase([3, 1]) == [10000.0, 3333.33]


def test_unix_seconds_are_midnight_utc():
    assert analytics.unix_seconds(D(1970, 1, 2)) == 86400
    assert analytics.unix_seconds(D(2026, 6, 1)) == seconds(D(2026, 6, 1))


def test_ytd_starts_at_the_last_date_of_the_previous_year():
    dates = [D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1)]
    assert analytics.period_start(dates, "ytd") == 1
    # A history that begins this year starts at its first date.
    assert analytics.period_start([D(2026, 1, 1), D(2026, 2, 1)], "ytd") == 0


def test_year_periods_start_at_the_latest_date_on_or_before_n_years_back():
    dates = monthly(2015, 6, 133)  # June 2015 to June 2026
    assert dates[-1] == D(2026, 6, 1)
    assert dates[analytics.period_start(dates, "1y")] == D(2025, 6, 1)
    assert dates[analytics.period_start(dates, "3y")] == D(2023, 6, 1)
    assert dates[analytics.period_start(dates, "5y")] == D(2021, 6, 1)
    assert dates[analytics.period_start(dates, "10y")] == D(2016, 6, 1)
    assert analytics.period_start(dates, "all") == 0
    # No point on the day exactly a year back: the one before it.
    trading = [D(2024, 5, 31), D(2024, 6, 3), D(2025, 5, 30), D(2025, 6, 2)]
    assert trading[analytics.period_start(trading, "1y")] == D(2024, 5, 31)
    # 29 February counts back to 28 February.
    assert analytics.years_before(D(2024, 2, 29), 1) == D(2023, 2, 28)
    # Less history than the period: all of it.
    assert analytics.period_start(monthly(2024, 1, 30), "10y") == 0


def test_chart_of_one_period():
    dates = [D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1)]
    chart = analytics.chart(dates, [1, 2, 4], [10, 5, 20], "ytd")
    assert chart == {
        "labels": [seconds(day) for day in dates],
        "titan": [10000.0, 20000.0, 40000.0],
        "sp500": [10000.0, 5000.0, 20000.0],
    }
    assert analytics.chart((), (), (), "all") == {"labels": [], "titan": [], "sp500": []}


def test_periods_per_year_from_spacing():
    assert analytics.periods_per_year(monthly(2020, 1, 13)) == 12
    assert analytics.periods_per_year([D(2020, 12, 31), D(2021, 12, 31), D(2022, 12, 31)]) == 1
    weekdays = [
        D(2024, 1, 1) + dt.timedelta(days=i) for i in range(366) if (D(2024, 1, 1) + dt.timedelta(days=i)).weekday() < 5
    ]
    assert analytics.periods_per_year(weekdays) == 261


def test_yearly_series_statistics_by_hand():
    dates = [D(2020, 12, 31), D(2021, 12, 31), D(2022, 12, 31), D(2023, 12, 31)]
    values = [100, 120, 90, 135]
    # Returns +20%, -25%, +50%: mean 15%; deviations 5, -40, 35 (points) -> sample variance
    # (0.0025 + 0.16 + 0.1225) / 2 = 0.1425, stdev 0.377492.
    assert analytics.summary(dates, values) == {
        "Total return (%)": 35.0,
        "Annualized return (%)": 10.52,  # 1.35 ** (1/3) = 1.105209
        "Annualized volatility (%)": 37.75,
        "Sharpe ratio": 0.4,  # 0.15 / 0.377492 = 0.3974
        "Max drawdown (%)": -25.0,  # 120 -> 90
        "Best calendar year (%)": 50.0,  # 2023 ends in December: complete
        "Worst calendar year (%)": -25.0,
    }


def test_monthly_series_statistics_by_hand():
    dates = monthly(2021, 1, 4)
    values = [100, 110, 99, 108.9]
    # Returns +10%, -10%, +10%: mean 1/30, sample stdev sqrt(0.04 / 3) = 0.11547; times sqrt(12) = 0.4.
    summary = analytics.summary(dates, values)
    assert summary["Total return (%)"] == 8.9
    assert summary["Annualized return (%)"] == 40.64  # 1.089 ** (12 / 3) = 1.406408
    assert summary["Annualized volatility (%)"] == 40.0
    assert summary["Sharpe ratio"] == 1.0  # (1/30 * 12) / 0.4
    assert summary["Max drawdown (%)"] == -10.0
    # One partial year and no year before it: no calendar-year figures.
    assert summary["Best calendar year (%)"] is None


def test_drawdown_and_calendar_years_by_hand():
    dates = [D(2019, 12, 1), D(2020, 6, 1), D(2020, 12, 1), D(2021, 6, 1), D(2021, 12, 1), D(2022, 3, 1)]
    values = [100, 80, 120, 150, 90, 99]
    # 2020: 120 / 100; 2021: 90 / 120; 2022 ends in March (incomplete); 2019 has no year before it.
    assert analytics.calendar_year_returns(dates, values) == pytest.approx({2020: 0.2, 2021: -0.25})
    assert analytics.max_drawdown(values) == pytest.approx(-0.4)  # 150 -> 90, deeper than 100 -> 80
    assert analytics.max_drawdown([1, 2, 3]) == 0


def test_comparison_leaves_out_rows_it_cannot_compute():
    dates = [D(2020, 12, 31), D(2021, 12, 31)]
    rows = analytics.comparison(dates, [100, 110], [100, 90])
    # One return: no volatility or Sharpe ratio.
    assert [row["label"] for row in rows] == [
        "Total return (%)",
        "Annualized return (%)",
        "Max drawdown (%)",
        "Best calendar year (%)",
        "Worst calendar year (%)",
    ]
    assert rows[0] == {"label": "Total return (%)", "titan": 10.0, "sp500": -10.0}
    assert analytics.comparison([D(2020, 1, 1)], [1], [1]) == []
    # Cash only: no volatility, so no Sharpe ratio either.
    flat = analytics.comparison(monthly(2020, 1, 4), [1, 1, 1, 1], [1, 2, 3, 4])
    assert "Sharpe ratio" not in [row["label"] for row in flat]


def test_trend_following_by_hand():
    closes = [10, 11, 12, 11, 13, 14]
    # Window 3, from closes[2] = 12. Month 3: 12 > avg(10, 11, 12) = 11, invested: 12 * 11/12 = 11.
    # Month 4: 11 <= avg(11, 12, 11), cash: 11. Month 5: 13 > avg(12, 11, 13) = 12, invested: 11 * 14/13.
    assert analytics.trend_following(closes, window=3) == pytest.approx([12, 11, 11, 11 * 14 / 13])
    assert analytics.trend_following([1, 2], window=3) == []


# --- CSV import ------------------------------------------------------------------------------


def test_read_points_streams_rows():
    lines = iter(csv_text("2020-01-01,1.5", " 2020-02-01 , 2 ", "", "2020-03-01,3e2").splitlines())
    assert list(services.read_points(lines)) == [(D(2020, 1, 1), 1.5), (D(2020, 2, 1), 2.0), (D(2020, 3, 1), 300.0)]
    # Header in any case, columns in any order, extra columns ignored.
    assert list(services.read_points(["Close,Volume,DATE", "4,9,2020-01-01"])) == [(D(2020, 1, 1), 4.0)]


def test_cli_import(app, import_cli):
    result = import_cli("SP500", csv_text("2020-02-01,2", "2020-01-01,1"), "--description", "The index")
    assert result.exit_code == 0, result.output
    assert "Imported 2 points into sp500 (2020-01-01 to 2020-02-01)" in result.output
    series = db.session.scalar(select(Series).where(Series.name == "sp500"))
    assert (series.description, series.is_demo) == ("The index", False)
    assert point_count("sp500") == 2


@pytest.mark.parametrize(
    "text, problem",
    [
        (csv_text("2020-01-01,1", "2020-02-30,2"), "Line 3: date: Not a valid date."),
        (csv_text("2020-01-01,1", "01/02/2020,2"), "Line 3: date: Not a valid date."),
        (csv_text("2020-01-01,1", "2020-02-01,-2"), "Line 3: close: Must be greater than 0."),
        (csv_text("2020-01-01,0"), "Line 2: close: Must be greater than 0."),
        (csv_text("2020-01-01,1", "2020-02-01,abc"), "Line 3: close: Not a valid number."),
        (csv_text("2020-01-01,1", "2020-02-01,nan"), "Line 3: close:"),
        (csv_text("2020-01-01,1", "2020-02-01,inf"), "Line 3: close:"),
        (csv_text("2020-01-01,1", "2020-02-01,"), "Line 3: close: Not a valid number."),
        (csv_text("2020-01-01,1", "2020-02-01"), "Line 3: close: Missing data for required field."),
        (csv_text("2020-01-01,1", "2020-02-01,2", "2020-01-01,3"), "Line 4: date 2020-01-01 appears twice."),
        ("2020-01-01,1\n2020-02-01,2\n", "Line 1: the header must name the columns date and close."),
        (csv_text("2020-01-01,1", header="date,value"), "Line 1: the header must name the columns date and close."),
        ("", "Line 1: the header must name the columns date and close."),
        (csv_text(), "The file has no data rows."),
    ],
)
def test_cli_import_refuses_a_bad_file_and_writes_nothing(app, store, import_cli, text, problem):
    store("sp500", {D(2019, 1, 1): 7.0})
    result = import_cli("sp500", text)
    assert result.exit_code == 1
    assert problem in result.output
    assert db.session.scalars(select(Point.value)).all() == [7.0]
    # A new series is not created either.
    assert import_cli("newseries", text).exit_code == 1
    assert db.session.scalars(select(Series.name)).all() == ["sp500"]


def test_a_bad_line_after_inserted_batches_writes_nothing(app, store, monkeypatch):
    store("sp500", {D(2019, 1, 1): 7.0})
    monkeypatch.setattr(services, "INSERT_BATCH_SIZE", 2)
    rows = [f"{day.isoformat()},{i + 1}" for i, day in enumerate(monthly(2000, 1, 9))]
    with pytest.raises(InvalidInput, match="Line 11: close"):
        services.import_csv("sp500", csv_text(*rows, "2001-01-01,-5").splitlines())
    assert db.session.scalars(select(Point.value)).all() == [7.0]
    # Batches that do not divide the row count evenly are all stored.
    assert services.import_csv("sp500", csv_text(*rows).splitlines()).points == 9
    assert point_count("sp500") == 9


def test_series_names_are_checked(app):
    with pytest.raises(InvalidInput, match="series name"):
        services.import_csv("no spaces", csv_text("2020-01-01,1").splitlines())


def test_cli_import_refuses_a_file_that_is_not_text(app, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"date,close\n\xff\xfe,1\n")
    result = app.test_cli_runner().invoke(args=["market", "import", "sp500", str(path)])
    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.output
    assert point_count() == 0


# --- the routes ------------------------------------------------------------------------------


def test_no_data_gives_empty_chart_and_stats(client):
    assert client.get("/api/chart/").get_json() == {"labels": [], "titan": [], "sp500": []}
    assert client.get("/api/stats/").get_json() == []


def test_chart_uses_common_dates_oldest_first(client, store):
    store("sp500", {D(2025, 11, 1): 100, D(2025, 12, 1): 200, D(2026, 1, 1): 300, D(2026, 2, 1): 150})
    store("titan", {D(2025, 12, 1): 50, D(2026, 1, 1): 60, D(2026, 2, 1): 70, D(2026, 3, 1): 80})
    body = client.get("/api/chart/").get_json()
    assert body == {
        "labels": [seconds(D(2025, 12, 1)), seconds(D(2026, 1, 1)), seconds(D(2026, 2, 1))],
        "titan": [10000.0, 12000.0, 14000.0],
        "sp500": [10000.0, 15000.0, 7500.0],
    }
    assert list(body) == ["labels", "titan", "sp500"]
    # Ends at the latest common date (February); the year started after the last December point.
    assert client.get("/api/chart/?period=ytd").get_json() == body
    assert client.get("/api/chart?period=1y").get_json() == body


def test_chart_periods_via_the_api(client, store):
    dates = monthly(2014, 1, 150)  # January 2014 to June 2026
    store("sp500", {day: 100 + i for i, day in enumerate(dates)})
    store("titan", {day: 50 + i for i, day in enumerate(dates)})
    expected_starts = {
        "1y": D(2025, 6, 1),
        "3y": D(2023, 6, 1),
        "5y": D(2021, 6, 1),
        "10y": D(2016, 6, 1),
        "ytd": D(2025, 12, 1),
        "all": D(2014, 1, 1),
    }
    for period, start in expected_starts.items():
        body = client.get(f"/api/chart/?period={period}").get_json()
        assert body["labels"][0] == seconds(start), period
        assert body["labels"][-1] == seconds(D(2026, 6, 1))
        assert body["titan"][0] == body["sp500"][0] == 10000.0
        assert len(body["labels"]) == len(body["titan"]) == len(body["sp500"]) == len(dates) - dates.index(start)
    assert len(client.get("/api/chart/?period=1y").get_json()["labels"]) == 13


def test_period_is_case_insensitive(client, store):
    store("sp500", {D(2025, 12, 1): 1, D(2026, 1, 1): 2})
    store("titan", {D(2025, 12, 1): 1, D(2026, 1, 1): 3})
    lower = client.get("/api/chart/?period=ytd")
    assert lower.status_code == 200
    assert client.get("/api/chart/?period=YTD").get_json() == lower.get_json()
    assert client.get("/api/chart/?period=All").get_json() == client.get("/api/chart/").get_json()


@pytest.mark.parametrize("period", ["2y", "", "year", "1Y; drop", "10"])
def test_bad_period_answers_400_on_the_field(client, period):
    response = client.get("/api/chart/", query_string={"period": period})
    assert response.status_code == 400
    assert response.get_json() == {"period": ["Must be one of: 1y, 3y, 5y, 10y, ytd, all."]}


def test_stats_route(client, store):
    dates = [D(2020, 12, 31), D(2021, 12, 31), D(2022, 12, 31), D(2023, 12, 31)]
    store("titan", dict(zip(dates, [100, 120, 90, 135], strict=True)))
    store("sp500", dict(zip(dates, [10, 11, 12, 13], strict=True)))
    rows = client.get("/api/stats/").get_json()
    assert [list(row) for row in rows] == [["label", "titan", "sp500"]] * 7
    by_label = {row["label"]: row for row in rows}
    assert by_label["Annualized return (%)"] == {"label": "Annualized return (%)", "titan": 10.52, "sp500": 9.14}
    assert by_label["Max drawdown (%)"]["titan"] == -25.0
    assert by_label["Max drawdown (%)"]["sp500"] == 0.0
    assert by_label["Worst calendar year (%)"]["sp500"] == 8.33  # 13 / 12


def test_import_clears_the_cache(client, store, import_cli):
    dates = [D(2025, 12, 1), D(2026, 1, 1)]
    store("titan", dict(zip(dates, [1, 2], strict=True)))
    store("sp500", dict(zip(dates, [1, 2], strict=True)))
    assert client.get("/api/chart/").get_json()["sp500"] == [10000.0, 20000.0]
    assert client.get("/api/stats/").get_json()[0]["sp500"] == 100.0
    # Changed behind the cache's back: the cached answers stay...
    db.session.execute(update(Point).where(Point.date == dates[1]).values(value=Point.value * 3))
    db.session.commit()
    assert client.get("/api/chart/").get_json()["sp500"] == [10000.0, 20000.0]
    # ...until an import clears them.
    assert import_cli("sp500", csv_text("2025-12-01,1", "2026-01-01,4")).exit_code == 0
    assert client.get("/api/chart/").get_json()["sp500"] == [10000.0, 40000.0]
    assert client.get("/api/chart/").get_json()["titan"] == [10000.0, 60000.0]
    assert client.get("/api/stats/").get_json()[0]["sp500"] == 300.0


def test_import_clears_the_cache_of_every_worker(make_app):
    # The data version lives in the database: each process's copies follow it on both backends.
    first, second = make_app(), make_app()
    with first.app_context():
        services.replace_series("titan", [(D(2025, 12, 1), 1), (D(2026, 1, 1), 2)])
        services.replace_series("sp500", [(D(2025, 12, 1), 1), (D(2026, 1, 1), 2)])
    assert second.test_client().get("/api/chart/").get_json()["sp500"] == [10000.0, 20000.0]
    with first.app_context():
        services.replace_series("sp500", [(D(2025, 12, 1), 1), (D(2026, 1, 1), 5)])
    assert second.test_client().get("/api/chart/").get_json()["sp500"] == [10000.0, 50000.0]


def test_another_worker_sees_an_import_once_its_version_check_is_due(make_app, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(services, "clock", lambda: now[0])
    importer, other = make_app(MARKET_VERSION_CHECK_SECONDS=5), make_app(MARKET_VERSION_CHECK_SECONDS=5)
    dates = [D(2025, 12, 1), D(2026, 1, 1)]
    with importer.app_context():
        services.replace_series("titan", [(dates[0], 1), (dates[1], 2)])
        services.replace_series("sp500", [(dates[0], 1), (dates[1], 2)])
    importer_client, other_client = importer.test_client(), other.test_client()
    for client in (importer_client, other_client):
        assert client.get("/api/chart/").get_json()["sp500"] == [10000.0, 20000.0]
    etag = other_client.get("/api/stats/").headers["ETag"]
    now[0] += 1
    with importer.app_context():
        services.replace_series("sp500", [(dates[0], 1), (dates[1], 3)])
    # The importing process drops its copies at once...
    assert importer_client.get("/api/chart/").get_json()["sp500"] == [10000.0, 30000.0]
    # ...another answers from memory until its check is due (at most MARKET_VERSION_CHECK_SECONDS)...
    assert other_client.get("/api/chart/").get_json()["sp500"] == [10000.0, 20000.0]
    assert other_client.get("/api/stats/", headers={"If-None-Match": etag}).status_code == 304
    now[0] += 4.5
    # ...then reads the version, sees the import and rebuilds.
    assert other_client.get("/api/chart/").get_json()["sp500"] == [10000.0, 30000.0]
    assert other_client.get("/api/stats/", headers={"If-None-Match": etag}).status_code == 200


def test_a_worker_reads_the_version_at_most_once_per_interval(make_app, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(services, "clock", lambda: now[0])
    reads = []
    monkeypatch.setattr(services, "data_version", lambda real=services.data_version: reads.append(1) or real())
    client = make_app(MARKET_VERSION_CHECK_SECONDS=1).test_client()
    for _ in range(5):
        assert client.get("/api/chart/?period=10y").status_code == 200
        assert client.get("/api/stats/").status_code == 200
    assert len(reads) == 1
    now[0] += 1
    client.get("/api/stats/")
    assert len(reads) == 2


def test_chart_and_stats_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    chart = paths["/api/chart/"]["get"]
    assert chart["parameters"][0]["name"] == "period"
    tags = {tag["name"]: tag for tag in client.get("/openapi.json").get_json()["tags"]}
    assert "demo data" in tags["market"]["description"]
    assert "/api/stats/" in paths


# --- the real S&P 500 and the demo series -----------------------------------------------------


def test_demo_loads_the_real_sp500_and_the_demo_titan_series(client):
    line = load_demo_series()
    assert line == "market: sp500 1866 points imported, titan 1857 points computed (demo data)"
    assert load_demo_series() == "market: sp500 1866 points already there, titan 1857 points already there"
    titan = db.session.scalar(select(Series).where(Series.name == "titan"))
    assert titan.is_demo and titan.description.startswith("Demo data")
    assert services.demo_notice() == titan.description

    everything = client.get("/api/chart/").get_json()
    assert len(everything["labels"]) == 1857
    assert everything["labels"][0] == seconds(D(1871, 10, 1))  # the first month with a 10-month average
    assert everything["labels"][-1] == seconds(D(2026, 6, 1))
    ten_years = client.get("/api/chart/?period=10y").get_json()
    assert ten_years["labels"][0] == seconds(D(2016, 6, 1))
    sp500_ten_year_return = (ten_years["sp500"][-1] / 10000) ** (1 / 10) - 1
    assert 0.10 < sp500_ten_year_return < 0.16

    stats = {row["label"]: row for row in client.get("/api/stats/").get_json()}
    sp500 = {label: row["sp500"] for label, row in stats.items()}
    assert 4 < sp500["Annualized return (%)"] < 6  # price only, since 1871
    assert 12 < sp500["Annualized volatility (%)"] < 17
    assert -90 < sp500["Max drawdown (%)"] < -80  # 1929-1932
    assert 35 < sp500["Best calendar year (%)"] < 55
    assert -50 < sp500["Worst calendar year (%)"] < -35
    # Trend following sat out most of the Depression.
    assert stats["Max drawdown (%)"]["titan"] > sp500["Max drawdown (%)"]
    assert all(math.isfinite(row["titan"]) for row in stats.values())


def test_demo_titan_follows_a_reimported_sp500_but_not_over_a_real_series(app, store):
    load_demo_series()
    services.import_csv(
        "sp500", csv_text(*(f"{day.isoformat()},{100 + i}" for i, day in enumerate(monthly(2020, 1, 24)))).splitlines()
    )
    assert load_demo_series() == "market: sp500 24 points already there, titan 15 points computed (demo data)"
    store("titan", {D(2021, 1, 1): 5.0})
    assert load_demo_series().endswith("titan 1 points already there")
    assert services.demo_notice() is None


# --- HTTP caching -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/chart/?period=10y", "/api/stats/"])
def test_market_answers_carry_an_etag_and_answer_304_until_data_is_imported(client, import_cli, path):
    import_cli("SP500", csv_text("2020-01-01,1", "2020-02-01,2", "2021-03-01,3"))
    import_cli("TITAN", csv_text("2020-01-01,1", "2020-02-01,3", "2021-03-01,4"))
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"') and len(etag) == 26
    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304  # weak comparison
    assert client.get(path, headers={"If-None-Match": "*"}).status_code == 304
    assert client.head(path, headers={"If-None-Match": etag}).status_code == 304
    import_cli("TITAN", csv_text("2020-01-01,1", "2020-02-01,5", "2021-03-01,9"))
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json() != first.get_json()
