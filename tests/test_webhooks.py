"""Webhooks (docs/contract.md §10): admin CRUD, SSRF-safe targets, signed deliveries as jobs, a
delivery log. Delivery is tested against `responses` (no request leaves the machine)."""

import hashlib
import hmac
import json
import time

import pytest
import responses

from conftest import PASSWORD
from titan.extensions import db
from titan.members.models import User
from titan.webhooks.models import WebhookDelivery

HOOKS = "/api/v1/webhooks/"
TARGET = "https://hooks.example.com/titan"


@pytest.fixture
def hooks_app(make_app):
    app = make_app(WEBHOOKS_ALLOW_PRIVATE=True, EMAIL_CONFIRMATION=False)
    with app.app_context():
        yield app


@pytest.fixture
def admin_headers(hooks_app):
    from titan.auth.users import create_admin

    create_admin("hooks-admin@example.com", PASSWORD)
    client = hooks_app.test_client()
    tokens = client.post("/api/v1/auth/token", data={"username": "hooks-admin@example.com", "password": PASSWORD})
    return {"Authorization": f"Bearer {tokens.get_json()['access_token']}"}


def register(client, headers, events=("waitlist.joined", "referral.counted"), url=TARGET):
    response = client.post(HOOKS, headers=headers, json={"url": url, "events": list(events)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def verify(secret, header, body):
    """What a receiver does (README: Webhooks)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def test_crud_is_for_admins_only(hooks_app, admin_headers, make_user):
    client = hooks_app.test_client()
    make_user(email="member@example.com", username="member")
    member = client.post("/api/v1/auth/token", data={"username": "member", "password": PASSWORD}).get_json()
    assert client.get(HOOKS).status_code == 401
    assert client.get(HOOKS, headers={"Authorization": f"Bearer {member['access_token']}"}).status_code == 403

    created = register(client, admin_headers)
    assert created["secret"].startswith("whsec_") and created["events"] == ["referral.counted", "waitlist.joined"]
    listed = client.get(HOOKS, headers=admin_headers).get_json()
    assert [hook["id"] for hook in listed] == [created["id"]] and "secret" not in listed[0]
    one = f"{HOOKS}{created['id']}"
    assert "secret" not in client.get(one, headers=admin_headers).get_json()
    patched = client.patch(one, headers=admin_headers, json={"is_active": False, "events": ["waitlist.admitted"]})
    assert patched.status_code == 200 and patched.get_json()["is_active"] is False
    assert client.delete(one, headers=admin_headers).status_code == 204
    assert client.get(one, headers=admin_headers).status_code == 404
    assert client.get(f"{HOOKS}999999/deliveries", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"url": TARGET, "events": ["nope.event"]},
        {"url": TARGET, "events": []},
        {"url": "not a url", "events": ["waitlist.joined"]},
        {"url": "ftp://hooks.example.com/x", "events": ["waitlist.joined"]},
        {"events": ["waitlist.joined"]},
        {"url": TARGET},
    ],
)
def test_bad_input_is_400(hooks_app, admin_headers, body):
    response = hooks_app.test_client().post(HOOKS, headers=admin_headers, json=body)
    assert response.status_code == 400 and response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://localhost/hook",
        "https://0.0.0.0/hook",
        "https://user:pass@hooks.example.com/hook",
    ],
)
def test_private_and_loopback_targets_are_refused(make_app, url):
    app = make_app(WEBHOOKS_ALLOW_PRIVATE=False)
    with app.app_context():
        from titan.auth.users import create_admin

        create_admin("guard@example.com", PASSWORD)
        client = app.test_client()
        token = client.post("/api/v1/auth/token", data={"username": "guard@example.com", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
        response = client.post(HOOKS, headers=headers, json={"url": url, "events": ["waitlist.joined"]})
        assert response.status_code == 400 and "url" in response.get_json()["errors"]["json"]


def test_production_takes_https_only(make_app):
    from titan.webhooks.targets import check_target

    app = make_app(ENV_NAME="production", WEBHOOKS_ALLOW_PRIVATE=True, SECRET_KEY="s" * 40, JWT_SECRET_KEY="j" * 40)
    with app.app_context():
        from titan.common.exceptions import InvalidInput

        with pytest.raises(InvalidInput):
            check_target("http://hooks.example.com/x")
        check_target(TARGET)


@responses.activate
def test_events_are_signed_and_logged(hooks_app, admin_headers):
    responses.add(responses.POST, TARGET, status=200)
    client = hooks_app.test_client()
    hook = register(client, admin_headers)
    host = client.post("/api/join/", json={"email": "host@example.com"}).get_json()
    client.post(f"/api/join/{host['referral_code']}/", json={"email": "friend@example.com"})

    calls = responses.calls
    assert [json.loads(call.request.body)["type"] for call in calls] == [
        "waitlist.joined",
        "referral.counted",
        "waitlist.joined",
    ]
    joined = json.loads(calls[0].request.body)
    assert set(joined) == {"id", "type", "created_at", "data"}
    host_id = db.session.scalar(db.select(User.id).where(User.email == "host@example.com"))
    assert joined["data"] == {
        "id": host_id,
        "email": "host@example.com",
        "referral_code": host["referral_code"],
        "wait_list_position": 1,
    }
    counted = json.loads(calls[1].request.body)
    assert counted["data"]["email"] == "friend@example.com"
    assert counted["data"]["referrer"]["referral_code"] == host["referral_code"]
    for call in calls:
        assert verify(hook["secret"], call.request.headers["Titan-Signature"], call.request.body)
        assert call.request.headers["Titan-Event-Id"] == json.loads(call.request.body)["id"]
        assert not verify("whsec_wrong", call.request.headers["Titan-Signature"], call.request.body)

    log = client.get(f"{HOOKS}{hook['id']}/deliveries", headers=admin_headers).get_json()
    assert log["total"] == 3 and {item["status"] for item in log["items"]} == {"delivered"}
    assert log["items"][0]["response_status"] == 200


@responses.activate
def test_unsubscribed_events_and_inactive_endpoints_get_nothing(hooks_app, admin_headers):
    responses.add(responses.POST, TARGET, status=200)
    client = hooks_app.test_client()
    hook = register(client, admin_headers, events=["waitlist.admitted"])
    client.post("/api/join/", json={"email": "quiet@example.com"})
    assert len(responses.calls) == 0
    client.patch(f"{HOOKS}{hook['id']}", headers=admin_headers, json={"is_active": False})
    from titan.waitlist.admission import admit_next

    admit_next(1)
    assert len(responses.calls) == 0 and db.session.query(WebhookDelivery).count() == 0


@responses.activate
def test_a_failing_endpoint_is_logged_with_its_error(hooks_app, admin_headers):
    responses.add(responses.POST, TARGET, status=500)
    client = hooks_app.test_client()
    hook = register(client, admin_headers, events=["waitlist.joined"])
    assert client.post("/api/join/", json={"email": "fails@example.com"}).status_code == 201  # never fails the join
    item = client.get(f"{HOOKS}{hook['id']}/deliveries", headers=admin_headers).get_json()["items"][0]
    # Inline mode makes one attempt; the queue retries with backoff (tests/test_jobs.py).
    assert (item["status"], item["attempts"], item["response_status"]) == ("failed", 1, 500)
    assert item["last_error"] == "The endpoint answered 500."


@responses.activate
def test_a_refused_change_emits_nothing(hooks_app, admin_headers):
    responses.add(responses.POST, TARGET, status=200)
    client = hooks_app.test_client()
    register(client, admin_headers, events=["waitlist.joined"])
    client.post("/api/join/", json={"email": "twice@example.com"})
    assert client.post("/api/join/", json={"email": "twice@example.com"}).status_code == 400
    assert len(responses.calls) == 1 and db.session.query(WebhookDelivery).count() == 1


@responses.activate
def test_each_worker_reads_the_endpoints_again_within_the_check_window(make_app, monkeypatch):
    """Every join emits an event, so a worker keeps a copy of the endpoints: a change made through
    this worker is seen at once, one made on another worker within WEBHOOK_ENDPOINTS_CHECK_SECONDS."""
    from titan.auth.users import create_admin
    from titan.webhooks import events

    responses.add(responses.POST, TARGET, status=200)
    clock = [1000.0]
    monkeypatch.setattr(events.time, "monotonic", lambda: clock[0])
    settings = {"WEBHOOKS_ALLOW_PRIVATE": True, "EMAIL_CONFIRMATION": False, "WEBHOOK_ENDPOINTS_CHECK_SECONDS": 5}
    worker_a, worker_b = make_app(**settings), make_app(**settings)
    with worker_a.app_context():
        create_admin("hooks-admin@example.com", PASSWORD)
    client_a, client_b = worker_a.test_client(), worker_b.test_client()
    token = client_a.post("/api/v1/auth/token", data={"username": "hooks-admin@example.com", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}

    def deliveries():
        with worker_a.app_context():
            return db.session.query(WebhookDelivery).count()

    assert client_a.post("/api/join/", json={"email": "a1@example.com"}).status_code == 201  # A reads: none
    assert client_b.post("/api/join/", json={"email": "b1@example.com"}).status_code == 201  # B reads: none
    hook = register(client_a, headers)
    client_a.post("/api/join/", json={"email": "a2@example.com"})  # A's own change: seen at once
    assert deliveries() == 1  # a2's waitlist.joined, delivered
    client_b.post("/api/join/", json={"email": "b2@example.com"})  # within B's window: not yet
    assert deliveries() == 1
    clock[0] += 5
    client_b.post("/api/join/", json={"email": "b3@example.com"})
    assert deliveries() == 2

    # Deleted on A while B's copy still names it: B's join goes through and records nothing for it.
    assert client_a.delete(f"{HOOKS}{hook['id']}", headers=headers).status_code == 204
    assert client_b.post("/api/join/", json={"email": "b4@example.com"}).status_code == 201
    assert deliveries() == 0  # the endpoint's deliveries went with it
    # Disabled, or no longer taking the event, on A: the same.
    hook = register(client_a, headers)
    clock[0] += 5
    client_b.post("/api/join/", json={"email": "b6@example.com"})
    assert deliveries() == 1
    client_a.patch(f"{HOOKS}{hook['id']}", headers=headers, json={"events": ["waitlist.admitted"]})
    client_b.post("/api/join/", json={"email": "b7@example.com"})
    client_a.patch(f"{HOOKS}{hook['id']}", headers=headers, json={"events": ["waitlist.joined"], "is_active": False})
    client_b.post("/api/join/", json={"email": "b8@example.com"})
    assert deliveries() == 1
    assert [json.loads(call.request.body)["data"]["email"] for call in responses.calls] == [
        "a2@example.com",
        "b3@example.com",
        "b6@example.com",
    ]


class FlakyReceiver:
    """A local webhook receiver that answers 500 to the first `failures` deliveries, then 200."""

    def __init__(self, failures):
        import http.server
        import threading

        receiver = self
        self.failures, self.received = failures, []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(500 if len(receiver.received) <= receiver.failures else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_receiver_that_fails_three_times_gets_the_event_again_each_retry_and_it_is_delivered(
    make_app, postgres_only, start_worker
):
    from conftest import wait_for

    receiver = FlakyReceiver(failures=3)
    app = make_app(JOBS_MODE="queue", WEBHOOKS_ALLOW_PRIVATE=True, EMAIL_CONFIRMATION=False)
    try:
        with app.app_context():
            from titan.auth.users import create_admin

            create_admin("ops@example.com", PASSWORD)
            client = app.test_client()
            token = client.post("/api/v1/auth/token", data={"username": "ops@example.com", "password": PASSWORD})
            headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
            hook = register(client, headers, events=["waitlist.joined"], url=receiver.url)
            assert client.post("/api/join/", json={"email": "queued@example.com"}).status_code == 201
            assert receiver.received == []  # the request did not wait for the endpoint
            start_worker(WEBHOOKS_ALLOW_PRIVATE="1", MAIL_BACKEND="console")

            def delivered():
                db.session.rollback()
                return db.session.scalar(db.select(WebhookDelivery).where(WebhookDelivery.status == "delivered"))

            delivery = wait_for(delivered, timeout=60)
            assert delivery.attempts == 4 and delivery.response_status == 200
            bodies = {body for _, body in receiver.received}
            assert len(receiver.received) == 4 and len(bodies) == 1  # once per attempt, the same bytes each time
            assert all(verify(hook["secret"], seen["Titan-Signature"], body) for seen, body in receiver.received)
    finally:
        receiver.close()


# --- the admin panel (/admin/webhooks) ------------------------------------------------------------

PANEL = "/admin/webhooks"


def panel_client(app, email="panel-admin@example.com"):
    from titan.auth.users import create_admin

    create_admin(email, PASSWORD)
    client = app.test_client()
    assert client.post("/admin/login", data={"email": email, "password": PASSWORD}).status_code == 303
    return client


def stored_endpoints():
    from titan.webhooks.models import WebhookEndpoint

    db.session.expire_all()
    return list(db.session.scalars(db.select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def test_the_panel_registers_an_endpoint_and_shows_its_secret_once(hooks_app):
    client = panel_client(hooks_app)
    assert client.get(f"{PANEL}/").status_code == 200
    assert client.get(f"{PANEL}/new").status_code == 200

    created = client.post(
        f"{PANEL}/new",
        data={"url": f" {TARGET} ", "events": ["waitlist.joined", "referral.counted"], "description": "CRM"},
    )
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    (endpoint,) = stored_endpoints()
    assert (endpoint.url, endpoint.events, endpoint.description, endpoint.is_active) == (
        TARGET,
        ["referral.counted", "waitlist.joined"],
        "CRM",
        True,
    )
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in created.get_data(as_text=True)
    with client.session_transaction() as session:
        assert endpoint.secret not in str(dict(session))  # not in a flash message either
    listed = client.get(f"{PANEL}/").get_data(as_text=True)
    assert TARGET in listed and endpoint.secret not in listed
    assert endpoint.secret not in client.get(f"{PANEL}/{endpoint.id}/").get_data(as_text=True)
    deliveries = client.get("/admin/webhookdelivery/", query_string={"flt0_0": endpoint.id})
    assert deliveries.status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "copy"),
    [
        ({"url": TARGET, "events": ["nope.event"]}, "events", "Tick one or more of the events listed."),
        ({"url": TARGET}, "events", "Tick one or more of the events listed."),
        ({"url": "not a url", "events": ["waitlist.joined"]}, "url", "Enter the full URL"),
        ({"url": "ftp://hooks.example.com/x", "events": ["waitlist.joined"]}, "url", "Enter the full URL"),
        ({"events": ["waitlist.joined"]}, "url", "Enter the full URL"),
        ({"url": TARGET, "events": ["waitlist.joined"], "description": "x" * 201}, "description", "200 characters"),
    ],
)
def test_the_panel_refuses_what_the_api_refuses(hooks_app, data, field, copy):
    client = panel_client(hooks_app)
    response = client.post(f"{PANEL}/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and f'data-error="{field}"' in page and copy in page
    assert stored_endpoints() == []


def test_the_panel_refuses_a_private_target_unless_allowed(make_app):
    app = make_app(WEBHOOKS_ALLOW_PRIVATE=False)
    with app.app_context():
        client = panel_client(app)
        for url in ("http://127.0.0.1/x", "https://[::1]/x", "https://10.0.0.5/x", "https://localhost/x"):
            response = client.post(f"{PANEL}/new", data={"url": url, "events": ["waitlist.joined"]})
            page = response.get_data(as_text=True)
            assert response.status_code == 400 and 'data-error="url"' in page, url
            assert "private, loopback or reserved addresses" in page
        assert stored_endpoints() == []

    allowed = make_app(WEBHOOKS_ALLOW_PRIVATE=True)
    with allowed.app_context():
        client = panel_client(allowed)
        response = client.post(f"{PANEL}/new", data={"url": "http://127.0.0.1/x", "events": ["waitlist.joined"]})
        assert response.status_code == 201 and [hook.url for hook in stored_endpoints()] == ["http://127.0.0.1/x"]


def test_the_panel_edits_an_endpoint(make_app, monkeypatch):
    app = make_app(WEBHOOKS_ALLOW_PRIVATE=False)
    with app.app_context():
        from titan.webhooks import services

        client = panel_client(app)
        endpoint = services.create_endpoint("https://93.184.215.14/hook", ["waitlist.joined"], "old")
        secret, edit = endpoint.secret, f"{PANEL}/{endpoint.id}/"
        page = client.get(edit).get_data(as_text=True)
        assert "https://93.184.215.14/hook" in page and 'value="old"' in page

        saved = client.post(
            edit, data={"url": "https://93.184.215.14/other", "events": ["waitlist.admitted"], "description": "new"}
        )
        assert saved.status_code == 303 and saved.headers["Location"] == f"{PANEL}/"
        (hook,) = stored_endpoints()
        assert (hook.url, hook.events, hook.description, hook.is_active, hook.secret) == (
            "https://93.184.215.14/other",
            ["waitlist.admitted"],
            "new",
            False,  # the box was not ticked
            secret,
        )
        assert f"Webhook endpoint {hook.id} is saved." in client.get(f"{PANEL}/").get_data(as_text=True)

        refused = client.post(edit, data={"url": "http://127.0.0.1/x", "events": ["waitlist.joined"], "is_active": "y"})
        assert refused.status_code == 400 and "private, loopback or reserved" in refused.get_data(as_text=True)
        (hook,) = stored_endpoints()
        assert (hook.url, hook.events, hook.is_active) == ("https://93.184.215.14/other", ["waitlist.admitted"], False)

        bad_events = client.post(edit, data={"url": hook.url, "events": ["nope"], "is_active": "y"})
        assert bad_events.status_code == 400 and stored_endpoints()[0].events == ["waitlist.admitted"]

        # An unchanged URL is not checked again (a host that stopped resolving does not block an edit).
        def refuse(*args, **kwargs):
            raise AssertionError("check_target called")

        monkeypatch.setattr(services, "check_target", refuse)
        kept = client.post(edit, data={"url": hook.url, "events": ["waitlist.joined"], "is_active": "y"})
        assert kept.status_code == 303 and stored_endpoints()[0].is_active is True

        assert client.get(f"{PANEL}/999999/").status_code == 404
        assert client.post(f"{PANEL}/999999/", data={"url": TARGET, "events": ["waitlist.joined"]}).status_code == 404


def test_the_panel_deletes_an_endpoint_after_a_confirming_tick(hooks_app):
    from titan.webhooks import services

    client = panel_client(hooks_app)
    delete = f"{PANEL}/{services.create_endpoint(TARGET, ['waitlist.joined']).id}/delete"
    unconfirmed = client.post(delete)
    assert unconfirmed.status_code == 303 and len(stored_endpoints()) == 1
    assert "Tick the box to confirm" in client.get(unconfirmed.headers["Location"]).get_data(as_text=True)

    deleted = client.post(delete, data={"confirm": "y"})
    assert deleted.status_code == 303 and stored_endpoints() == []
    assert "is deleted" in client.get(f"{PANEL}/").get_data(as_text=True)
    again = client.post(delete, data={"confirm": "y"})
    assert again.status_code == 303
    assert "This webhook endpoint no longer exists." in client.get(f"{PANEL}/").get_data(as_text=True)


def test_the_delivery_log_stays_read_only(hooks_app):
    client = panel_client(hooks_app)
    assert client.get("/admin/webhookdelivery/").status_code == 200
    for path in ("/admin/webhookdelivery/new/", "/admin/webhookdelivery/edit/?id=1"):
        assert client.get(path).status_code in (302, 403, 404)
    assert client.post("/admin/webhookdelivery/delete/", data={"id": "1"}).status_code in (302, 403, 404)


def test_the_panel_is_for_admins_only(hooks_app, make_user):
    from titan.webhooks import services

    make_user(email="member@example.com")  # (in the `app` fixture's context: the endpoint below is in hooks_app's)
    with hooks_app.app_context():
        endpoint = services.create_endpoint(TARGET, ["waitlist.joined"])
    anonymous = hooks_app.test_client()
    member = hooks_app.test_client()
    assert member.post("/admin/login", data={"email": "member@example.com", "password": PASSWORD}).status_code == 400
    for client in (anonymous, member):
        for method, path, data in (
            ("GET", f"{PANEL}/", None),
            ("GET", f"{PANEL}/new", None),
            ("POST", f"{PANEL}/new", {"url": "https://other.example.com/x", "events": ["waitlist.joined"]}),
            ("POST", f"{PANEL}/{endpoint.id}/", {"url": "https://other.example.com/x", "events": ["waitlist.joined"]}),
            ("POST", f"{PANEL}/{endpoint.id}/delete", {"confirm": "y"}),
        ):
            response = client.open(path, method=method, data=data)
            assert response.status_code == 302 and "/admin/login" in response.headers["Location"], (method, path)
    (hook,) = stored_endpoints()
    assert hook.url == TARGET


def test_the_panel_forms_need_a_csrf_token(make_app):
    import re

    app = make_app(WTF_CSRF_ENABLED=True, WEBHOOKS_ALLOW_PRIVATE=True)
    with app.app_context():
        from titan.auth.users import create_admin
        from titan.webhooks import services

        create_admin("csrf-admin@example.com", PASSWORD)
        client = app.test_client()
        login = client.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        data = {"email": "csrf-admin@example.com", "password": PASSWORD, "csrf_token": token}
        assert client.post("/admin/login", data=data).status_code == 303
        endpoint = services.create_endpoint(TARGET, ["waitlist.joined"])
        hook = {"url": "https://other.example.com/x", "events": ["waitlist.joined"], "confirm": "y"}
        for path in (f"{PANEL}/new", f"{PANEL}/{endpoint.id}/", f"{PANEL}/{endpoint.id}/delete"):
            assert client.post(path, data=hook).status_code == 400, path
        assert [(hook.id, hook.url) for hook in stored_endpoints()] == [(endpoint.id, TARGET)]

        page = client.get(f"{PANEL}/new").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post(f"{PANEL}/new", data={**hook, "csrf_token": token}).status_code == 201
        assert len(stored_endpoints()) == 2
