"""The `/api/v1/auth` routes: registration, tokens, phone sign-in, emailed links and passwords."""

from flask import current_app, jsonify
from flask_jwt_extended import current_user, get_jwt

from titan.api import Blueprint
from titan.auth import activation, addresses, credentials, login, phone, registration, tokens
from titan.auth.examples import ACCESS_TOKEN, LINK_TOKEN, REFRESH_TOKEN, REGISTER, TOKENS, USER
from titan.auth.schemas import (
    AcceptedSchema,
    ActivateSchema,
    EmailConfirmedSchema,
    EmailRequestSchema,
    LinkTokenSchema,
    LogoutRequestSchema,
    MessageSchema,
    PasswordChangeSchema,
    PasswordResetSchema,
    PhoneCodeRequestSchema,
    PhoneCodeSentSchema,
    PhoneTokenRequestSchema,
    ReferralCodeQuerySchema,
    RegisterSchema,
    TokenRequestSchema,
    TokenSchema,
    UserSchema,
    VerifyRequestSchema,
    VerifyResultSchema,
)
from titan.common.guards import auth_required
from titan.extensions import limiter
from titan.limits import configured, phone_key, shared_limit

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts, tokens and phone login.")


@blp.route("/register", methods=["POST"])
@shared_limit("join")
@blp.arguments(ReferralCodeQuerySchema, location="query", as_kwargs=True)
@blp.arguments(RegisterSchema, example=REGISTER)
@blp.response(201, UserSchema, example={**USER, "email_confirmed": False, "referral_count": 0})
@blp.alt_response(
    202,
    schema=AcceptedSchema,
    description="The address belongs to a member without a password.",
    example={"detail": "Check your email to finish setting up your account."},
)
@blp.alt_response(403, response="FORBIDDEN", description="Invite-only launch and an unknown address.")
@blp.alt_response(409, response="CONFLICT", description="Email or username already taken.")
@blp.alt_response(404, response="NOT_FOUND", description="Unknown referral code.")
def register(data, referral_code=None):
    """Create an account with email and password; a confirmation link goes to the address.

    The referral code may come in the body or as `?referral_code=` (the body wins); it may be an
    invite code or an active referral code, and counts once the address is confirmed. An email
    that already has an account (in any case, or a Gmail spelling of it) or a taken username
    answers 409. The address of a member without a password (who joined the waitlist, or signs
    in by phone) answers 202 and mails them a link to set their password: nothing changes until
    it is used, so whoever typed the address cannot take the account. With
    `ACCOUNTS_REQUIRE_ADMISSION`, an address Titan doesn't know answers 403.
    """
    data.setdefault("referral_code", referral_code)
    result = registration.register(**data)
    if result.activation_sent:
        return jsonify({"detail": registration.FINISH_BY_EMAIL}), 202
    return result.user


