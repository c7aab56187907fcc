from flask import current_app, jsonify
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt

from titan.api import ID, Blueprint, path_parameter
from titan.auth import activation, addresses, credentials, login, phone, privacy, registration, tokens, users
from titan.auth.schemas import (
    AcceptedSchema,
    ActivateSchema,
    DeleteAccountSchema,
    EmailConfirmedSchema,
    EmailRequestSchema,
    ExportSchema,
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
    UserDetailSchema,
    UserListArgsSchema,
    UserSchema,
    UserUpdateSchema,
    VerifyRequestSchema,
    VerifyResultSchema,
)
from titan.common.guards import auth_required
from titan.common.pagination import page_schema
from titan.extensions import limiter
from titan.limits import configured, phone_key, shared_limit

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts, tokens and phone login.")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Profiles and, for admins, all users.")

# Examples (docs only): Ada, user 42, referred by user 7 (`K7M2QX9D`), signs up, in and out.
ACCESS_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXBlIjoiYWNjZXNzIiwic3ViIjoiNDIiLCJleHAiOjE3OTYzMDAyNjZ9"
    ".JDuYq7lb-avtVRMEx_py9-z9KiaPbtFYY3AOu6SLlwA"
)
REFRESH_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXBlIjoicmVmcmVzaCIsInN1YiI6IjQyIiwiZXhwIjoxNzk3NTA4OTY2fQ"
    ".FuS0H9IelB-zRsiKdfsNAf_CZi6zxb-tm7bBTOcIcZA"
)
LINK_TOKEN = "eyJ1Ijo0MiwiYSI6ImFkYUBleGFtcGxlLmNvbSJ9.aTBq2w.Mm2XxzaclqWLHngJc5rZi3WQ3BY"
TOKENS = {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "token_type": "Bearer", "expires_in": 900}
USER = {
    "id": 42,
    "email": "ada@example.com",
    "email_confirmed": True,
    "show_on_leaderboard": True,
    "pending_email": None,
    "phone": None,
    "username": "ada",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "company": None,
    "location": None,
    "avatar_url": None,
    "invite_code": "H8FJXHKR",
    "referred_by_id": 7,
    "referral_count": 3,
    "waitlist_status": None,
    "balance": 2500,
    "is_admin": False,
    "is_active": True,
    "created_at": "2026-11-02T09:14:27+00:00",
}
REGISTER = {
    "email": "ada@example.com",
    "password": "correct-horse-42",
    "username": "ada",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "referral_code": "K7M2QX9D",
}


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


@users_blp.route("/me")
class Me(MethodView):
    @auth_required()
    @users_blp.response(200, UserSchema, example=USER)
    def get(self):
        """The signed-in user.

        Your profile as `PATCH` changes it; `balance` is your calculator balance in credits.
        """
        return current_user

    @auth_required()
    @users_blp.arguments(UserUpdateSchema, example={"first_name": "Augusta Ada", "email": "ada@lovelace.example.com"})
    @users_blp.response(
        200, UserSchema, example={**USER, "first_name": "Augusta Ada", "pending_email": "ada@lovelace.example.com"}
    )
    @users_blp.alt_response(409, response="CONFLICT", description="Email or username already taken.")
    def patch(self, changes):
        """Change your profile, or set who invited you (`invited_by_code`, once).

        A new `email` is kept in `pending_email` until the link mailed to it is used; the current
        address stays, and gets a notice. The new address must be free now and when confirmed.
        """
        return users.update_profile(current_user, changes)

    @auth_required()
    @users_blp.arguments(DeleteAccountSchema, required=False, example={"password": "correct-horse-42"})
    @users_blp.response(204)
    @users_blp.alt_response(
        202,
        schema=AcceptedSchema,
        description="A deletion link was mailed.",
        example={"detail": "Check your email to confirm the deletion."},
    )
    def delete(self, data):
        """Erase your personal data.

        Email, phone, names, password and profile go; every token and code is revoked and you leave
        the waitlist. Your ledger stays, anonymised; referrals you made stay
        counted. The address can join again later as a new person.

        Send your `password`. Without a password: a first call with an address on the account
        mails a deletion link (202); send its `token` (or open the link) to confirm.
        """
        if not privacy.request_deletion(current_user, data.get("password"), data.get("token")):
            return jsonify({"detail": "Check your email to confirm the deletion."}), 202
        return None


@users_blp.route("/me/export")
@auth_required()
@users_blp.response(
    200,
    ExportSchema,
    example={
        "profile": {
            "id": 42,
            "email": "ada@example.com",
            "pending_email": None,
            "email_confirmed_at": "2026-11-02T09:16:03+00:00",
            "phone": None,
            "username": "ada",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company": None,
            "location": None,
            "avatar_url": None,
            "invite_code": "H8FJXHKR",
            "signup_code": "K7M2QX9D",
            "waitlist_status": None,
            "joined_waitlist_at": None,
            "admitted_at": None,
            "balance": 2495,
            "is_admin": False,
            "mail_opt_out": False,
            "created_at": "2026-11-02T09:14:27+00:00",
        },
        "waitlist": None,
        "referred_by": {"id": 7, "invite_code": "K7M2QX9D"},
        "referred": [{"id": 57, "username": "grace", "joined_at": "2026-11-20T18:02:11+00:00", "counted": True}],
        "referral_codes": [
            {
                "code": "SE65ZTX3",
                "status": "active",
                "expires_at": "2027-06-30T23:59:59+00:00",
                "created_at": "2026-11-03T10:00:00+00:00",
            }
        ],
        "records": [
            {
                "id": 311,
                "operation": "division",
                "amount": 5,
                "user_balance": 2495,
                "operation_response": "2.5",
                "created_at": "2026-11-04T08:30:00+00:00",
                "deleted_at": None,
            }
        ],
        "exported_at": "2026-12-03T12:07:08+00:00",
    },
)
def export_me():
    """Everything Titan stores about you.

    Profile, waitlist standing, who referred you and whom you referred, your referral codes, your
    records and balance: what a data-access request asks for.
    """
    return privacy.export(current_user)


@users_blp.route("/")
@auth_required(admin=True)
@users_blp.arguments(UserListArgsSchema, location="query")
@users_blp.response(
    200, page_schema(UserSchema), example={"items": [USER], "total": 1250, "page": 1, "per_page": 20, "pages": 63}
)
def list_users(args):
    """All users (admins only).

    `search` matches email, phone, username or invite code; the list is paged and sorted by
    `sort_by` and `direction` (by id by default).
    """
    return users.list_users(**args)


@users_blp.route(f"/<{ID}:user_id>", parameters=[path_parameter("user_id", "The user's id.")])
@auth_required()
@users_blp.response(
    200,
    UserDetailSchema,
    example={
        **USER,
        "invited": [
            {
                "id": 57,
                "username": "grace",
                "phone": None,
                "email": "grace@example.com",
                "created_at": "2026-11-20T18:02:11+00:00",
            }
        ],
    },
)
@users_blp.alt_response(403, response="FORBIDDEN", description="Someone else's account, and you are not an admin.")
@users_blp.alt_response(404, response="NOT_FOUND", description="No such user (admins only: others get 403).")
def user_detail(user_id):
    """A user with the people they invited: for the user themself or an admin.

    `invited` lists the 100 most recent invitees, newest first; all of them are in
    `GET /api/v1/referrals/{referrer_id}`.
    """
    return users.user_detail(user_id, current_user)
