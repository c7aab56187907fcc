import marshmallow as ma

from titan.common.fields import EmailAddress, ReferralCodeField, UtcDateTime
from titan.common.types import utcnow


class ReferralCodeCreateSchema(ma.Schema):
    code = ReferralCodeField(metadata={"description": "4-32 letters and digits; generated when left out."})
    expires_at = UtcDateTime(
        required=True,
        metadata={"description": "ISO 8601 (UTC when no offset is given, answered in UTC); must be in the future."},
    )


class ReferralCodeSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    expires_at = ma.fields.DateTime()
    is_active = ma.fields.Method("active_now", metadata={"type": "boolean"})
    status = ma.fields.String(metadata={"description": "`active`, `revoked` (deleted) or `expired`."})
    created_at = ma.fields.DateTime()

    def active_now(self, code):
        return code.is_active_at(utcnow())


class CodeLookupQuerySchema(ma.Schema):
    email = EmailAddress(required=True, metadata={"description": "The user's address, in any case."})


class CodeLookupSchema(ma.Schema):
    code = ma.fields.String(required=True)
    expires_at = ma.fields.DateTime(
        allow_none=True, metadata={"description": "null for an invite code (never expires)."}
    )


class ReferredUserSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    email = ma.fields.String(allow_none=True, metadata={"description": "Only for the referrer themself or an admin."})
    phone = ma.fields.String(allow_none=True, metadata={"description": "Only for the referrer themself or an admin."})
