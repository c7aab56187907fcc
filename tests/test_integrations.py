"""Hunter (address verification) and Clearbit (profiles), each against a fake."""

import pytest
import requests
import responses

from titan.members.models import User

HUNTER = "https://hunter.test/v2/email-verifier"
CLEARBIT = "https://clearbit.test/v2/combined/find"
UNAVAILABLE = ["Registration at this email address is not available"]


@pytest.fixture
def hunter_app(make_app):
    app = make_app(HUNTER_API_KEY="hunter-key", HUNTER_BASE_URL="https://hunter.test")
    with app.app_context():
        yield app


@pytest.fixture
def clearbit_app(make_app):
    app = make_app(CLEARBIT_API_KEY="clearbit-key", CLEARBIT_BASE_URL="https://clearbit.test")
    with app.app_context():
        yield app


def register(app, email="someone@example.com", **fields):
    return app.test_client().post(
        "/api/v1/auth/register", json={"email": email, "password": "s3cure-pass-99", **fields}
    )


@pytest.mark.parametrize(
    "data",
    [
        {"status": "disposable", "result": "risky", "disposable": True},
        {"status": "invalid", "result": "undeliverable", "disposable": False},
        {"status": "unknown", "result": "undeliverable", "disposable": False},
    ],
)
@responses.activate
def test_hunter_refusals_are_400(hunter_app, data):
    responses.get(HUNTER, json={"data": data})
    response = register(hunter_app)
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"]["email"] == UNAVAILABLE
    assert User.query.count() == 0
    sent = responses.calls[0].request
    assert "email=someone%40example.com" in sent.url and "api_key=hunter-key" in sent.url


@responses.activate
def test_hunter_valid_address_registers(hunter_app):
    responses.get(HUNTER, json={"data": {"status": "valid", "result": "deliverable", "disposable": False}})
    assert register(hunter_app).status_code == 201


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"status": 429},
        {"body": requests.exceptions.ConnectTimeout("slow")},
        {"body": requests.exceptions.ConnectionError("down")},
        {"body": "not json", "status": 200},
    ],
)
@responses.activate
def test_hunter_down_or_slow_lets_registration_through(hunter_app, failure):
    responses.get(HUNTER, **failure)
    assert register(hunter_app).status_code == 201


@responses.activate
def test_hunter_checks_waitlist_joins_too(hunter_app):
    responses.get(HUNTER, json={"data": {"status": "disposable", "disposable": True}})
    response = hunter_app.test_client().post("/api/join/", json={"email": "someone@example.com"})
    assert response.status_code == 400
    assert response.get_json() == {"email": UNAVAILABLE}


@responses.activate
def test_hunter_is_not_called_for_locally_known_disposable_domains(hunter_app):
    assert register(hunter_app, email="x@mailinator.com").status_code == 400
    assert len(responses.calls) == 0


def test_hunter_call_has_a_timeout(hunter_app, monkeypatch):
    seen = {}

    def fake_request(method, url, **kwargs):
        seen.update(kwargs)
        raise requests.exceptions.ReadTimeout("slow")

    monkeypatch.setattr("titan.integrations.http.requests.request", fake_request)
    hunter_app.config["OUTBOUND_TIMEOUT_SECONDS"] = 1.5
    assert register(hunter_app).status_code == 201
    assert seen["timeout"] == 1.5


@responses.activate
def test_clearbit_profile_is_stored(clearbit_app):
    responses.get(
        CLEARBIT,
        json={
            "person": {
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "location": "London, UK",
                "avatar": "https://img.test/ada.png",
                "employment": {"name": "Analytical Engines"},
            },
            "company": None,
        },
    )
    body = register(clearbit_app, last_name="Byron").get_json()
    assert body["first_name"] == "Ada"
    assert body["last_name"] == "Byron"  # what the user typed wins
    assert (body["company"], body["location"], body["avatar_url"]) == (
        "Analytical Engines",
        "London, UK",
        "https://img.test/ada.png",
    )
    assert responses.calls[0].request.headers["Authorization"] == "Bearer clearbit-key"


@pytest.mark.parametrize(
    "failure", [{"status": 404}, {"status": 500}, {"body": requests.exceptions.ReadTimeout("slow")}]
)
@responses.activate
def test_clearbit_failure_never_fails_registration(clearbit_app, failure):
    responses.get(CLEARBIT, **failure)
    response = register(clearbit_app)
    assert response.status_code == 201
    assert response.get_json()["company"] is None


def test_without_keys_no_outside_call_is_made(client):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        assert (
            client.post(
                "/api/v1/auth/register", json={"email": "quiet@example.com", "password": "s3cure-pass-99"}
            ).status_code
            == 201
        )
        assert len(mocked.calls) == 0
