"""Fixtures. Every test runs on SQLite; with TEST_DATABASE_URL (PostgreSQL) and REDIS_URL set,
every test runs again on PostgreSQL with Redis as cache, limiter store and ranking."""

import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from config import TestingConfig, normalise_database_url
from titan import create_app
from titan.common.types import utcnow
from titan.extensions import db
from titan.integrations import mail, sms
from titan.members.accounts import create_user
from titan.members.passwords import hash_password

ROOT = Path(__file__).resolve().parents[1]
TEST_DATABASE_URL = normalise_database_url(os.environ.get("TEST_DATABASE_URL"))
TEST_REDIS_URL = os.environ.get("REDIS_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
# Tables a test may fill; `operations` is seeded by a migration and kept.
TEST_TABLES = (
    "job_failures",
    "visitor_mail",
    "milestone_rewards",
    "webhook_deliveries",
    "webhook_endpoints",
    "revoked_tokens",
    "phone_codes",
    "records",
    "referral_codes",
    "points",
    "series",
    "users",
    "member_activity",
)
# procrastinate's tables (PostgreSQL only).
QUEUE_TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers")
PASSWORD = "correct-horse-42"


def pytest_report_header(config):
    lines = [f"titan backends: {', '.join(BACKENDS)}"]
    if not TEST_DATABASE_URL:
        lines.append("titan: TEST_DATABASE_URL not set, PostgreSQL runs skipped")
    if not TEST_REDIS_URL:
        lines.append("titan: REDIS_URL not set, Redis runs skipped")
    return lines


def reset_postgres_schema(url):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class RequestIsolatedClient(FlaskClient):
    """Each request runs in its own app context (own `g`, own database session), as in production,
    even while the test itself holds one open."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory):
    """A migrated database for the whole session: SQLite in a temp dir, or the PostgreSQL given."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'titan-test.db'}"
        redis_url = None
    else:
        url = TEST_DATABASE_URL
        redis_url = TEST_REDIS_URL
        reset_postgres_schema(url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return {"backend": request.param, "url": url, "redis_url": redis_url}


@pytest.fixture
def backend(database):
    return database["backend"]


@pytest.fixture
def make_app(database, request):
    """Build an app on the test database; several may share it (as several workers would).

    Tests marked `email_confirmation_off` run with EMAIL_CONFIRMATION off: the behaviour of the
    original waitlist, where every referral counts at once (docs/contract.md §8)."""
    prefix = f"titan-test-{uuid.uuid4().hex[:12]}:"
    apps = []
    confirmation = request.node.get_closest_marker("email_confirmation_off") is None

    def make(**overrides):
        settings = {
            "SQLALCHEMY_DATABASE_URI": database["url"],
            "REDIS_URL": database["redis_url"],
            "REDIS_KEY_PREFIX": prefix,
            "EMAIL_CONFIRMATION": confirmation,
        }
        settings.update(overrides)
        app = create_app(TestingConfig, **settings)
        app.test_client_class = RequestIsolatedClient
        apps.append(app)
        return app

    make.prefix = prefix
    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    clean(database, prefix)


def clean(database, prefix):
    """Empty the tables a test may have filled and its Redis keys (whatever apps it made)."""
    engine = create_engine(database["url"])
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(TEST_TABLES + QUEUE_TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TEST_TABLES:
                connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()
    if database["redis_url"]:
        client = redis.Redis.from_url(database["redis_url"])
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app):
    """E-mails sent (MAIL_BACKEND=memory)."""
    return mail.outbox(app)


@pytest.fixture
def sms_outbox(app):
    return sms.outbox(app)


@pytest.fixture
def make_user(app):
    """Create a user directly (with a password hash when `password` is given), with their address
    confirmed unless `email_confirmed_at=None` is given: an established account."""

    def make(email=None, password=PASSWORD, **fields):
        if password is not None:
            fields["password_hash"] = hash_password(password)
        if email is not None:
            fields.setdefault("email_confirmed_at", utcnow())
        user = create_user(email=email, **fields)
        db.session.commit()
        return user

    return make


@pytest.fixture
def token_for(client):
    """Sign in through the API and return the token response body."""

    def sign_in(login, password=PASSWORD):
        response = client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": login, "password": password}
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return sign_in


@pytest.fixture
def auth_header(token_for):
    def header(login, password=PASSWORD):
        return {"Authorization": f"Bearer {token_for(login, password)['access_token']}"}

    return header


@pytest.fixture
def user(make_user):
    return make_user(email="member@example.com", username="member")


@pytest.fixture
def admin(make_user):
    return make_user(email="admin@example.com", username="admin", is_admin=True)


class FakeSmtpServer:
    """A local SMTP server (aiosmtpd) that keeps what it receives; it can refuse the next messages
    (451, a temporary failure) or take its time over each one."""

    def __init__(self):
        self.received = []
        self.refuse = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - the name aiosmtpd calls
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 Try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(message)
        return "250 OK"

    def settings(self):
        return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_TIMEOUT": 5}


@pytest.fixture
def smtp_server():
    server = FakeSmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("the job queue lives in PostgreSQL (the PostgreSQL + Redis run)")


class WorkerProcess:
    """`flask --app wsgi worker` in its own process, against the test database."""

    def __init__(self, process, log_path):
        self.process = process
        self.log_path = log_path

    def log_lines(self):
        """The JSON lines the worker logged."""
        lines = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def job_lines(self):
        return [line for line in self.log_lines() if line.get("logger") == "titan.jobs" and "outcome" in line]

    def stop(self, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@pytest.fixture
def start_worker(database, make_app, tmp_path):
    """Start workers on the test database: `start_worker(MAIL_BACKEND="file", ...)`."""
    workers = []

    def start(**settings):
        env = {
            **os.environ,
            "TITAN_ENV": "development",
            "DATABASE_URL": database["url"],
            "REDIS_URL": database["redis_url"] or "",
            "REDIS_KEY_PREFIX": make_app.prefix,
            "JOBS_MODE": "queue",
            "JOBS_RETRY_SECONDS": "1",
            "JOBS_POLL_SECONDS": "0.2",
            "PUBLIC_BASE_URL": TestingConfig.PUBLIC_BASE_URL,
            "PASSWORD_HASH_METHOD": TestingConfig.PASSWORD_HASH_METHOD,
            "LOG_JSON": "1",
            "LOG_LEVEL": "INFO",
        }
        env.update({name: str(value) for name, value in settings.items()})
        log_path = tmp_path / f"worker-{len(workers)}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        workers.append(WorkerProcess(process, log_path))
        return workers[-1]

    yield start
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def wait_for(condition, timeout=30, interval=0.1):
    """Poll `condition` until it is true (returning its value), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
