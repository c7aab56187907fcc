"""Admitting the next members in position order."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from titan.common.transactions import after_commit, commit
from titan.common.types import utcnow
from titan.extensions import db
from titan.members import ranking
from titan.members.admitting import admit
from titan.members.models import REFERRAL_PENDING, WAITLIST_WAITING, User


def admit_next(count):
    """Admit the next `count` waiting users in position order; returns them. With
    EMAIL_CONFIRMATION on, only confirmed members are admitted: the others keep their place."""
    candidates = ranking.in_position_order(select(User.id))
    if current_app.config["EMAIL_CONFIRMATION"]:
        candidates = candidates.where(User.email_confirmed_at.is_not(None))
    candidates = candidates.limit(count).with_for_update(skip_locked=True)
    ids = list(db.session.scalars(candidates))
    if not ids:
        return []
    admitted = admit(ids)
    commit()
    return admitted


def prune_unconfirmed():
    """Remove waiting members who never confirmed their address within WAITLIST_UNCONFIRMED_DAYS
    (and have no account: no password, no phone), freeing their addresses. Returns how many went."""
    cutoff = utcnow() - timedelta(days=current_app.config["WAITLIST_UNCONFIRMED_DAYS"])
    removed = db.session.execute(
        delete(User)
        .where(
            User.waitlist_status == WAITLIST_WAITING,
            User.email_confirmed_at.is_(None),
            User.joined_waitlist_at < cutoff,
            User.password_hash.is_(None),
            User.phone.is_(None),
        )
        .returning(User.id, User.invite_code, User.referred_by_id, User.referral_state)
        .execution_options(synchronize_session=False)
    ).all()
    gone = [(row.id, row.invite_code) for row in removed]
    after_commit(lambda: ranking.record_removed(gone))
    for row in removed:
        if row.referral_state == REFERRAL_PENDING and row.referred_by_id is not None:
            after_commit(lambda referrer_id=row.referred_by_id: ranking.record_pending_referral(referrer_id, -1))
    commit()
    return len(gone)
