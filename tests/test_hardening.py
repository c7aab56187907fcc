"""Hardening (issue 15, docs/contract.md §7): every finding of the outside test, through HTTP, on
both databases. Bad input is a clean 4xx in the route's error shape, never a 500; an unknown account
costs what a known one does; sessions end when they are ended; SMS goes to mobiles only."""

import json
import statistics
import time
from datetime import timedelta, timezone

import pytest

from conftest import PASSWORD
from titan.common.types import utcnow
from titan.extensions import db
from titan.members.models import ReferralCode, User

TOKEN = "/api/v1/auth/token"
REGISTER = "/api/v1/auth/register"
ME = "/api/v1/users/me"
DEEP_LIST = "[" * 2000 + "]" * 2000
HUGE_INTEGER = "1" + "0" * 4300  # 4,301 digits: past Python's int-from-string limit
# Every JSON route, the unauthenticated ones included.
JSON_ROUTES = ("/api/join/", "/api/join/ABCD2345/", TOKEN, REGISTER, "/api/v1/auth/verify", "/api/v1/auth/phone/code")


def bearer(tokens):
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def sign_in(client, login, password=PASSWORD):
    response = client.post(TOKEN, data={"username": login, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def assert_envelope(response, status=400):
    """The v1 envelope: `{"code", "status", "message"[, "errors"]}`."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["code"] == status and body["status"] and body["message"]
    return body


def assert_spa_error(response, status=400):
    """The waitlist (single-page app) routes: invalid fields as `{"field": [messages]}`, other
    errors in the envelope with `detail` beside it."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert isinstance(body, dict) and body
    if "code" not in body:
        assert all(isinstance(messages, list) and messages for messages in body.values())
    return body


def assert_error_page(response, status=400):
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert "<!DOCTYPE html>" in response.get_data(as_text=True)


def post_raw(client, path, text, **kwargs):
    return client.post(path, data=text.encode(), content_type="application/json", **kwargs)


@pytest.fixture
def member(make_user):
    return make_user(email="member@example.com", username="member")


@pytest.fixture
def member_tokens(client, member):
    return sign_in(client, "member")


@pytest.fixture
def admin_tokens(client, admin):
    return sign_in(client, "admin")


# --- JSON the parser refuses: nested too deep, integers too long -------------------------------------


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize(
    "body",
    [DEEP_LIST, '{"email": ' + DEEP_LIST + "}", '{"email": ' + HUGE_INTEGER + "}", HUGE_INTEGER],
    ids=["deep-list", "deep-field", "huge-integer-field", "huge-integer"],
)
def test_unparsable_json_is_400_on_every_json_route(client, path, body):
    response = post_raw(client, path, body)
    if path.startswith("/api/v1/"):
        assert_envelope(response)
    else:
        assert_spa_error(response)


def test_deep_json_on_an_authenticated_route_is_400(client, member_tokens):
    response = client.patch(
        ME, data='{"first_name": ' + DEEP_LIST + "}", content_type="application/json", headers=bearer(member_tokens)
    )
    assert_envelope(response)


# --- NUL bytes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/records", "/api/v1/operations", "/api/v1/users/"])
def test_nul_in_search_is_400(client, admin_tokens, path):
    body = assert_envelope(client.get(f"{path}?search=a%00b", headers=bearer(admin_tokens)))
    assert "search" in body["errors"]["query"]


@pytest.mark.parametrize("value", ["mem\x00ber", "\ud800"], ids=["nul", "surrogate"])
def test_bad_text_in_the_token_username_is_400(client, member, value):
    # json.dumps writes the escapes (`\u0000`, `\ud800`), as an attacker's client would send them.
    response = post_raw(client, TOKEN, json.dumps({"username": value, "password": PASSWORD}))
    assert "username" in assert_envelope(response)["errors"]["json_or_form"]


def test_nul_in_the_token_username_form_is_400(client, member):
    # (A form cannot carry a lone surrogate: its bytes are UTF-8, and invalid UTF-8 decodes as U+FFFD.)
    response = client.post(TOKEN, data={"username": "mem\x00ber", "password": PASSWORD})
    assert "username" in assert_envelope(response)["errors"]["form"]


def test_lone_surrogate_in_the_password_is_400(client, member):
    response = post_raw(client, TOKEN, '{"username": "member", "password": "\\ud800abcdefgh"}')
    assert "password" in assert_envelope(response)["errors"]["json_or_form"]


def test_nul_in_the_admin_login_form_is_400(client, admin):
    response = client.post("/admin/login", data={"email": "admin\x00@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/user/").status_code == 302  # not signed in


@pytest.mark.parametrize("field", ["first_name", "last_name", "username"])
@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff"])
def test_bad_text_in_register_names_is_400(client, field, escape):
    text = f'{{"email": "new@example.com", "password": "{PASSWORD}", "{field}": "Ada{escape}"}}'
    body = assert_envelope(post_raw(client, REGISTER, text))
    assert field in body["errors"]["json"]
    assert db.session.scalar(db.select(User).where(User.email == "new@example.com")) is None


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_bad_text_in_profile_names_is_400(client, member_tokens, field, escape):
    response = client.patch(
        ME,
        data=f'{{"{field}": "Ada{escape}"}}'.encode(),
        content_type="application/json",
        headers=bearer(member_tokens),
    )
    assert field in assert_envelope(response)["errors"]["json"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_nul_in_a_waitlist_path_code_is_400(client, method):
    response = getattr(client, method)("/api/user/ABCD%00/")
    assert_envelope(response)
    assert_envelope(client.post("/api/join/ABCD%00/", json={"email": "nul@example.com"}))
    assert db.session.scalar(db.select(User).where(User.email == "nul@example.com")) is None


def test_nul_in_a_referral_code_path_is_400(client, member_tokens):
    assert_envelope(client.delete("/api/v1/referral-codes/ABCD%00", headers=bearer(member_tokens)))


@pytest.mark.parametrize("method", ["get", "post"])
def test_nul_in_a_referral_link_is_a_400_page(client, method):
    assert_error_page(getattr(client, method)("/r/ABCD%00", data={"email": "nul@example.com"}))


# --- path codes must look like codes ----------------------------------------------------------------


@pytest.mark.parametrize("code", ["AB", "A" * 33, "bad-code!", "ABCD%20EF", "ABCD%E2%82%AC"])
def test_a_path_code_that_is_no_code_is_404(client, member_tokens, code):
    assert_envelope(client.get(f"/api/user/{code}/"), 404)
    assert_envelope(client.post(f"/api/user/{code}/"), 404)
    assert_envelope(client.post(f"/api/join/{code}/", json={"email": "guest@example.com"}), 404)
    assert_envelope(client.delete(f"/api/v1/referral-codes/{code}", headers=bearer(member_tokens)), 404)
    assert client.post(f"/r/{code}", data={"email": "guest@example.com"}).status_code == 404
    page = client.get(f"/r/{code}")  # a mangled link: the landing says so, and still lets you join
    assert page.status_code == 404
    assert "This invite link doesn&#39;t work, but you can still join." in page.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "guest@example.com")) is None


def test_codes_in_any_case_still_work_in_paths(client, make_user):
    referrer = make_user(email="owner@example.com", password=None)
    code = referrer.invite_code.lower()
    assert client.get(f"/api/user/{code}/").status_code == 200
    assert client.get(f"/r/{code}").status_code == 200
    assert client.post(f"/api/join/{code}/", json={"email": "friend@example.com"}).status_code == 201


# --- dates at the calendar's edge ---------------------------------------------------------------------


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "10000-01-01T00:00:00"])
def test_a_date_past_the_calendar_is_400(client, member_tokens, moment):
    response = client.post("/api/v1/referral-codes", json={"expires_at": moment}, headers=bearer(member_tokens))
    assert "expires_at" in assert_envelope(response)["errors"]["json"]
    assert db.session.scalar(db.select(db.func.count()).select_from(ReferralCode)) == 0


