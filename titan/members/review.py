"""An admin's review of referrals: approve a suspect one (it then counts, or waits for the friend's
confirmation like any other), or void any referral (a counted one stops counting: the referrer's
count, boost and position are recomputed in the database and the Redis mirror). Who referred whom
is kept; a voided referral counts for nobody. Milestones already given stay given."""

from flask import current_app
from sqlalchemy import case, func, select, update

from titan.common.exceptions import InvalidInput, NotFound
from titan.common.transactions import after_commit, commit
from titan.extensions import db
from titan.members import ranking
from titan.members.models import REFERRAL_COUNTED, REFERRAL_PENDING, REFERRAL_SUSPECT, REFERRAL_VOID, User
from titan.members.referrals import count_referral, counts_at_once

SUSPECTS_SHOWN = 50


def referred_friend(friend_id):
    friend = db.session.scalar(select(User).where(User.id == friend_id).with_for_update())
    if friend is None or friend.referred_by_id is None or friend.referral_state is None:
        raise NotFound("referral_not_found", "This user was not referred by anyone.")
    return friend


def approve(friend_id):
    """A suspect referral is cleared: it counts now if the friend's address is proven (or
    confirmation is off), else once they confirm."""
    friend = referred_friend(friend_id)
    if friend.referral_state != REFERRAL_SUSPECT:
        raise InvalidInput("referral_not_suspect", "Only a suspect referral can be approved.")
    referrer = db.session.get(User, friend.referred_by_id)
    if counts_at_once(proven=friend.email_confirmed):
        friend.referral_state = REFERRAL_COUNTED
        count_referral(referrer, friend.id, was_pending=False)
    else:
        friend.referral_state = REFERRAL_PENDING
        referrer_id = referrer.id
        after_commit(lambda: ranking.record_pending_referral(referrer_id))
    commit()
    return friend


def void(friend_id):
    """Any referral stops counting (a counted one is taken back from the referrer's standing)."""
    friend = referred_friend(friend_id)
    state, referrer_id = friend.referral_state, friend.referred_by_id
    if state == REFERRAL_VOID:
        raise InvalidInput("referral_void", "This referral is void already.")
    friend.referral_state = REFERRAL_VOID
    if state == REFERRAL_COUNTED:
        boost = current_app.config["WAITLIST_REFERRAL_BOOST"]
        db.session.execute(
            update(User)
            .where(User.id == referrer_id)
            .values(
                referral_count=case((User.referral_count > 0, User.referral_count - 1), else_=0),
                waitlist_boost=case((User.waitlist_boost > boost, User.waitlist_boost - boost), else_=0),
            )
            .execution_options(synchronize_session=False)
        )
        after_commit(lambda: ranking.record_referral_voided(referrer_id, boost))
    elif state == REFERRAL_PENDING:
        after_commit(lambda: ranking.record_pending_referral(referrer_id, -1))
    commit()
    return friend


def suspect_referrals(limit=SUSPECTS_SHOWN):
    """The suspect referrals to review, oldest first: the friend, the referrer, the signal."""
    referrer = db.aliased(User)
    return db.session.execute(
        select(
            User.id,
            User.email,
            User.join_address,
            User.referral_flag,
            User.created_at,
            referrer.id.label("referrer_id"),
            referrer.email.label("referrer_email"),
        )
        .join(referrer, referrer.id == User.referred_by_id)
        .where(User.referral_state == REFERRAL_SUSPECT)
        .order_by(User.id)
        .limit(limit)
    ).all()


def suspect_count():
    return db.session.scalar(select(func.count()).select_from(User).where(User.referral_state == REFERRAL_SUSPECT))
