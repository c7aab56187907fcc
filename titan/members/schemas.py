"""The waitlist user data object (titan.members.standing.user_data): the answer of the waitlist
API, and a member's standing in their data export."""

import marshmallow as ma


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
