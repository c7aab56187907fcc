"""The waitlist's cookie session: which waitlist user this browser is (never an API credential), and
whether the browser proved it by an emailed link (joining here, a confirmation or sign-in link)
or only knew a referral code; and where a request came from, for the fraud signals."""

from flask import request, session

from titan.members.fraud import Client

SESSION_KEY = "waitlist_user_id"
PROVEN_KEY = "waitlist_proven"


def sign_in_session(member, *, proven):
    session.permanent = True
    session[SESSION_KEY] = member.id
    session[PROVEN_KEY] = proven


def sign_out_session():
    session.pop(SESSION_KEY, None)
    session.pop(PROVEN_KEY, None)


def session_user_id():
    return session.get(SESSION_KEY)


def proven_session_user_id():
    """The session's user, if the browser proved it by an emailed link; else None."""
    return session.get(SESSION_KEY) if session.get(PROVEN_KEY) else None


def request_client():
    """Where this request came from, for the fraud signals: the client address (ProxyFix has
    applied TRUSTED_PROXY_COUNT by now) and the user agent."""
    return Client(request.remote_addr, request.headers.get("User-Agent"))
