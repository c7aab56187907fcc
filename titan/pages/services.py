"""What the visitor pages show: a member's standing and share links, what an invite link does,
and the chart. The rules stay in the features (titan.waitlist, titan.members, titan.market)."""

import json
from datetime import UTC, datetime
from urllib.parse import quote

from flask import current_app
from sqlalchemy import select

from titan.auth import addresses
from titan.common.codes import CUSTOM_CODE_PATTERN, normalise_code
from titan.common.exceptions import InvalidInput, NotFound
from titan.common.urls import public_base_url
from titan.extensions import db
from titan.market import services as market
from titan.market.analytics import PERIODS
from titan.members.milestones import Milestone
from titan.members.models import WAITLIST_ADMITTED, User
from titan.members.standing import member_by_code, user_data
from titan.pages.copy import PAGE_COPY, copy_for

SHARE_SUBJECT = "Join me on the Titan waitlist"
SHARE_TEXT = "I'm on the Titan waitlist. Join with my link and we both move up:"
# `{url}` is replaced by the URL-encoded referral link (here and, after a join without reload, in titan.js).
SHARE_TEMPLATES = (
    ("email", "Send by email", f"mailto:?subject={quote(SHARE_SUBJECT)}&body={quote(SHARE_TEXT)}%20{{url}}"),
    ("x", "Post on X", f"https://twitter.com/intent/tweet?text={quote(SHARE_TEXT)}&url={{url}}"),
    ("linkedin", "Share on LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?url={url}"),
    ("whatsapp", "Send on WhatsApp", f"https://wa.me/?text={quote(SHARE_TEXT)}%20{{url}}"),
    # `sms:?&body=` is the form both iOS and Android read.
    ("sms", "Send as a text", f"sms:?&body={quote(SHARE_TEXT)}%20{{url}}"),
)


def share_links(referral_url):
    encoded = quote(referral_url, safe="")
    return [
        {"id": key, "label": label, "template": template, "href": template.replace("{url}", encoded)}
        for key, label, template in SHARE_TEMPLATES
    ]


def standing(member):
    """The user data of the waitlist contract plus the share links the pages show with it."""
    data = user_data(member)
    return {
        **data,
        "share_links": share_links(data["referral_url"]),
        "milestone_progress": milestone_progress(data["next_milestone"], data["referral_count"]),
    }


def milestone_progress(milestone, referral_count):
    """ "2 more friends to skip 50 places", or None when no milestone is ahead."""
    if milestone is None:
        return None
    left = milestone["referrals"] - referral_count
    friends = "1 more friend" if left == 1 else f"{left:,} more friends"
    places = Milestone(**milestone).places
    return f"{friends} to skip {places:,} places" if places else f"{friends} to get early access"


def next_step(member):
    """What the status page offers a member beyond their standing: `confirm` their address,
    `activate` an account (admitted, no password yet), `sign_in` (admitted with an account), or None."""
    if member.waitlist_status == WAITLIST_ADMITTED:
        user = db.session.get(User, member.id)
        return "sign_in" if user is not None and user.password_hash else "activate"
    if not member.email_confirmed and current_app.config["EMAIL_CONFIRMATION"]:
        return "confirm"
    return None


def resend_confirmation(member):
    user = db.session.get(User, member.id)
    if user is not None and user.email:
        addresses.resend_confirmation(user.email)


def sign_in_help():
    """How an account holder signs in (the pages have no account area: the API and its clients do)."""
    return {"token_url": f"{public_base_url()}/api/v1/auth/token", "docs_url": f"{public_base_url()}/docs"}


def invite_from_link(code):
    """`(code, notice, inviter)` for a `/r/<code>` link: the code if it works now, else a notice
    saying why not; and the name the invitation shows.

    A read-only look-up (cached like the API's); the join itself checks the code against the database.
    """
    if not CUSTOM_CODE_PATTERN.match(code):
        return None, PAGE_COPY["code_not_found"], None
    try:
        member = member_by_code(code)
    except (NotFound, InvalidInput) as error:
        return None, copy_for(error), None
    return normalise_code(code), None, inviter_name(member.id)


def inviter_name(user_id):
    """How an invitation names the member who sent it: their first name, else their username, else
    nobody (never their address or number)."""
    row = db.session.execute(select(User.first_name, User.username).where(User.id == user_id)).first()
    if row is None:
        return None
    return row.first_name.strip() or row.username or None


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
    start, end = (datetime.fromtimestamp(chart["labels"][i], UTC).date() for i in (0, -1))
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
