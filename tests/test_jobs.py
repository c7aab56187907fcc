"""Background jobs (docs/contract.md §9): recorded with the change, delivered by the worker with
retries, visible and retryable in the admin panel. Inline mode runs on both backends; the queue
and the worker run on PostgreSQL."""

import signal
import time

import pytest
from sqlalchemy import func, select, text

from conftest import PASSWORD, wait_for
from titan import create_app
from titan.extensions import db
from titan.jobs.models import JobFailure, procrastinate_jobs
from titan.jobs.worker import Backoff
from titan.members.models import User
from titan.waitlist.admission import admit_next

# Jobs the requests queued (the worker also queues its own housekeeping job).
QUEUED_BY_REQUESTS = procrastinate_jobs.c.task_name != "titan.jobs.housekeeping"


def jobs_by_status():
    db.session.rollback()  # a fresh snapshot
    statement = select(procrastinate_jobs.c.status, func.count()).where(QUEUED_BY_REQUESTS).group_by("status")
    return dict(db.session.execute(statement).all())


def job_rows():
    db.session.rollback()
    statement = select(procrastinate_jobs).where(QUEUED_BY_REQUESTS).order_by(procrastinate_jobs.c.id)
    return db.session.execute(statement).all()


@pytest.fixture
def queue_app(make_app, postgres_only):
    app = make_app(JOBS_MODE="queue")
    with app.app_context():
        yield app


def join(app, email, code=None):
    response = app.test_client().post(f"/api/join/{code}/" if code else "/api/join/", json={"email": email})
    assert response.status_code == 201, response.get_json()
    return response


# --- inline mode (both backends) ---------------------------------------------------------------


def test_inline_jobs_run_right_after_the_commit(client, outbox):
    client.post("/api/join/", json={"email": "ada@example.com"})
    assert [(sent["to"], sent["template"]) for sent in outbox] == [("ada@example.com", "welcome")]


def test_a_rolled_back_request_queues_nothing(make_app, monkeypatch):
    app = make_app()

    def fail_before_commit():
        raise RuntimeError("the request fails after queueing its email")

    monkeypatch.setattr("titan.waitlist.membership.commit", fail_before_commit)
    response = app.test_client().post("/api/join/", json={"email": "ada@example.com"})
    assert response.status_code == 500
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        if app.config["JOBS_MODE"] == "queue":
            assert jobs_by_status() == {}
    from titan.integrations import mail

    assert mail.outbox(app) == []


def test_a_failing_inline_job_never_fails_the_request(make_app, monkeypatch, caplog):
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=0.5)
    response = app.test_client().post("/api/join/", json={"email": "ada@example.com"})
    assert response.status_code == 201
    assert "inline job mail.welcome failed" in caplog.text


def test_jobs_mode_is_checked_at_start(make_app, backend):
    with pytest.raises(RuntimeError, match="JOBS_MODE must be one of"):
        make_app(JOBS_MODE="later")
    if backend == "sqlite":
        with pytest.raises(RuntimeError, match="PostgreSQL"):
            make_app(JOBS_MODE="queue")


def test_the_worker_refuses_to_run_in_inline_mode(app):
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code != 0 and "JOBS_MODE is inline" in result.output


def test_backoff_gives_at_least_five_attempts_over_about_an_hour():
    backoff = Backoff(max_attempts=7, first_wait=60)
    waits = [backoff.wait_before(attempt) for attempt in range(1, 7)]
    assert waits == [60, 120, 240, 480, 960, 1920]
    assert 55 * 60 <= sum(waits) <= 70 * 60


def test_the_production_default_is_the_queue(monkeypatch):
    import config

    assert config.ProductionConfig.JOBS_MODE == "queue" and config.DevelopmentConfig.JOBS_MODE == "inline"


# --- the queue (PostgreSQL) ----------------------------------------------------------------------


def test_a_job_is_recorded_in_the_same_transaction(queue_app, outbox):
    join(queue_app, "ada@example.com")
    [row] = job_rows()
    assert row.task_name == "mail.welcome" and row.status == "todo" and row.queue_name == "titan"
    assert row.args["payload"] == {"user_id": db.session.scalar(select(User.id))}
    assert outbox == []  # nothing is sent until a worker runs it


def test_a_rolled_back_transaction_leaves_no_job(queue_app):
    from titan.jobs import enqueue
    from titan.members.mail import send_welcome

    enqueue(send_welcome, user_id=1)
    db.session.rollback()
    db.session.commit()
    assert job_rows() == []


