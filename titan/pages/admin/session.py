"""The admin's sign-in: a session login for admins, under its own session key apart from the
waitlist's (`waitlist_user_id`), checked against the database on every request, so that demoting
or deactivating an admin ends their access at once.

The session cookie is signed but kept by the browser, so it cannot be deleted on the server: it
carries the admin's session generation (`users.admin_session_generation`) from sign-in, and
signing out raises that generation, so every admin session of that user opened before, a copy of
the cookie included, stops working on every worker. Revoking all of a user's tokens (logout
everywhere, a password reset or change, deletion) raises it too."""

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from sqlalchemy import update

from titan.auth.login import authenticate
from titan.common.exceptions import Unauthorized
from titan.common.transactions import commit
from titan.extensions import db
from titan.limits import shared_limit
from titan.members.models import User
from titan.pages.forms import AdminLoginForm, SignOutForm

ADMIN_SESSION_KEY = "admin_user_id"
ADMIN_SIGNED_IN_AT_KEY = "admin_signed_in_at"
ADMIN_GENERATION_KEY = "admin_generation"
# An admin sign-in lasts a working day, however long the (waitlist) session cookie lives.
ADMIN_SESSION_SECONDS = 8 * 60 * 60
LOGIN_FAILED = "That email and password don't match an admin account."

auth_bp = Blueprint("admin_auth", __name__)


def current_admin():
    """The signed-in admin, or None. (A primary-key get: the session's identity map answers repeats.)"""
    user_id, signed_in_at = session.get(ADMIN_SESSION_KEY), session.get(ADMIN_SIGNED_IN_AT_KEY)
    if user_id is None or signed_in_at is None or time.time() - signed_in_at >= ADMIN_SESSION_SECONDS:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_admin or not user.is_active:
        return None
    return user if session.get(ADMIN_GENERATION_KEY) == user.admin_session_generation else None


def sign_in_admin(user):
    session[ADMIN_SESSION_KEY] = user.id
    session[ADMIN_SIGNED_IN_AT_KEY] = int(time.time())
    session[ADMIN_GENERATION_KEY] = user.admin_session_generation


def sign_out_admin():
    """End this admin's sessions everywhere (this cookie, and any copy of it), then forget it here."""
    admin = current_admin()
    if admin is not None:
        db.session.execute(
            update(User)
            .where(User.id == admin.id)
            .values(admin_session_generation=User.admin_session_generation + 1)
            .execution_options(synchronize_session="fetch")
        )
        commit()
    for key in (ADMIN_SESSION_KEY, ADMIN_SIGNED_IN_AT_KEY, ADMIN_GENERATION_KEY):
        session.pop(key, None)


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
