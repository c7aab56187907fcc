"""Account rules: registration, passwords, tokens and their revocation, phone codes, profiles."""

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from jwt import PyJWTError
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from titan.auth.accounts import (
    DuplicateUser,
    check_email_allowed,
    create_user,
    duplicate_field,
    email_taken,
    username_taken,
)
from titan.auth.models import PhoneCode, RevokedToken, User
from titan.common.exceptions import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, Unavailable
from titan.common.identity import email_identity
from titan.common.pagination import contains_any, ordered, paginate
from titan.common.transactions import commit, rollback
from titan.common.types import utcnow
from titan.extensions import db
from titan.integrations import clearbit, sms
from titan.integrations.http import OutboundError
from titan.referrals.services import credit_referral, resolve_referral_code

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = "Invalid username or password."
CODE_DEAD = "Code expired, request a new one"
DUPLICATE_MESSAGES = {
    "email": "A user with this email already exists.",
    "username": "A user with this username already exists.",
    "phone": "A user with this phone number already exists.",
}
INVITED_LIST_LIMIT = 100


# --- passwords and sign-in ---------------------------------------------------------------------


def hash_password(password):
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def dummy_password_hash():
    """A hash to check against when no user matches, so timing does not tell who exists."""
    return current_app.extensions.setdefault("titan_dummy_hash", hash_password(secrets.token_hex(16)))


def authenticate(login, password):
    login = login.strip().lower()
    if "@" in login:
        user = db.session.scalar(select(User).where(User.email_identity == email_identity(login)))
    else:
        user = db.session.scalar(select(User).where(User.username == login))
    if user is None or not user.password_hash or not user.is_active:
        check_password_hash(dummy_password_hash(), password)
        raise Unauthorized(INVALID_CREDENTIALS)
    if not check_password_hash(user.password_hash, password):
        raise Unauthorized(INVALID_CREDENTIALS)
    return user


def conflict_for(error):
    field = duplicate_field(error)
    if field is None:
        raise error
    return Conflict(DUPLICATE_MESSAGES[field], field=field)


def register(*, email, password, username=None, first_name="", last_name="", referral_code=None):
    check_email_allowed(email)
    if email_taken(email):
        raise Conflict(DUPLICATE_MESSAGES["email"], field="email")
    if username and username_taken(username):
        raise Conflict(DUPLICATE_MESSAGES["username"], field="username")
    referrer = resolve_referral_code(referral_code) if referral_code else None
    try:
        user = create_user(
            email=email,
            username=username,
            password_hash=hash_password(password),
            first_name=first_name or "",
            last_name=last_name or "",
        )
    except DuplicateUser as duplicate:
        # Taken between the checks above and the insert, by a request at the same moment.
        raise Conflict(DUPLICATE_MESSAGES[duplicate.field], field=duplicate.field) from None
    if referrer is not None:
        credit_referral(user, referrer, referral_code, new_user=True, field="referral_code")
    enrich_profile(user)
    commit()
    return user


def enrich_profile(user):
    """Fill in the public profile from Clearbit when configured; never fails the caller."""
    if not (clearbit.is_enabled() and user.email):
        return
    try:
        profile = clearbit.find_profile(user.email)
    except OutboundError:
        log.warning("Clearbit unavailable; user %s not enriched", user.id)
        return
    for field in ("first_name", "last_name"):
        if profile.get(field) and not getattr(user, field):
            setattr(user, field, profile[field][:150])
    for field in ("company", "location", "avatar_url"):
        if profile.get(field):
            setattr(user, field, profile[field])


# --- tokens ------------------------------------------------------------------------------------


def issue_tokens(user):
    return {
        "access_token": create_access_token(identity=user),
        "refresh_token": create_refresh_token(identity=user),
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }


def refresh_access_token(user):
    return {
        "access_token": create_access_token(identity=user),
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }


def is_token_revoked(jti):
    return db.session.scalar(select(exists().where(RevokedToken.jti == jti)))


def decode_valid_token(encoded):
    """Decode and check a token (signature, expiry, revocation); raises Unauthorized."""
    try:
        claims = decode_token(encoded)
    except PyJWTError:
        raise Unauthorized("Token is invalid or expired.") from None
    except Exception:  # noqa: BLE001 - flask-jwt-extended raises its own errors for bad claims
        raise Unauthorized("Token is invalid or expired.") from None
    if is_token_revoked(claims["jti"]):
        raise Unauthorized("Token has been revoked")
    return claims


def verify_token(encoded):
    claims = decode_valid_token(encoded)
    return {
        "valid": True,
        "type": claims["type"],
        "expires_at": datetime.fromtimestamp(claims["exp"], timezone.utc),
    }


def revoke(claims):
    if is_token_revoked(claims["jti"]):
        return
    db.session.add(
        RevokedToken(
            jti=claims["jti"],
            token_type=claims["type"],
            user_id=int(claims["sub"]),
            expires_at=datetime.fromtimestamp(claims["exp"], timezone.utc),
        )
    )


