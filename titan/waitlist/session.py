"""The waitlist's cookie session: which waitlist user this browser is (never an API credential)."""

from flask import session

SESSION_KEY = "waitlist_user_id"


def sign_in_session(user):
    session.permanent = True
    session[SESSION_KEY] = user.id


def session_user_id():
    return session.get(SESSION_KEY)
