"""Registration, the OAuth2 password grant, refresh, verify and logout."""

import time
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from conftest import PASSWORD
from titan.auth.models import RevokedToken
from titan.common.codes import CODE_ALPHABET
from titan.extensions import db
from titan.members.models import User

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"


def register(client, **fields):
    body = {"email": "new@example.com", "password": "s3cure-pass-99"} | fields
    return client.post(REGISTER, json=body)


def field_errors(response, location="json"):
    return response.get_json()["errors"][location]


# --- registration ------------------------------------------------------------------------------


def test_register_creates_user_with_invite_code(client):
    response = register(
        client, email="Ada.Lovelace@Example.COM", username="Ada_L", first_name=" Ada ", last_name="Lovelace"
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "ada.lovelace@example.com"
    assert body["username"] == "ada_l"
    assert body["first_name"] == "Ada" and body["last_name"] == "Lovelace"
    assert body["balance"] == 2500 and body["is_admin"] is False and body["waitlist_status"] is None
    assert len(body["invite_code"]) == 8 and set(body["invite_code"]) <= set(CODE_ALPHABET)
    assert "password" not in body and "password_hash" not in body
    user = db.session.get(User, body["id"])
    assert user.password_hash.startswith("scrypt:") and "s3cure-pass-99" not in user.password_hash


@pytest.mark.parametrize(
    "password, message",
    [
        ("short1!", "Password must be at least 8 characters long."),
        ("1234567890", "Password must not be entirely numeric."),
        ("password1", "This password is too common."),
        ("Sunshine", "This password is too common."),
        ("x" * 129, "Longer than maximum length 128."),
    ],
)
def test_register_refuses_weak_passwords(client, password, message):
    response = register(client, password=password)
    assert response.status_code == 400
    assert message in field_errors(response)["password"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not-an-email", "password": "s3cure-pass-99"}, "email"),
        ({"email": 42, "password": "s3cure-pass-99"}, "email"),
        ({"email": ["a@example.com"], "password": "s3cure-pass-99"}, "email"),
        ({"password": "s3cure-pass-99"}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a@example.com", "password": 12345678}, "password"),
        ({"email": "a@example.com", "password": "s3cure-pass-99", "username": "a b"}, "username"),
        ({"email": "a@example.com", "password": "s3cure-pass-99", "username": "ab"}, "username"),
        ({"email": "a@example.com", "password": "s3cure-pass-99", "username": "me@there"}, "username"),
        ({"email": "a@example.com", "password": "s3cure-pass-99", "first_name": "x" * 151}, "first_name"),
        ({"email": "a@example.com", "password": "s3cure-pass-99", "referral_code": "no!"}, "referral_code"),
        ({"email": "a@example.com", "password": "s3cure-pass-99", "is_admin": True}, "is_admin"),
    ],
)
def test_register_rejects_bad_input_with_field_errors(client, body, field):
    response = client.post(REGISTER, json=body)
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["code"] == 400 and payload["status"] == "Bad Request"
    assert field in payload["errors"]["json"]
    assert User.query.count() == 0


@pytest.mark.parametrize(
    "data, content_type",
    [
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"just a string"', "application/json"),
        ("", "application/json"),
    ],
)
def test_register_rejects_malformed_json(client, data, content_type):
    response = client.post(REGISTER, data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.is_json and response.get_json()["code"] == 400


def test_register_duplicate_email_in_another_case_is_409(client):
    assert register(client, email="dup@example.com").status_code == 201
    response = register(client, email="DUP@Example.com")
    assert response.status_code == 409
    assert field_errors(response)["email"] == ["A user with this email already exists."]


def test_register_gmail_dots_and_tags_are_the_same_person(client):
    assert register(client, email="john.smith@gmail.com").status_code == 201
    for variant in ("johnsmith@gmail.com", "John.Smith+titan@gmail.com", "j.o.h.n.smith@googlemail.com"):
        assert register(client, email=variant).status_code == 409
    assert register(client, email="john.smith+x@example.com").status_code == 201


def test_register_duplicate_username_is_409(client):
    assert register(client, email="a@example.com", username="taken").status_code == 201
    response = register(client, email="b@example.com", username="TAKEN")
    assert response.status_code == 409
    assert "username" in field_errors(response)


def test_register_refuses_disposable_addresses(client):
    response = register(client, email="someone@mailinator.com")
    assert response.status_code == 400
    assert field_errors(response)["email"] == ["Registration at this email address is not available"]


@pytest.mark.email_confirmation_off
def test_register_with_invite_code_in_body_or_query(client, make_user):
    referrer = make_user(email="ref@example.com")
    response = register(client, email="one@example.com", referral_code=referrer.invite_code.lower())
    assert response.status_code == 201
    assert response.get_json()["referred_by_id"] == referrer.id
    response = client.post(
        f"{REGISTER}?referral_code={referrer.invite_code}",
        json={"email": "two@example.com", "password": "s3cure-pass-99"},
    )
    assert response.status_code == 201
    assert response.get_json()["referred_by_id"] == referrer.id
    db.session.refresh(referrer)
    assert referrer.referral_count == 2


def test_register_with_unknown_code_is_404_and_creates_nobody(client):
    response = register(client, referral_code="NOSUCHCODE")
    assert response.status_code == 404
    assert response.get_json()["message"] == "Referral code not found"
    assert User.query.count() == 0


def test_register_with_bad_query_code_is_400(client):
    response = client.post(
        f"{REGISTER}?referral_code=%21%21", json={"email": "x@example.com", "password": "s3cure-pass-99"}
    )
    assert response.status_code == 400
    assert "referral_code" in field_errors(response, "query")


def test_invite_codes_are_unique_and_collisions_are_retried(client, make_user, monkeypatch):
    first = make_user(email="first@example.com")
    generated = iter([first.invite_code, first.invite_code, "ZZZZ2222"])
    monkeypatch.setattr("titan.members.accounts.generate_code", lambda: next(generated))
    response = register(client, email="second@example.com")
    assert response.status_code == 201
    assert response.get_json()["invite_code"] == "ZZZZ2222"


# --- tokens ------------------------------------------------------------------------------------


def test_password_grant_as_form_with_email_or_username(client, user):
    for login in ("member@example.com", "MEMBER@example.com", "member", "Member"):
        response = client.post(TOKEN, data={"grant_type": "password", "username": login, "password": PASSWORD})
        assert response.status_code == 200, login
        body = response.get_json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 900
        assert body["access_token"] and body["refresh_token"]


def test_password_grant_as_json_and_without_grant_type(client, user):
    response = client.post(TOKEN, json={"username": "member@example.com", "password": PASSWORD})
    assert response.status_code == 200
    claims = pyjwt.decode(response.get_json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(user.id) and isinstance(claims["sub"], str)


def test_password_grant_ignores_oauth2_extras(client, user):
    response = client.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": "member",
            "password": PASSWORD,
            "scope": "",
            "client_id": "swagger",
        },
    )
    assert response.status_code == 200


def test_wrong_credentials_are_401_with_one_message(client, user):
    wrong_password = client.post(TOKEN, data={"username": "member", "password": "nope-nope-1"})
    unknown_user = client.post(TOKEN, data={"username": "ghost@example.com", "password": "nope-nope-1"})
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.get_json()["message"] == unknown_user.get_json()["message"] == "Invalid username or password."


def test_waitlist_user_without_password_cannot_sign_in(client, make_user):
    make_user(email="waiting@example.com", password=None, waitlist=True)
    response = client.post(TOKEN, data={"username": "waiting@example.com", "password": "anything-1"})
    assert response.status_code == 401


def test_disabled_user_cannot_sign_in(client, make_user):
    make_user(email="off@example.com", is_active=False)
    assert client.post(TOKEN, data={"username": "off@example.com", "password": PASSWORD}).status_code == 401


@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "client_credentials", "username": "member", "password": PASSWORD},
        {"username": "member"},
        {"password": PASSWORD},
        {"username": "", "password": PASSWORD},
    ],
)
def test_password_grant_bad_input_is_400(client, user, data):
    response = client.post(TOKEN, data=data)
    assert response.status_code == 400
    assert response.get_json()["errors"]


