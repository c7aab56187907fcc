"""What the pages show: a visitor's standing and share links, invite-link notices in plain words,
and the admin's view of the waitlist (summary, CSV export). The rules stay in `titan.referrals`."""

import csv
import io
import json
from datetime import datetime, timezone
from urllib.parse import quote

from sqlalchemy import func, select

from titan.auth.models import WAITLIST_ADMITTED, User
from titan.common.codes import CUSTOM_CODE_PATTERN, normalise_code
from titan.common.exceptions import InvalidInput, NotFound
from titan.extensions import db
from titan.market import services as market
from titan.market.analytics import PERIODS
from titan.referrals import ranking
from titan.referrals.services import (
    CODE_EXPIRED_MESSAGE,
    CODE_NOT_FOUND,
    EMAIL_NOT_UNIQUE,
    user_by_code,
    user_data,
)

# The API keeps its contract wording; people read these instead.
PLAIN_MESSAGES = {
    EMAIL_NOT_UNIQUE: "This email is already on the waitlist. Find your place with your referral code on the status page.",
    CODE_NOT_FOUND: "This invite link doesn't work, but you can still join.",
    CODE_EXPIRED_MESSAGE: "This invite link has expired, but you can still join.",
}

SHARE_SUBJECT = "Join me on the Titan waitlist"
SHARE_TEXT = "I'm on the Titan waitlist. Join with my link and we both move up:"
# `{url}` is replaced by the URL-encoded referral link (here and, after a join without reload, in titan.js).
SHARE_TEMPLATES = (
    ("email", "Send by email", f"mailto:?subject={quote(SHARE_SUBJECT)}&body={quote(SHARE_TEXT)}%20{{url}}"),
    ("x", "Post on X", f"https://twitter.com/intent/tweet?text={quote(SHARE_TEXT)}&url={{url}}"),
    ("linkedin", "Share on LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?url={url}"),
)

EXPORT_HEADER = ("position", "status", "email", "invite_code", "referral_count", "signup_code", "joined_at", "admitted_at")
EXPORT_BATCH = 1000
# A cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@")
NEXT_IN_LINE = 10


def plain(message):
    return PLAIN_MESSAGES.get(message, message)


def share_links(referral_url):
    encoded = quote(referral_url, safe="")
    return [
        {"id": key, "label": label, "template": template, "href": template.replace("{url}", encoded)}
        for key, label, template in SHARE_TEMPLATES
    ]


def standing(user):
    """The user data of the waitlist contract plus the share links the pages show with it."""
    data = user_data(user)
    return {**data, "share_links": share_links(data["referral_url"])}


def invite_from_link(code):
    """`(code, notice)` for a `/r/<code>` link: the code if it works now, else a notice saying why not.

    A read-only look-up (cached like the API's); the join itself checks the code against the database.
    """
    if not CUSTOM_CODE_PATTERN.match(code):
        return None, plain(CODE_NOT_FOUND)
    try:
        user_by_code(code)
    except (NotFound, InvalidInput) as error:
        return None, plain(error.message)
    return normalise_code(code), None


# --- the chart ---------------------------------------------------------------------------------

PERIOD_LABELS = {"1y": "1Y", "3y": "3Y", "5y": "5Y", "10y": "10Y", "ytd": "YTD", "all": "All"}
# A decade shows both the trend rule's calm and a full cycle; `all` reaches back to 1871.
DEFAULT_PERIOD = "10y"
SPARKLINE_WIDTH, SPARKLINE_HEIGHT, SPARKLINE_PADDING = 320, 120, 6


def chart_period(raw):
    period = (raw or DEFAULT_PERIOD).strip().lower()
    return period if period in PERIODS else DEFAULT_PERIOD


def growth(chart):
    """Where $10,000 ended up over the chart's period (what the page says without JavaScript)."""
    if not chart["labels"]:
        return None
    start, end = (datetime.fromtimestamp(chart["labels"][i], timezone.utc).date() for i in (0, -1))
    return {"start": start, "end": end, "titan": chart["titan"][-1], "sp500": chart["sp500"][-1]}


def chart_page(raw_period):
    """The chart page: the period's chart (also embedded, so the first draw needs no request), the
    growth of $10,000, the statistics table and the demo-data notice."""
    period = chart_period(raw_period)
    chart_json = market.chart_json(period)
    return {
        "period": period,
        "period_labels": PERIOD_LABELS,
        "chart_json": chart_json,
        "growth": growth(json.loads(chart_json)),
        "stats": json.loads(market.statistics_json()),
        "history": growth(json.loads(market.chart_json("all"))),
        "demo_notice": market.demo_notice(),
    }


def sparkline(period=DEFAULT_PERIOD):
    """The landing page's small chart as SVG polyline points for each series, or None without data."""
    chart = json.loads(market.chart_json(period))
    count = len(chart["labels"])
    if count < 2:
        return None
    values = chart["titan"] + chart["sp500"]
    low, high = min(values), max(values)
    inner = SPARKLINE_HEIGHT - 2 * SPARKLINE_PADDING

    def points(series):
        return " ".join(
            f"{index * SPARKLINE_WIDTH / (count - 1):.1f},"
            f"{SPARKLINE_PADDING + inner - (value - low) / ((high - low) or 1) * inner:.1f}"
            for index, value in enumerate(series)
        )

    return {
        "width": SPARKLINE_WIDTH,
        "height": SPARKLINE_HEIGHT,
        "titan": points(chart["titan"]),
        "sp500": points(chart["sp500"]),
        "growth": growth(chart),
        "period": PERIOD_LABELS[period],
    }


# --- the admin's view of the waitlist ----------------------------------------------------------


def waitlist_summary():
    waiting = db.session.scalar(select(func.count()).select_from(User).where(ranking.IS_WAITING))
    total = ranking.total_registered()
    next_users = db.session.scalars(
        ranking.in_position_order(select(User)).limit(NEXT_IN_LINE)
    )
    return {
        "waiting": waiting,
        "admitted": total - waiting,
        "total": total,
        "next_in_line": list(enumerate(next_users, start=1)),
    }


def spreadsheet_safe(value):
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def waitlist_csv_lines():
    """The waitlist as CSV lines: waiting users in position order, then admitted users by admission.

    Rows are read in batches (a server-side cursor on PostgreSQL), so memory stays flat however long the list.
    """
    columns = (User.email, User.invite_code, User.referral_count, User.signup_code, User.joined_waitlist_at, User.admitted_at)
    waiting = ranking.in_position_order(select(*columns))
    admitted = (
        select(*columns).where(User.waitlist_status == WAITLIST_ADMITTED).order_by(User.admitted_at, User.id)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values):
        writer.writerow([spreadsheet_safe(value) for value in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(EXPORT_HEADER)
    rows = db.session.execute(waiting.execution_options(yield_per=EXPORT_BATCH))
    for position, row in enumerate(rows, start=1):
        yield line((position, "waiting", *row))
    for row in db.session.execute(admitted.execution_options(yield_per=EXPORT_BATCH)):
        yield line(("", WAITLIST_ADMITTED, *row))
