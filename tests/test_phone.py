"""Phone sign-in with a texted 4-digit code."""

from datetime import timedelta

import pytest
import responses

from titan.auth.models import PhoneCode
from titan.common.types import utcnow
from titan.extensions import db
from titan.members.models import User

CODE = "/api/v1/auth/phone/code"
LOGIN = "/api/v1/auth/phone/token"
PHONE = "+79174445566"


def request_code(client, phone=PHONE):
    response = client.post(CODE, json={"phone": phone})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["debug_code"]


def wrong(code):
    return f"{(int(code) + 1) % 10_000:04d}"


def test_code_is_sent_hashed_and_expires(client, sms_outbox):
    response = client.post(CODE, json={"phone": "+7 (917) 444-55-66"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["detail"] == "Code sent" and body["expires_in"] == 300
    code = body["debug_code"]
    assert len(code) == 4 and code.isdigit()
    assert sms_outbox == [{"to": PHONE, "text": f"Your Titan code is {code}. It expires in 5 minutes."}]
    stored = PhoneCode.query.one()
    assert stored.phone == PHONE and code not in stored.code_hash and stored.attempts_left == 5


def test_debug_code_only_when_configured(make_app):
    app = make_app(AUTH_CODE_IN_RESPONSE=False)
    response = app.test_client().post(CODE, json={"phone": PHONE})
    assert response.status_code == 202
    assert "debug_code" not in response.get_json()


@pytest.mark.parametrize("phone", ["12", "not a phone", "+1 555", "", 79174445566, "+" + "9" * 40])
def test_invalid_phone_is_400(client, phone):
    response = client.post(CODE, json={"phone": phone})
    assert response.status_code == 400
    assert "phone" in response.get_json()["errors"]["json"]


def test_first_login_creates_the_user(client):
    code = request_code(client)
    response = client.post(LOGIN, json={"phone": "+7 917 444 55 66", "code": code})
    assert response.status_code == 200
    tokens = response.get_json()
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).get_json()
    assert me["phone"] == PHONE and me["email"] is None and len(me["invite_code"]) == 8
    assert PhoneCode.query.count() == 0  # a code works once


def test_second_login_is_the_same_user(client):
    client.post(LOGIN, json={"phone": PHONE, "code": request_code(client)})
    client.post(LOGIN, json={"phone": PHONE, "code": request_code(client)})
    assert User.query.filter_by(phone=PHONE).count() == 1


def test_a_used_code_cannot_be_used_again(client):
    code = request_code(client)
    assert client.post(LOGIN, json={"phone": PHONE, "code": code}).status_code == 200
    response = client.post(LOGIN, json={"phone": PHONE, "code": code})
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"]["code"] == ["Code expired, request a new one"]


def test_wrong_code_uses_an_attempt_and_five_kill_it(client):
    code = request_code(client)
    for attempt in range(5):
        response = client.post(LOGIN, json={"phone": PHONE, "code": wrong(code)})
        assert response.status_code == 400
        assert response.get_json()["errors"]["json"]["code"] == ["Invalid code."]
        assert PhoneCode.query.one().attempts_left == 4 - attempt
    response = client.post(LOGIN, json={"phone": PHONE, "code": code})
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"]["code"] == ["Code expired, request a new one"]
    assert User.query.count() == 0


def test_expired_code_is_dead(client):
    code = request_code(client)
    PhoneCode.query.one().expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.post(LOGIN, json={"phone": PHONE, "code": code})
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"]["code"] == ["Code expired, request a new one"]


def test_new_code_replaces_the_old_one(client):
    first = request_code(client)
    second = request_code(client)
    if first != second:
        assert client.post(LOGIN, json={"phone": PHONE, "code": first}).status_code == 400
    assert client.post(LOGIN, json={"phone": PHONE, "code": second}).status_code == 200


def test_no_code_requested_is_400(client):
    response = client.post(LOGIN, json={"phone": PHONE, "code": "1234"})
    assert response.status_code == 400


@pytest.mark.parametrize("code", ["123", "12345", "abcd", 1234, ""])
def test_malformed_code_is_400_without_using_an_attempt(client, code):
    request_code(client)
    assert client.post(LOGIN, json={"phone": PHONE, "code": code}).status_code == 400
    assert PhoneCode.query.one().attempts_left == 5


def test_invite_code_sets_referrer_on_first_login(client, make_user):
    referrer = make_user(email="ref@example.com")
    response = client.post(
        LOGIN, json={"phone": PHONE, "code": request_code(client), "invite_code": referrer.invite_code}
    )
    assert response.status_code == 200
    new_user = User.query.filter_by(phone=PHONE).one()
    assert new_user.referred_by_id == referrer.id
    db.session.refresh(referrer)
    assert referrer.referral_count == 1


def test_own_invite_code_is_400(client):
    client.post(LOGIN, json={"phone": PHONE, "code": request_code(client)})
    me = User.query.filter_by(phone=PHONE).one()
    response = client.post(LOGIN, json={"phone": PHONE, "code": request_code(client), "invite_code": me.invite_code})
    assert response.status_code == 400
    assert "invite_code" in response.get_json()["errors"]["json"]


def test_unknown_invite_code_is_404_and_keeps_the_code(client):
    code = request_code(client)
    assert client.post(LOGIN, json={"phone": PHONE, "code": code, "invite_code": "UNKNOWN1"}).status_code == 404
    assert PhoneCode.query.one().attempts_left == 5


def test_existing_user_keeps_their_referrer(client, make_user):
    first = make_user(email="first@example.com")
    second = make_user(email="second@example.com")
    client.post(LOGIN, json={"phone": PHONE, "code": request_code(client), "invite_code": first.invite_code})
    response = client.post(
        LOGIN, json={"phone": PHONE, "code": request_code(client), "invite_code": second.invite_code}
    )
    assert response.status_code == 200
    assert User.query.filter_by(phone=PHONE).one().referred_by_id == first.id


@responses.activate
def test_twilio_backend_posts_to_twilio(make_app):
    app = make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID="AC123",
        TWILIO_AUTH_TOKEN="secret",
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_BASE_URL="https://twilio.test",
    )
    endpoint = responses.post(
        "https://twilio.test/2010-04-01/Accounts/AC123/Messages.json", json={"sid": "SM1"}, status=201
    )
    response = app.test_client().post(CODE, json={"phone": PHONE})
    assert response.status_code == 202
    sent = endpoint.calls[0].request
    assert "To=%2B79174445566" in sent.body and "From=%2B15005550006" in sent.body
    assert response.get_json()["debug_code"] in sent.body
    assert sent.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_twilio_failure_is_503_and_stores_no_code(make_app):
    app = make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID="AC123",
        TWILIO_AUTH_TOKEN="x",
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_BASE_URL="https://twilio.test",
    )
    responses.post("https://twilio.test/2010-04-01/Accounts/AC123/Messages.json", status=500)
    response = app.test_client().post(CODE, json={"phone": PHONE})
    assert response.status_code == 503
    with app.app_context():
        assert PhoneCode.query.count() == 0
