"""The operator's figures (docs/contract.md §10): the funnel joined → confirmed → admitted →
activated, the viral coefficient, activity per day, top referrers. The counts come from
`member_activity` (per-day counters the database keeps in step with `users`, a few rows a day),
the top referrers from `ix_users_leaderboard`: the dashboard costs the same at a million members
as at a hundred."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from titan.common.types import utcnow
from titan.extensions import db
from titan.members.models import MemberActivity, User
from titan.waitlist.leaderboard import in_leaderboard_order

DAYS = 90
TOP_REFERRERS = 10
FUNNEL = {"Joined": "joined", "Confirmed": "confirmed", "Admitted": "admitted", "Activated": "activated"}
# The charts, by the counter each draws. A member counts on the day of the step: a referral on the
# day the friend confirmed (or joined, when it counted at once); an admission while still admitted.
SERIES = {
    "Joins": "joined",
    "Confirmations": "confirmed",
    "Counted referrals": "referral_counted",
    "Admissions": "admitted",
}


@dataclass(frozen=True)
class Stage:
    label: str
    count: int
    rate: float | None  # of the stage before (None for the first)


def totals(kinds):
    """`{kind: count}` over all days for the counters `kinds`."""
    rows = db.session.execute(
        select(MemberActivity.kind, func.sum(MemberActivity.count))
        .where(MemberActivity.kind.in_(kinds))
        .group_by(MemberActivity.kind)
    ).all()
    counts = dict.fromkeys(kinds, 0)
    counts.update({kind: int(count) for kind, count in rows})
    return counts


def funnel():
    """Joined → confirmed → admitted → activated (an account with a password), with the rate of
    each step over the one before. Members who left (deleted, pruned) count nowhere."""
    counts = totals(FUNNEL.values())
    stages, previous = [], None
    for label, kind in FUNNEL.items():
        count = counts[kind]
        stages.append(Stage(label, count, None if previous is None else (count / previous if previous else 0.0)))
        previous = count
    return stages


def viral_coefficient(confirmed_members):
    """Counted referrals per confirmed member: above 1, each member brings more than one."""
    counted = totals(["referral_counted"])["referral_counted"]
    return counted / confirmed_members if confirmed_members else 0.0


def per_day(days=DAYS):
    """`{"days": [ISO dates], "series": {name: [counts per day]}}` for the last `days` UTC days."""
    first = utcnow().date() - timedelta(days=days - 1)
    rows = db.session.execute(
        select(MemberActivity.day, MemberActivity.kind, func.sum(MemberActivity.count))
        .where(MemberActivity.day >= first, MemberActivity.kind.in_(SERIES.values()))
        .group_by(MemberActivity.day, MemberActivity.kind)
    ).all()
    counted = {(day.isoformat(), kind): int(count) for day, kind, count in rows}
    dates = [(first + timedelta(days=offset)).isoformat() for offset in range(days)]
    return {
        "days": dates,
        "series": {name: [counted.get((date, kind), 0) for date in dates] for name, kind in SERIES.items()},
    }


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
