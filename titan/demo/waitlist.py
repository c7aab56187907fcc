"""A few demo waitlist members."""

from sqlalchemy import select

from titan.common.transactions import after_commit, commit
from titan.extensions import db
from titan.members import ranking
from titan.members.accounts import create_user
from titan.members.models import User

DEMO_WAITLIST = ("ada@example.com", "grace@example.com", "alan@example.com", "katherine@example.com")


def ensure_waitlist_users():
    existing = set(db.session.scalars(select(User.email).where(User.email.in_(DEMO_WAITLIST))))
    added = [create_user(email=email, waitlist=True) for email in DEMO_WAITLIST if email not in existing]
    for user in added:
        after_commit(lambda user=user: ranking.record_joined(user))
    commit()
    return f"waitlist: {len(added)} demo users added, {len(existing)} already there"
