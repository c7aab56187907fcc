"""Creating users and checking who may sign up: the rules every sign-up path shares
(API registration, waitlist join, phone login)."""

import logging

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError

from titan.auth.models import WAITLIST_WAITING, User
from titan.common.codes import generate_code
from titan.common.exceptions import InvalidInput
from titan.common.identity import UNAVAILABLE_EMAIL_MESSAGE, email_identity, is_disposable
from titan.common.types import utcnow
from titan.extensions import db
from titan.integrations import hunter
from titan.integrations.http import OutboundError
from titan.referrals.models import ReferralCode

log = logging.getLogger(__name__)
INVITE_CODE_ATTEMPTS = 10
UNIQUE_USER_FIELDS = ("email", "username", "phone")


def code_in_use(code):
    """Is `code` (upper-case) taken by any invite code or referral code?"""
    return db.session.scalar(
        select(
            or_(
                exists().where(User.invite_code == code),
                exists().where(ReferralCode.code == code),
            )
        )
    )


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


def check_email_allowed(email):
    """Refuse disposable addresses (local list, then Hunter when configured). Hunter failing lets it through."""
    if is_disposable(email):
        raise InvalidInput(UNAVAILABLE_EMAIL_MESSAGE, field="email")
    if hunter.is_enabled():
        try:
            refused = hunter.address_is_refused(email)
        except OutboundError:
            log.warning("Hunter unavailable; accepting %s unchecked", email)
            return
        if refused:
            raise InvalidInput(UNAVAILABLE_EMAIL_MESSAGE, field="email")


def duplicate_field(error):
    """Which unique user field an IntegrityError is about (None if it is about something else)."""
    message = str(error.orig).lower()
    return next((field for field in UNIQUE_USER_FIELDS if f"users.{field}" in message or f"uq_users_{field}" in message), None)


def create_user(*, email=None, waitlist=False, **fields):
    """Insert a user with a fresh invite code (retried on the rare collision).

    Raises IntegrityError for a duplicate email, username or phone; callers say what that means.
    """
    for _ in range(INVITE_CODE_ATTEMPTS):
        code = generate_code()
        if code_in_use(code):
            continue
        user = User(
            email=email,
            email_identity=email_identity(email) if email else None,
            invite_code=code,
            **fields,
        )
        if waitlist:
            user.waitlist_status = WAITLIST_WAITING
            user.joined_waitlist_at = utcnow()
            user.waitlist_rank = 0  # set to the id just below, once the database has given one
        try:
            with db.session.begin_nested():
                db.session.add(user)
                db.session.flush()
                if waitlist:
                    user.waitlist_rank = user.id
                    db.session.flush()
        except IntegrityError as error:
            if "invite_code" in str(error.orig).lower():
                continue
            raise
        return user
    raise RuntimeError("could not find a free invite code")
