"""The operator's figures (docs/contract.md §10): the funnel joined → confirmed → admitted →
activated, the viral coefficient, activity per day, top referrers. Each figure is one aggregate
over an index (`ix_users_waitlist_members`, the per-day indexes of migration 0010,
`ix_users_leaderboard`), so the dashboard stays fast at a million members."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, select

from titan.common.types import utcnow
from titan.extensions import db
from titan.members.models import REFERRAL_COUNTED, WAITLIST_ADMITTED, User
from titan.waitlist.leaderboard import in_leaderboard_order

DAYS = 90
TOP_REFERRERS = 10


@dataclass(frozen=True)
class Stage:
    label: str
    count: int
    rate: float | None  # of the stage before (None for the first)


def funnel():
    """Joined → confirmed → admitted → activated (an account with a password), with the rate of each
    step, in one pass over the waitlist members' index."""
    member = User.waitlist_status.is_not(None)
    admitted = User.waitlist_status == WAITLIST_ADMITTED
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(User.email_confirmed_at.is_not(None)),
            func.count().filter(admitted),
            func.count().filter(and_(admitted, User.password_hash.is_not(None))),
        ).where(member)
    ).one()
    stages, previous = [], None
    for label, count in zip(("Joined", "Confirmed", "Admitted", "Activated"), row, strict=True):
        stages.append(Stage(label, count, None if previous is None else (count / previous if previous else 0.0)))
        previous = count
    return stages


def viral_coefficient(confirmed_members):
    """Counted referrals per confirmed member: above 1, each member brings more than one."""
    counted = db.session.scalar(select(func.count()).select_from(User).where(User.referral_state == REFERRAL_COUNTED))
    return counted / confirmed_members if confirmed_members else 0.0


def per_day(days=DAYS):
    """`{"days": [ISO dates], series: [counts per day]}` for joins, confirmations, counted
    referrals (on the day the friend confirmed, or joined when it counted at once) and admissions."""
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    since = utcnow() - timedelta(days=days)
    series = {
        "Joins": (User.joined_waitlist_at, User.joined_waitlist_at.is_not(None)),
        "Confirmations": (User.email_confirmed_at, User.email_confirmed_at.is_not(None)),
        "Counted referrals": (
            func.coalesce(User.email_confirmed_at, User.created_at),
            User.referral_state == REFERRAL_COUNTED,
        ),
        "Admissions": (User.admitted_at, User.admitted_at.is_not(None)),
    }
    dates = [(first + timedelta(days=offset)).isoformat() for offset in range(days)]
    counted = {}
    for name, (column, present) in series.items():
        day = func.date(column)
        rows = db.session.execute(select(day, func.count()).where(present, column >= since).group_by(day)).all()
        by_day = {str(value): count for value, count in rows}
        counted[name] = [by_day.get(date, 0) for date in dates]
    return {"days": dates, "series": counted}


def top_referrers(limit=TOP_REFERRERS):
    """The referrers with the most counted referrals, with their addresses (admins only)."""
    return db.session.execute(
        in_leaderboard_order(User.id, User.email, User.username, User.referral_count).limit(limit)
    ).all()


def bars(values, width=540, height=80):
    """A bar chart of `values` as SVG rectangles `(x, y, width, height)`: drawn by the server, no script."""
    peak = max(values) or 1
    step = width / len(values)
    return [
        (
            round(index * step, 1),
            round(height - value / peak * height, 1),
            round(max(step - 1, 1), 1),
            round(value / peak * height, 1),
        )
        for index, value in enumerate(values)
    ]
