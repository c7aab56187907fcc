"""Referral codes users create: one active at a time, with an expiry; deleting one revokes it."""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from titan.common.codes import generate_code, normalise_code
from titan.common.exceptions import Conflict, InvalidInput, NotFound
from titan.common.pagination import paginate
from titan.common.transactions import after_commit, commit, rollback
from titan.common.types import utcnow
from titan.extensions import db
from titan.members.codes import code_in_use, code_not_found, forget_cached_code
from titan.members.models import CODE_ACTIVE, CODE_EXPIRED, CODE_REVOKED, ReferralCode
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
    now = utcnow()
    if expires_at <= now:
        raise InvalidInput("expires_in_past", "Expires time less than current time", field="expires_at")
    if active_code(user) is not None:
        raise Conflict("active_code_exists", ONE_ACTIVE_CODE)
    # An active code that has run out no longer blocks the partial unique index.
    db.session.execute(
        update(ReferralCode)
        .where(ReferralCode.owner_id == user.id, ReferralCode.status == CODE_ACTIVE, ReferralCode.expires_at <= now)
        .values(status=CODE_EXPIRED)
        .execution_options(synchronize_session=False, **{lookup.HANDLED: True})
    )
    lookup.forget_after_commit(db.session(), user.email_identity)
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
                raise Conflict("active_code_exists", ONE_ACTIVE_CODE) from None
            continue
        after_commit(lambda taken=candidate: forget_cached_code(taken))
        commit()
        return referral
    rollback()
    raise Conflict("code_taken", "This code is already taken.", field="code")


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
