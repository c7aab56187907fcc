"""Proving an address: the link in the welcome, registration or address-change email."""

from sqlalchemy import update

from titan.common.contacts import email_identity
from titan.common.exceptions import Conflict
from titan.common.transactions import after_commit
from titan.common.types import utcnow
from titan.extensions import db
from titan.jobs import enqueue
from titan.members import links, ranking
from titan.members.accounts import TAKEN_MESSAGES, email_taken
from titan.members.events import member_event
from titan.members.mail import send_confirmation
from titan.members.models import User
from titan.members.referrals import count_pending_referral
from titan.members.throttle import may_send


def is_proven(user):
    """Has the user proven who they are: their address, or (without one) their phone by its code."""
    return user.email_confirmed_at is not None or (user.email is None and user.phone is not None)


def confirm_address(token):
    """Use a confirmation link: `(user, already)`, where `already` says it was confirmed before.

    The user's own address is confirmed (and their pending referral counts); a new address they
    asked for replaces the old one, if nobody else took it meanwhile."""
    user, address = links.read_link(token, links.CONFIRM, lock=True)
    if address != user.email:  # the new address the user asked for (read_link checked it)
        if email_taken(address, exclude_user_id=user.id):
            raise Conflict("address_taken_meanwhile", TAKEN_MESSAGES["email"], field="email")
        user.email, user.email_identity, user.pending_email = address, email_identity(address), None
        user.email_confirmed_at = utcnow()
        return user, False
    return user, not prove_address(user)


def prove_address(user):
    """A link mailed to the user's address was used: the address is proven, and a pending referral
    of theirs counts. Only one of two simultaneous uses changes the row (the other finds it
    confirmed): answers whether this one did."""
    confirmed = db.session.execute(
        update(User)
        .where(User.id == user.id, User.email == user.email, User.email_confirmed_at.is_(None))
        .values(email_confirmed_at=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not confirmed:
        return False
    if user.waitlist_status is not None:
        user_id = user.id
        after_commit(lambda: ranking.record_confirmed(user_id))
        member_event("waitlist.confirmed", user_id)
    count_pending_referral(user)
    return True


def send_confirmation_link(user, address):
    """Queue a confirmation link to `address` unless the per-address throttle says no."""
    if may_send(address, "confirm"):
        enqueue(send_confirmation, user_id=user.id, address=address)
