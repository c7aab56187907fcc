"""Who referred whom: set at most once, never oneself, never a cycle. A counted referral moves
the referrer up the waitlist and tells them by email."""

from flask import current_app
from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import aliased

from titan.common.exceptions import InvalidInput
from titan.common.transactions import after_commit
from titan.extensions import db
from titan.jobs import enqueue
from titan.members import ranking
from titan.members.mail import send_referrer_notified
from titan.members.models import User

REFERRAL_GRAPH_LOCK = 73_110_001


def would_form_cycle(user_id, referrer_id):
    """Is `user_id` the referrer or one of the referrer's own referrers, however far up?"""
    chain = select(User.id, User.referred_by_id).where(User.id == referrer_id).cte("chain", recursive=True)
    parent = aliased(User)
    chain = chain.union(select(parent.id, parent.referred_by_id).join(chain, parent.id == chain.c.referred_by_id))
    return db.session.scalar(select(literal(True)).select_from(chain).where(chain.c.id == user_id).limit(1)) is not None


def lock_referral_graph():
    """Serialise referrer changes of existing users, so two of them cannot close a cycle at once."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(REFERRAL_GRAPH_LOCK)))


def credit_referral(user, referrer, code, *, new_user, field="invited_by_code"):
    """Record that `referrer` brought `user`: set once, never self, never a cycle.

    Counts the referral for the referrer (moving them up the waitlist), queues the email that
    tells them, and after commit updates the ranking. `field` names the input that carried the code.
    """
    if referrer.id == user.id:
        raise InvalidInput("self_referral", "You cannot use your own referral code.", field=field)
    if not new_user:
        lock_referral_graph()
        if would_form_cycle(user.id, referrer.id):
            raise InvalidInput("referral_cycle", "This code belongs to someone you referred.", field=field)
        claimed = db.session.execute(
            update(User)
            .where(User.id == user.id, User.referred_by_id.is_(None))
            .values(referred_by_id=referrer.id, signup_code=code)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            raise referrer_already_set(field)
    user.referred_by_id = referrer.id
    user.signup_code = code
    boost = current_app.config["WAITLIST_REFERRAL_BOOST"]
    db.session.execute(
        update(User)
        .where(User.id == referrer.id)
        .values(referral_count=User.referral_count + 1, waitlist_boost=User.waitlist_boost + boost)
        .execution_options(synchronize_session=False)
    )
    referrer_id = referrer.id
    after_commit(lambda: ranking.record_referral(referrer_id, boost))
    if referrer.email:
        enqueue(send_referrer_notified, referrer_id=referrer_id, friend_id=user.id)


def referrer_already_set(field):
    return InvalidInput("referrer_already_set", "Your referrer is already set.", field=field)