def test_refresh_gives_a_new_access_token(client, user, token_for):
    tokens = token_for("member")
    response = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert response.status_code == 200
    access = response.get_json()["access_token"]
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"}).status_code == 200


def test_refresh_refuses_an_access_token_and_me_refuses_a_refresh_token(client, user, token_for):
    tokens = token_for("member")
    assert (
        client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code
        == 401
    )
    assert (
        client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}).status_code
        == 401
    )


def test_verify_reports_type_and_expiry(client, user, token_for):
    tokens = token_for("member")
    for kind in ("access", "refresh"):
        response = client.post("/api/v1/auth/verify", json={"token": tokens[f"{kind}_token"]})
        assert response.status_code == 200
        body = response.get_json()
        assert body["valid"] is True and body["type"] == kind
        assert body["expires_at"].endswith("+00:00")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 4096])
def test_verify_refuses_garbage(client, token):
    response = client.post("/api/v1/auth/verify", json={"token": token})
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_verify_bad_input_is_400(client):
    assert client.post("/api/v1/auth/verify", json={}).status_code == 400
    assert client.post("/api/v1/auth/verify", json={"token": 5}).status_code == 400


# --- tokens that must be refused ---------------------------------------------------------------


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_expired_token_is_401(client, user):
    token = create_access_token(identity=user, expires_delta=timedelta(seconds=-1))
    response = client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["message"] == "Token has expired."
    assert client.post("/api/v1/auth/verify", json={"token": token}).status_code == 401


