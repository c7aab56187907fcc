"""Demo data for `flask --app wsgi demo`: safe to run again and again."""

from titan.demo.calculator import DEMO_PASSWORD, ensure_demo_users
from titan.demo.market import load_demo_series
from titan.demo.waitlist import ensure_waitlist_users


def ensure_calculator_users():
    added = ensure_demo_users()
    if not added:
        return "calculator: demo users already there"
    return f"calculator: demo users added: {', '.join(added)} (password {DEMO_PASSWORD})"


def load_demo_data():
    yield ensure_waitlist_users()
    yield ensure_calculator_users()
    yield load_demo_series()
