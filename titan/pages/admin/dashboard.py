"""The waitlist dashboard: counts, who is next, admitting the next N, the CSV export, the operator's
figures (growth) and the review of suspect referrals."""

import csv
import io
from datetime import date

from flask import Response, flash, redirect, stream_with_context, url_for
from flask_admin import AdminIndexView, expose
from sqlalchemy import func, select

from titan.common.exceptions import ServiceError
from titan.extensions import db
from titan.jobs import status as job_status
from titan.members import ranking, review
from titan.members.models import WAITLIST_ADMITTED, User
from titan.pages.admin import growth
from titan.pages.admin.views import MAX_ID, AdminOnly
from titan.pages.forms import AdmitForm, ConfirmForm
from titan.waitlist.admission import admit_next

EXPORT_HEADER = (
    "position",
    "status",
    "email",
    "invite_code",
    "referral_count",
    "signup_code",
    "joined_at",
    "admitted_at",
)
EXPORT_BATCH = 1000
# A cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@")
NEXT_IN_LINE = 10


class DashboardView(AdminOnly, AdminIndexView):
    @expose("/")
    def index(self):
        stages = growth.funnel()
        activity = growth.per_day()
        return self.render(
            "admin/dashboard.html",
            summary=waitlist_summary(),
            jobs=job_status.counts(),
            admit_form=AdmitForm(),
            funnel=stages,
            viral_coefficient=growth.viral_coefficient(stages[1].count),
            activity=activity,
            charts={name: growth.bars(values) for name, values in activity["series"].items()},
            top_referrers=growth.top_referrers(),
            suspects=review.suspect_referrals(),
            suspect_count=review.suspect_count(),
            review_form=ConfirmForm(),
        )

    @expose("/admit", methods=["POST"])
    def admit(self):
        form = AdmitForm()
        if form.validate_on_submit():
            admitted = admit_next(form.count.data)
            if admitted:
                flash(
                    f"Admitted {len(admitted)} {'person' if len(admitted) == 1 else 'people'}; each got an email.",
                    "success",
                )
            else:
                flash("Nobody is waiting: no one was admitted.", "info")
        else:
            for message in (*form.count.errors, *form.confirm.errors):
                flash(message, "error")
        return redirect(url_for(".index"), code=303)

    # Ids past a 32-bit integer name nobody: a 404 here, not a value the database cannot bind.
    @expose(f"/referrals/<int(min=1, max={MAX_ID}):friend_id>/<any(approve, void):decision>", methods=["POST"])
    def review_referral(self, friend_id, decision):
        """Approve a suspect referral, or void any referral (the referred user's id)."""
        if ConfirmForm().validate_on_submit():
            try:
                friend = review.approve(friend_id) if decision == "approve" else review.void(friend_id)
            except ServiceError as error:
                flash(error.message, "error")
            else:
                done = "approved" if decision == "approve" else "voided"
                flash(f"The referral of {friend.email or f'user {friend.id}'} is {done}.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/waitlist.csv")
    def export_waitlist(self):
        filename = f"titan-waitlist-{date.today().isoformat()}.csv"
        return Response(
            stream_with_context(waitlist_csv_lines()),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )


def waitlist_summary():
    waiting = db.session.scalar(select(func.count()).select_from(User).where(ranking.IS_WAITING))
    total = ranking.total_registered()
    next_users = db.session.scalars(ranking.in_position_order(select(User)).limit(NEXT_IN_LINE))
    return {
        "waiting": waiting,
        "admitted": total - waiting,
        "total": total,
        "next_in_line": list(enumerate(next_users, start=1)),
    }


def spreadsheet_safe(value):
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def waitlist_csv_lines():
    """The waitlist as CSV lines: waiting users in position order, then admitted users by admission.

    Rows are read in batches (a server-side cursor on PostgreSQL), so memory stays flat however long the list.
    """
    columns = (
        User.email,
        User.invite_code,
        User.referral_count,
        User.signup_code,
        User.joined_waitlist_at,
        User.admitted_at,
    )
    waiting = ranking.in_position_order(select(*columns))
    admitted = select(*columns).where(User.waitlist_status == WAITLIST_ADMITTED).order_by(User.admitted_at, User.id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values):
        writer.writerow([spreadsheet_safe(value) for value in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(EXPORT_HEADER)
    rows = db.session.execute(waiting.execution_options(yield_per=EXPORT_BATCH))
    for position, row in enumerate(rows, start=1):
        yield line((position, "waiting", *row))
    for row in db.session.execute(admitted.execution_options(yield_per=EXPORT_BATCH)):
        yield line(("", WAITLIST_ADMITTED, *row))
