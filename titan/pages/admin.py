"""The admin panel at /admin: a session login for admins, read-only Flask-Admin views of users,
referral codes and records, and the waitlist dashboard (admit the next N, export as CSV).

The admin's sign-in lives under its own session key, apart from the waitlist's (`waitlist_user_id`),
and is checked against the database on every request: demoting or deactivating an admin ends their
access at once. Every form posts with a CSRF token (the panel is not exempt from CSRFProtect).
"""

import time
from datetime import date, datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, session, stream_with_context, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_admin.theme import Bootstrap4Theme
from sqlalchemy.orm import joinedload

from titan.auth.models import User
from titan.auth.services import authenticate
from titan.calculator.models import Record
from titan.common.exceptions import Unauthorized
from titan.extensions import db
from titan.limits import shared_limit
from titan.pages import services
from titan.pages.forms import AdminLoginForm, AdmitForm, SignOutForm
from titan.referrals.models import ReferralCode
from titan.referrals.services import admit_next

ADMIN_SESSION_KEY = "admin_user_id"
ADMIN_SIGNED_IN_AT_KEY = "admin_signed_in_at"
# An admin sign-in lasts a working day, however long the (waitlist) session cookie lives.
ADMIN_SESSION_SECONDS = 8 * 60 * 60
LOGIN_FAILED = "That email and password don't match an admin account."

auth_bp = Blueprint("admin_auth", __name__)


# --- the admin session -------------------------------------------------------------------------


def current_admin():
    """The signed-in admin, or None. (A primary-key get: the session's identity map answers repeats.)"""
    user_id, signed_in_at = session.get(ADMIN_SESSION_KEY), session.get(ADMIN_SIGNED_IN_AT_KEY)
    if user_id is None or signed_in_at is None or time.time() - signed_in_at >= ADMIN_SESSION_SECONDS:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_admin and user.is_active else None


def sign_in_admin(user):
    session[ADMIN_SESSION_KEY] = user.id
    session[ADMIN_SIGNED_IN_AT_KEY] = int(time.time())


def sign_out_admin():
    session.pop(ADMIN_SESSION_KEY, None)
    session.pop(ADMIN_SIGNED_IN_AT_KEY, None)


def safe_next(target):
    """Only a path inside the panel: never another site (`//evil.example`) after sign-in."""
    if target and target.startswith("/admin") and not target.startswith("/admin/login"):
        return target
    return url_for("admin.index")


@auth_bp.route("/admin/login", methods=["GET", "POST"])
@shared_limit("login", methods=["POST"])
def login():
    if current_admin() is not None:
        return redirect(safe_next(request.args.get("next")))
    form = AdminLoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except Unauthorized:
            user = None
        if user is not None and user.is_admin:
            sign_in_admin(user)
            return redirect(safe_next(request.args.get("next")), code=303)
        form.password.errors.append(LOGIN_FAILED)
    return render_template("admin/login.html", form=form), (400 if form.errors else 200)


@auth_bp.post("/admin/logout")
def logout():
    if SignOutForm().validate_on_submit():
        sign_out_admin()
        flash("You are signed out of the admin panel.", "info")
    return redirect(url_for("admin_auth.login"), code=303)


# --- Flask-Admin views ---------------------------------------------------------------------------


class AdminOnly:
    """Every panel view: admins only; anyone else is sent to the sign-in page."""

    def is_accessible(self):
        return current_admin() is not None

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))

    def render(self, template, **kwargs):
        return super().render(template, sign_out_form=SignOutForm(), signed_in_admin=current_admin(), **kwargs)


class DashboardView(AdminOnly, AdminIndexView):
    @expose("/")
    def index(self):
        return self.render("admin/dashboard.html", summary=services.waitlist_summary(), admit_form=AdmitForm())

    @expose("/admit", methods=["POST"])
    def admit(self):
        form = AdmitForm()
        if form.validate_on_submit():
            admitted = admit_next(form.count.data)
            if admitted:
                flash(f"Admitted {len(admitted)} {'person' if len(admitted) == 1 else 'people'}; each got an email.", "success")
            else:
                flash("Nobody is waiting: no one was admitted.", "info")
        else:
            for message in form.count.errors:
                flash(message, "error")
        return redirect(url_for(".index"), code=303)

    @expose("/waitlist.csv")
    def export_waitlist(self):
        filename = f"titan-waitlist-{date.today().isoformat()}.csv"
        return Response(
            stream_with_context(services.waitlist_csv_lines()),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )


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

    def get_one(self, id):
        """One row, with the relations its columns show loaded (the models' relations never lazy-load)."""
        try:
            key = int(id)
        except ValueError:
            return None
        related = [joinedload(relation) for relation in self.column_select_related_list or ()]
        return db.session.get(self.model, key, options=related)


class UserView(ReadOnlyModelView):
    column_list = (
        "id", "email", "username", "phone", "invite_code", "referral_count",
        "waitlist_status", "balance", "is_admin", "is_active", "created_at",
    )
    column_details_list = (
        "id", "email", "phone", "username", "first_name", "last_name", "company", "location",
        "invite_code", "referred_by_id", "signup_code", "referral_count", "waitlist_status",
        "waitlist_boost", "joined_waitlist_at", "admitted_at", "balance", "is_admin", "is_active", "created_at",
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
    column_list = ("id", "user_id", "operation.name", "amount", "user_balance", "operation_response", "created_at", "deleted_at")
    column_details_list = column_list
    column_select_related_list = (Record.operation,)
    column_searchable_list = ("operation_response", "operation.name")
    column_default_sort = ("id", True)
    column_labels = {"user_id": "User id", "operation.name": "Operation"}


def init_admin(app):
    """Build the panel for this app. Flask-Admin views keep the app they were registered with, so
    each app (the tests build many) gets its own Admin rather than sharing a module-level one."""
    admin = Admin(
        app,
        name="Titan admin",
        # Bootstrap, jQuery and the icons are Flask-Admin's bundled copies, served from /admin/static.
        # The default swatch: most others @import Google Fonts, and no request may leave the machine.
        theme=Bootstrap4Theme(base_template="admin/titan_master.html", swatch="default", fluid=True),
        index_view=DashboardView(name="Waitlist"),
    )
    admin.add_views(
        UserView(User, db, name="Users"),
        ReferralCodeView(ReferralCode, db, name="Referral codes"),
        RecordView(Record, db, name="Records"),
    )
    app.register_blueprint(auth_bp)
    return admin
