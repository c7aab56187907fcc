"""JWTs: issuing, checking and revoking them, and the flask-jwt-extended wiring.

`sub` is the user id as a string; revoked tokens live in the database (so every worker and every
restart sees them); every token problem answers 401 in the API's error envelope (flask-jwt-extended
would say 422 for a malformed token).
"""

from datetime import UTC, datetime

from flask import current_app, jsonify
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from titan.auth.models import RevokedToken
from titan.common.exceptions import InvalidInput, Unauthorized
from titan.common.transactions import commit, rollback
from titan.common.types import utcnow
from titan.errors import envelope
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


def is_token_revoked(jti):
    return db.session.scalar(select(exists().where(RevokedToken.jti == jti)))


def decode_valid_token(encoded):
    """Decode and check a token (signature, expiry, revocation); raises Unauthorized."""
    try:
        claims = decode_token(encoded)
    except Exception:  # noqa: BLE001 - PyJWT's errors and flask-jwt-extended's own for bad claims
        raise Unauthorized("token_invalid", TOKEN_INVALID) from None
    if is_token_revoked(claims["jti"]):
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
    if is_token_revoked(claims["jti"]):
        return
    db.session.add(
        RevokedToken(
            jti=claims["jti"],
            token_type=claims["type"],
            user_id=int(claims["sub"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    )


def logout(access_claims, refresh_token=None):
    """Revoke the access token presented and, if given, the user's refresh token: all or nothing."""
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
        try:
            user_id = int(claims["sub"])
        except (TypeError, ValueError):
            return None
        user = db.session.get(User, user_id)
        return user if user is not None and user.is_active else None

    @jwt.token_in_blocklist_loader
    def is_revoked(_header, claims):
        return is_token_revoked(claims["jti"])

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
