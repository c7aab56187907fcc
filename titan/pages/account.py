"""The pages behind the links Titan emails: confirm an address, set a password (activation, reset),
sign in, unsubscribe, delete one's data. A link that is forged, expired, used, or made for another
purpose gets a page that says so (400) and how to get a fresh one.

Only `GET /confirm/{token}` acts on a plain visit (confirming twice is harmless); the others show a
form or a button first, so that a mail scanner that follows links uses nothing up."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from titan.auth import activation, addresses, credentials, privacy
from titan.common.exceptions import ServiceError
from titan.extensions import csrf
from titan.members import links
from titan.members.standing import member_by_id
from titan.pages import services
from titan.pages.copy import copy_for
from titan.pages.forms import ActivateForm, ConfirmForm, SetPasswordForm
from titan.waitlist.session import sign_in_session, sign_out_session

bp = Blueprint("account", __name__)


def link_problem(error):
    """The page for a link that does not work (or a rule that says no)."""
    return render_template("pages/link.html", problem=copy_for(error), reason=error.reason), error.status


def unusable(token, purpose):
    """The problem page for a link that cannot be used, or None: checked before its form is shown,
    so nobody fills in a form that cannot work (reading a link uses nothing up)."""
    try:
        links.read_link(token, purpose)
    except ServiceError as error:
        return link_problem(error)
    return None


def signed_in_as(user):
    """The browser's waitlist session is now this member, proven by their emailed link."""
    member = member_by_id(user.id)
    if member is not None:
        sign_in_session(member, proven=True)


@bp.get("/confirm/<token>")
def confirm(token):
    try:
        user, already = addresses.confirm(token)
    except ServiceError as error:
        return link_problem(error)
    signed_in_as(user)
    flash("Your email address was confirmed already." if already else "Your email address is confirmed.", "success")
    return redirect(url_for("pages.status"), code=303)


def password_page(token, form, *, activating):
    return render_template("pages/set_password.html", form=form, token=token, activating=activating)


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token):
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = activation.activate(token, form.password.data, form.username.data or None)
        except ServiceError as error:
            if error.field == "username":
                form.username.errors.append(copy_for(error))
                return password_page(token, form, activating=True), 409
            return link_problem(error)
        signed_in_as(user)
        return render_template("pages/account_ready.html", user=user, how=services.sign_in_help())
    if form.errors:
        return password_page(token, form, activating=True), 400
    return unusable(token, links.ACTIVATE) or password_page(token, form, activating=True)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token):
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = credentials.reset_password(token, form.password.data)
        except ServiceError as error:
            return link_problem(error)
        return render_template("pages/account_ready.html", user=user, how=services.sign_in_help(), reset=True)
    if form.errors:
        return password_page(token, form, activating=False), 400
    return unusable(token, links.RESET) or password_page(token, form, activating=False)


def button_page(action, token, form):
    return render_template("pages/link_action.html", action=action, token=token, form=form)


@bp.route("/signin/<token>", methods=["GET", "POST"])
def sign_in(token):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = addresses.sign_in_by_link(token)
        except ServiceError as error:
            return link_problem(error)
        signed_in_as(user)
        flash("You're signed in to your place on the waitlist.", "success")
        return redirect(url_for("pages.status"), code=303)
    return unusable(token, links.SIGN_IN) or button_page("sign_in", token, form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST the link itself ("List-Unsubscribe=One-Click"); the token is the proof
def unsubscribe(token):
    if request.method == "POST":
        try:
            addresses.unsubscribe(token)
        except ServiceError as error:
            return link_problem(error)
        return render_template("pages/unsubscribed.html")
    return unusable(token, links.UNSUBSCRIBE) or button_page("unsubscribe", token, ConfirmForm())


@bp.route("/delete/<token>", methods=["GET", "POST"])
def delete(token):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            privacy.erase_by_link(token)
        except ServiceError as error:
            return link_problem(error)
        sign_out_session()
        return render_template("pages/deleted.html")
    return unusable(token, links.DELETE) or button_page("delete", token, form)
