"""Admitting members: they leave the ranking, and each gets the "you're in" email with the link that
sets a password. The waitlist's Admit (in position order) and the early-access milestone both come
here."""

from sqlalchemy import select, update

from titan.common.transactions import after_commit
from titan.common.types import utcnow
from titan.extensions import db
from titan.jobs import enqueue_many
from titan.members import ranking
from titan.members.events import member_event
from titan.members.mail import send_admitted
from titan.members.models import WAITLIST_ADMITTED, WAITLIST_WAITING, User


def admit(ids):
    """Admit the waiting users among `ids` (in this transaction); returns them, by id."""
    admitted_ids = list(
        db.session.scalars(
            update(User)
            .where(User.id.in_(ids), User.waitlist_status == WAITLIST_WAITING)
            .values(waitlist_status=WAITLIST_ADMITTED, admitted_at=utcnow())
            .returning(User.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not admitted_ids:
        return []
    admitted = list(
        db.session.scalars(
            select(User).where(User.id.in_(admitted_ids)).order_by(User.id).execution_options(populate_existing=True)
        )
    )
    after_commit(lambda: ranking.record_admitted(admitted_ids))
    enqueue_many(send_admitted, [{"user_id": user.id} for user in admitted if user.email])
    for user in admitted:
        member_event("waitlist.admitted", user.id)
    return admitted