@blp.route("/token", methods=["POST"])
@shared_limit("login")
@blp.arguments(
    TokenRequestSchema,
    location="json_or_form",
    example={"grant_type": "password", "username": "ada@example.com", "password": "correct-horse-42"},
)
@blp.response(200, TokenSchema, example=TOKENS)
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
@blp.response(200, TokenSchema, example={"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 900})
def refresh():
    """A new access token for a refresh token.

    Send the refresh token (from `/token`, `/phone/token`, `/activate` or `/password/change`) as
    `Authorization: Bearer <refresh token>`; it stays valid until it expires or is revoked, and no new
    one is issued. An access token, or a revoked or expired refresh token, answers 401.
    """
    return tokens.refresh_access_token(current_user)


@blp.route("/verify", methods=["POST"])
@blp.arguments(VerifyRequestSchema, example={"token": ACCESS_TOKEN})
@blp.response(
    200, VerifyResultSchema, example={"valid": True, "type": "access", "expires_at": "2026-12-03T12:17:46+00:00"}
)
@blp.alt_response(401, response="UNAUTHORIZED", description="Invalid, expired or revoked token.")
def verify(data):
    """Check a token: signature, expiry and revocation.

    For access and refresh tokens alike (`type` says which); the token goes in the body, no
    `Authorization` header is needed. An invalid, expired or revoked token answers 401.
    """
    return tokens.verify_token(data["token"])


@blp.route("/logout", methods=["POST"])
@auth_required()
@blp.arguments(LogoutRequestSchema, required=False, example={"refresh_token": REFRESH_TOKEN, "all": False})
@blp.response(200, MessageSchema, example={"message": "Logged out"})
def logout(data):
    """Revoke your tokens: the access token presented and, if given, the refresh token.

    With `"all": true`, every token of the user (sign out on every device), answering
    "Logged out everywhere". Any later use of them answers 401 "Token has been revoked", on every
    worker and after restarts.
    """
    tokens.logout(get_jwt(), data.get("refresh_token"), everywhere=data["all"])
    return {"message": "Logged out everywhere" if data["all"] else "Logged out"}


@blp.route("/phone/code", methods=["POST"])
@limiter.limit(configured("RATELIMIT_PHONE_CODE_PER_PHONE"), key_func=phone_key)
@limiter.limit(configured("RATELIMIT_PHONE_CODE_PER_CLIENT"))
@blp.arguments(PhoneCodeRequestSchema, example={"phone": "+14155550123"})
@blp.response(202, PhoneCodeSentSchema, example={"detail": "Code sent", "expires_in": 300})
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
@blp.arguments(PhoneTokenRequestSchema, example={"phone": "+14155550123", "code": "5325", "invite_code": "K7M2QX9D"})
@blp.response(200, TokenSchema, example=TOKENS)
def phone_token(data):
    """Sign in (or sign up, on first use) with the texted code.

    A wrong code uses one of 5 attempts; after 5 or after expiry the code is dead.
    """
    user = phone.login_with_phone(data["phone"], data["code"], data.get("invite_code"))
    return tokens.issue_tokens(user)


@blp.route("/email/confirm", methods=["POST"])
@shared_limit("login")
@blp.arguments(LinkTokenSchema, example={"token": LINK_TOKEN})
@blp.response(
    200,
    EmailConfirmedSchema,
    example={"email": "ada@example.com", "email_confirmed": True, "detail": "Email address confirmed."},
)
def confirm_email(data):
    """Confirm an address with the token of its emailed link (`/confirm/{token}` does the same as a page).

    The link of a new address (after `PATCH /users/me`) makes it the account's address. Confirming
    twice is harmless (200, "Email address already confirmed"). A forged, expired or other link:
    400 with `errors.json.token`.
    """
    user, already = addresses.confirm(data["token"])
    detail = "Email address already confirmed." if already else "Email address confirmed."
    return {"email": user.email, "email_confirmed": True, "detail": detail}


@blp.route("/email/resend", methods=["POST"])
@shared_limit("mail")
@blp.arguments(EmailRequestSchema, example={"email": "ada@example.com"})
@blp.response(
    202, AcceptedSchema, example={"detail": "If this address is waiting for confirmation, a new link is on its way."}
)
def resend_confirmation(data):
    """Send the confirmation link again to an unconfirmed address.

    Always 202, known address or not. At most one link a minute and 5 a day go to one address
    (silently: the answer stays 202); too many requests from one client answer 429.
    """
    addresses.resend_confirmation(data["email"])
    return {"detail": "If this address is waiting for confirmation, a new link is on its way."}


@blp.route("/email/link", methods=["POST"])
@shared_limit("mail")
@blp.arguments(EmailRequestSchema, example={"email": "ada@example.com"})
@blp.response(202, AcceptedSchema, example={"detail": "If Titan knows this address, a sign-in link is on its way."})
def sign_in_link(data):
    """Email a sign-in link that opens the member's waitlist page in a browser.

    The link (`/signin/{token}`) shows their full address. Always 202; throttled per address like
    `email/resend`.
    """
    addresses.request_sign_in_link(data["email"])
    return {"detail": "If Titan knows this address, a sign-in link is on its way."}


@blp.route("/activate", methods=["POST"])
@shared_limit("login")
@blp.arguments(ActivateSchema, example={"token": LINK_TOKEN, "password": "correct-horse-42", "username": "ada"})
@blp.response(200, TokenSchema, example=TOKENS)
@blp.alt_response(403, response="FORBIDDEN", description="Invite-only launch and the member is still waiting.")
@blp.alt_response(409, response="CONFLICT", description="The username is taken.")
def activate(data):
    """Set a password with an activation link; answers tokens, as `/token` does.

    The link comes from the admission email, or from `register` with the address of a member
    without a password. The member keeps their id, invite code, referrals and records, and their address counts as
    confirmed. The link works once.
    """
    user = activation.activate(data["token"], data["password"], data.get("username"))
    return tokens.issue_tokens(user)


@blp.route("/password/forgot", methods=["POST"])
@shared_limit("mail")
@blp.arguments(EmailRequestSchema, example={"email": "ada@example.com"})
@blp.response(
    202, AcceptedSchema, example={"detail": "If Titan knows this address, a link to reset the password is on its way."}
)
def forgot_password(data):
    """Email a link to choose a new password (`/reset/{token}`, valid `PASSWORD_RESET_MINUTES`).

    Always 202, known address or not; throttled per address like `email/resend`.
    """
    credentials.forgot_password(data["email"])
    return {"detail": "If Titan knows this address, a link to reset the password is on its way."}


@blp.route("/password/reset", methods=["POST"])
@shared_limit("login")
@blp.arguments(PasswordResetSchema, example={"token": LINK_TOKEN, "password": "brand-new-secret-9"})
@blp.response(200, AcceptedSchema, example={"detail": "Your password is changed. Sign in with it."})
def reset_password(data):
    """Choose a new password with the reset link.

    Every token issued before is revoked, on every worker; the link then stops working. A used,
    expired or forged link: 400 with `errors.json.token`.
    """
    credentials.reset_password(data["token"], data["password"])
    return {"detail": "Your password is changed. Sign in with it."}


@blp.route("/password/change", methods=["POST"])
@shared_limit("login")
@auth_required()
@blp.arguments(
    PasswordChangeSchema, example={"current_password": "correct-horse-42", "new_password": "another-secret-77"}
)
@blp.response(200, TokenSchema, example=TOKENS)
def change_password(data):
    """Change your password: answers fresh tokens; every other token of yours is revoked.

    Sign in again with the new password on your other devices. A wrong current password: 400 with
    `errors.json.current_password`.
    """
    return credentials.change_password(current_user, data["current_password"], data["new_password"])
