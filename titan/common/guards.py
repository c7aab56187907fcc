"""Route guards: a valid access token, optionally an admin's. They also document the bearer
requirement and the 401/403 answers in the OpenAPI document.

A client sends the same access token with every request for its whole life, and decoding it
(PyJWT parses it four times per request through flask-jwt-extended) costs more than most of what
the request then does. So each worker remembers the tokens it has verified, by the exact
`Authorization` header that carried them, and for a header it has seen only re-checks what can
change with time (expiry). Everything else runs on every request as flask-jwt-extended runs it: the
token's type, the revocation check (titan.auth.tokens: logout, logout everywhere), the user lookup
(a disabled account), so a revoked token or a disabled account is refused at once on every
worker. A header not seen before is decoded once (flask-jwt-extended parses a token four times),
with the same settings; anything unusual about it (a malformed header, a bad or expired token, a
missing claim) takes flask-jwt-extended's own path, which answers every error exactly as before.
"""

from datetime import UTC, datetime
from functools import wraps

import jwt
from flask import current_app, g, request
from flask_jwt_extended import current_user, verify_jwt_in_request
from flask_jwt_extended.config import config as jwt_config
from flask_jwt_extended.default_callbacks import default_decode_key_callback
from flask_jwt_extended.exceptions import UserLookupError
from flask_jwt_extended.internal_utils import (
    custom_verification_for_token,
    user_lookup,
    verify_token_not_blocklisted,
    verify_token_type,
)

from titan.api import Blueprint
from titan.common.exceptions import Forbidden
from titan.common.transactions import read_only as without_transaction

VERIFIED_TOKENS_KEY = "titan.verified_tokens"
# Headers remembered per worker (a few MB at most); the memory is emptied when it is full.
VERIFIED_TOKENS_MAX = 4096
AUTHORIZATION = "Authorization"


def verified_tokens():
    """This app's remembered tokens: {Authorization header: (JWT header, claims)}; None when tokens
    may come from elsewhere than the header (then the header alone does not name the token) or
    their key depends on the token (a decode key loader)."""
    extensions = current_app.extensions
    try:
        return extensions[VERIFIED_TOKENS_KEY]
    except KeyError:
        plain = extensions["flask-jwt-extended"]._decode_key_callback is default_decode_key_callback
        tokens = {} if plain and tuple(jwt_config.token_location) == ("headers",) else None
        extensions[VERIFIED_TOKENS_KEY] = tokens
        return tokens


def decode_header_token(header):
    """(JWT header, claims) of `Authorization: Bearer <token>`, checked as flask-jwt-extended checks
    it (signature, expiry, the same settings, its defaults for missing claims) but parsed once;
    None for anything unusual, which flask-jwt-extended's own path then answers."""
    parts = header.split()
    if len(parts) != 2 or parts[0] != jwt_config.header_type or "," in header or header != " ".join(parts):
        return None
    audience = jwt_config.decode_audience
    try:
        decoded = jwt.decode_complete(
            parts[1],
            jwt_config.decode_key,
            algorithms=jwt_config.decode_algorithms,
            audience=audience,
            issuer=jwt_config.decode_issuer,
            leeway=jwt_config.leeway,
            options={"verify_aud": audience is not None, "verify_sub": jwt_config.verify_sub},
        )
    except jwt.PyJWTError:
        return None
    claims = decoded["payload"]
    if jwt_config.identity_claim_key not in claims:
        return None
    claims.setdefault("type", "access")
    claims.setdefault("fresh", False)
    claims.setdefault("jti", None)
    return decoded["header"], claims


def still_valid(claims):
    """What PyJWT checks that time can change: `exp`, `nbf`, `iat`, with the configured leeway."""
    now = datetime.now(tz=UTC).timestamp()
    leeway = jwt_config.leeway
    expires = claims.get("exp")
    if expires is not None and expires <= now - leeway:
        return False
    return all(claims.get(name) is None or claims[name] <= now + leeway for name in ("nbf", "iat"))


def verify_remembered(entry, refresh):
    """verify_jwt_in_request's checks after the decoding, in its order, for a decoded token."""
    jwt_header, claims = entry
    jwt_data = dict(claims)
    verify_token_type(jwt_data, refresh)
    verify_token_not_blocklisted(jwt_header, jwt_data)
    custom_verification_for_token(jwt_header, jwt_data)
    user = user_lookup(jwt_header, jwt_data)
    if user is None:
        identity = jwt_data[jwt_config.identity_claim_key]
        raise UserLookupError(f"user_lookup returned None for {identity}", jwt_header, jwt_data)
    # Where flask-jwt-extended keeps them: current_user, get_jwt() and get_jwt_header() read them.
    g._jwt_extended_jwt_user = {"loaded_user": user}
    g._jwt_extended_jwt_header = jwt_header
    g._jwt_extended_jwt = jwt_data
    g._jwt_extended_jwt_location = "headers"


def verify_bearer(refresh=False):
    """verify_jwt_in_request(refresh=refresh), without decoding a token this worker verified before
    (and decoding a new one once)."""
    tokens = verified_tokens()
    header = request.headers.get(AUTHORIZATION) if tokens is not None else None
    if header and request.method not in jwt_config.exempt_methods:
        entry = tokens.get(header)
        if entry is None or not still_valid(entry[1]):
            entry = decode_header_token(header)
            if entry is not None:
                if len(tokens) >= VERIFIED_TOKENS_MAX:
                    tokens.clear()
                tokens[header] = entry
        if entry is not None:
            verify_remembered(entry, refresh)
            return
    verify_jwt_in_request(refresh=refresh)


def auth_required(*, admin=False, refresh=False, read_only=False):
    """`read_only`: the route only reads, so its statements run without a transaction (no BEGIN
    and ROLLBACK round trips; titan.common.transactions.read_only)."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if read_only:
                without_transaction()
            verify_bearer(refresh=refresh)
            if admin and not current_user.is_admin:
                raise Forbidden("admin_only", "Only admins may do this.")
            return view(*args, **kwargs)

        responses = {"401": "UNAUTHORIZED"}
        if admin:
            responses["403"] = "FORBIDDEN"
        scheme = "refreshToken" if refresh else "bearerAuth"
        return Blueprint.doc(security=[{scheme: []}, *([{"oauth2": []}] if not refresh else [])], responses=responses)(
            guarded
        )

    return decorator
