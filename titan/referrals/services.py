"""The waitlist and referral rules: who referred whom, codes, positions, admission."""

import logging
from datetime import datetime, timezone
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from titan.auth.accounts import DuplicateUser, check_email_allowed, code_in_use, create_user
from titan.auth.models import WAITLIST_ADMITTED, User
from titan.common.codes import generate_code, normalise_code
from titan.common.exceptions import Conflict, InvalidInput, NotFound, Unauthorized
from titan.common.identity import email_identity
from titan.common.pagination import paginate
from titan.common.transactions import after_commit, commit, read_only, rollback
from titan.common.types import utcnow
from titan.common.urls import public_base_url
from titan.extensions import cache, db
from titan.integrations.mail import send_mail
from titan.referrals import ranking
from titan.referrals.models import CODE_ACTIVE, CODE_EXPIRED, CODE_REVOKED, ReferralCode

log = logging.getLogger(__name__)

CODE_NOT_FOUND = "Referral code not found"
CODE_EXPIRED_MESSAGE = "Referral code has expired"
EMAIL_NOT_UNIQUE = "This field must be unique."
GENERATED_CODE_ATTEMPTS = 10


# --- codes -----------------------------------------------------------------------------------


def resolve_referral_code(code):
    """The user a code refers to, checked against the database (every write path uses this).

    An invite code never expires; a referral code must be active and unexpired.
    """
    code = normalise_code(code)
    owner = db.session.scalar(select(User).where(User.invite_code == code, User.is_active.is_(True)))
    if owner is not None:
        return owner
    referral = db.session.execute(
        select(ReferralCode, User).join(User, ReferralCode.owner_id == User.id).where(ReferralCode.code == code)
    ).first()
    if referral is None or not referral.User.is_active:
        raise NotFound(CODE_NOT_FOUND)
    if not referral.ReferralCode.is_active_at(utcnow()):
        raise InvalidInput(CODE_EXPIRED_MESSAGE)
    return referral.User


def code_cache_key(code):
    return f"referral-code:{code}"


def cached_referral_code_owner_id(code):
    """Read-only look-ups of a referral code go through the cache; writes never do.

    The cache holds where a code points and until when; a revoked code is dropped from it at once
    (shared by every worker when the cache is Redis). Raises NotFound or InvalidInput (expired).
    """
    key = code_cache_key(code)
    entry = cache.get(key)
    if entry is None:
        row = db.session.execute(
            select(ReferralCode.owner_id, ReferralCode.expires_at, ReferralCode.status).where(ReferralCode.code == code)
        ).first()
        entry = (
            {"owner_id": row.owner_id, "expires_at": row.expires_at.timestamp(), "active": row.status == CODE_ACTIVE}
            if row
            else {"owner_id": None}
        )
        cache.set(key, entry, timeout=current_app.config["REFERRAL_CODE_CACHE_SECONDS"])
    if entry["owner_id"] is None:
        raise NotFound(CODE_NOT_FOUND)
    if not entry["active"] or datetime.fromtimestamp(entry["expires_at"], timezone.utc) <= utcnow():
        raise InvalidInput(CODE_EXPIRED_MESSAGE)
    return entry["owner_id"]


def would_form_cycle(user_id, referrer_id):
    """Is `user_id` the referrer or one of the referrer's own referrers, however far up?"""
    chain = select(User.id, User.referred_by_id).where(User.id == referrer_id).cte("chain", recursive=True)
    parent = aliased(User)
    chain = chain.union(select(parent.id, parent.referred_by_id).join(chain, parent.id == chain.c.referred_by_id))
    return db.session.scalar(select(literal(True)).select_from(chain).where(chain.c.id == user_id).limit(1)) is not None


