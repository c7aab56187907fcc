"""Marshmallow fields shared by several schemas."""

from datetime import UTC

import marshmallow as ma
from flask import current_app

from titan.common.codes import CUSTOM_CODE_PATTERN, normalise_code
from titan.common.contacts import NOT_A_MOBILE_MESSAGE, is_mobile, normalise_email, normalise_phone


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


class MobilePhoneNumber(PhoneNumber):
    """A phone number a text can go to (titan.common.contacts.is_mobile), in E.164."""

    default_error_messages = {"not_mobile": NOT_A_MOBILE_MESSAGE}

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if not is_mobile(number):
            raise self.make_error("not_mobile")
        return number


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


class UtcDateTime(ma.fields.AwareDateTime):
    """An ISO 8601 date and time (UTC when no offset is given), loaded as UTC: an offset that would
    carry it past the calendar's ends (`9999-12-31T23:59:59-12:00`) is refused, not an OverflowError."""

    default_error_messages = {"out_of_range": "Enter a date and time between the years 1 and 9999 (in UTC)."}

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("out_of_range") from None
