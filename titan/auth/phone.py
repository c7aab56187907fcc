"""Signing in with a phone number and a texted 4-digit code (signing up on first use)."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from titan.auth.invites import invite_only, invite_only_launch
from titan.auth.models import PhoneCode
from titan.common.exceptions import Conflict, InvalidInput, Unauthorized, Unavailable
from titan.common.transactions import commit, rollback
from titan.common.types import utcnow
from titan.extensions import db
from titan.integrations import sms
from titan.integrations.http import OutboundError
from titan.members.accounts import DuplicateUser, create_user
from titan.members.codes import resolve_referral_code
from titan.members.models import User
from titan.members.referrals import credit_referral, new_user_referred, referral_of_new_user

CODE_DEAD = "Code expired, request a new one"
SMS_RETRY_SECONDS = 5


def code_hash(phone, code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def send_phone_code(phone):
    """Make and text a fresh 4-digit code (replacing any earlier one); returns (code, seconds)."""
    lifetime = timedelta(minutes=current_app.config["AUTH_CODE_EXPIRES_MINUTES"])
    code = f"{secrets.randbelow(10_000):04d}"
    db.session.execute(delete(PhoneCode).where(PhoneCode.phone == phone))
    db.session.add(
        PhoneCode(
            phone=phone,
            code_hash=code_hash(phone, code),
            expires_at=utcnow() + lifetime,
            attempts_left=current_app.config["AUTH_CODE_ATTEMPTS"],
        )
    )
    try:
        db.session.flush()
        sms.send_sms(phone, f"Your Titan code is {code}. It expires in {int(lifetime.total_seconds() // 60)} minutes.")
        commit()
    except OutboundError:
        rollback()
        raise Unavailable(
            "sms_unavailable", "Could not send the code; try again shortly.", retry_after=SMS_RETRY_SECONDS
        ) from None
    except IntegrityError:
        rollback()
        raise Conflict(
            "code_being_sent", "A code is being sent to this number; wait a moment.", field="phone"
        ) from None
    return code, int(lifetime.total_seconds())


def check_phone_code(phone, code):
    """Use up the phone's code if `code` matches; a wrong guess costs one of its attempts."""
    entry = db.session.scalar(select(PhoneCode).where(PhoneCode.phone == phone).with_for_update())
    if entry is None or entry.expires_at <= utcnow() or entry.attempts_left <= 0:
        raise InvalidInput("phone_code_dead", CODE_DEAD, field="code")
    if not hmac.compare_digest(entry.code_hash, code_hash(phone, code)):
        entry.attempts_left = PhoneCode.attempts_left - 1
        commit()
        raise InvalidInput("phone_code_wrong", "Invalid code.", field="code")
    db.session.delete(entry)


def login_with_phone(phone, code, invite_code=None):
    referrer = resolve_referral_code(invite_code) if invite_code else None
    check_phone_code(phone, code)
    user = db.session.scalar(select(User).where(User.phone == phone))
    if user is None:
        if invite_only_launch():
            commit()  # the code is used up either way
            raise invite_only()
        # The texted code proved the number: the referral counts at once.
        referral = referral_of_new_user(referrer, invite_code, proven=True) if referrer else {}
        try:
            user = create_user(phone=phone, **referral)
        except DuplicateUser:
            # The same number's first sign-in, at the same moment elsewhere, created the user.
            user = db.session.scalar(select(User).where(User.phone == phone))
        else:
            if referrer is not None:
                new_user_referred(user, referrer)
            commit()
            return user
    if not user.is_active:
        rollback()
        raise Unauthorized("account_disabled", "This account is disabled.")
    if referrer is not None and referrer.id == user.id:
        raise InvalidInput("self_referral", "You cannot use your own referral code.", field="invite_code")
    # An existing user keeps their referrer; an invite only counts for someone without one.
    if referrer is not None and user.referred_by_id is None:
        credit_referral(user, referrer, invite_code, proven=True, field="invite_code")
    commit()
    return user
