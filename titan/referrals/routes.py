from flask_jwt_extended import current_user

from titan.api import ID, Blueprint
from titan.common.guards import auth_required
from titan.common.pagination import PageArgsSchema, page_schema
from titan.limits import shared_limit
from titan.referrals import codes, referred
from titan.referrals.schemas import (
    CodeLookupQuerySchema,
    CodeLookupSchema,
    ReferralCodeCreateSchema,
    ReferralCodeSchema,
    ReferredUserSchema,
)

blp = Blueprint(
    "referrals",
    __name__,
    url_prefix="/api/v1",
    description="Referral codes users create (one active at a time, with an expiry) and who referred whom.",
)


@blp.route("/referral-codes", methods=["POST"])
@auth_required()
@blp.arguments(ReferralCodeCreateSchema)
@blp.response(201, ReferralCodeSchema)
@blp.alt_response(409, response="CONFLICT", description="You already have an active code, or the code is taken.")
def create_referral_code(data):
    """Create your referral code (one active at a time); a code is generated if you give none."""
    return codes.create_referral_code(current_user, data["expires_at"], data.get("code"))


@blp.route("/referral-codes", methods=["GET"])
@auth_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(ReferralCodeSchema))
def list_referral_codes(args):
    """Your referral codes, newest first."""
    return codes.list_referral_codes(current_user, args["page"], args["per_page"])


@blp.route("/referral-codes/active")
@auth_required()
@blp.response(200, ReferralCodeSchema)
@blp.alt_response(404, response="NOT_FOUND", description="No active code.")
def active_referral_code():
    """Your active, unexpired referral code."""
    return codes.require_active_code(current_user)


@blp.route("/referral-codes/lookup")
@shared_limit("lookup")
@blp.arguments(CodeLookupQuerySchema, location="query")
@blp.response(200, CodeLookupSchema)
@blp.alt_response(404, response="NOT_FOUND", description="No such user.")
def lookup_referral_code(args):
    """The code to share for a user, by email: their active referral code, else their invite code."""
    return codes.lookup_code_by_email(args["email"])


@blp.route("/referral-codes/<code>", methods=["DELETE"])
@auth_required()
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND", description="Not one of your codes.")
def delete_referral_code(code):
    """Revoke one of your codes; it stops working at once on every worker (kept for history)."""
    codes.revoke_referral_code(current_user, code)


@blp.route(f"/referrals/<{ID}:referrer_id>")
@auth_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(ReferredUserSchema))
@blp.alt_response(404, response="NOT_FOUND", description="Unknown referrer.")
def referrals_of(args, referrer_id):
    """The users a user referred. Email and phone are shown to the referrer themself and to admins."""
    return referred.referrals_of(referrer_id, current_user, args["page"], args["per_page"])
