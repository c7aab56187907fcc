"""The waitlist routes the single-page app speaks (docs/contract.md §4): these paths and shapes
exactly, with invalid input answered as `{"field": ["message"]}`."""

from titan.api import FIELD_ERRORS, SPA_INVALID_INPUT, Blueprint, path_parameter
from titan.limits import shared_limit
from titan.members.schemas import UserDataSchema
from titan.members.standing import member_by_code, user_data
from titan.waitlist import membership
from titan.waitlist.leaderboard import top_referrers
from titan.waitlist.schemas import (
    JoinSchema,
    LeaderboardEntrySchema,
    LeaderboardQuerySchema,
    UserDetailQuerySchema,
    WaitlistUserDetailSchema,
)
from titan.waitlist.session import proven_session_user_id, request_client, session_user_id, sign_in_session

blp = Blueprint(
    "waitlist",
    __name__,
    url_prefix="/api",
    description="The waitlist the single-page app speaks: join, and see a member's standing.",
    error_shape=FIELD_ERRORS,
)
WAITLIST = {"responses": {"400": SPA_INVALID_INPUT}}
# Examples (docs only): a member who just joined, and one a while later.
JOINED = {
    "referral_count": 0,
    "referral_code": "K7M2QX9D",
    "wait_list_position": 1250,
    "total_registered": 1250,
    "referral_url": "https://titan.example.com/r/K7M2QX9D",
    "email_confirmed": False,
    "pending_referrals": 0,
    "next_milestone": {"referrals": 3, "reward": "skip-50"},
}
MEMBER = {
    **JOINED,
    "referral_count": 3,
    "wait_list_position": 14,
    "email_confirmed": True,
    "pending_referrals": 1,
    "next_milestone": {"referrals": 10, "reward": "early-access"},
}
CODE = path_parameter("code", "An invite code or an active referral code, in any case (`K7M2QX9D`).")


@blp.route("/join/", methods=["POST"])
@shared_limit("join")
@blp.doc(**WAITLIST)
@blp.arguments(JoinSchema, location="json_or_form", example={"email": "ada@example.com"})
@blp.response(201, UserDataSchema, example=JOINED)
def join(data):
    """Join the waitlist; the session cookie then identifies you and a welcome email goes out.

    400 `{"email": ["Enter a valid email address."]}` or `{"email": ["This field must be unique."]}`.
    """
    joined = membership.join_waitlist(data["email"], client=request_client())
    sign_in_session(joined.user, proven=True)
    return user_data(joined.member)


@blp.route("/join/<code:code>/", methods=["POST"], parameters=[CODE])
@shared_limit("join")
@blp.doc(**WAITLIST)
@blp.arguments(JoinSchema, location="json_or_form", example={"email": "grace@example.com"})
@blp.response(
    201,
    UserDataSchema,
    example={**JOINED, "referral_code": "PKGK8NUM", "referral_url": "https://titan.example.com/r/PKGK8NUM"},
)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown code.")
def join_with_code(data, code):
    """Join referred by the owner of `code` (an invite code or an active referral code).

    The referrer moves up the list and gets an email. 404 unknown code; 400 expired or revoked code.
    """
    joined = membership.join_waitlist(data["email"], code, client=request_client())
    sign_in_session(joined.user, proven=True)
    return user_data(joined.member)


@blp.route("/user/")
@blp.doc(**WAITLIST)
@blp.response(200, UserDataSchema, example=MEMBER)
@blp.alt_response(401, response="UNAUTHORIZED", description="Not joined or logged in.")
def session_user_data():
    """The waitlist standing of the session's user.

    The session is the cookie set by joining (`POST /api/join/`), by logging in with a code
    (`POST /api/user/{code}/`) or by a confirmation or sign-in link; without one: 401.
    """
    return user_data(membership.session_member(session_user_id()))


@blp.route("/user/detail/")
@shared_limit("lookup")
@blp.doc(**WAITLIST)
@blp.arguments(UserDetailQuerySchema, location="query")
@blp.response(200, WaitlistUserDetailSchema, example={**MEMBER, "email": "a***@example.com"})
@blp.alt_response(404, response="NOT_FOUND", description="No such user.")
def user_detail(args):
    """User data plus email, found by `email` and/or `code` (both must match if both are given).

    Found by code only, the email is masked (`j***@example.com`) unless the session is that user and
    proved it by an emailed link (joined in this browser, or opened a confirmation or sign-in link);
    a session that logged in with the code alone sees the masked address.
    """
    return membership.member_detail(args.get("email"), args.get("code"), proven_session_user_id())


@blp.route("/user/<code:code>/", methods=["GET"], parameters=[CODE])
@shared_limit("lookup")
@blp.doc(**WAITLIST)
@blp.response(200, UserDataSchema, example=MEMBER)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown code.")
def user_by_code(code):
    """The standing of the owner of `code`. Does not log in.

    What a shared referral link shows: position, referrals and the code itself, never the address.
    """
    return user_data(member_by_code(code))


@blp.route("/user/<code:code>/", methods=["POST"], parameters=[CODE])
@shared_limit("lookup")
@blp.doc(**WAITLIST)
@blp.response(200, UserDataSchema, example=MEMBER)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown code.")
def login_by_code(code):
    """Log the session in as the owner of `code` (waitlist standing only: never an API token).

    The session then reads `GET /api/user/`; it has not proved the address, so
    `GET /api/user/detail/` by code still shows it masked.
    """
    member = member_by_code(code)
    sign_in_session(member, proven=False)
    return user_data(member)


@blp.route("/leaderboard/")
@blp.arguments(LeaderboardQuerySchema, location="query")
@blp.response(
    200,
    LeaderboardEntrySchema(many=True),
    example=[
        {"rank": 1, "name": "ada", "referral_count": 12},
        {"rank": 2, "name": "g***@example.com", "referral_count": 7},
    ],
)
def leaderboard(args):
    """The top referrers: most counted referrals first; of equal counts, whoever reached the count first.

    Members appear by username or masked address, never in full, and can opt out
    (`PATCH /api/v1/users/me {"show_on_leaderboard": false}`). Cached for LEADERBOARD_CACHE_SECONDS
    (30 s), so a change shows within that time.
    """
    return top_referrers(args["limit"])
