import marshmallow as ma

from titan.common.fields import EmailAddress, ReferralCodeField
from titan.members.schemas import UserDataSchema

REQUIRED = {"required": "This field is required."}


class JoinSchema(ma.Schema):
    """The single-page app posts JSON or a form, sometimes with extra fields."""

    class Meta:
        unknown = ma.EXCLUDE

    email = EmailAddress(required=True, error_messages=REQUIRED)


class WaitlistUserDetailSchema(UserDataSchema):
    email = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "Masked (`j***@example.com`) when found by code only."}
    )


class UserDetailQuerySchema(ma.Schema):
    email = EmailAddress(metadata={"description": "The member's address, in any case."})
    code = ReferralCodeField(metadata={"description": "The member's invite code (or active referral code)."})


class LeaderboardQuerySchema(ma.Schema):
    limit = ma.fields.Integer(
        load_default=10,
        validate=ma.validate.Range(min=1, max=100),
        metadata={"description": "How many referrers (1 to 100, default 10)."},
    )


class LeaderboardEntrySchema(ma.Schema):
    rank = ma.fields.Integer(
        required=True, metadata={"description": "1..n; of equal counts, the earlier ranks higher."}
    )
    name = ma.fields.String(
        required=True, metadata={"description": "The username, or the masked address (`j***@example.com`)."}
    )
    referral_count = ma.fields.Integer(required=True, metadata={"description": "Referrals that count."})
