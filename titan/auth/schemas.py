import re

import marshmallow as ma
from marshmallow import validate
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from titan.common.fields import EmailAddress, PhoneNumber, ReferralCodeField
from titan.common.pagination import sortable_list_args

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
    referral_code = ReferralCodeField()


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


class MessageSchema(ma.Schema):
    message = ma.fields.String(required=True)


class PhoneCodeRequestSchema(ma.Schema):
    phone = PhoneNumber(required=True)


class PhoneCodeSentSchema(ma.Schema):
    detail = ma.fields.String(required=True, metadata={"example": "Code sent"})
    expires_in = ma.fields.Integer(required=True)
    debug_code = ma.fields.String(metadata={"description": "Only when testing or debugging."})


class PhoneTokenRequestSchema(ma.Schema):
    phone = PhoneNumber(required=True)
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{4}$", error="Enter the 4-digit code."))
    invite_code = ReferralCodeField()


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.String(allow_none=True)
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


UserListArgsSchema = sortable_list_args(
    "UserListArgs",
    ("id", "email", "username", "created_at"),
    search_help="Matches email, phone, username or invite code.",
)