def test_expires_at_is_answered_in_utc(client, member_tokens):
    moment = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    response = client.post(
        "/api/v1/referral-codes",
        json={"expires_at": moment.astimezone(timezone(timedelta(hours=14))).isoformat()},
        headers=bearer(member_tokens),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["expires_at"] == moment.isoformat()


# --- malformed Host ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/status"])
@pytest.mark.parametrize("host", ["a" * 64 + ".example.com", "titan..test", "bad host", "titan.test:99999"])
def test_a_malformed_host_is_a_400_page(client, path, host):
    assert_error_page(client.get(path, headers={"Host": host}))


def test_a_malformed_host_on_the_api_is_a_400_envelope(client):
    assert_envelope(client.get("/api/v1/operations", headers={"Host": "a" * 64 + ".example.com"}))


# --- admin list views -------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin):
    response = client.post("/admin/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 303
    return client


@pytest.mark.parametrize("view", ["user", "referralcode", "record"])
@pytest.mark.parametrize(
    "query", ["page=100000000000000000000", "page=-5", "page=abc", "page_size=100000000000000000000"]
)
def test_admin_list_paging_never_fails(admin_client, view, query):
    response = admin_client.get(f"/admin/{view}/?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize("view", ["user", "referralcode", "record"])
def test_nul_in_an_admin_search_is_a_400_page(admin_client, view):
    assert_error_page(admin_client.get(f"/admin/{view}/?search=a%00b"))


@pytest.mark.parametrize("query", ["id=100000000000000000000", "id=-5", "id=a%00b"])
def test_admin_details_of_nothing_never_fail(admin_client, query):
    assert admin_client.get(f"/admin/user/details/?{query}").status_code in (302, 400, 404)


# --- sessions that end ------------------------------------------------------------------------------


def test_a_saved_admin_cookie_no_longer_works_after_logout(make_app, admin):
    app = make_app()
    browser = app.test_client()
    assert browser.post("/admin/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 303
    assert browser.get("/admin/user/").status_code == 200
    saved = browser.get_cookie("session").value
    assert browser.post("/admin/logout").status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", saved)
    response = thief.get("/admin/user/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
    # Signing in again works (and opens a new generation, which the old cookie doesn't carry either).
    assert browser.post("/admin/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 303
    assert browser.get("/admin/user/").status_code == 200
    assert thief.get("/admin/user/").status_code == 302


def test_an_admin_logout_elsewhere_ends_every_admin_session(make_app, admin):
    app = make_app()
    office, home = app.test_client(), app.test_client()
    for browser in (office, home):
        assert (
            browser.post("/admin/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 303
        )
    assert office.post("/admin/logout").status_code == 303
    assert home.get("/admin/user/").status_code == 302


def test_a_password_change_ends_admin_sessions_too(make_app, admin):
    app = make_app()
    browser = app.test_client()
    assert browser.post("/admin/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 303
    tokens = sign_in(browser, "admin")
    changed = browser.post(
        "/api/v1/auth/password/change",
        headers=bearer(tokens),
        json={"current_password": PASSWORD, "new_password": "another-horse-43"},
    )
    assert changed.status_code == 200
    assert browser.get("/admin/user/").status_code == 302


def test_logout_all_revokes_tokens_from_refresh_too(client, member):
    tokens = sign_in(client, "member")
    refreshed = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refreshed.status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens), json={"all": True}).status_code == 200
    assert_envelope(client.get(ME, headers=bearer(refreshed.get_json())), 401)


def test_an_email_change_does_not_take_the_address_at_once(client, member_tokens, make_user):
    response = client.patch(ME, headers=bearer(member_tokens), json={"email": "victim@example.com"})
    assert response.status_code == 200
    assert (response.get_json()["email"], response.get_json()["pending_email"]) == (
        "member@example.com",
        "victim@example.com",
    )
    # The address's owner can still sign up with it.
    assert client.post(REGISTER, json={"email": "victim@example.com", "password": PASSWORD}).status_code == 201


# --- a revoked referral code ------------------------------------------------------------------------


@pytest.fixture
def revoked_code(client, member_tokens):
    expires_at = (utcnow() + timedelta(days=7)).isoformat()
    response = client.post(
        "/api/v1/referral-codes", json={"code": "REVOKED26", "expires_at": expires_at}, headers=bearer(member_tokens)
    )
    assert response.status_code == 201
    assert client.delete("/api/v1/referral-codes/REVOKED26", headers=bearer(member_tokens)).status_code == 204
    return "REVOKED26"


REVOKED_MESSAGE = "Referral code has expired"  # the contract's words (§3); the reason is code_revoked


def test_joining_with_a_revoked_code_is_refused_in_the_contracts_words(client, revoked_code):
    response = client.post(f"/api/join/{revoked_code}/", json={"email": "late@example.com"})
    body = assert_spa_error(response)
    assert body["message"] == body["detail"] == REVOKED_MESSAGE
    assert db.session.scalar(db.select(User).where(User.email == "late@example.com")) is None
    assert assert_spa_error(client.get(f"/api/user/{revoked_code}/"))["detail"] == REVOKED_MESSAGE


def test_registering_with_a_revoked_code_is_refused_in_the_contracts_words(client, revoked_code):
    response = client.post(
        REGISTER, json={"email": "late@example.com", "password": PASSWORD, "referral_code": revoked_code}
    )
    assert assert_envelope(response)["message"] == REVOKED_MESSAGE
    assert db.session.scalar(db.select(User).where(User.email == "late@example.com")) is None


def test_a_revoked_referral_link_says_so_and_still_lets_you_join(client, revoked_code):
    page = client.get(f"/r/{revoked_code}")
    assert page.status_code == 200
    assert "This invite link is no longer active, but you can still join." in page.get_data(as_text=True)


def test_an_expired_code_still_says_expired(client, member):
    db.session.add(ReferralCode(owner_id=member.id, code="OLDCODE1", expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    body = assert_spa_error(client.post("/api/join/OLDCODE1/", json={"email": "late@example.com"}))
    assert body["detail"] == "Referral code has expired"


# --- SMS only to mobiles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0000",  # UK fixed line
        "+449012345678",  # UK premium rate
        "+18005551234",  # US toll free
        "+447640123456",  # UK pager (the 076 range)
    ],
)
def test_sms_codes_go_to_mobiles_only(client, sms_outbox, phone):
    body = assert_envelope(client.post("/api/v1/auth/phone/code", json={"phone": phone}))
    assert body["errors"]["json"]["phone"] == ["Enter a mobile phone number: codes are only sent by text message."]
    assert sms_outbox == []


@pytest.mark.parametrize("phone", ["+79174445566", "+447911123456", "+12015550123"])
def test_sms_codes_go_to_mobile_and_ambiguous_numbers(client, sms_outbox, phone):
    assert client.post("/api/v1/auth/phone/code", json={"phone": phone}).status_code == 202
    assert len(sms_outbox) == 1


# --- login timing -------------------------------------------------------------------------------------


def test_login_timing_does_not_tell_known_from_unknown_accounts(make_app, make_user):
    # A real hash (if lighter than production's), which outweighs the rest of the request, so that a
    # second hash would show and noise would not.
    app = make_app(PASSWORD_HASH_METHOD="scrypt:4096:8:1")
    with app.app_context():
        make_user(email="known@example.com", username="known")
    client = app.test_client()
    attempts = {"known@example.com": [], "unknown@example.com": []}
    for login in attempts:  # warm up: the dummy hash, the connection pool
        client.post(TOKEN, data={"username": login, "password": "wrong-password-1"})
    for round_ in range(15):  # interleaved, each going first in turn
        for login, timings in sorted(attempts.items(), reverse=round_ % 2 == 1):
            started = time.perf_counter()
            response = client.post(TOKEN, data={"username": login, "password": "wrong-password-1"})
            timings.append(time.perf_counter() - started)
            assert response.status_code == 401
    known, unknown = (statistics.median(timings) for timings in attempts.values())
    assert abs(known - unknown) / min(known, unknown) < 0.25, (known, unknown)
