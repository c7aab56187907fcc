from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt

from titan.api import ID, Blueprint
from titan.auth import login, phone, registration, tokens, users
from titan.auth.guards import auth_required
from titan.auth.schemas import (
    LogoutRequestSchema,
    MessageSchema,
    PhoneCodeRequestSchema,
    PhoneCodeSentSchema,
    PhoneTokenRequestSchema,
    ReferralCodeQuerySchema,
    RegisterSchema,
    TokenRequestSchema,
    TokenSchema,
    UserDetailSchema,
    UserListArgsSchema,
    UserSchema,
    UserUpdateSchema,
    VerifyRequestSchema,
    VerifyResultSchema,
)
from titan.common.pagination import page_schema
from titan.extensions import limiter
from titan.limits import configured, phone_key, shared_limit

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts, tokens and phone login.")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Profiles and, for admins, all users.")


@blp.route("/register", methods=["POST"])
@shared_limit("join")
@blp.arguments(ReferralCodeQuerySchema, location="query", as_kwargs=True)
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
@blp.alt_response(409, response="CONFLICT", description="Email or username already taken.")
@blp.alt_response(404, response="NOT_FOUND", description="Unknown referral code.")
def register(data, referral_code=None):
    """Create an account with email and password.

    The referral code may come in the body or as `?referral_code=` (the body wins); it may be an
    invite code or an active referral code. Duplicate email (in any case, or a Gmail spelling of
    the same address) or username answers 409.
    """
    data.setdefault("referral_code", referral_code)
    return registration.register(**data)


@blp.route("/token", methods=["POST"])
@shared_limit("login")
@blp.arguments(TokenRequestSchema, location="json_or_form")
@blp.response(200, TokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED", description="Wrong credentials.")
def token(data):
    """OAuth2 password grant: sign in with email or username and password.

    Send `grant_type=password&username=…&password=…` as a form (as Swagger UI's "Authorize"
    does) or the same fields as JSON.
    """
    user = login.authenticate(data["username"], data["password"])
    return tokens.issue_tokens(user)


@blp.route("/refresh", methods=["POST"])
@auth_required(refresh=True)
@blp.response(200, TokenSchema)
def refresh():
    """A new access token for a refresh token (sent as `Authorization: Bearer <refresh token>`)."""
    return tokens.refresh_access_token(current_user)


@blp.route("/verify", methods=["POST"])
@blp.arguments(VerifyRequestSchema)
@blp.response(200, VerifyResultSchema)
@blp.alt_response(401, response="UNAUTHORIZED", description="Invalid, expired or revoked token.")
def verify(data):
    """Check a token: signature, expiry and revocation."""
    return tokens.verify_token(data["token"])


@blp.route("/logout", methods=["POST"])
@auth_required()
@blp.arguments(LogoutRequestSchema, required=False)
@blp.response(200, MessageSchema)
def logout(data):
    """Revoke the access token presented and, if given, the refresh token.

    Any later use of them answers 401 "Token has been revoked", on every worker and after restarts.
    """
    tokens.logout(get_jwt(), data.get("refresh_token"))
    return {"message": "Logged out"}


@blp.route("/phone/code", methods=["POST"])
@limiter.limit(configured("RATELIMIT_PHONE_CODE_PER_PHONE"), key_func=phone_key)
@limiter.limit(configured("RATELIMIT_PHONE_CODE_PER_CLIENT"))
@blp.arguments(PhoneCodeRequestSchema)
@blp.response(202, PhoneCodeSentSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Too many codes for this phone or client.")
def phone_code(data):
    """Text a 4-digit sign-in code to a phone number.

    One code a minute and a few an hour per phone, and a few per client address.
    """
    code, expires_in = phone.send_phone_code(data["phone"])
    body = {"detail": "Code sent", "expires_in": expires_in}
    if current_app.config["AUTH_CODE_IN_RESPONSE"]:
        body["debug_code"] = code
    return body


@blp.route("/phone/token", methods=["POST"])
@shared_limit("login")
@blp.arguments(PhoneTokenRequestSchema)
@blp.response(200, TokenSchema)
def phone_token(data):
    """Sign in (or sign up, on first use) with the texted code.

    A wrong code uses one of 5 attempts; after 5 or after expiry the code is dead.
    """
    user = phone.login_with_phone(data["phone"], data["code"], data.get("invite_code"))
    return tokens.issue_tokens(user)


@users_blp.route("/me")
class Me(MethodView):
    @auth_required()
    @users_blp.response(200, UserSchema)
    def get(self):
        """The signed-in user."""
        return current_user

    @auth_required()
    @users_blp.arguments(UserUpdateSchema)
    @users_blp.response(200, UserSchema)
    @users_blp.alt_response(409, response="CONFLICT", description="Email or username already taken.")
    def patch(self, changes):
        """Change your profile, or set who invited you (`invited_by_code`, once)."""
        return users.update_profile(current_user, changes)


@users_blp.route("/")
@auth_required(admin=True)
@users_blp.arguments(UserListArgsSchema, location="query")
@users_blp.response(200, page_schema(UserSchema))
def list_users(args):
    """All users (admins only), searchable over email, phone, username and invite code."""
    return users.list_users(**args)


@users_blp.route(f"/<{ID}:user_id>")
@auth_required()
@users_blp.response(200, UserDetailSchema)
def user_detail(user_id):
    """A user with the people they invited: for the user themself or an admin."""
    return users.user_detail(user_id, current_user)
