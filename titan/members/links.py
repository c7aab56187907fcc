"""Signed links sent by email: one salt per purpose, bound to the user and to the exact address they
went to, expiring, and good for one use (each is tied to the state its use changes).

A link is `PUBLIC_BASE_URL/<path>/<token>`; the token is itsdangerous-signed JSON
`{"u": user id, "a": address, "s": state}` where `state` fingerprints what using the link changes
(the password hash for a reset or an activation, the last sign-in by link for a sign-in link).
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select

from titan.common.exceptions import InvalidInput
from titan.common.urls import public_base_url
from titan.extensions import db
from titan.members.models import User

LINK_INVALID = "This link is invalid or has expired."


@dataclass(frozen=True)
class Purpose:
    name: str
    path: str
    lifetime_setting: str
    lifetime_unit: str

    def lifetime(self):
        return timedelta(**{self.lifetime_unit: current_app.config[self.lifetime_setting]})


CONFIRM = Purpose("confirm", "confirm", "EMAIL_LINK_HOURS", "hours")
ACTIVATE = Purpose("activate", "activate", "ACTIVATION_LINK_DAYS", "days")
RESET = Purpose("reset", "reset", "PASSWORD_RESET_MINUTES", "minutes")
SIGN_IN = Purpose("sign-in", "signin", "EMAIL_LINK_HOURS", "hours")
UNSUBSCRIBE = Purpose("unsubscribe", "unsubscribe", "UNSUBSCRIBE_LINK_DAYS", "days")
DELETE = Purpose("delete", "delete", "EMAIL_LINK_HOURS", "hours")


def serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"titan.link.{purpose.name}")


def state_of(user, purpose):
    """A fingerprint of what using a `purpose` link changes: once it changed, older links are dead."""
    if purpose in (RESET, ACTIVATE, DELETE):
        state = user.password_hash or "-"
    elif purpose is SIGN_IN:
        state = user.link_sign_in_at.isoformat() if user.link_sign_in_at else "-"
    else:  # confirming and unsubscribing twice are harmless: no state to bind to
        return ""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose.name}:{state}".encode(), hashlib.sha256).hexdigest()[:16]


def token_for(user, purpose, address=None):
    address = address or user.email
    return serializer(purpose).dumps({"u": user.id, "a": address, "s": state_of(user, purpose)})


def link_for(user, purpose, address=None):
    return f"{public_base_url()}/{purpose.path}/{token_for(user, purpose, address)}"


def invalid_link():
    return InvalidInput("link_invalid", LINK_INVALID, field="token")


def read_link(token, purpose, *, lock=False):
    """`(user, address)` for a link of `purpose`, checked: signature and salt (a link made for
    another purpose fails), age, the user, the address still being theirs (or the one they are
    changing to), and the state it was made in. Raises InvalidInput (`link_invalid`, field `token`).
    With `lock`, the user's row is locked for the rest of the transaction."""
    try:
        payload = serializer(purpose).loads(token, max_age=int(purpose.lifetime().total_seconds()))
        user_id, address, state = payload["u"], payload["a"], payload["s"]
    except (BadData, KeyError, TypeError):
        raise invalid_link() from None
    if not isinstance(user_id, int) or not isinstance(address, str) or not isinstance(state, str):
        raise invalid_link()
    query = select(User).where(User.id == user_id, User.is_active.is_(True))
    user = db.session.scalar(query.with_for_update() if lock else query)
    if user is None or address not in (user.email, user.pending_email if purpose is CONFIRM else None):
        raise invalid_link()
    if not hmac.compare_digest(state, state_of(user, purpose)):
        raise invalid_link()
    return user, address