def test_forged_signature_is_401(client, user):
    forged = pyjwt.encode(
        {"sub": str(user.id), "type": "access", "jti": "x", "exp": time.time() + 600}, "wrong-secret-" * 4
    )
    assert client.get("/api/v1/users/me", headers=bearer(forged)).status_code == 401
    assert client.post("/api/v1/auth/verify", json={"token": forged}).status_code == 401


def test_alg_none_token_is_401(client, user):
    unsigned = pyjwt.encode(
        {"sub": str(user.id), "type": "access", "jti": "y", "fresh": False, "exp": int(time.time()) + 600},
        key=None,
        algorithm="none",
    )
    assert client.get("/api/v1/users/me", headers=bearer(unsigned)).status_code == 401
    assert client.post("/api/v1/auth/verify", json={"token": unsigned}).status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz", "Bearer a.b"])
def test_malformed_authorization_header_is_401(client, header):
    response = client.get("/api/v1/users/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.is_json


def test_missing_token_is_401(client):
    response = client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.get_json()["status"] == "Unauthorized"


def test_token_of_a_deleted_or_disabled_user_is_401(client, make_user):
    gone = make_user(email="gone@example.com")
    token = create_access_token(identity=gone)
    gone.is_active = False
    db.session.commit()
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401
    bogus = create_access_token(identity="999999")
    assert client.get("/api/v1/users/me", headers=bearer(bogus)).status_code == 401
    not_a_number = create_access_token(identity="abc")
    assert client.get("/api/v1/users/me", headers=bearer(not_a_number)).status_code == 401


# --- logout ------------------------------------------------------------------------------------


def test_logout_revokes_the_access_token(client, user, token_for):
    tokens = token_for("member")
    headers = bearer(tokens["access_token"])
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    response = client.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["message"] == "Token has been revoked"
    assert client.post("/api/v1/auth/verify", json={"token": tokens["access_token"]}).status_code == 401
    # The refresh token was not given, so it still works.
    assert client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 200


def test_logout_with_refresh_token_revokes_both(client, user, token_for):
    tokens = token_for("member")
    response = client.post(
        "/api/v1/auth/logout", headers=bearer(tokens["access_token"]), json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 200
    assert client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401
    assert RevokedToken.query.count() == 2


def test_logout_refuses_someone_elses_refresh_token_and_revokes_nothing(client, user, make_user, token_for):
    make_user(email="other@example.com", username="other")
    mine, theirs = token_for("member"), token_for("other")
    response = client.post(
        "/api/v1/auth/logout", headers=bearer(mine["access_token"]), json={"refresh_token": theirs["refresh_token"]}
    )
    assert response.status_code == 400
    assert RevokedToken.query.count() == 0
    assert client.get("/api/v1/users/me", headers=bearer(mine["access_token"])).status_code == 200


def test_revoked_token_is_refused_by_another_worker_and_after_restart(make_app, make_user):
    worker_a = make_app()
    worker_b = make_app()
    with worker_a.app_context():
        make_user(email="multi@example.com")
    client_a, client_b = worker_a.test_client(), worker_b.test_client()
    tokens = client_a.post(TOKEN, data={"username": "multi@example.com", "password": PASSWORD}).get_json()
    headers = bearer(tokens["access_token"])
    assert client_b.get("/api/v1/users/me", headers=headers).status_code == 200
    assert client_a.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert client_b.get("/api/v1/users/me", headers=headers).status_code == 401
    restarted = make_app()
    assert restarted.test_client().get("/api/v1/users/me", headers=headers).status_code == 401


def test_logout_twice_is_401_the_second_time(client, user, token_for):
    headers = bearer(token_for("member")["access_token"])
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 401


def test_purge_removes_only_expired_revocations(app, user, token_for, client):
    tokens = token_for("member")
    client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]))
    expired = RevokedToken(
        jti="old",
        token_type="access",
        user_id=user.id,
        expires_at=RevokedToken.query.first().expires_at - timedelta(days=30),
    )
    db.session.add(expired)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["auth", "purge-revoked"])
    assert "Purged 1" in result.output
    assert RevokedToken.query.count() == 1


# --- tokens a worker remembers (titan.common.guards) --------------------------------------------


def answer(response):
    return response.status_code, response.get_json(), response.headers.get("WWW-Authenticate")


