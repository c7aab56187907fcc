import re

import marshmallow as ma
from marshmallow import validate
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from titan.common.fields import EmailAddress, MobilePhoneNumber, ReferralCodeField
from titan.common.pagination import sortable_list_args
from titan.members.schemas import UserDataSchema

COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]{3,30}$")


def validate_password(password):
    if len(password) < 8:
        raise ma.ValidationError("Password must be at least 8 characters long.")
    if password.isdigit():
        raise ma.ValidationError("Password must not be entirely numeric.")
    if password.lower() in COMMON_PASSWORDS:
        raise ma.ValidationError("This password is too common.")


class Username(ma.fields.String):
    """3-30 letters, digits, `_`, `.` or `-`; usernames compare case-insensitively, stored lower-case."""

    default_error_messages = {
        "invalid": "Username must be 3-30 characters: letters, digits, '_', '.' or '-'.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        if not USERNAME_PATTERN.match(raw):
            raise self.make_error("invalid")
        return raw


class Name(ma.fields.String):
    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=150), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class RegisterSchema(ma.Schema):
    email = EmailAddress(required=True)
    password = ma.fields.String(
        required=True,
        load_only=True,
        validate=[validate.Length(max=128), validate_password],
        metadata={"description": "At least 8 characters, not all digits, not a common password."},
    )
    username = Username()
    first_name = Name()
    last_name = Name()
    referral_code = ReferralCodeField(
        metadata={"description": "An invite code or an active referral code (also accepted as `?referral_code=`)."}
    )


class ReferralCodeQuerySchema(ma.Schema):
    referral_code = ReferralCodeField(
        metadata={"description": "Who referred you, as in a shared link (`?referral_code=`); the body's wins."}
    )


class TokenRequestSchema(ma.Schema):
    """OAuth2 password grant (RFC 6749 §4.3), as a form or as JSON."""

    class Meta:
        unknown = ma.EXCLUDE  # OAuth2 clients may send scope, client_id, client_secret.

    grant_type = ma.fields.String(load_default="password", validate=validate.Equal("password"))
    username = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=254), metadata={"description": "Email or username."}
    )
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=128))


class TokenSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String()
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Seconds the access token lives."})


class VerifyRequestSchema(ma.Schema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=4096))


class VerifyResultSchema(ma.Schema):
    valid = ma.fields.Boolean(required=True)
    type = ma.fields.String(required=True, metadata={"description": "`access` or `refresh`."})
    expires_at = ma.fields.DateTime(required=True)


class LogoutRequestSchema(ma.Schema):
    refresh_token = ma.fields.String(
        validate=validate.Length(min=1, max=4096), metadata={"description": "Also revoke this refresh token."}
    )
    all = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Revoke every token of the user, on every device (sign out everywhere)."},
    )


class MessageSchema(ma.Schema):
    message = ma.fields.String(required=True)


class PhoneCodeRequestSchema(ma.Schema):
    phone = MobilePhoneNumber(required=True, metadata={"description": "A mobile number: codes go by text message."})


class PhoneCodeSentSchema(ma.Schema):
    detail = ma.fields.String(required=True, metadata={"example": "Code sent"})
    expires_in = ma.fields.Integer(required=True)
    debug_code = ma.fields.String(metadata={"description": "Only when testing or debugging."})


class PhoneTokenRequestSchema(ma.Schema):
    phone = MobilePhoneNumber(required=True)
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{4}$", error="Enter the 4-digit code."))
    invite_code = ReferralCodeField()


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.String(allow_none=True)
    email_confirmed = ma.fields.Boolean(metadata={"description": "The address was proven by a link mailed to it."})
    show_on_leaderboard = ma.fields.Boolean(
        metadata={"description": "Whether you appear on the leaderboard (your username, or your masked address)."}
    )
    pending_email = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "A new address asked for, waiting for its confirmation link; `email` stays until then."
        },
    )
    phone = ma.fields.String(allow_none=True)
    username = ma.fields.String(allow_none=True)
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    company = ma.fields.String(allow_none=True)
    location = ma.fields.String(allow_none=True)
    avatar_url = ma.fields.String(allow_none=True)
    invite_code = ma.fields.String()
    referred_by_id = ma.fields.Integer(allow_none=True)
    referral_count = ma.fields.Integer()
    waitlist_status = ma.fields.String(allow_none=True)
    balance = ma.fields.Integer()
    is_admin = ma.fields.Boolean()
    is_active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()


class InvitedUserSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()


class UserDetailSchema(UserSchema):
    invited = ma.fields.List(ma.fields.Nested(InvitedUserSchema))

    def get_attribute(self, obj, attr, default):
        # Dumps a `titan.auth.users.UserDetail`: `invited` from it, every other field from its user.
        return super().get_attribute(obj if attr == "invited" else obj.user, attr, default)


