"""`flask --app wsgi worker`: runs queued jobs until SIGTERM (finishing the jobs in hand), with
retries and exponential backoff, recording each failure."""

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import procrastinate
from flask import g
from procrastinate.jobs import Status
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy.engine import make_url

from titan.common.types import utcnow
from titan.extensions import db
from titan.jobs.models import JobFailure
from titan.jobs.queue import KINDS, QUEUE, log_outcome

log = logging.getLogger("titan.jobs")
# Jobs in `doing` on a worker that sent no heartbeat for this long are taken back (it died).
STALLED_WORKER_SECONDS = 60
# Finished jobs are kept this long for the admin panel, then deleted.
KEEP_FINISHED_HOURS = 7 * 24


class Backoff(BaseRetryStrategy):
    """`max_attempts` runs in all; the first retry after `first_wait` seconds, each next one
    waiting twice as long as the one before."""

    def __init__(self, max_attempts, first_wait):
        self.max_attempts = max_attempts
        self.first_wait = first_wait

    def wait_before(self, attempt):
        """Seconds to wait before run number `attempt + 1`, after run `attempt` (1-based) failed."""
        return self.first_wait * 2 ** (attempt - 1)

    def get_retry_decision(self, *, exception, job):
        attempt = job.attempts + 1  # procrastinate counts the runs before this one
        if attempt >= self.max_attempts:
            return None
        return RetryDecision(retry_in={"seconds": self.wait_before(attempt)})


def conninfo(flask_app):
    """The app's database as a libpq URL (procrastinate's worker speaks psycopg 3)."""
    url = make_url(flask_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def record_failure(job_id, kind, attempt, error):
    """Keep the job's last error (in its own transaction: the job's own work was rolled back)."""
    db.session.rollback()
    db.session.merge(
        JobFailure(
            job_id=job_id,
            kind=kind,
            attempt=attempt,
            error=f"{error.__class__.__name__}: {error}"[:4000],
            failed_at=utcnow(),
        )
    )
    db.session.commit()


def build_worker_app(flask_app):
    """A procrastinate app whose tasks are Titan's job kinds, each run inside `flask_app`'s context."""
    config = flask_app.config
    queue = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(flask_app)))
    backoff = Backoff(config["JOBS_MAX_ATTEMPTS"], config["JOBS_RETRY_SECONDS"])

    def task_for(kind):
        def run(context, payload, request_id=None, base_url=None):
            attempt = context.job.attempts + 1
            started = time.perf_counter()
            with flask_app.app_context():
                g.public_base_url = base_url
                try:
                    kind(**payload)
                except Exception as error:
                    record_failure(context.job.id, kind.name, attempt, error)
                    retried = attempt < backoff.max_attempts
                    outcome = "will retry" if retried else "failed"
                    log_outcome(context.job.id, kind.name, attempt, f"{outcome}: {error}", started, request_id)
                    raise
            log_outcome(context.job.id, kind.name, attempt, "succeeded", started, request_id)

        return run

    for kind in KINDS.values():
        queue.task(name=kind.name, queue=QUEUE, retry=backoff, pass_context=True)(task_for(kind))

    @queue.periodic(cron="*/5 * * * *", periodic_id="housekeeping")
    @queue.task(name="titan.jobs.housekeeping", queue=QUEUE, pass_context=True)
    async def housekeeping(context, timestamp):
        """Take back jobs of workers that died mid-job, and forget long-finished jobs."""
        manager = context.app.job_manager
        for stalled in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_WORKER_SECONDS):
            if stalled.attempts + 1 >= backoff.max_attempts:
                # A job that keeps killing its worker would otherwise run for ever.
                log.error(
                    "job %s (%s) was left running by a dead worker, out of attempts", stalled.id, stalled.task_name
                )
                await manager.finish_job(stalled, status=Status.FAILED, delete_job=False)
                continue
            log.warning("job %s (%s) was left running by a dead worker; retrying it", stalled.id, stalled.task_name)
            await manager.retry_job(stalled)
        await manager.delete_old_jobs(nb_hours=KEEP_FINISHED_HOURS)

    return queue


def run_worker(flask_app, concurrency):
    """Run jobs until SIGTERM or SIGINT; the jobs in hand finish first (a second signal stops at once)."""
    logging.getLogger("procrastinate").setLevel(max(logging.WARNING, logging.getLogger().level))
    queue = build_worker_app(flask_app)

    async def work():
        # Sync jobs run in the loop's default thread pool: make it as wide as the concurrency.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=concurrency))
        async with queue.open_async():
            await queue.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                # New jobs wake the worker at once (LISTEN/NOTIFY); retries are found by this poll.
                fetch_job_polling_interval=flask_app.config["JOBS_POLL_SECONDS"],
                install_signal_handlers=True,
            )

    log.info("worker started: queue %s, %s at a time", QUEUE, concurrency)
    asyncio.run(work())
    log.info("worker stopped")