def plain_answer(client, monkeypatch, method, path, headers):
    """What flask-jwt-extended alone answers: no remembered tokens, its own decoding."""
    from titan.common import guards

    with monkeypatch.context() as patch:
        patch.setattr(guards, "verified_tokens", lambda: None)
        return answer(client.open(path, method=method, headers=headers))


def assert_answers_as_flask_jwt_extended(client, monkeypatch, method, path, headers):
    """The answer when the header is new, when it is remembered, and flask-jwt-extended's: one."""
    expected = plain_answer(client, monkeypatch, method, path, headers)
    for _ in range(2):
        assert answer(client.open(path, method=method, headers=headers)) == expected
    return expected


@pytest.mark.parametrize(
    "shape",
    [
        "Bearer {}",
        "Bearer  {}",
        "bearer {}",
        " Bearer {}",
        "Bearer {},",
        "Bearer {}, Basic dXNlcjpwYXNz",
        "Basic dXNlcjpwYXNz, Bearer {}",
        "Bearer {} {}",
        "Bearer\t{}",
        "JWT {}",
        "{}",
    ],
)
def test_any_authorization_header_is_answered_as_flask_jwt_extended_answers_it(client, user, monkeypatch, shape):
    token = create_access_token(identity=user)
    headers = {"Authorization": shape.format(token, token)}
    assert_answers_as_flask_jwt_extended(client, monkeypatch, "GET", "/api/v1/users/me", headers)


def test_remembered_tokens_of_the_wrong_type_are_refused_as_before(client, user, token_for, monkeypatch):
    tokens = token_for("member")
    status, body, _ = assert_answers_as_flask_jwt_extended(
        client, monkeypatch, "GET", "/api/v1/users/me", bearer(tokens["refresh_token"])
    )
    assert status == 401
    status, body, _ = assert_answers_as_flask_jwt_extended(
        client, monkeypatch, "POST", "/api/v1/auth/refresh", bearer(tokens["access_token"])
    )
    assert status == 401
    for _ in range(2):  # a new access token each time
        assert client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 200


def test_a_remembered_token_is_still_checked_on_every_request(client, make_user, token_for, monkeypatch):
    member = make_user(email="checked@example.com", username="checked")
    headers = bearer(token_for("checked")["access_token"])
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200  # remembered now
    member.is_active = False
    db.session.commit()
    status, body, _ = assert_answers_as_flask_jwt_extended(client, monkeypatch, "GET", "/api/v1/users/me", headers)
    assert (status, body["message"]) == (401, "The account for this token no longer exists or is disabled.")
    member.is_active = True
    db.session.commit()
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    status, body, _ = assert_answers_as_flask_jwt_extended(client, monkeypatch, "GET", "/api/v1/users/me", headers)
    assert (status, body["message"]) == (401, "Token has been revoked")


def test_logout_everywhere_refuses_remembered_tokens(client, user, token_for):
    laptop, phone = token_for("member"), token_for("member")
    assert client.get("/api/v1/users/me", headers=bearer(phone["access_token"])).status_code == 200
    response = client.post("/api/v1/auth/logout", headers=bearer(laptop["access_token"]), json={"all": True})
    assert response.status_code == 200
    response = client.get("/api/v1/users/me", headers=bearer(phone["access_token"]))
    assert (response.status_code, response.get_json()["message"]) == (401, "Token has been revoked")


def test_a_remembered_token_expires_on_time(client, user, monkeypatch):
    token = create_access_token(identity=user, expires_delta=timedelta(seconds=2))
    expires = pyjwt.decode(token, options={"verify_signature": False})["exp"]
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 200
    time.sleep(max(0, expires - time.time()) + 0.05)
    me = "/api/v1/users/me"
    status, body, _ = assert_answers_as_flask_jwt_extended(client, monkeypatch, "GET", me, bearer(token))
    assert (status, body["message"]) == (401, "Token has expired.")


def test_tokens_are_remembered_per_app_and_in_bounded_memory(make_app, client, user, monkeypatch):
    from titan.common import guards

    monkeypatch.setattr(guards, "VERIFIED_TOKENS_MAX", 3)
    for _ in range(5):
        assert client.get("/api/v1/users/me", headers=bearer(create_access_token(identity=user))).status_code == 200
        assert 1 <= len(client.application.extensions[guards.VERIFIED_TOKENS_KEY]) <= 3
    # Another app signs with another key: a token it does not know is refused, not remembered.
    other = make_app(JWT_SECRET_KEY="another-secret-" * 3)
    token = create_access_token(identity=user)
    assert other.test_client().get("/api/v1/users/me", headers=bearer(token)).status_code == 401
    assert other.extensions[guards.VERIFIED_TOKENS_KEY] == {}
