"""Who a user referred."""

from sqlalchemy import bindparam, func, select

from titan.common.exceptions import NotFound
from titan.common.pagination import counted, dumped_page, iso
from titan.extensions import db
from titan.members.models import User

# Built once (building a statement costs more than running it): Core statements, no ORM objects,
# dumped as ReferredUserSchema dumps a user (tests/test_referral_codes.py checks they agree).
users = User.__table__.c
REFERRED = users.referred_by_id == bindparam("referrer_id")
REFERRED_COUNT = select(func.count()).select_from(User.__table__).where(REFERRED)
REFERRED_ROWS = (
    counted(
        select(users.id, users.username, users.created_at, users.email, users.phone)
        .where(REFERRED)
        .order_by(users.created_at, users.id),
        REFERRED_COUNT,
    )
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
REFERRER_EXISTS = select(users.id).where(users.id == bindparam("referrer_id"))


def referred_user_with_contacts(row):
    return {"id": row[0], "username": row[1], "created_at": iso(row[2]), "email": row[3], "phone": row[4]}


def referred_user(row):
    return {"id": row[0], "username": row[1], "created_at": iso(row[2])}


def referrals_of(referrer_id, viewer, page, per_page):
    """The users `referrer_id` referred; email and phone only for the referrer themself or an admin."""
    own = viewer.id == referrer_id
    if not own and db.session.scalar(REFERRER_EXISTS, {"referrer_id": referrer_id}) is None:
        raise NotFound("referrer_not_found", "Referrer not found")
    item = referred_user_with_contacts if own or viewer.is_admin else referred_user
    return dumped_page(REFERRED_COUNT, REFERRED_ROWS, {"referrer_id": referrer_id}, page, per_page, item)
