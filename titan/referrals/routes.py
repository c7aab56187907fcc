from flask_jwt_extended import current_user

from titan.api import ID, Blueprint, path_parameter
from titan.common.guards import auth_required
from titan.common.pagination import PageArgsSchema, page_schema
from titan.limits import shared_limit
from titan.referrals import codes, lookup, referred
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
# Examples (docs only).
REFERRAL_CODE = {
    "id": 12,
    "code": "SE65ZTX3",
    "expires_at": "2027-06-30T23:59:59+00:00",
    "is_active": True,
    "status": "active",
    "created_at": "2026-11-03T10:00:00+00:00",
}


@blp.route("/referral-codes", methods=["POST"])
@auth_required()
@blp.arguments(ReferralCodeCreateSchema, example={"code": "SE65ZTX3", "expires_at": "2027-06-30T23:59:59Z"})
@blp.response(201, ReferralCodeSchema, example=REFERRAL_CODE)
@blp.alt_response(409, response="CONFLICT", description="You already have an active code, or the code is taken.")
def create_referral_code(data):
    """Create your referral code (one active at a time); a code is generated if you give none.

    A generated code is 8 characters from `23456789ABCDEFGHJKMNPQRSTUVWXYZ`; a chosen one is stored
    upper-case. An `expires_at` in the past: 400. Delete the active code before creating another.
    """
    return codes.create_referral_code(current_user, data["expires_at"], data.get("code"))


@blp.route("/referral-codes", methods=["GET"])
@auth_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(
    200,
    page_schema(ReferralCodeSchema),
    example={
        "items": [
            REFERRAL_CODE,
            {
                **REFERRAL_CODE,
                "id": 9,
                "code": "PW4HN7CE",
                "is_active": False,
                "status": "revoked",
                "created_at": "2026-10-21T16:45:00+00:00",
            },
        ],
        "total": 2,
        "page": 1,
        "per_page": 20,
        "pages": 1,
    },
)
def list_referral_codes(args):
    """Your referral codes, newest first.

    Revoked and expired codes included (`status` says which), paged.
    """
    return codes.list_referral_codes(current_user, args["page"], args["per_page"])


@blp.route("/referral-codes/active")
@auth_required()
@blp.response(200, ReferralCodeSchema, example=REFERRAL_CODE)
@blp.alt_response(404, response="NOT_FOUND", description="No active code.")
def active_referral_code():
    """Your active, unexpired referral code.

    Without one (none created, deleted or expired): 404 "You have no active referral code.".
    """
    return codes.require_active_code(current_user)


@blp.route("/referral-codes/lookup")
@shared_limit("lookup")
@blp.arguments(CodeLookupQuerySchema, location="query")
@blp.response(200, CodeLookupSchema, example={"code": "SE65ZTX3", "expires_at": "2027-06-30T23:59:59+00:00"})
@blp.alt_response(404, response="NOT_FOUND", description="No such user.")
def lookup_referral_code(args):
    """The code to share for a user, by email: their active referral code, else their invite code.

    No token needed. An invite code never expires (`expires_at` is null); an unknown address: 404.
    Cached, and dropped as soon as a change to the user or their codes commits.
    """
    return lookup.lookup_code_by_email(args["email"])


@blp.route(
    "/referral-codes/<code:code>",
    methods=["DELETE"],
    parameters=[path_parameter("code", "One of your codes, in any case.")],
)
@auth_required()
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND", description="Not one of your codes.")
def delete_referral_code(code):
    """Revoke one of your codes; it stops working at once on every worker (kept for history).

    Revoking a code already revoked or expired changes nothing (204); a code that is not yours: 404.
    You can then create a new one.
    """
    codes.revoke_referral_code(current_user, code)


@blp.route(f"/referrals/<{ID}:referrer_id>", parameters=[path_parameter("referrer_id", "The referrer's user id.")])
@auth_required(read_only=True)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(
    200,
    page_schema(ReferredUserSchema),
    example={
        "items": [
            {
                "id": 57,
                "username": "grace",
                "created_at": "2026-11-20T18:02:11+00:00",
                "email": "grace@example.com",
                "phone": None,
            }
        ],
        "total": 1,
        "page": 1,
        "per_page": 20,
        "pages": 1,
    },
)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown referrer.")
def referrals_of(args, referrer_id):
    """The users a user referred, oldest first.

    Email and phone are shown to the referrer themself and to admins; anyone else signed in gets
    `id`, `username` and `created_at` only.
    """
    return referred.referrals_of(referrer_id, current_user, args["page"], args["per_page"])
