"""Marshmallow fields shared by several schemas."""

import marshmallow as ma
from flask import current_app

from titan.common.codes import CUSTOM_CODE_PATTERN, normalise_code
from titan.common.contacts import normalise_email, normalise_phone


class EmailAddress(ma.fields.String):
    """An e-mail address, syntax-checked and lower-cased."""

    default_error_messages = {"invalid": "Enter a valid email address."}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("format", "email")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > 254:
            raise self.make_error("invalid")
        try:
            return normalise_email(raw)
        except ValueError:
            raise self.make_error("invalid") from None


class PhoneNumber(ma.fields.String):
    """A phone number, returned in E.164."""

    default_error_messages = {"invalid": "Enter a valid phone number."}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "+79174445566")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > 32:
            raise self.make_error("invalid")
        try:
            return normalise_phone(raw, current_app.config["PHONE_DEFAULT_REGION"])
        except ValueError:
            raise self.make_error("invalid") from None


class ReferralCodeField(ma.fields.String):
    """A referral or invite code: 4-32 letters and digits, compared case-insensitively."""

    default_error_messages = {"invalid": "Enter a valid referral code (4-32 letters and digits)."}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "K7M2QX9D")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs).strip()
        if not CUSTOM_CODE_PATTERN.match(raw):
            raise self.make_error("invalid")
        return normalise_code(raw)
