"""The waitlist routes the single-page app speaks (docs/contract.md §4): these paths and shapes
exactly, with invalid input answered as `{"field": ["message"]}`."""

from titan.api import FIELD_ERRORS, SPA_INVALID_INPUT, Blueprint
from titan.limits import shared_limit
from titan.members.standing import member_by_code, user_data
from titan.waitlist import membership
from titan.waitlist.schemas import JoinSchema, UserDataSchema, UserDetailQuerySchema, WaitlistUserDetailSchema
from titan.waitlist.session import proven_session_user_id, session_user_id, sign_in_session

blp = Blueprint(
    "waitlist",
    __name__,
    url_prefix="/api",
    description="The waitlist the single-page app speaks: join, and see a member's standing.",
    error_shape=FIELD_ERRORS,
)
WAITLIST = {"responses": {"400": SPA_INVALID_INPUT}}


@blp.route("/join/", methods=["POST"])
@shared_limit("join")
@blp.doc(**WAITLIST)
@blp.arguments(JoinSchema, location="json_or_form")
@blp.response(201, UserDataSchema)
def join(data):
    """Join the waitlist; the session cookie then identifies you and a welcome email goes out.

    400 `{"email": ["Enter a valid email address."]}` or `{"email": ["This field must be unique."]}`.
    """
    joined = membership.join_waitlist(data["email"])
    sign_in_session(joined.user, proven=True)
    return user_data(joined.member)


@blp.route("/join/<code>/", methods=["POST"])
@shared_limit("join")
@blp.doc(**WAITLIST)
@blp.arguments(JoinSchema, location="json_or_form")
@blp.response(201, UserDataSchema)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown code.")
def join_with_code(data, code):
    """Join referred by the owner of `code` (an invite code or an active referral code).

    The referrer moves up the list and gets an email. 404 unknown code; 400 expired or revoked code.
    """
    joined = membership.join_waitlist(data["email"], code)
    sign_in_session(joined.user, proven=True)
    return user_data(joined.member)


@blp.route("/user/")
@blp.doc(**WAITLIST)
@blp.response(200, UserDataSchema)
@blp.alt_response(401, response="UNAUTHORIZED", description="Not joined or logged in.")
def session_user_data():
    """The waitlist standing of the session's user."""
    return user_data(membership.session_member(session_user_id()))


@blp.route("/user/detail/")
@shared_limit("lookup")
@blp.doc(**WAITLIST)
@blp.arguments(UserDetailQuerySchema, location="query")
@blp.response(200, WaitlistUserDetailSchema)
@blp.alt_response(404, response="NOT_FOUND", description="No such user.")
def user_detail(args):
    """User data plus email, found by `email` and/or `code` (both must match if both are given).

    Found by code only, the email is masked (`j***@example.com`) unless the session is that user and
    proved it by an emailed link (joined in this browser, or opened a confirmation or sign-in link);
    a session that logged in with the code alone sees the masked address.
    """
    return membership.member_detail(args.get("email"), args.get("code"), proven_session_user_id())


@blp.route("/user/<code>/", methods=["GET"])
@shared_limit("lookup")
@blp.doc(**WAITLIST)
@blp.response(200, UserDataSchema)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown code.")
def user_by_code(code):
    """The standing of the owner of `code`. Does not log in."""
    return user_data(member_by_code(code))


@blp.route("/user/<code>/", methods=["POST"])
@shared_limit("lookup")
@blp.doc(**WAITLIST)
@blp.response(200, UserDataSchema)
@blp.alt_response(404, response="NOT_FOUND", description="Unknown code.")
def login_by_code(code):
    """Log the session in as the owner of `code` (waitlist standing only: never an API token)."""
    member = member_by_code(code)
    sign_in_session(member, proven=False)
    return user_data(member)
