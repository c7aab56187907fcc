from flask_jwt_extended import current_user

from titan.api import ID, SPA_INVALID_INPUT, Blueprint
from titan.auth.guards import auth_required
from titan.common.exceptions import Unauthorized
from titan.common.pagination import PageArgsSchema, page_schema
from titan.limits import shared_limit
from titan.referrals import services
from titan.referrals.session import session_user_id, sign_in_session
from titan.referrals.schemas import (
    CodeLookupQuerySchema,
    CodeLookupSchema,
    JoinSchema,
    ReferralCodeCreateSchema,
    ReferralCodeSchema,
    ReferredUserSchema,
    UserDataSchema,
    UserDetailQuerySchema,
    WaitlistUserDetailSchema,
)

blp = Blueprint(
    "referrals",
    __name__,
    description="The waitlist the single-page app speaks (`/api/join/`, `/api/user/`) and referral codes.",
)
WAITLIST = {"tags": ["waitlist"], "responses": {"400": SPA_INVALID_INPUT}}


def session_user():
    user_id = session_user_id()
    if user_id is None:
        raise Unauthorized("Join the waitlist or log in with your referral code first.")
    return services.get_session_user(user_id)


@blp.route("/api/join/", methods=["POST"])
@shared_limit("join")
@blp.doc(**WAITLIST)
@blp.arguments(JoinSchema, location="json_or_form")
@blp.response(201, UserDataSchema)
def join(data):
    """Join the waitlist; the session cookie then identifies you and a welcome email goes out.

    400 `{"email": ["Enter a valid email address."]}` or `{"email": ["This field must be unique."]}`.
    """
    joined = services.join_waitlist(data["email"])
    sign_in_session(joined.user)
    return joined.data


@blp.route("/api/join/<code>/", methods=["POST"])
@shared_limit("join")
@blp.doc(**WAITLIST)
@blp.arguments(JoinSchema, location="json_or_form")
@blp.response(201, UserDataSchema)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown code.")
def join_with_code(data, code):
    """Join referred by the owner of `code` (an invite code or an active referral code).

    The referrer moves up the list and gets an email. 404 unknown code; 400 expired or revoked code.
    """
    joined = services.join_waitlist(data["email"], code)
    sign_in_session(joined.user)
    return joined.data


@blp.route("/api/user/")
@blp.doc(**WAITLIST)
@blp.response(200, UserDataSchema)
@blp.alt_response(401, response="UNAUTHORIZED", description="Not joined or logged in.")
def session_user_data():
    """The waitlist standing of the session's user."""
    return services.user_data(session_user())


@blp.route("/api/user/detail/")
@shared_limit("lookup")
@blp.doc(**WAITLIST)
@blp.arguments(UserDetailQuerySchema, location="query")
@blp.response(200, WaitlistUserDetailSchema)
@blp.alt_response(404, response="NOT_FOUND", description="No such user.")
def user_detail(args):
    """User data plus email, found by `email` and/or `code` (both must match if both are given).

    Found by code only, the email is masked (`j***@example.com`) unless the session is that user.
    """
    user = services.find_waitlist_user(args.get("email"), args.get("code"))
    reveal = "email" in args or session_user_id() == user.id
    email = user.email if reveal or not user.email else services.mask_email(user.email)
    return {**services.user_data(user), "email": email}


@blp.route("/api/user/<code>/", methods=["GET"])
@shared_limit("lookup")
@blp.doc(**WAITLIST)
@blp.response(200, UserDataSchema)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown code.")
def user_by_code(code):
    """The standing of the owner of `code`. Does not log in."""
    return services.user_data(services.user_by_code(code))


@blp.route("/api/user/<code>/", methods=["POST"])
@shared_limit("lookup")
@blp.doc(**WAITLIST)
@blp.response(200, UserDataSchema)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown code.")
def login_by_code(code):
    """Log the session in as the owner of `code` (waitlist standing only: never an API token)."""
    user = services.user_by_code(code)
    sign_in_session(user)
    return services.user_data(user)


@blp.route("/api/v1/referral-codes", methods=["POST"])
@auth_required()
@blp.arguments(ReferralCodeCreateSchema)
@blp.response(201, ReferralCodeSchema)
@blp.alt_response(409, response="CONFLICT", description="You already have an active code, or the code is taken.")
def create_referral_code(data):
    """Create your referral code (one active at a time); a code is generated if you give none."""
    return services.create_referral_code(current_user, data["expires_at"], data.get("code"))


@blp.route("/api/v1/referral-codes", methods=["GET"])
@auth_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(ReferralCodeSchema))
def list_referral_codes(args):
    """Your referral codes, newest first."""
    return services.list_referral_codes(current_user, args["page"], args["per_page"])


@blp.route("/api/v1/referral-codes/active")
@auth_required()
@blp.response(200, ReferralCodeSchema)
@blp.alt_response(404, response="NOT_FOUND", description="No active code.")
def active_referral_code():
    """Your active, unexpired referral code."""
    return services.require_active_code(current_user)


@blp.route("/api/v1/referral-codes/lookup")
@shared_limit("lookup")
@blp.arguments(CodeLookupQuerySchema, location="query")
@blp.response(200, CodeLookupSchema)
@blp.alt_response(404, response="NOT_FOUND", description="No such user.")
def lookup_referral_code(args):
    """The code to share for a user, by email: their active referral code, else their invite code."""
    return services.lookup_code_by_email(args["email"])


@blp.route("/api/v1/referral-codes/<code>", methods=["DELETE"])
@auth_required()
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND", description="Not one of your codes.")
def delete_referral_code(code):
    """Revoke one of your codes; it stops working at once on every worker (kept for history)."""
    services.revoke_referral_code(current_user, code)


@blp.route(f"/api/v1/referrals/<{ID}:referrer_id>")
@auth_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(ReferredUserSchema))
@blp.alt_response(404, response="NOT_FOUND", description="Unknown referrer.")
def referrals_of(args, referrer_id):
    """The users a user referred. Email and phone are shown to the referrer themself and to admins."""
    return services.referrals_of(referrer_id, current_user, args["page"], args["per_page"])
