"""Signing in with a password: by email (in any spelling of it) or username."""

from sqlalchemy import select

from titan.common.contacts import email_identity
from titan.common.exceptions import Unauthorized
from titan.extensions import db
from titan.members.models import User
from titan.members.passwords import password_matches

INVALID_CREDENTIALS = "Invalid username or password."


def authenticate(login, password):
    """The active user with this login and password; Unauthorized otherwise, with the same
    message and the same one hash whether or not the account exists."""
    login = login.strip().lower()
    if "@" in login:
        user = db.session.scalar(select(User).where(User.email_identity == email_identity(login)))
    else:
        user = db.session.scalar(select(User).where(User.username == login))
    password_hash = user.password_hash if user is not None and user.is_active else None
    if not password_matches(password_hash, password):
        raise Unauthorized("invalid_credentials", INVALID_CREDENTIALS)
    return user
