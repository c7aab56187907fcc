"""The panel's read-only views of users, referral codes, records and webhook deliveries (the
endpoints themselves are managed in `webhooks`)."""

from datetime import datetime

from flask import redirect, request, url_for
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from sqlalchemy.orm import joinedload

from titan.calculator.models import Record
from titan.extensions import db
from titan.members.models import ReferralCode
from titan.pages.admin.session import current_admin
from titan.pages.forms import SignOutForm


class AdminOnly:
    """Every panel view: admins only; anyone else is sent to the sign-in page."""

    def is_accessible(self):
        return current_admin() is not None

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))

    def render(self, template, **kwargs):
        return super().render(template, sign_out_form=SignOutForm(), signed_in_admin=current_admin(), **kwargs)


# Far past any real list (50 million rows at 50 a page), and an offset every database can bind.
MAX_PAGE = 1_000_000
MAX_ID = 2**31 - 1


def utc_minutes(view, value, name):
    return value.strftime("%Y-%m-%d %H:%M UTC")


class ReadOnlyModelView(AdminOnly, ModelView):
    """Browse and search only. Balances, ranks and codes change through the services that keep
    the ledger, the ranking and the referral counts consistent, never by editing a row."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    can_set_page_size = True
    page_size = 50
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: utc_minutes}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: utc_minutes}

    def _get_list_extra_args(self):
        """The list's query arguments, the page clamped to 0..MAX_PAGE (`?page=-5` is the first
        page, `?page=10**20` an empty one) rather than an OFFSET the database refuses."""
        args = super()._get_list_extra_args()
        args.page = min(max(args.page or 0, 0), MAX_PAGE)
        return args

    def get_one(self, id):
        """One row, with the relations its columns show loaded (the models' relations never lazy-load)."""
        try:
            key = int(id)
        except ValueError:
            return None
        if not 0 < key <= MAX_ID:
            return None
        related = [joinedload(relation) for relation in self.column_select_related_list or ()]
        return db.session.get(self.model, key, options=related)


class UserView(ReadOnlyModelView):
    column_list = (
        "id",
        "email",
        "username",
        "phone",
        "invite_code",
        "referral_count",
        "waitlist_status",
        "balance",
        "is_admin",
        "is_active",
        "created_at",
    )
    column_details_list = (
        "id",
        "email",
        "phone",
        "username",
        "first_name",
        "last_name",
        "company",
        "location",
        "invite_code",
        "referred_by_id",
        "signup_code",
        "referral_count",
        "waitlist_status",
        "waitlist_boost",
        "joined_waitlist_at",
        "admitted_at",
        "balance",
        "is_admin",
        "is_active",
        "created_at",
    )
    column_searchable_list = ("email", "username", "phone", "invite_code")
    column_default_sort = ("id", True)
    column_labels = {"referred_by_id": "Referred by (user id)", "waitlist_boost": "Boost (places gained by referrals)"}


class ReferralCodeView(ReadOnlyModelView):
    column_list = ("id", "code", "owner.email", "status", "expires_at", "created_at", "revoked_at")
    column_details_list = ("id", "code", "owner_id", "owner.email", "status", "expires_at", "created_at", "revoked_at")
    column_select_related_list = (ReferralCode.owner,)
    column_searchable_list = ("code", "owner.email")
    column_default_sort = ("id", True)
    column_labels = {"owner.email": "Owner"}


class RecordView(ReadOnlyModelView):
    column_list = (
        "id",
        "user_id",
        "operation.name",
        "amount",
        "user_balance",
        "operation_response",
        "created_at",
        "deleted_at",
    )
    column_details_list = column_list
    column_select_related_list = (Record.operation,)
    column_searchable_list = ("operation_response", "operation.name")
    column_default_sort = ("id", True)
    column_labels = {"user_id": "User id", "operation.name": "Operation"}


class WebhookDeliveryView(ReadOnlyModelView):
    """The delivery log: every event for every endpoint, its attempts and the last answer or error.
    Read-only: deliveries are written by the events and their jobs."""

    column_list = (
        "id",
        "endpoint_id",
        "event_type",
        "status",
        "attempts",
        "response_status",
        "last_error",
        "created_at",
        "delivered_at",
    )
    column_details_list = (*column_list, "event_id", "body")
    column_filters = ("endpoint_id", "status", "event_type")
    column_searchable_list = ("event_id", "event_type")
    column_default_sort = ("id", True)
    column_labels = {"endpoint_id": "Endpoint", "response_status": "HTTP status"}
