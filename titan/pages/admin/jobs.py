"""The panel's view of background jobs: pending, done and failed (with attempts and last error),
and retrying a failed one."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose

from titan.common.exceptions import Conflict, NotFound
from titan.common.transactions import commit
from titan.jobs import status
from titan.pages.admin.views import AdminOnly
from titan.pages.forms import RetryJobForm

PAGE_SIZE = 50


class JobsView(AdminOnly, BaseView):
    @expose("/")
    def index(self):
        state = request.args.get("state", "failed")
        if state not in status.STATES:
            abort(404)
        page = request.args.get("page", 1, type=int)
        listed = status.list_jobs(state, max(1, min(page, 100_000)), PAGE_SIZE) if status.queue_enabled() else None
        return self.render(
            "admin/jobs.html",
            state=state,
            states=tuple(status.STATES),
            counts=status.counts(),
            listed=listed,
            retry_form=RetryJobForm(),
        )

    # Job ids are 64-bit: a larger one is a 404, not a value PostgreSQL refuses.
    @expose(f"/<int(min=1, max={2**63 - 1}):job_id>/retry", methods=["POST"])
    def retry(self, job_id):
        if not status.queue_enabled():
            abort(404)
        if RetryJobForm().validate_on_submit():
            try:
                status.retry_failed(job_id)
            except (NotFound, Conflict) as error:
                flash(error.message, "error")
            else:
                commit()
                flash(f"Job {job_id} is queued again.", "success")
        return redirect(url_for(".index", state="failed"), code=303)
