"""A waitlist member with their standing: the one shape every waitlist answer is made of, however
it was read (the Redis mirror, the database, or a user just created)."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from titan.common.codes import normalise_code
from titan.common.exceptions import NotFound
from titan.common.transactions import read_only
from titan.common.urls import public_base_url
from titan.extensions import db
from titan.members import ranking
from titan.members.codes import cached_referral_code_owner_id
from titan.members.milestones import next_milestone
from titan.members.models import REFERRAL_PENDING, User

Friend = aliased(User)
# Friends who joined with the user's code and have not confirmed yet (an index range on referred_by_id).
PENDING_REFERRALS = (
    select(func.count())
    .select_from(Friend)
    .where(Friend.referred_by_id == User.id, Friend.referral_state == REFERRAL_PENDING)
    .scalar_subquery()
)
# The columns a standing needs, read in one indexed query (no ORM object, so always fresh).
MEMBER_COLUMNS = (
    User.id,
    User.email,
    User.invite_code,
    User.referral_count,
    User.waitlist_status,
    User.waitlist_boost,
    User.email_confirmed_at,
    PENDING_REFERRALS.label("pending_referrals"),
)


@dataclass(frozen=True, slots=True)
class WaitlistMember:
    id: int
    invite_code: str
    referral_count: int
    waitlist_status: str | None
    position: int | None
    total_registered: int
    email_confirmed: bool
    pending_referrals: int
    # Known when the member was read from the database (the Redis mirror keeps no addresses).
    email: str | None = None


def member_of(user, standing=None, pending_referrals=None):
    """`user` (a User or a row of MEMBER_COLUMNS) with their standing (`standing` when already known;
    `pending_referrals` too: a user just created has none)."""
    position, total = standing if standing is not None else ranking.standing(user)
    if pending_referrals is None:
        pending_referrals = getattr(user, "pending_referrals", None)
    if pending_referrals is None:
        pending_referrals = db.session.scalar(select(PENDING_REFERRALS).where(User.id == user.id))
    return WaitlistMember(
        id=user.id,
        invite_code=user.invite_code,
        referral_count=user.referral_count,
        waitlist_status=user.waitlist_status,
        position=position,
        total_registered=total,
        email_confirmed=user.email_confirmed_at is not None,
        pending_referrals=pending_referrals,
        email=user.email,
    )


def find_member(*conditions):
    """The active user matching `conditions`, as a member, or None."""
    row = db.session.execute(select(*MEMBER_COLUMNS).where(User.is_active.is_(True), *conditions)).first()
    return member_of(row) if row else None


def member_by_id(user_id):
    return find_member(User.id == user_id)


def member_by_code(code):
    """The owner of a code, read-only: from the Redis mirror when it knows the invite code (one
    round trip, no query), else from the database (`stored_member_by_code`). Raises NotFound, or
    InvalidInput for an expired or revoked referral code."""
    code = normalise_code(code)
    mirrored = ranking.look_up_invite_code(code)
    if mirrored is not None:
        position, total = mirrored.standing
        return WaitlistMember(
            id=mirrored.id,
            invite_code=code,
            referral_count=mirrored.referral_count,
            waitlist_status=mirrored.waitlist_status,
            position=position,
            total_registered=total,
            email_confirmed=mirrored.email_confirmed,
            pending_referrals=mirrored.pending_referrals,
        )
    return stored_member_by_code(code)


def stored_member_by_code(code):
    """The owner of a code from the database (with their address): an invite code (permanent) is
    one indexed query; a referral code (which may expire or be revoked) goes through the cached
    look-up first."""
    read_only()
    code = normalise_code(code)
    found = find_member(User.invite_code == code) or find_member(User.id == cached_referral_code_owner_id(code))
    if found is None:
        raise NotFound("user_not_found", "User not found")
    return found


def referral_url(invite_code):
    return f"{public_base_url()}/r/{invite_code}"


def user_data(member):
    """The user data object of the waitlist contract."""
    return {
        "referral_count": member.referral_count,
        "referral_code": member.invite_code,
        "wait_list_position": member.position,
        "total_registered": member.total_registered,
        "referral_url": referral_url(member.invite_code),
        "email_confirmed": member.email_confirmed,
        "pending_referrals": member.pending_referrals,
        "next_milestone": next_milestone(member.referral_count),
    }


def mask_email(email):
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
