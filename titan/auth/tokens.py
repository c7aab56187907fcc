"""flask-jwt-extended wiring: `sub` is the user id as a string, revoked tokens live in the
database (so every worker and every restart sees them), and every token problem answers 401
in the API's error envelope (flask-jwt-extended would say 422 for a malformed token)."""

from flask import jsonify

from titan.auth.models import User
from titan.auth.services import is_token_revoked
from titan.errors import envelope
from titan.extensions import db


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
        return unauthorized("Token has been revoked")

    @jwt.needs_fresh_token_loader
    def needs_fresh(_header, _claims):
        return unauthorized("A fresh token is required.")

    @jwt.user_lookup_error_loader
    def unknown_user(_header, _claims):
        return unauthorized("The account for this token no longer exists or is disabled.")

    @jwt.token_verification_failed_loader
    def verification_failed(_header, _claims):
        return unauthorized("Token is invalid.")
