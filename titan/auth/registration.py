"""Registration with email and password, and the public profile Clearbit adds to it."""

import logging

from titan.common.transactions import commit
from titan.integrations import clearbit
from titan.integrations.http import OutboundError
from titan.members.accounts import (
    DuplicateUser,
    already_taken,
    check_email_allowed,
    create_user,
    email_taken,
    username_taken,
)
from titan.members.codes import resolve_referral_code
from titan.members.passwords import hash_password
from titan.members.referrals import credit_referral

log = logging.getLogger(__name__)


def register(*, email, password, username=None, first_name="", last_name="", referral_code=None):
    check_email_allowed(email)
    if email_taken(email):
        raise already_taken("email")
    if username and username_taken(username):
        raise already_taken("username")
    referrer = resolve_referral_code(referral_code) if referral_code else None
    try:
        user = create_user(
            email=email,
            username=username,
            password_hash=hash_password(password),
            first_name=first_name or "",
            last_name=last_name or "",
        )
    except DuplicateUser as duplicate:
        # Taken between the checks above and the insert, by a request at the same moment.
        raise already_taken(duplicate.field) from None
    if referrer is not None:
        credit_referral(user, referrer, referral_code, new_user=True, field="referral_code")
    enrich_profile(user)
    commit()
    return user


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
