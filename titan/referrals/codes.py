"""Referral codes users create: one active at a time, with an expiry; deleting one revokes it."""

import functools

from sqlalchemy import bindparam, select, update

from titan.common.codes import generate_code, normalise_code
from titan.common.exceptions import Conflict, InvalidInput, NotFound
from titan.common.pagination import paginate
from titan.common.transactions import after_commit, commit, rollback
from titan.common.types import utcnow
from titan.extensions import db
from titan.members.codes import code_not_found, forget_cached_code, insert_with_free_code
from titan.members.models import CODE_ACTIVE, CODE_EXPIRED, CODE_REVOKED, ReferralCode, User
from titan.referrals import lookup

GENERATED_CODE_ATTEMPTS = 10
ONE_ACTIVE_CODE = "You already have an active referral code; delete it first."


def active_code(user):
    return db.session.scalar(
        select(ReferralCode).where(
            ReferralCode.owner_id == user.id, ReferralCode.status == CODE_ACTIVE, ReferralCode.expires_at > utcnow()
        )
    )


def require_active_code(user):
    code = active_code(user)
    if code is None:
        raise NotFound("no_active_code", "You have no active referral code.")
    return code


def create_referral_code(user, expires_at, code=None):
    """One statement on the way that succeeds: the insert, which adds nothing when the code is
    taken (by any code, an invite code too) or the user already has an active code. Only then does
    a query say which, and an active code that has run out is marked expired and the code tried again."""
    now = utcnow()
    if expires_at <= now:
        raise InvalidInput("expires_in_past", "Expires time less than current time", field="expires_at")
    lookup.forget_after_commit(db.session(), user.email_identity)
    attempts = 1 if code else GENERATED_CODE_ATTEMPTS
    candidate = code or generate_code()
    while attempts:
        referral = insert_code(user.id, candidate, expires_at, now)
        if referral is not None:
            after_commit(lambda taken=candidate: forget_cached_code(taken))
            commit()
            return referral
        active_until = db.session.scalar(ACTIVE_UNTIL, {"owner_id": user.id})
        if active_until is None:  # the code is taken: the next one
            attempts -= 1
            candidate = generate_code()
        elif active_until > now:
            rollback()
            raise Conflict("active_code_exists", ONE_ACTIVE_CODE)
        else:
            expire_run_out_codes(user.id, now)  # then the same code again
    rollback()
    raise Conflict("code_taken", "This code is already taken.", field="code")


def expire_run_out_codes(owner_id, now):
    """An active code that has run out no longer blocks the partial unique index."""
    db.session.execute(
        update(ReferralCode)
        .where(ReferralCode.owner_id == owner_id, ReferralCode.status == CODE_ACTIVE, ReferralCode.expires_at <= now)
        .values(status=CODE_EXPIRED)
        .execution_options(synchronize_session=False, **{lookup.HANDLED: True})
    )


# When the user's active code (if any) expires.
ACTIVE_UNTIL = select(ReferralCode.expires_at).where(
    ReferralCode.owner_id == bindparam("owner_id"), ReferralCode.status == CODE_ACTIVE
)
NEW_CODE_COLUMNS = ("owner_id", "code", "expires_at", "status", "created_at")


@functools.cache
def code_insert(dialect_name):
    """The new code's INSERT, unless some user's invite code is that code; built once per dialect."""
    return insert_with_free_code(dialect_name, ReferralCode, NEW_CODE_COLUMNS, User.invite_code == bindparam("code"))


def insert_code(owner_id, code, expires_at, now):
    """The new active code, or None when nothing was inserted."""
    values = {"owner_id": owner_id, "code": code, "expires_at": expires_at, "status": CODE_ACTIVE, "created_at": now}
    statement = code_insert(db.session.get_bind().dialect.name)
    return db.session.scalars(statement, values, execution_options={lookup.HANDLED: True}).first()


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
        raise code_not_found()
    if referral.status == CODE_ACTIVE:
        referral.status = CODE_REVOKED
        referral.revoked_at = utcnow()
    after_commit(lambda: forget_cached_code(code))
    commit()