def test_join_does_not_wait_for_a_slow_mail_server(make_app, postgres_only, smtp_server, start_worker):
    smtp_server.delay = 2
    app = make_app(JOBS_MODE="queue", **smtp_server.settings())
    client = app.test_client()
    started = time.perf_counter()
    response = client.post("/api/join/", json={"email": "ada@example.com"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 201 and elapsed < 0.5
    start_worker(**smtp_server.settings())
    wait_for(lambda: smtp_server.received, timeout=30)
    assert smtp_server.received[0]["To"] == "ada@example.com"


def test_the_worker_delivers_a_queued_mail_and_logs_the_request_id(queue_app, smtp_server, start_worker):
    response = queue_app.test_client().post(
        "/api/join/", json={"email": "ada@example.com"}, headers={"X-Request-ID": "join-req-42"}
    )
    assert response.status_code == 201
    worker = start_worker(**smtp_server.settings())
    wait_for(lambda: smtp_server.received)
    message = smtp_server.received[0]
    assert (
        message["To"] == "ada@example.com" and "number 1 on the waitlist" in message.get_body(("plain",)).get_content()
    )
    wait_for(lambda: [row.status for row in job_rows()] == ["succeeded"])
    wait_for(worker.job_lines)
    [line] = worker.job_lines()
    assert line["kind"] == "mail.welcome" and line["attempt"] == 1 and line["outcome"] == "succeeded"
    assert line["request_id"] == "join-req-42" and line["job_id"] == job_rows()[0].id
    assert isinstance(line["duration_ms"], float)


def test_a_refusing_mail_server_is_retried_with_backoff(queue_app, smtp_server, start_worker):
    smtp_server.refuse = 2
    join(queue_app, "ada@example.com")
    worker = start_worker(**smtp_server.settings(), JOBS_RETRY_SECONDS=1)
    wait_for(lambda: [row.status for row in job_rows()] == ["succeeded"], timeout=40)
    assert len(smtp_server.received) == 1 and smtp_server.received[0]["To"] == "ada@example.com"
    [row] = job_rows()
    assert row.attempts == 3  # runs in all
    outcomes = [line["outcome"].split(":")[0] for line in worker.job_lines()]
    assert outcomes == ["will retry", "will retry", "succeeded"]
    failure = db.session.get(JobFailure, row.id)
    assert failure.attempt == 2 and "451" in failure.error


def test_a_job_that_always_fails_ends_failed_and_the_admin_can_retry_it(
    queue_app, smtp_server, start_worker, make_user
):
    smtp_server.refuse = 1000
    join(queue_app, "ada@example.com")
    worker = start_worker(**smtp_server.settings(), JOBS_MAX_ATTEMPTS=2, JOBS_RETRY_SECONDS=1)
    wait_for(lambda: [row.status for row in job_rows()] == ["failed"], timeout=40)
    [row] = job_rows()
    failure = db.session.get(JobFailure, row.id)
    assert failure.attempt == 2 and "SMTP delivery failed" in failure.error

    make_user(email="boss@example.com", is_admin=True)
    admin = queue_app.test_client()
    admin.post("/admin/login", data={"email": "boss@example.com", "password": PASSWORD})
    page = admin.get("/admin/jobs/?state=failed").get_data(as_text=True)
    assert f'data-job="{row.id}"' in page and "SMTP delivery failed" in page
    assert 'data-count="failed">1<' in page
    dashboard = admin.get("/admin/").get_data(as_text=True)
    assert "1 failed" in dashboard

    smtp_server.refuse = 0
    assert admin.post(f"/admin/jobs/{row.id}/retry").status_code == 303
    wait_for(lambda: [r.status for r in job_rows()] == ["succeeded"], timeout=30)
    assert [message["To"] for message in smtp_server.received] == ["ada@example.com"]
    assert "Only a failed job" in admin.post(f"/admin/jobs/{row.id}/retry", follow_redirects=True).get_data(
        as_text=True
    )
    worker.stop()


def test_two_workers_deliver_each_of_200_mails_exactly_once(queue_app, smtp_server, start_worker):
    db.session.execute(
        text(
            "INSERT INTO users (email, email_identity, invite_code, waitlist_status, waitlist_boost, referral_count,"
            " balance, created_at, email_confirmed_at, is_admin, is_active, first_name, last_name)"
            " SELECT 'm' || i || '@example.com', 'm' || i || '@example.com', 'C' || lpad(i::text, 7, '0'),"
            " 'waiting', 0, 0, 2500, now(), now(), false, true, '', '' FROM generate_series(1, 200) AS i"
        )
    )
    db.session.commit()
    assert len(admit_next(200)) == 200
    assert jobs_by_status() == {"todo": 200}
    workers = [start_worker(**smtp_server.settings(), JOBS_CONCURRENCY=4) for _ in range(2)]
    wait_for(lambda: jobs_by_status() == {"succeeded": 200}, timeout=90, interval=0.5)
    recipients = [message["To"] for message in smtp_server.received]
    assert len(recipients) == 200 and len(set(recipients)) == 200
    ran = [worker.job_lines() for worker in workers]
    assert sum(len(lines) for lines in ran) == 200 and all(ran)  # both workers took part


def test_sigterm_lets_the_job_in_hand_finish(queue_app, smtp_server, start_worker):
    smtp_server.delay = 3
    join(queue_app, "ada@example.com")
    worker = start_worker(**smtp_server.settings())
    wait_for(lambda: [row.status for row in job_rows()] == ["doing"])
    time.sleep(0.5)
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=30) == 0
    assert [row.status for row in job_rows()] == ["succeeded"]
    assert [message["To"] for message in smtp_server.received] == ["ada@example.com"]


def test_admin_jobs_view_in_inline_mode_says_so(client, make_user):
    make_user(email="boss@example.com", is_admin=True)
    client.post("/admin/login", data={"email": "boss@example.com", "password": PASSWORD})
    assert "data-jobs-inline" in client.get("/admin/jobs/").get_data(as_text=True)
    assert "run inline" in client.get("/admin/").get_data(as_text=True)
    assert client.get("/admin/jobs/?state=nope").status_code == 404


def test_create_app_in_queue_mode_defers_on_the_request_connection(queue_app):
    assert create_app is not None and queue_app.extensions["titan_jobs"] is not None
