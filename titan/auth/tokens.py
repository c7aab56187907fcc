"""JWTs: issuing, checking and revoking them, and the flask-jwt-extended wiring.

`sub` is the user id as a string and `gen` the user's token generation when it was issued. A token
is revoked when its id is in `revoked_tokens` (logout) or its generation is below the user's
(logout everywhere, a password reset or change): both live in the database, so every worker and
every restart sees them. Every token problem answers 401 in the API's error envelope
(flask-jwt-extended would say 422 for a malformed token).
"""

from datetime import UTC, datetime

from flask import current_app, g, jsonify
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import bindparam, delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from titan.auth.models import RevokedToken
from titan.common.exceptions import InvalidInput, Unauthorized
from titan.common.transactions import commit, rollback
from titan.common.types import utcnow
from titan.error_shapes import envelope
from titan.extensions import db
from titan.members.models import User

TOKEN_INVALID = "Token is invalid or expired."
TOKEN_REVOKED = "Token has been revoked"


def access_token_seconds():
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def issue_tokens(user):
    return {
        "access_token": create_access_token(identity=user),
        "refresh_token": create_refresh_token(identity=user),
        "token_type": "Bearer",
        "expires_in": access_token_seconds(),
    }


def refresh_access_token(user):
    return {
        "access_token": create_access_token(identity=user),
        "token_type": "Bearer",
        "expires_in": access_token_seconds(),
    }


# Built once (building a statement costs more than running it): the user a token names and whether
# the token's id was revoked, in one round trip.
TOKEN_STATE = select(User, exists().where(RevokedToken.jti == bindparam("jti")).label("jti_revoked")).where(
    User.id == bindparam("user_id")
)
JTI_REVOKED = select(exists().where(RevokedToken.jti == bindparam("jti")))


def load_token_user(claims):
    """Read the user a token names and whether the token's id is revoked, in one query; the user
    stays on `g` for the rest of the request (the session's identity map holds objects only weakly).
    Returns (user or None, revoked)."""
    jti = claims.get("jti")
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError, KeyError):
        user_id = None
    row = db.session.execute(TOKEN_STATE, {"user_id": user_id, "jti": jti}).first() if user_id is not None else None
    if row is None:
        return None, db.session.scalar(JTI_REVOKED, {"jti": jti})
    g.token_user = row[0]
    return row[0], row[1]


def cached_token_user(claims):
    cached = g.get("token_user")
    return cached if cached is not None and str(cached.id) == claims.get("sub") else None


def token_user(claims):
    """The user a token names, read once per request (the revocation check and the user loader
    both ask)."""
    return cached_token_user(claims) or load_token_user(claims)[0]


def is_revoked(claims):
    """Logged out (its id is revoked), or issued before the user's tokens were all revoked. The
    first check of a request reads the user with it (one query); the id is checked every time."""
    user = cached_token_user(claims)
    if user is None:
        user, revoked = load_token_user(claims)
    else:
        revoked = db.session.scalar(JTI_REVOKED, {"jti": claims.get("jti")})
    if user is not None and claims.get("gen", 0) < user.token_generation:
        return True
    return bool(revoked)


def decode_valid_token(encoded):
    """Decode and check a token (signature, expiry, revocation); raises Unauthorized."""
    try:
        claims = decode_token(encoded)
    except Exception:  # noqa: BLE001 - PyJWT's errors and flask-jwt-extended's own for bad claims
        raise Unauthorized("token_invalid", TOKEN_INVALID) from None
    if is_revoked(claims):
        raise Unauthorized("token_revoked", TOKEN_REVOKED)
    return claims


def verify_token(encoded):
    claims = decode_valid_token(encoded)
    return {
        "valid": True,
        "type": claims["type"],
        "expires_at": datetime.fromtimestamp(claims["exp"], UTC),
    }


def revoke(claims):
    if db.session.scalar(select(exists().where(RevokedToken.jti == claims["jti"]))):
        return
    db.session.add(
        RevokedToken(
            jti=claims["jti"],
            token_type=claims["type"],
            user_id=int(claims["sub"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    )


def revoke_all(user):
    """Revoke every token issued to `user` so far, on every worker (the tokens issued next are fine),
    and end their admin sessions (titan.pages.admin.session)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(token_generation=User.token_generation + 1, admin_session_generation=User.admin_session_generation + 1)
        .execution_options(synchronize_session="fetch")
    )


def logout(access_claims, refresh_token=None, everywhere=False):
    """Revoke the access token presented and, if given, the user's refresh token; with `everywhere`,
    every token of the user (all devices). All or nothing."""
    if everywhere:
        user = token_user(access_claims)
        if user is not None:
            revoke_all(user)
    if refresh_token:
        try:
            refresh_claims = decode_valid_token(refresh_token)
        except Unauthorized:
            raise InvalidInput("refresh_token_invalid", "Not a valid refresh token.", field="refresh_token") from None
        if refresh_claims["type"] != "refresh" or refresh_claims["sub"] != access_claims["sub"]:
            raise InvalidInput(
                "refresh_token_invalid", "Not a valid refresh token for this user.", field="refresh_token"
            )
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


# --- flask-jwt-extended wiring -------------------------------------------------------------------


def unauthorized(message):
    return jsonify(envelope(401, message)), 401, {"WWW-Authenticate": 'Bearer realm="titan"'}


def register_jwt_callbacks(jwt):
    @jwt.user_identity_loader
    def identity(user):
        return str(user.id) if isinstance(user, User) else str(user)

    @jwt.user_lookup_loader
    def load_user(_header, claims):
        user = token_user(claims)
        return user if user is not None and user.is_active else None

    @jwt.additional_claims_loader
    def generation(user):
        return {"gen": user.token_generation} if isinstance(user, User) else {}

    @jwt.token_in_blocklist_loader
    def in_blocklist(_header, claims):
        return is_revoked(claims)

    @jwt.unauthorized_loader
    def missing_token(reason):
        return unauthorized("Missing or malformed Authorization header: use 'Bearer <access token>'.")

    @jwt.invalid_token_loader
    def invalid_token(reason):
        return unauthorized("Token is invalid.")

    @jwt.expired_token_loader
    def expired_token(_header, _claims):
        return unauthorized("Token has expired.")

    @jwt.revoked_token_loader
    def revoked_token(_header, _claims):
        return unauthorized(TOKEN_REVOKED)

    @jwt.needs_fresh_token_loader
    def needs_fresh(_header, _claims):
        return unauthorized("A fresh token is required.")

    @jwt.user_lookup_error_loader
    def unknown_user(_header, _claims):
        return unauthorized("The account for this token no longer exists or is disabled.")

    @jwt.token_verification_failed_loader
    def verification_failed(_header, _claims):
        return unauthorized("Token is invalid.")