def credit_referral(user, referrer, code, *, new_user, field="invited_by_code"):
    """Record that `referrer` brought `user`: set once, never self, never a cycle.

    Counts the referral for the referrer (moving them up the waitlist) and, after commit,
    updates the ranking and tells the referrer. `field` names the input that carried the code.
    """
    if referrer.id == user.id:
        raise InvalidInput("You cannot use your own referral code.", field=field)
    if not new_user:
        lock_referral_graph()
        if would_form_cycle(user.id, referrer.id):
            raise InvalidInput("This code belongs to someone you referred.", field=field)
        claimed = db.session.execute(
            update(User)
            .where(User.id == user.id, User.referred_by_id.is_(None))
            .values(referred_by_id=referrer.id, signup_code=code)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            raise InvalidInput("Your referrer is already set.", field=field)
    user.referred_by_id = referrer.id
    user.signup_code = code
    boost = current_app.config["WAITLIST_REFERRAL_BOOST"]
    db.session.execute(
        update(User)
        .where(User.id == referrer.id)
        .values(referral_count=User.referral_count + 1, waitlist_boost=User.waitlist_boost + boost)
        .execution_options(synchronize_session=False)
    )
    referrer_id, referrer_email = referrer.id, referrer.email
    after_commit(lambda: ranking.record_referral(referrer_id, boost))
    if referrer_email:
        after_commit(lambda: notify_referrer(referrer_id, user))


def lock_referral_graph():
    """Serialise referrer changes of existing users, so two of them cannot close a cycle at once."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(73_110_001)))


def notify_referrer(referrer_id, new_member):
    referrer = db.session.get(User, referrer_id)
    if referrer is None or not referrer.email:
        return
    send_mail(
        referrer.email,
        "referrer_notified",
        referrer=referrer,
        friend=mask_email(new_member.email) if new_member.email else "A friend",
        data=user_data(referrer),
    )


# --- waitlist --------------------------------------------------------------------------------


def referral_url(user):
    return f"{public_base_url()}/r/{user.invite_code}"


def user_data(user, standing=None):
    """The user data object of the waitlist contract (`standing` when it is already known)."""
    if standing is None:
        standing = user.standing if isinstance(user, ranking.MirroredUser) else ranking.standing(user)
    position, total = standing
    return {
        "referral_count": user.referral_count,
        "referral_code": user.invite_code,
        "wait_list_position": position,
        "total_registered": total,
        "referral_url": referral_url(user),
    }


def mask_email(email):
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


class Joined(NamedTuple):
    user: User
    data: dict


def join_waitlist(email, code=None):
    """Put `email` on the waitlist (referred by the owner of `code`): the new user and their user data."""
    check_email_allowed(email)
    referrer = resolve_referral_code(code) if code else None
    try:
        user = create_user(email=email, waitlist=True)
    except DuplicateUser:
        raise InvalidInput(EMAIL_NOT_UNIQUE, field="email") from None
    if referrer is not None:
        credit_referral(user, referrer, normalise_code(code), new_user=True)
    commit()
    data = user_data(user, ranking.record_joined(user))
    send_mail(user.email, "welcome", user=user, data=data)
    return Joined(user, data)


class WaitlistCard(NamedTuple):
    """What the read-only waitlist look-ups need of a user: one indexed query's columns."""

    id: int
    email: str | None
    invite_code: str
    referral_count: int
    waitlist_status: str | None
    waitlist_boost: int


def waitlist_card(*conditions):
    row = db.session.execute(
        select(*(getattr(User, field) for field in WaitlistCard._fields)).where(User.is_active.is_(True), *conditions)
    ).first()
    return WaitlistCard(*row) if row else None


def get_session_user(user_id):
    read_only()
    card = waitlist_card(User.id == user_id)
    if card is None:
        raise Unauthorized("Join the waitlist or log in with your referral code first.")
    return card


def user_by_code(code):
    """The owner of a code, read-only, with their standing: from the Redis mirror when it knows
    the invite code (one round trip, no query), else from the database (`card_by_code`)."""
    code = normalise_code(code)
    return ranking.look_up_invite_code(code) or card_by_code(code)


def card_by_code(code):
    """The owner's card from the database: an invite code (permanent) is one indexed query; a
    referral code (which may expire or be revoked) goes through the cached look-up first."""
    read_only()
    code = normalise_code(code)
    card = waitlist_card(User.invite_code == code)
    if card is None:
        card = waitlist_card(User.id == cached_referral_code_owner_id(code))
    if card is None:
        raise NotFound("User not found")
    return card


def find_waitlist_user(email=None, code=None):
    """The user matching an email and/or a code (both must match when both are given)."""
    if email is None and code is None:
        raise InvalidInput("Give an email or a code.")
    user = None
    if email is not None:
        user = db.session.scalar(
            select(User).where(User.email_identity == email_identity(email), User.is_active.is_(True))
        )
        if user is None:
            raise NotFound("User not found")
    if code is not None:
        owner = card_by_code(code)
        if user is not None and owner.id != user.id:
            raise NotFound("User not found")
        user = owner
    return user


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
    for user in admitted:
        if user.email:
            after_commit(lambda user=user: send_mail(user.email, "admitted", user=user))
    commit()
    return admitted


# --- user-created referral codes --------------------------------------------------------------


def active_code(user):
    return db.session.scalar(
        select(ReferralCode).where(
            ReferralCode.owner_id == user.id, ReferralCode.status == CODE_ACTIVE, ReferralCode.expires_at > utcnow()
        )
    )


def require_active_code(user):
    code = active_code(user)
    if code is None:
        raise NotFound("You have no active referral code.")
    return code


def create_referral_code(user, expires_at, code=None):
    now = utcnow()
    if expires_at <= now:
        raise InvalidInput("Expires time less than current time", field="expires_at")
    if active_code(user) is not None:
        raise Conflict("You already have an active referral code; delete it first.")
    # An active code that has run out no longer blocks the partial unique index.
    db.session.execute(
        update(ReferralCode)
        .where(ReferralCode.owner_id == user.id, ReferralCode.status == CODE_ACTIVE, ReferralCode.expires_at <= now)
        .values(status=CODE_EXPIRED)
        .execution_options(synchronize_session=False)
    )
    candidates = [code] if code else [generate_code() for _ in range(GENERATED_CODE_ATTEMPTS)]
    for candidate in candidates:
        if code_in_use(candidate):
            continue
        referral = ReferralCode(owner_id=user.id, code=candidate, expires_at=expires_at, status=CODE_ACTIVE)
        try:
            with db.session.begin_nested():
                db.session.add(referral)
                db.session.flush()
        except IntegrityError as error:
            if "owner_id" in str(error.orig).lower() or "one_active" in str(error.orig).lower():
                rollback()
                raise Conflict("You already have an active referral code; delete it first.") from None
            continue
        after_commit(lambda key=code_cache_key(candidate): cache.delete(key))
        commit()
        return referral
    rollback()
    raise Conflict("This code is already taken.", field="code")


def list_referral_codes(user, page, per_page):
    statement = (
        select(ReferralCode)
        .where(ReferralCode.owner_id == user.id)
        .order_by(ReferralCode.created_at.desc(), ReferralCode.id.desc())
    )
    return paginate(statement, page, per_page)


def revoke_referral_code(user, code):
    code = normalise_code(code)
    referral = db.session.scalar(
        select(ReferralCode).where(ReferralCode.code == code, ReferralCode.owner_id == user.id)
    )
    if referral is None:
        raise NotFound(CODE_NOT_FOUND)
    if referral.status == CODE_ACTIVE:
        referral.status = CODE_REVOKED
        referral.revoked_at = utcnow()
    after_commit(lambda: cache.delete(code_cache_key(code)))
    commit()


def lookup_code_by_email(email):
    """The user's active referral code, else their invite code (which never expires)."""
    user = db.session.scalar(
        select(User).where(User.email_identity == email_identity(email), User.is_active.is_(True))
    )
    if user is None:
        raise NotFound("User not found")
    referral = active_code(user)
    if referral is not None:
        return {"code": referral.code, "expires_at": referral.expires_at}
    return {"code": user.invite_code, "expires_at": None}


def referrals_of(referrer_id, viewer, page, per_page):
    """The users `referrer_id` referred; email and phone only for the referrer themself or an admin."""
    if db.session.get(User, referrer_id) is None:
        raise NotFound("Referrer not found")
    statement = select(User).where(User.referred_by_id == referrer_id).order_by(User.created_at, User.id)
    result = paginate(statement, page, per_page)
    if viewer.id != referrer_id and not viewer.is_admin:
        result["items"] = [{"id": u.id, "username": u.username, "created_at": u.created_at} for u in result["items"]]
    return result
