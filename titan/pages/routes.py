"""Server-rendered pages. Every form works without JavaScript (post, then redirect); titan.js and
performance.js only enhance them."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from titan.auth import addresses
from titan.common.exceptions import InvalidInput, NotFound, Unauthorized
from titan.limits import shared_limit
from titan.members.standing import member_by_code
from titan.pages import services
from titan.pages.copy import CODE_REASONS, JOINED, PAGE_COPY, copy_for, join_messages_for_script
from titan.pages.forms import CodeLoginForm, ConfirmForm, EmailForm, JoinForm, SignOutForm
from titan.waitlist.leaderboard import top_referrers
from titan.waitlist.membership import join_waitlist, send_activation_link, session_member
from titan.waitlist.session import request_client, session_user_id, sign_in_session, sign_out_session

bp = Blueprint("pages", __name__)
LEADERBOARD_PAGE_ROWS = 25


def session_user():
    """The waitlist member of this browser, or None (a stale session is forgotten)."""
    user_id = session_user_id()
    if user_id is None:
        return None
    try:
        return session_member(user_id)
    except Unauthorized:  # the user is gone or deactivated
        sign_out_session()
        return None


def landing(form=None, code=None, notice=None, status=200, inviter=None):
    member = session_user()
    return render_template(
        "pages/landing.html",
        form=form or JoinForm(),
        code=code,
        notice=notice,
        inviter=inviter,
        standing=services.standing(member) if member else None,
        plain_messages=join_messages_for_script(),
        share_templates=services.share_links(""),
        sparkline=services.sparkline(),
    ), status


def join(code=None):
    """The no-JavaScript join: on success the landing page shows the new standing."""
    form = JoinForm()
    if not form.validate_on_submit():
        return landing(form, code=code, status=400)
    try:
        user = join_waitlist(form.email.data, code, client=request_client()).user
    except (InvalidInput, NotFound) as error:
        if error.reason in CODE_REASONS:
            # The code stopped working between showing the page and posting it: say so; the form
            # shown now joins without it, if the visitor still wants to.
            return landing(form, notice=copy_for(error), status=error.status)
        form.email.errors.append(copy_for(error))
        return landing(form, code=code, status=400)
    sign_in_session(user, proven=True)
    flash(JOINED[current_app.config["EMAIL_CONFIRMATION"]], "success")
    return redirect(url_for("pages.index"), code=303)


@bp.get("/")
def index():
    return landing()


@bp.post("/")
@shared_limit("join")
def join_without_code():
    return join()


@bp.get("/r/<code:code>")
def referral_landing(code):
    applied, notice, inviter = services.invite_from_link(code)
    return landing(code=applied, notice=notice, inviter=inviter)


@bp.post("/r/<code:code>")
@shared_limit("join")
def join_with_code(code):
    return join(code)


@bp.route("/r/<path:mangled>", methods=["GET", "POST"])
def referral_landing_without_a_code(mangled):
    """A referral link that cannot hold a code (cut short, or with punctuation caught from a
    message): a 404 that still lets the visitor join, without a code."""
    return landing(notice=PAGE_COPY["code_not_found"], status=404)


@bp.route("/status", methods=["GET", "POST"])
@shared_limit("lookup", methods=["POST"])
def status():
    """Your standing; or log in with your referral code (the same session as `POST /api/user/{code}/`)."""
    form = CodeLoginForm()
    if form.validate_on_submit():
        try:
            member = member_by_code(form.code.data)
        except (InvalidInput, NotFound):
            form.code.errors.append("We couldn't find that code. Check it against your welcome email.")
        else:
            sign_in_session(member, proven=False)
            return redirect(url_for("pages.status"), code=303)
    return status_page(form=form)


def status_page(form=None, email_form=None, status=None):
    member = session_user()
    form, email_form = form or CodeLoginForm(), email_form or EmailForm()
    return render_template(
        "pages/status.html",
        form=form,
        email_form=email_form,
        action_form=ConfirmForm(),
        sign_out_form=SignOutForm(),
        standing=services.standing(member) if member else None,
        next_step=services.next_step(member) if member else None,
    ), status or (400 if form.errors or email_form.errors else 200)


@bp.post("/status/link")
@shared_limit("mail")
def email_sign_in_link():
    """Mail a sign-in link (the same as `POST /api/v1/auth/email/link`): the page then shows the full address."""
    form = EmailForm()
    if not form.validate_on_submit():
        return status_page(email_form=form)
    addresses.request_sign_in_link(form.email.data)
    flash("If Titan knows this address, a sign-in link is on its way. It works once.", "info")
    return redirect(url_for("pages.status"), code=303)


@bp.post("/status/confirmation")
@shared_limit("mail")
def resend_confirmation():
    """Send the session's member their confirmation link again."""
    member = session_user()
    if member is not None and ConfirmForm().validate_on_submit():
        services.resend_confirmation(member)
        flash("A new confirmation link is on its way (at most one a minute).", "info")
    return redirect(url_for("pages.status"), code=303)


@bp.post("/status/activation")
@shared_limit("mail")
def resend_activation():
    """Send an admitted member without a password the link that sets one."""
    member = session_user()
    if member is not None and ConfirmForm().validate_on_submit():
        send_activation_link(member.id)
        flash("A link to set your password is on its way (at most one a minute).", "info")
    return redirect(url_for("pages.status"), code=303)


@bp.post("/status/sign-out")
def sign_out():
    """Forget which waitlist user this browser is (an admin session, if any, is kept)."""
    if SignOutForm().validate_on_submit():
        sign_out_session()
        flash("Signed out. Your place on the list is kept.", "info")
    return redirect(url_for("pages.status"), code=303)


@bp.get("/leaderboard")
def leaderboard():
    return render_template("pages/leaderboard.html", rows=top_referrers(LEADERBOARD_PAGE_ROWS))


@bp.get("/chart")
def chart():
    return render_template("pages/chart.html", **services.chart_page(request.args.get("period")))


@bp.get("/privacy")
def privacy():
    """What Titan stores about a member, why, for how long, and how to get it exported or erased."""
    return render_template("pages/privacy.html")