class UserUpdateSchema(ma.Schema):
    first_name = Name()
    last_name = Name()
    email = EmailAddress()
    username = Username()
    invited_by_code = ReferralCodeField(
        metadata={"description": "Set who invited you: once, not your own code, never forming a cycle."}
    )
    show_on_leaderboard = ma.fields.Boolean(
        metadata={
            "description": "`false` takes you off the leaderboard (`GET /api/leaderboard/`); `true` puts you back."
        }
    )


UserListArgsSchema = sortable_list_args(
    "UserListArgs",
    ("id", "email", "username", "created_at"),
    search_help="Matches email, phone, username or invite code.",
)


class AcceptedSchema(ma.Schema):
    detail = ma.fields.String(required=True, metadata={"example": "Check your email."})


class EmailRequestSchema(ma.Schema):
    email = EmailAddress(required=True)


def link_token(**kwargs):
    return ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=2048),
        metadata={"description": "The token from the emailed link (the last part of its path)."},
        **kwargs,
    )


class LinkTokenSchema(ma.Schema):
    token = link_token()


class EmailConfirmedSchema(ma.Schema):
    email = ma.fields.String(required=True)
    email_confirmed = ma.fields.Boolean(required=True)
    detail = ma.fields.String(required=True, metadata={"example": "Email address confirmed."})


def new_password(**kwargs):
    return ma.fields.String(
        required=True,
        load_only=True,
        validate=[validate.Length(max=128), validate_password],
        metadata={"description": "At least 8 characters, not all digits, not a common password."},
        **kwargs,
    )


class ActivateSchema(ma.Schema):
    token = link_token()
    password = new_password()
    username = Username()


class PasswordResetSchema(ma.Schema):
    token = link_token()
    password = new_password()


class PasswordChangeSchema(ma.Schema):
    current_password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=128))
    new_password = new_password()


class DeleteAccountSchema(ma.Schema):
    password = ma.fields.String(
        load_only=True, validate=validate.Length(min=1, max=128), metadata={"description": "Your password."}
    )
    token = ma.fields.String(
        validate=validate.Length(min=1, max=2048),
        metadata={"description": "Without a password: the token of the deletion link mailed to you."},
    )


class ExportProfileSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String(allow_none=True)
    pending_email = ma.fields.String(allow_none=True)
    email_confirmed_at = ma.fields.DateTime(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    username = ma.fields.String(allow_none=True)
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    company = ma.fields.String(allow_none=True)
    location = ma.fields.String(allow_none=True)
    avatar_url = ma.fields.String(allow_none=True)
    invite_code = ma.fields.String()
    signup_code = ma.fields.String(allow_none=True, metadata={"description": "The code you joined with."})
    waitlist_status = ma.fields.String(allow_none=True)
    joined_waitlist_at = ma.fields.DateTime(allow_none=True)
    admitted_at = ma.fields.DateTime(allow_none=True)
    balance = ma.fields.Integer()
    is_admin = ma.fields.Boolean()
    mail_opt_out = ma.fields.Boolean(metadata={"description": "You stopped the non-essential emails."})
    created_at = ma.fields.DateTime()


class ExportReferrerSchema(ma.Schema):
    id = ma.fields.Integer()
    invite_code = ma.fields.String()


class ExportReferredSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String(allow_none=True)
    joined_at = ma.fields.DateTime()
    counted = ma.fields.Boolean(metadata={"description": "False while the friend has not confirmed their address."})


class ExportCodeSchema(ma.Schema):
    code = ma.fields.String()
    status = ma.fields.String()
    expires_at = ma.fields.DateTime()
    created_at = ma.fields.DateTime()


class ExportRecordSchema(ma.Schema):
    id = ma.fields.Integer()
    operation = ma.fields.String()
    amount = ma.fields.Integer()
    user_balance = ma.fields.Integer()
    operation_response = ma.fields.String()
    created_at = ma.fields.DateTime()
    deleted_at = ma.fields.DateTime(allow_none=True)


class ExportSchema(ma.Schema):
    """Everything Titan stores about you."""

    profile = ma.fields.Nested(ExportProfileSchema, required=True)
    waitlist = ma.fields.Nested(UserDataSchema, allow_none=True, metadata={"description": "Your standing."})
    referred_by = ma.fields.Nested(ExportReferrerSchema, allow_none=True)
    referred = ma.fields.List(ma.fields.Nested(ExportReferredSchema), required=True)
    referral_codes = ma.fields.List(ma.fields.Nested(ExportCodeSchema), required=True)
    records = ma.fields.List(ma.fields.Nested(ExportRecordSchema), required=True)
    exported_at = ma.fields.DateTime(required=True)
