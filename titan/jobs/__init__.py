"""Background jobs: work that talks to the outside (mail, webhooks) leaves the request.

A job is recorded in the same transaction as the change that causes it, so a rolled-back request
queues nothing and a process that dies right after its commit loses nothing. `JOBS_MODE=queue`
keeps jobs in PostgreSQL with procrastinate, and `flask --app wsgi worker` runs them with retries;
`JOBS_MODE=inline` runs each one in the web process right after the commit.

    @job("mail.welcome")
    def send_welcome(user_id): ...

    enqueue(send_welcome, user_id=user.id)   # before commit()
"""

from titan.jobs.queue import enqueue, enqueue_many, job

__all__ = ["enqueue", "enqueue_many", "job"]
