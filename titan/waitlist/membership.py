"""Joining the waitlist and looking members up."""

from typing import NamedTuple

from sqlalchemy import select

from titan.common.codes import normalise_code
from titan.common.exceptions import InvalidInput, NotFound, Unauthorized
from titan.common.transactions import after_commit, commit, read_only
from titan.extensions import db
from titan.jobs import enqueue
from titan.members import fraud, ranking
from titan.members.accounts import DuplicateUser, check_email_allowed, create_user, find_by_email
from titan.members.codes import resolve_referral_code
from titan.members.events import member_event
from titan.members.mail import send_activation, send_welcome
from titan.members.models import WAITLIST_ADMITTED, User
from titan.members.referrals import new_user_referred, referral_of_new_user
from titan.members.standing import (
    WaitlistMember,
    find_member,
    mask_email,
    member_of,
    stored_member_by_code,
    user_data,
)
from titan.members.throttle import may_send

EMAIL_TAKEN = "This field must be unique."
NOT_JOINED = "Join the waitlist or log in with your referral code first."


class Joined(NamedTuple):
    user: User
    member: WaitlistMember


def join_waitlist(email, code=None, client=None):
    """Put `email` on the waitlist (referred by the owner of `code`): the new user, as a member.
    `client` (where the request came from) feeds the fraud signals."""
    check_email_allowed(email)
    referrer = resolve_referral_code(code) if code else None
    referral = {}
    if referrer is not None:
        flag = fraud.referral_flag(referrer, client)
        referral = referral_of_new_user(referrer, normalise_code(code), proven=False, flag=flag)
    try:
        user = create_user(email=email, waitlist=True, **referral, **fraud.join_columns(client))
    except DuplicateUser:
        raise InvalidInput("email_taken", EMAIL_TAKEN, field="email") from None
    if referrer is not None:
        new_user_referred(user, referrer)
    member_event("waitlist.joined", user.id, referrer.id if referrer is not None else None)
    # The mirror learns of the new member before any job reads their standing (inline jobs run
    # among the after-commit steps); its write round trip also answers the new standing.
    standing = []
    after_commit(lambda: standing.append(ranking.record_joined(user)))
    enqueue(send_welcome, user_id=user.id)
    commit()
    return Joined(user, member_of(user, standing[0] if standing else None, pending_referrals=0))


def session_member(user_id):
    """The member a waitlist session points at (`user_id` None: nobody signed in)."""
    if user_id is not None:
        read_only()
        member = find_member(User.id == user_id)
        if member is not None:
            return member
    raise Unauthorized("not_joined", NOT_JOINED)


def member_detail(email=None, code=None, session_user_id=None):
    """User data plus the address of the member matching `email` and/or `code` (both must match
    when both are given). Found by code alone, the address is masked unless `session_user_id` is
    that member's, proven by an emailed link (the caller passes None for a session that only
    knew a code)."""
    if email is None and code is None:
        raise InvalidInput("nothing_to_look_up", "Give an email or a code.")
    member = None
    if email is not None:
        user = find_by_email(email)
        if user is None:
            raise user_not_found()
        member = member_of(user)
    if code is not None:
        owner = stored_member_by_code(code)
        if member is not None and owner.id != member.id:
            raise user_not_found()
        member = owner
    reveal = email is not None or session_user_id == member.id
    shown = member.email if reveal or not member.email else mask_email(member.email)
    return {**user_data(member), "email": shown}


def user_not_found():
    return NotFound("user_not_found", "User not found")


def send_activation_link(user_id):
    """Mail an admitted member without a password the link that sets one (throttled per address)."""
    user = db.session.scalar(select(User).where(User.id == user_id, User.is_active.is_(True)).with_for_update())
    waiting_for_a_password = user is not None and user.email and not user.password_hash
    if waiting_for_a_password and user.waitlist_status == WAITLIST_ADMITTED and may_send(user.email, "activation"):
        enqueue(send_activation, user_id=user.id)
    commit()
