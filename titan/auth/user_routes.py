"""The `/api/v1/users` routes: your profile, your data (export, deletion) and, for admins, all users."""

from flask import jsonify
from flask.views import MethodView
from flask_jwt_extended import current_user

from titan.api import ID, Blueprint, path_parameter
from titan.auth import privacy, users
from titan.auth.examples import USER
from titan.auth.schemas import (
    AcceptedSchema,
    DeleteAccountSchema,
    ExportSchema,
    UserDetailSchema,
    UserListArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from titan.common.guards import auth_required
from titan.common.pagination import page_schema

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Profiles and, for admins, all users.")


@blp.route("/me")
class Me(MethodView):
    @auth_required()
    @blp.response(200, UserSchema, example=USER)
    def get(self):
        """The signed-in user.

        Your profile as `PATCH` changes it; `balance` is your calculator balance in credits.
        """
        return current_user

    @auth_required()
    @blp.arguments(UserUpdateSchema, example={"first_name": "Augusta Ada", "email": "ada@lovelace.example.com"})
    @blp.response(
        200, UserSchema, example={**USER, "first_name": "Augusta Ada", "pending_email": "ada@lovelace.example.com"}
    )
    @blp.alt_response(409, response="CONFLICT", description="Email or username already taken.")
    def patch(self, changes):
        """Change your profile, or set who invited you (`invited_by_code`, once).

        A new `email` is kept in `pending_email` until the link mailed to it is used; the current
        address stays, and gets a notice. The new address must be free now and when confirmed.
        """
        return users.update_profile(current_user, changes)

    @auth_required()
    @blp.arguments(DeleteAccountSchema, required=False, example={"password": "correct-horse-42"})
    @blp.response(204)
    @blp.alt_response(
        202,
        schema=AcceptedSchema,
        description="A deletion link was mailed.",
        example={"detail": "Check your email to confirm the deletion."},
    )
    def delete(self, data):
        """Erase your personal data.

        Email, phone, names, password and profile go; every token and code is revoked and you leave
        the waitlist. Your ledger stays, anonymised; referrals you made stay
        counted. The address can join again later as a new person.

        Send your `password`. Without a password: a first call with an address on the account
        mails a deletion link (202); send its `token` (or open the link) to confirm.
        """
        if not privacy.request_deletion(current_user, data.get("password"), data.get("token")):
            return jsonify({"detail": "Check your email to confirm the deletion."}), 202
        return None


@blp.route("/me/export")
@auth_required()
@blp.response(
    200,
    ExportSchema,
    example={
        "profile": {
            "id": 42,
            "email": "ada@example.com",
            "pending_email": None,
            "email_confirmed_at": "2026-11-02T09:16:03+00:00",
            "phone": None,
            "username": "ada",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company": None,
            "location": None,
            "avatar_url": None,
            "invite_code": "H8FJXHKR",
            "signup_code": "K7M2QX9D",
            "waitlist_status": None,
            "joined_waitlist_at": None,
            "admitted_at": None,
            "balance": 2495,
            "is_admin": False,
            "mail_opt_out": False,
            "created_at": "2026-11-02T09:14:27+00:00",
        },
        "waitlist": None,
        "referred_by": {"id": 7, "invite_code": "K7M2QX9D"},
        "referred": [{"id": 57, "username": "grace", "joined_at": "2026-11-20T18:02:11+00:00", "counted": True}],
        "referral_codes": [
            {
                "code": "SE65ZTX3",
                "status": "active",
                "expires_at": "2027-06-30T23:59:59+00:00",
                "created_at": "2026-11-03T10:00:00+00:00",
            }
        ],
        "records": [
            {
                "id": 311,
                "operation": "division",
                "amount": 5,
                "user_balance": 2495,
                "operation_response": "2.5",
                "created_at": "2026-11-04T08:30:00+00:00",
                "deleted_at": None,
            }
        ],
        "exported_at": "2026-12-03T12:07:08+00:00",
    },
)
def export_me():
    """Everything Titan stores about you.

    Profile, waitlist standing, who referred you and whom you referred, your referral codes, your
    records and balance: what a data-access request asks for.
    """
    return privacy.export(current_user)


@blp.route("/")
@auth_required(admin=True)
@blp.arguments(UserListArgsSchema, location="query")
@blp.response(
    200, page_schema(UserSchema), example={"items": [USER], "total": 1250, "page": 1, "per_page": 20, "pages": 63}
)
def list_users(args):
    """All users (admins only).

    `search` matches email, phone, username or invite code; the list is paged and sorted by
    `sort_by` and `direction` (by id by default).
    """
    return users.list_users(**args)


@blp.route(f"/<{ID}:user_id>", parameters=[path_parameter("user_id", "The user's id.")])
@auth_required()
@blp.response(
    200,
    UserDetailSchema,
    example={
        **USER,
        "invited": [
            {
                "id": 57,
                "username": "grace",
                "phone": None,
                "email": "grace@example.com",
                "created_at": "2026-11-20T18:02:11+00:00",
            }
        ],
    },
)
@blp.alt_response(403, response="FORBIDDEN", description="Someone else's account, and you are not an admin.")
@blp.alt_response(404, response="NOT_FOUND", description="No such user (admins only: others get 403).")
def user_detail(user_id):
    """A user with the people they invited: for the user themself or an admin.

    `invited` lists the 100 most recent invitees, newest first; all of them are in
    `GET /api/v1/referrals/{referrer_id}`.
    """
    return users.user_detail(user_id, current_user)
