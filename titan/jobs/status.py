"""What the admin panel shows of the queue: counts by status, the jobs, their last errors; and
retrying a failed job."""

from sqlalchemy import func, select

from titan.common.exceptions import Conflict, NotFound
from titan.common.pagination import paginate
from titan.common.types import utcnow
from titan.extensions import db, job_queue
from titan.jobs.models import JobFailure, procrastinate_jobs

# The panel's names for procrastinate's statuses.
STATES = {"pending": ("todo", "doing"), "done": ("succeeded",), "failed": ("failed", "aborted", "cancelled")}


def queue_enabled():
    return job_queue.queue is not None


def counts():
    """`{"pending": n, "done": n, "failed": n}`, or None in inline mode (there is no queue)."""
    if not queue_enabled():
        return None
    by_status = dict(
        db.session.execute(
            select(procrastinate_jobs.c.status, func.count()).group_by(procrastinate_jobs.c.status)
        ).all()
    )
    return {state: sum(by_status.get(status, 0) for status in statuses) for state, statuses in STATES.items()}


def list_jobs(state, page, per_page):
    """A page of jobs in `state` (newest first), each with its last error if it ever failed."""
    statement = (
        select(
            procrastinate_jobs.c.id,
            procrastinate_jobs.c.task_name,
            procrastinate_jobs.c.status,
            procrastinate_jobs.c.attempts,
            procrastinate_jobs.c.scheduled_at,
            procrastinate_jobs.c.args,
            JobFailure.error,
            JobFailure.failed_at,
        )
        .outerjoin(JobFailure, JobFailure.job_id == procrastinate_jobs.c.id)
        .where(procrastinate_jobs.c.status.in_(STATES[state]))
        .order_by(procrastinate_jobs.c.id.desc())
    )
    return paginate(statement, page, per_page, rows=True)


def retry_failed(job_id):
    """Run a failed job once more, now."""
    status = db.session.scalar(select(procrastinate_jobs.c.status).where(procrastinate_jobs.c.id == job_id))
    if status is None:
        raise NotFound("job_not_found", "Job not found")
    if status != "failed":
        raise Conflict("job_not_failed", "Only a failed job can be retried.")
    job_queue.queue.job_manager.retry_job_by_id(job_id=job_id, retry_at=utcnow())
