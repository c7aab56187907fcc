"""Registration with email and password, and the public profile Clearbit adds to it."""

import logging
from typing import NamedTuple

from sqlalchemy import select

from titan.auth.invites import invite_only, invite_only_launch
from titan.common.contacts import email_identity
from titan.common.transactions import commit
from titan.extensions import db
from titan.integrations import clearbit
from titan.integrations.http import OutboundError
from titan.jobs import enqueue
from titan.members.accounts import DuplicateUser, already_taken, check_email_allowed, create_user, username_taken
from titan.members.codes import resolve_referral_code
from titan.members.confirmation import send_confirmation_link
from titan.members.mail import send_activation
from titan.members.models import User
from titan.members.passwords import hash_password
from titan.members.referrals import new_user_referred, referral_of_new_user
from titan.members.throttle import may_send

log = logging.getLogger(__name__)
FINISH_BY_EMAIL = "Check your email to finish setting up your account."


class Registration(NamedTuple):
    """The new account, or (`user` None) an activation link mailed to the member who has the address."""

    user: User | None

    @property
    def activation_sent(self):
        return self.user is None


def register(*, email, password, username=None, first_name="", last_name="", referral_code=None):
    """Create an account, or, for the address of a member without a password (a waitlist or phone
    user), mail them an activation link and change nothing else: whoever typed the address cannot
    take the account."""
    check_email_allowed(email)
    existing = db.session.scalar(select(User).where(User.email_identity == email_identity(email)).with_for_update())
    if existing is not None:
        if existing.password_hash or not existing.is_active:
            raise already_taken("email")
        if may_send(existing.email, "activation"):
            enqueue(send_activation, user_id=existing.id)
        commit()
        return Registration(None)
    if invite_only_launch():
        raise invite_only()
    if username and username_taken(username):
        raise already_taken("username")
    referrer = resolve_referral_code(referral_code) if referral_code else None
    referral = referral_of_new_user(referrer, referral_code, proven=False) if referrer else {}
    try:
        user = create_user(
            email=email,
            username=username,
            password_hash=hash_password(password),
            first_name=first_name or "",
            last_name=last_name or "",
            **referral,
        )
    except DuplicateUser as duplicate:
        # Taken between the checks above and the insert, by a request at the same moment.
        raise already_taken(duplicate.field) from None
    if referrer is not None:
        new_user_referred(user, referrer)
    send_confirmation_link(user, user.email)
    enrich_profile(user)
    commit()
    return Registration(user)


def enrich_profile(user):
    """Fill in the public profile from Clearbit when configured; never fails the caller."""
    if not (clearbit.is_enabled() and user.email):
        return
    try:
        profile = clearbit.find_profile(user.email)
    except OutboundError:
        log.warning("Clearbit unavailable; user %s not enriched", user.id)
        return
    for field in ("first_name", "last_name"):
        if profile.get(field) and not getattr(user, field):
            setattr(user, field, profile[field][:150])
    for field in ("company", "location", "avatar_url"):
        if profile.get(field):
            setattr(user, field, profile[field])