def logout(access_claims, refresh_token=None):
    """Revoke the access token presented and, if given, the user's refresh token: all or nothing."""
    if refresh_token:
        try:
            refresh_claims = decode_valid_token(refresh_token)
        except Unauthorized:
            raise InvalidInput("Not a valid refresh token.", field="refresh_token") from None
        if refresh_claims["type"] != "refresh" or refresh_claims["sub"] != access_claims["sub"]:
            raise InvalidInput("Not a valid refresh token for this user.", field="refresh_token")
        revoke(refresh_claims)
    revoke(access_claims)
    try:
        commit()
    except IntegrityError:
        # The same token revoked at the same moment by another request: it is revoked either way.
        rollback()


def purge_expired_revocations():
    """Revoked tokens past their expiry can no longer be used anyway; returns how many went."""
    result = db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    commit()
    return result.rowcount


# --- phone login -------------------------------------------------------------------------------


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
        raise Unavailable("Could not send the code; try again shortly.") from None
    except IntegrityError:
        rollback()
        raise Conflict("A code is being sent to this number; wait a moment.", field="phone") from None
    return code, int(lifetime.total_seconds())


def check_phone_code(phone, code):
    """Use up the phone's code if `code` matches; a wrong guess costs one of its attempts."""
    entry = db.session.scalar(select(PhoneCode).where(PhoneCode.phone == phone).with_for_update())
    if entry is None or entry.expires_at <= utcnow() or entry.attempts_left <= 0:
        raise InvalidInput(CODE_DEAD, field="code")
    if not hmac.compare_digest(entry.code_hash, code_hash(phone, code)):
        entry.attempts_left = PhoneCode.attempts_left - 1
        commit()
        raise InvalidInput("Invalid code.", field="code")
    db.session.delete(entry)


def login_with_phone(phone, code, invite_code=None):
    referrer = resolve_referral_code(invite_code) if invite_code else None
    check_phone_code(phone, code)
    user = db.session.scalar(select(User).where(User.phone == phone))
    if user is None:
        try:
            user = create_user(phone=phone)
        except DuplicateUser:
            # The same number's first sign-in, at the same moment elsewhere, created the user.
            user = db.session.scalar(select(User).where(User.phone == phone))
        else:
            if referrer is not None:
                credit_referral(user, referrer, invite_code, new_user=True, field="invite_code")
            commit()
            return user
    if not user.is_active:
        rollback()
        raise Unauthorized("This account is disabled.")
    if referrer is not None and referrer.id == user.id:
        raise InvalidInput("You cannot use your own referral code.", field="invite_code")
    # An existing user keeps their referrer; an invite only counts for someone without one.
    if referrer is not None and user.referred_by_id is None:
        credit_referral(user, referrer, invite_code, new_user=False, field="invite_code")
    commit()
    return user


# --- profiles ----------------------------------------------------------------------------------


def update_profile(user, changes):
    if "email" in changes and changes["email"] != user.email:
        check_email_allowed(changes["email"])
        if email_taken(changes["email"], exclude_user_id=user.id):
            raise Conflict(DUPLICATE_MESSAGES["email"], field="email")
        user.email = changes["email"]
        user.email_identity = email_identity(changes["email"])
    if "username" in changes and changes["username"] != user.username:
        if username_taken(changes["username"], exclude_user_id=user.id):
            raise Conflict(DUPLICATE_MESSAGES["username"], field="username")
        user.username = changes["username"]
    for field in ("first_name", "last_name"):
        if field in changes:
            setattr(user, field, changes[field])
    if "invited_by_code" in changes:
        if user.referred_by_id is not None:
            raise InvalidInput("Your referrer is already set.", field="invited_by_code")
        referrer = resolve_referral_code(changes["invited_by_code"])
        credit_referral(user, referrer, changes["invited_by_code"], new_user=False, field="invited_by_code")
    try:
        commit()
    except IntegrityError as error:
        rollback()
        raise conflict_for(error) from None
    return user


def list_users(sort_by, direction, page, per_page, search=None):
    statement = select(User)
    if search:
        statement = statement.where(contains_any(search, User.email, User.phone, User.username, User.invite_code))
    return paginate(ordered(statement, getattr(User, sort_by), direction, User.id), page, per_page)


def user_detail(user_id, viewer):
    if viewer.id != user_id and not viewer.is_admin:
        raise Forbidden("You can only view your own account.")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    invited = db.session.scalars(
        select(User).where(User.referred_by_id == user.id).order_by(User.created_at.desc(), User.id.desc())
        .limit(INVITED_LIST_LIMIT)
    ).all()
    return user, invited


def create_admin(email, password):
    """Create an admin, or make an existing user with that email an admin (and set the password)."""
    user = db.session.scalar(select(User).where(User.email_identity == email_identity(email)))
    if user is None:
        user = create_user(email=email, password_hash=hash_password(password), is_admin=True)
    else:
        user.is_admin = True
        user.is_active = True
        user.password_hash = hash_password(password)
    commit()
    return user
