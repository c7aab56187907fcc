"""Who a user referred."""

from sqlalchemy import select

from titan.common.exceptions import NotFound
from titan.common.pagination import paginate
from titan.extensions import db
from titan.members.models import User


def referrals_of(referrer_id, viewer, page, per_page):
    """The users `referrer_id` referred; email and phone only for the referrer themself or an admin."""
    if db.session.get(User, referrer_id) is None:
        raise NotFound("referrer_not_found", "Referrer not found")
    statement = select(User).where(User.referred_by_id == referrer_id).order_by(User.created_at, User.id)
    result = paginate(statement, page, per_page)
    if viewer.id != referrer_id and not viewer.is_admin:
        result["items"] = [{"id": u.id, "username": u.username, "created_at": u.created_at} for u in result["items"]]
    return result
