"""Admitting the next members in position order."""

from sqlalchemy import select, update

from titan.common.transactions import after_commit, commit
from titan.common.types import utcnow
from titan.extensions import db
from titan.jobs import enqueue_many
from titan.members import ranking
from titan.members.mail import send_admitted
from titan.members.models import WAITLIST_ADMITTED, User


def admit_next(count):
    """Admit the next `count` waiting users in position order; returns them."""
    candidates = ranking.in_position_order(select(User.id)).limit(count).with_for_update(skip_locked=True)
    ids = list(db.session.scalars(candidates))
    if not ids:
        return []
    db.session.execute(
        update(User)
        .where(User.id.in_(ids))
        .values(waitlist_status=WAITLIST_ADMITTED, admitted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    admitted = list(
        db.session.scalars(
            select(User).where(User.id.in_(ids)).order_by(User.id).execution_options(populate_existing=True)
        )
    )
    after_commit(lambda: ranking.record_admitted(ids))
    enqueue_many(send_admitted, [{"user_id": user.id} for user in admitted if user.email])
    commit()
    return admitted
