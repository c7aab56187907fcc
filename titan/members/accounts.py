"""Creating users and checking who may sign up: the rules every sign-up path shares (API
registration, waitlist join, phone login, admins made from the command line)."""

import functools
import logging

from sqlalchemy import bindparam, select

from titan.common.codes import generate_code
from titan.common.contacts import email_identity, is_disposable
from titan.common.exceptions import Conflict, InvalidInput
from titan.common.types import utcnow
from titan.extensions import db
from titan.integrations import hunter
from titan.integrations.http import OutboundError
from titan.members.codes import insert_with_free_code
from titan.members.models import WAITLIST_WAITING, ReferralCode, User, start_balance

log = logging.getLogger(__name__)
INVITE_CODE_ATTEMPTS = 10
UNIQUE_USER_FIELDS = ("email", "username", "phone")
EMAIL_NOT_ALLOWED = "Registration at this email address is not available"
TAKEN_MESSAGES = {
    "email": "A user with this email already exists.",
    "username": "A user with this username already exists.",
    "phone": "A user with this phone number already exists.",
}


class DuplicateUser(Exception):
    """The email, username or phone of a new user is already taken (`field` says which)."""

    def __init__(self, field):
        super().__init__(f"{field} already taken")
        self.field = field


def already_taken(field):
    """The 409 for a unique user field (`email`, `username`, `phone`) someone else has."""
    return Conflict(f"{field}_taken", TAKEN_MESSAGES[field], field=field)


def email_taken(email, exclude_user_id=None):
    query = select(User.id).where(User.email_identity == email_identity(email))
    if exclude_user_id is not None:
        query = query.where(User.id != exclude_user_id)
    return db.session.scalar(query.limit(1)) is not None


def username_taken(username, exclude_user_id=None):
    query = select(User.id).where(User.username == username)
    if exclude_user_id is not None:
        query = query.where(User.id != exclude_user_id)
    return db.session.scalar(query.limit(1)) is not None


def find_by_email(email):
    """The active user who owns this address (in any spelling of it), or None."""
    return db.session.scalar(select(User).where(User.email_identity == email_identity(email), User.is_active.is_(True)))


def check_email_allowed(email):
    """Refuse disposable addresses (local list, then Hunter when configured). Hunter failing lets it through."""
    refused = is_disposable(email)
    if not refused and hunter.is_enabled():
        try:
            refused = hunter.address_is_refused(email)
        except OutboundError:
            log.warning("Hunter unavailable; accepting %s unchecked", email)
    if refused:
        raise InvalidInput("email_not_allowed", EMAIL_NOT_ALLOWED, field="email")


def duplicate_field(error):
    """Which unique user field an IntegrityError is about (None if it is about something else)."""
    message = str(error.orig).lower()
    return next(
        (field for field in UNIQUE_USER_FIELDS if f"users.{field}" in message or f"uq_users_{field}" in message), None
    )


@functools.cache
def user_insert(dialect_name, columns):
    """The new user's INSERT for these columns, unless the invite code is some referral code;
    built once per dialect and set of columns."""
    return insert_with_free_code(dialect_name, User, columns, ReferralCode.code == bindparam("invite_code"))


def insert_user(values):
    """One statement: the new user, or None if a unique value is taken or the invite code is some
    referral code. No savepoint: a conflict is an answer, not an error that spoils the transaction."""
    statement = user_insert(db.session.get_bind().dialect.name, tuple(sorted(values)))
    return db.session.scalars(statement, values).first()


def taken_field(values):
    if values.get("email") and email_taken(values["email"]):
        return "email"
    if values.get("username") and username_taken(values["username"]):
        return "username"
    if values.get("phone") and db.session.scalar(select(User.id).where(User.phone == values["phone"])) is not None:
        return "phone"
    return None


def create_user(*, email=None, waitlist=False, **fields):
    """Insert a user with a fresh invite code (another one if the code was just taken).

    Raises DuplicateUser when the email (as one person), username or phone is taken.
    """
    now = utcnow()
    values = {
        "email": email,
        "email_identity": email_identity(email) if email else None,
        "balance": start_balance(),
        "created_at": now,
        **fields,
    }
    if waitlist:
        values.update(waitlist_status=WAITLIST_WAITING, joined_waitlist_at=now)
    for _ in range(INVITE_CODE_ATTEMPTS):
        user = insert_user({**values, "invite_code": generate_code()})
        if user is not None:
            return user
        field = taken_field(values)
        if field is not None:
            raise DuplicateUser(field)
        # Else the code was taken (as an invite or a referral code): try another.
    raise RuntimeError("could not find a free invite code")
