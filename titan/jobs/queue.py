"""Declaring job kinds and queueing jobs."""

import logging
import time

from flask import current_app, g, has_request_context
from procrastinate.jobs import Job as QueuedJob

from titan.common.transactions import after_commit
from titan.common.urls import public_base_url
from titan.extensions import db, job_queue

log = logging.getLogger("titan.jobs")
QUEUE = "titan"


class Job:
    """A kind of job: a name (stored with each queued job) and the function that does it."""

    def __init__(self, name, handler):
        self.name = name
        self.handler = handler
        self.__doc__ = handler.__doc__

    def __call__(self, **payload):
        return self.handler(**payload)

    def __repr__(self):
        return f"<Job {self.name}>"


# The kinds of job this code knows, by name: code, filled at import time, the same in every process.
KINDS = {}


def job(name):
    """Declare a kind of job; its payload is keyword arguments that JSON can carry."""

    def declare(handler):
        if name in KINDS:
            raise RuntimeError(f"job {name!r} declared twice")
        KINDS[name] = Job(name, handler)
        return KINDS[name]

    return declare


def request_origin():
    """What a job keeps of the request that queued it: its id (for the logs) and, when
    PUBLIC_BASE_URL is not set, the address it came to (for links in mail)."""
    if not has_request_context():
        return None, None
    base_url = None if current_app.config.get("PUBLIC_BASE_URL") else public_base_url()
    return g.get("request_id"), base_url


def enqueue(kind, **payload):
    """Queue `kind(**payload)` in the current transaction: it runs once that commits, never if not."""
    enqueue_many(kind, [payload])


def enqueue_many(kind, payloads):
    """Queue one job of `kind` per payload, in one statement."""
    if not payloads:
        return
    request_id, base_url = request_origin()
    queue = job_queue.queue
    if queue is None:
        for payload in payloads:
            after_commit(lambda payload=payload: run_inline(kind, payload, request_id))
        return
    # Straight to the job manager (one statement for all): procrastinate's deferrer would also
    # build a log record of every job, per request, for a debug line nobody reads.
    jobs = [
        QueuedJob(
            queue=QUEUE,
            lock=None,
            queueing_lock=None,
            task_name=kind.name,
            task_kwargs={"payload": payload, "request_id": request_id, "base_url": base_url},
        )
        for payload in payloads
    ]
    queue.job_manager.batch_defer_jobs(jobs, connection=db.session.connection())


def run_inline(kind, payload, request_id):
    """JOBS_MODE=inline: do the job now, after the commit, in this process. A failure is logged
    (there is no queue to retry from); it never fails the request, whose change is committed."""
    started = time.perf_counter()
    # The request's session keeps its objects past the commit (expire_on_commit is off), some read
    # before a bulk UPDATE: a job reads the database as it is now, as it would in a worker.
    db.session.expire_all()
    try:
        kind(**payload)
    except Exception as error:
        log_outcome(None, kind.name, 1, f"failed: {error.__class__.__name__}: {error}", started, request_id)
        log.exception("inline job %s failed", kind.name)
        db.session.rollback()
        return
    log_outcome(None, kind.name, 1, "succeeded", started, request_id)


def log_outcome(job_id, kind, attempt, outcome, started, request_id):
    """One line per job run (a JSON object with LOG_JSON)."""
    duration = round((time.perf_counter() - started) * 1000, 1)
    log.info(
        "job %s %s attempt %s: %s in %sms",
        job_id if job_id is not None else "inline",
        kind,
        attempt,
        outcome,
        duration,
        extra={
            "job_id": job_id,
            "kind": kind,
            "attempt": attempt,
            "outcome": outcome,
            "duration_ms": duration,
            "request_id": request_id or "-",
        },
    )
