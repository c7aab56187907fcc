"""Demo data for `flask --app wsgi demo`: safe to run again and again."""

from sqlalchemy import select

from titan.auth.accounts import create_user
from titan.auth.models import User
from titan.calculator import services as calculator
from titan.common.transactions import after_commit, commit
from titan.extensions import db
from titan.market import services as market
from titan.referrals import ranking

DEMO_WAITLIST = ("ada@example.com", "grace@example.com", "alan@example.com", "katherine@example.com")


def ensure_waitlist_users():
    existing = set(db.session.scalars(select(User.email).where(User.email.in_(DEMO_WAITLIST))))
    added = [create_user(email=email, waitlist=True) for email in DEMO_WAITLIST if email not in existing]
    for user in added:
        after_commit(lambda user=user: ranking.record_joined(user))
    commit()
    return f"waitlist: {len(added)} demo users added, {len(existing)} already there"


def ensure_calculator_users():
    added = calculator.ensure_demo_users()
    if not added:
        return "calculator: demo users already there"
    return f"calculator: demo users added: {', '.join(added)} (password {calculator.DEMO_PASSWORD})"


def load_demo_data():
    yield ensure_waitlist_users()
    yield ensure_calculator_users()
    yield market.load_demo_series()
