import marshmallow as ma

from titan.common.fields import EmailAddress, ReferralCodeField

REQUIRED = {"required": "This field is required."}


class JoinSchema(ma.Schema):
    """The single-page app posts JSON or a form, sometimes with extra fields."""

    class Meta:
        unknown = ma.EXCLUDE

    email = EmailAddress(required=True, error_messages=REQUIRED)


class MilestoneSchema(ma.Schema):
    referrals = ma.fields.Integer(required=True, metadata={"description": "Counted referrals that reach it."})
    reward = ma.fields.String(required=True, metadata={"description": "`skip-K` (K places ahead) or `early-access`."})


class UserDataSchema(ma.Schema):
    referral_count = ma.fields.Integer(required=True, metadata={"description": "Referrals that count."})
    referral_code = ma.fields.String(required=True, metadata={"description": "The user's invite code."})
    wait_list_position = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "1-based; null once admitted or if not waiting."}
    )
    total_registered = ma.fields.Integer(required=True, metadata={"description": "Everyone who joined the waitlist."})
    referral_url = ma.fields.String(required=True)
    email_confirmed = ma.fields.Boolean(
        required=True, metadata={"description": "The address was proven by its confirmation link."}
    )
    pending_referrals = ma.fields.Integer(
        required=True,
        metadata={
            "description": "Friends who joined with the code and have not confirmed their address yet: they count "
            "(in `referral_count`, and move you up) once they do. Always 0 with EMAIL_CONFIRMATION off."
        },
    )
    next_milestone = ma.fields.Nested(
        MilestoneSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The next milestone not reached yet (WAITLIST_MILESTONES), or null."},
    )


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
