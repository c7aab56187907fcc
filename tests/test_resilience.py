"""Outages: Redis or the database going away, and coming back; restarts losing nothing."""

import contextlib
import datetime as dt
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from titan.extensions import db
from titan.market import services
from titan.members.models import User

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


class TcpProxy:
    """A local TCP forwarder to a server; stopping it is, for the app, the server going down."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.listener = None
        self.connections = []
        self.lock = threading.Lock()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self.accept, args=(self.listener,), daemon=True).start()

    def accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def stop(self):
        # shutdown() wakes the thread blocked in accept(); close() alone would leave it listening.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.connections = []


def test_redis_down_never_breaks_what_the_database_can_serve(make_app):
    app = make_app(REDIS_URL=UNREACHABLE_REDIS, RATELIMIT_ENABLED=True)
    client = app.test_client()
    joined = client.post("/api/join/", json={"email": "calm@example.com"})
    assert joined.status_code == 201
    code = joined.get_json()["referral_code"]
    assert joined.get_json()["wait_list_position"] == 1
    assert client.post(f"/api/join/{code}/", json={"email": "friend@example.com"}).status_code == 201
    assert client.get(f"/api/user/{code}/").get_json()["pending_referrals"] == 1  # until the friend confirms
    assert client.get("/api/user/").status_code == 200
    assert client.get("/api/chart/?period=1y").status_code == 200
    assert client.get("/api/stats/").status_code == 200
    assert client.post("/api/v1/auth/phone/code", json={"phone": "+79174445566"}).status_code == 202
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"] == {"database": "ok", "redis": "unavailable"}


def test_redis_down_market_and_code_lookup_answer_from_the_database(make_app):
    app = make_app(REDIS_URL=UNREACHABLE_REDIS)
    client = app.test_client()
    with app.app_context():
        services.replace_series("titan", [(dt.date(2025, 12, 1), 1), (dt.date(2026, 1, 1), 2)])
        services.replace_series("sp500", [(dt.date(2025, 12, 1), 1), (dt.date(2026, 1, 1), 2)])
    assert client.get("/api/chart/").get_json()["sp500"] == [10000.0, 20000.0]
    assert client.get("/api/stats/").status_code == 200
    other = make_app(REDIS_URL=UNREACHABLE_REDIS).test_client()  # another worker, same database
    assert other.get("/api/chart/").status_code == 200
    with app.app_context():
        services.replace_series("sp500", [(dt.date(2025, 12, 1), 1), (dt.date(2026, 1, 1), 4)])
    assert other.get("/api/chart/").get_json()["sp500"] == [10000.0, 40000.0]

    code = client.post("/api/join/", json={"email": "calm@example.com"}).get_json()["referral_code"]
    lookup = "/api/v1/referral-codes/lookup?email=calm@example.com"
    assert client.get(lookup).get_json() == {"code": code, "expires_at": None}
    assert client.get("/api/v1/referral-codes/lookup?email=ghost@example.com").status_code == 404
    with app.app_context():
        user = User.query.filter_by(email="calm@example.com").one()
        user.email, user.email_identity = "moved@example.com", "moved@example.com"
        db.session.commit()
    assert client.get(lookup).status_code == 404


def test_database_down_market_answers_from_memory(make_app, proxied_database):
    proxy, url = proxied_database
    app = make_app(SQLALCHEMY_DATABASE_URI=url, MARKET_VERSION_CHECK_SECONDS=0)
    with app.app_context():
        services.replace_series("titan", [(dt.date(2025, 12, 1), 1), (dt.date(2026, 1, 1), 2)])
        services.replace_series("sp500", [(dt.date(2025, 12, 1), 1), (dt.date(2026, 1, 1), 2)])
    client = app.test_client()
    first = client.get("/api/chart/")
    proxy.stop()
    # No import can commit either: the copies in memory are still the data.
    again, seconds = timed(lambda: client.get("/api/chart/"))
    assert again.status_code == 200 and again.get_data() == first.get_data() and seconds < 5
    assert client.get("/api/stats/").status_code == 503  # never built in this process
    proxy.start()
    assert client.get("/api/stats/").status_code == 200


def test_a_restart_loses_nothing(make_app):
    first = make_app()
    code = first.test_client().post("/api/join/", json={"email": "stays@example.com"}).get_json()["referral_code"]
    restarted = make_app()
    body = restarted.test_client().get(f"/api/user/{code}/").get_json()
    assert body["wait_list_position"] == 1 and body["total_registered"] == 1


@pytest.fixture
def proxied_database(database):
    if database["backend"] != "postgresql":
        pytest.skip("stopping the database is shown on PostgreSQL (SQLite is a file, not a server)")
    url = urlsplit(database["url"])
    proxy = TcpProxy(url.hostname, url.port or 5432)
    proxy.start()
    yield proxy, url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}").geturl()
    proxy.stop()


def timed(call):
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def test_database_outage_answers_503_fast_and_recovers(make_app, proxied_database):
    proxy, url = proxied_database
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    client = app.test_client()
    assert client.post("/api/join/", json={"email": "before@example.com"}).status_code == 201
    assert client.get("/readyz").status_code == 200

    proxy.stop()
    ready, seconds = timed(lambda: client.get("/readyz"))
    assert ready.status_code == 503 and seconds < 2
    assert ready.get_json()["checks"]["database"] == "unavailable"
    for call in (
        lambda: client.post("/api/join/", json={"email": "during@example.com"}),
        lambda: client.post("/api/v1/auth/token", data={"username": "x@example.com", "password": "whatever-1"}),
        lambda: client.get("/api/user/"),
    ):
        response, seconds = timed(call)
        assert response.status_code == 503 and seconds < 2
        assert response.get_json()["code"] == 503 and response.headers["Retry-After"]

    proxy.start()
    assert client.get("/readyz").status_code == 200
    assert client.post("/api/join/", json={"email": "after@example.com"}).status_code == 201
    with app.app_context():
        assert {user.email for user in User.query.all()} == {"before@example.com", "after@example.com"}
