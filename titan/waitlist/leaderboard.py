"""The leaderboard: the top referrers by counted referrals; of equal counts, whoever reached the
count first ranks higher. Names are usernames or masked addresses, never a full address. One index
range scan (`ix_users_leaderboard`), cached for LEADERBOARD_CACHE_SECONDS."""

from flask import current_app
from sqlalchemy import select

from titan.extensions import cache, db
from titan.members.models import User
from titan.members.standing import mask_email

LEADERBOARD_DEFAULT = 10
LEADERBOARD_MAX = 100
UNNAMED = "A Titan member"


def top_referrers(limit=LEADERBOARD_DEFAULT):
    """`[{"rank", "name", "referral_count"}]`, at most `limit` rows."""
    seconds = current_app.config["LEADERBOARD_CACHE_SECONDS"]
    if seconds <= 0:
        return leaderboard_rows(limit)
    key = f"leaderboard:{limit}"
    rows = cache.get(key)
    if rows is None:
        rows = leaderboard_rows(limit)
        cache.set(key, rows, timeout=seconds)
    return rows


def in_leaderboard_order(*columns):
    """`columns` of the referrers on the board, best first: the index's own predicate and order, so
    the planner walks `ix_users_leaderboard` and stops at the limit."""
    return (
        select(*columns)
        .where(User.referral_count > 0, User.show_on_leaderboard)
        .order_by(-User.referral_count, User.last_referral_at, User.id)
    )


def leaderboard_rows(limit):
    result = db.session.execute(in_leaderboard_order(User.username, User.email, User.referral_count).limit(limit))
    return [
        {"rank": rank, "name": display_name(row.username, row.email), "referral_count": row.referral_count}
        for rank, row in enumerate(result, start=1)
    ]


def display_name(username, email):
    if username:
        return username
    return mask_email(email) if email else UNNAMED
