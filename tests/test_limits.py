"""Rate limits (Flask-Limiter): 429 in the error envelope with Retry-After."""

import pytest


@pytest.fixture
def limited(make_app):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGIN="3/minute",
        RATELIMIT_JOIN="2/minute",
        RATELIMIT_LOOKUP="2/minute",
    )


def assert_limited(response):
    assert response.status_code == 429
    body = response.get_json()
    assert body["code"] == 429 and body["status"] == "Too Many Requests"
    assert int(response.headers["Retry-After"]) > 0


def test_phone_code_once_a_minute_per_phone(limited):
    client = limited.test_client()
    assert client.post("/api/v1/auth/phone/code", json={"phone": "+79174445566"}).status_code == 202
    # The same number written another way is the same phone.
    assert_limited(client.post("/api/v1/auth/phone/code", json={"phone": "+7 917 444-55-66"}))
    assert client.post("/api/v1/auth/phone/code", json={"phone": "+79174445567"}).status_code == 202


def test_phone_codes_per_client_address(limited):
    client = limited.test_client()
    statuses = [client.post("/api/v1/auth/phone/code", json={"phone": f"+7917444556{n}"}).status_code for n in range(6)]
    assert statuses == [202] * 5 + [429]
    other_client = limited.test_client()
    response = other_client.post(
        "/api/v1/auth/phone/code", json={"phone": "+79170000000"}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )
    assert response.status_code == 202


def test_login_is_limited(limited):
    client = limited.test_client()
    for _ in range(3):
        assert (
            client.post(
                "/api/v1/auth/token", data={"username": "x@example.com", "password": "wrong-pass-1"}
            ).status_code
            == 401
        )
    assert_limited(client.post("/api/v1/auth/token", data={"username": "x@example.com", "password": "wrong-pass-1"}))


def test_join_is_limited(limited):
    client = limited.test_client()
    assert client.post("/api/join/", json={"email": "a@example.com"}).status_code == 201
    assert client.post("/api/join/", json={"email": "b@example.com"}).status_code == 201
    response = client.post("/api/join/", json={"email": "c@example.com"})
    assert_limited(response)
    assert "detail" in response.get_json()


def test_public_lookups_are_limited(limited):
    client = limited.test_client()
    for _ in range(2):
        assert client.get("/api/v1/referral-codes/lookup?email=x@example.com").status_code == 404
    assert_limited(client.get("/api/v1/referral-codes/lookup?email=x@example.com"))


def test_limits_can_be_switched_off(make_app):
    client = make_app(RATELIMIT_ENABLED=False).test_client()
    for _ in range(3):
        assert client.post("/api/v1/auth/phone/code", json={"phone": "+79174445566"}).status_code == 202


def test_limits_are_shared_by_workers_through_redis(make_app, backend):
    if backend != "postgresql":
        pytest.skip("shared limits need Redis (the PostgreSQL + Redis run)")
    worker_a = make_app(RATELIMIT_ENABLED=True)
    worker_b = make_app(RATELIMIT_ENABLED=True)
    assert worker_a.test_client().post("/api/v1/auth/phone/code", json={"phone": "+79174445566"}).status_code == 202
    assert_limited(worker_b.test_client().post("/api/v1/auth/phone/code", json={"phone": "+79174445566"}))


def test_every_way_to_join_counts_against_one_limit(limited):
    client = limited.test_client()
    assert client.post("/api/join/", json={"email": "a@example.com"}).status_code == 201
    assert (
        client.post("/api/v1/auth/register", json={"email": "b@example.com", "password": "s3cure-pass-99"}).status_code
        == 201
    )
    assert client.post("/", data={"email": "c@example.com"}).status_code == 429
