"""Who referred whom: set at most once, never oneself, never a cycle. A referral counts (moves the
referrer up and tells them by email) once the friend has proven their address, or at once with
`EMAIL_CONFIRMATION` off, or for a friend who signed in by phone (the texted code proved the number)."""

from flask import current_app
from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from titan.common.exceptions import InvalidInput
from titan.common.transactions import after_commit
from titan.common.types import utcnow
from titan.extensions import db
from titan.jobs import enqueue
from titan.members import ranking
from titan.members.events import member_event
from titan.members.mail import send_referrer_notified
from titan.members.models import REFERRAL_COUNTED, REFERRAL_PENDING, REFERRAL_SUSPECT, User
from titan.members.rewards import reach_milestone

REFERRAL_GRAPH_LOCK = 73_110_001


def counts_at_once(*, proven):
    """Does a referral count now? `proven`: the friend's address (or phone) is proven already."""
    return proven or not current_app.config["EMAIL_CONFIRMATION"]


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


def referral_of_new_user(referrer, code, *, proven, flag=None):
    """The columns of a new user referred by `referrer` (set in the INSERT that creates them); a
    fraud signal's `flag` makes the referral suspect (titan.members.fraud)."""
    if flag is not None:
        return {
            "referred_by_id": referrer.id,
            "signup_code": code,
            "referral_state": REFERRAL_SUSPECT,
            "referral_flag": flag,
        }
    state = REFERRAL_COUNTED if counts_at_once(proven=proven) else REFERRAL_PENDING
    return {"referred_by_id": referrer.id, "signup_code": code, "referral_state": state}


def new_user_referred(user, referrer):
    """After inserting `user` with `referral_of_new_user`: count the referral, or note it pending."""
    if user.referral_state == REFERRAL_COUNTED:
        count_referral(referrer, user.id, was_pending=False)
    elif user.referral_state == REFERRAL_PENDING:
        referrer_id = referrer.id
        after_commit(lambda: ranking.record_pending_referral(referrer_id))


def credit_referral(user, referrer, code, *, proven, field="invited_by_code"):
    """Record that `referrer` brought the existing `user`: set once, never self, never a cycle.
    `field` names the input that carried the code."""
    if referrer.id == user.id:
        raise InvalidInput("self_referral", "You cannot use your own referral code.", field=field)
    lock_referral_graph()
    if would_form_cycle(user.id, referrer.id):
        raise InvalidInput("referral_cycle", "This code belongs to someone you referred.", field=field)
    values = referral_of_new_user(referrer, code, proven=proven)
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id, User.referred_by_id.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise referrer_already_set(field)
    for name, value in values.items():
        set_committed_value(user, name, value)  # written by the UPDATE above: nothing to flush
    new_user_referred(user, referrer)


def referrer_already_set(field):
    return InvalidInput("referrer_already_set", "Your referrer is already set.", field=field)


def count_pending_referral(friend):
    """The friend just proved their address: their pending referral counts now (once: a second
    confirmation at the same moment finds it counted already)."""
    counted = db.session.execute(
        update(User)
        .where(User.id == friend.id, User.referral_state == REFERRAL_PENDING)
        .values(referral_state=REFERRAL_COUNTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if counted:
        referrer = db.session.get(User, friend.referred_by_id)
        if referrer is not None:
            count_referral(referrer, friend.id, was_pending=True)


def count_referral(referrer, friend_id, *, was_pending):
    """The referrer moves ahead by WAITLIST_REFERRAL_BOOST places; the mirror follows after commit,
    and the email that tells them is queued in this transaction."""
    boost = current_app.config["WAITLIST_REFERRAL_BOOST"]
    referral_count = db.session.scalar(
        update(User)
        .where(User.id == referrer.id)
        .values(
            referral_count=User.referral_count + 1,
            waitlist_boost=User.waitlist_boost + boost,
            last_referral_at=utcnow(),
        )
        .returning(User.referral_count)
        .execution_options(synchronize_session=False)
    )
    referrer_id = referrer.id
    after_commit(lambda: ranking.record_referral(referrer_id, boost, was_pending=was_pending))
    if referrer.email:
        enqueue(send_referrer_notified, referrer_id=referrer_id, friend_id=friend_id)
    member_event("referral.counted", friend_id, referrer_id)
    reach_milestone(referrer_id, referral_count)
