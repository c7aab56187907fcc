"""The demo market data: the real S&P 500 series shipped with Titan, and the demo `titan`
portfolio computed from it."""

from pathlib import Path

from sqlalchemy import select

from titan.extensions import db
from titan.market import analytics
from titan.market.models import Point, Series
from titan.market.services import SP500, TITAN, find_series, import_csv, replace_series, summarise

SP500_CSV = Path(__file__).resolve().parent.parent / "market" / "data" / "sp500_monthly.csv"
SP500_DESCRIPTION = (
    "S&P 500 index level, monthly (without dividends). Robert Shiller's data via the public-domain "
    "datasets/s-and-p-500, extended with FRED's S&P 500 series."
)
TITAN_DEMO_DESCRIPTION = (
    "Demo data, not a real portfolio: a 10-month trend-following rule on the S&P 500. In each month "
    "it holds the index if the index closed the month before above its 10-month simple moving "
    "average, else it holds cash earning 0%. No dividends, costs or taxes."
)


def compute_demo_titan():
    """Store the demo `titan` series: the trend-following rule applied to the stored S&P 500."""
    rows = db.session.execute(
        select(Point.date, Point.value).join(Series).where(Series.name == SP500).order_by(Point.date)
    ).all()
    values = analytics.trend_following([close for _, close in rows])
    points = zip((day for day, _ in rows[analytics.TREND_WINDOW - 1 :]), values, strict=True)
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
        f"market: sp500 {sp500_summary.points} points {sp500_state}, titan {titan_summary.points} points {titan_state}"
    )
