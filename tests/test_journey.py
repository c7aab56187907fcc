"""From visitor to account holder (docs/contract.md §8): confirmed addresses, referrals that count on
confirmation, activation on admission, passwords, email changes, unsubscribe, export and deletion.
Links are read from the mail as a person would click them."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner

from conftest import PASSWORD
from titan.auth.tokens import issue_tokens
from titan.common.types import utcnow
from titan.extensions import db
from titan.integrations import sms
from titan.members import links
from titan.members.models import User
from titan.waitlist.admission import admit_next

LINK = re.compile(r"http://titan\.test/(confirm|activate|reset|signin|unsubscribe|delete)/([A-Za-z0-9_.\-]+)")
INVALID = ["This link is invalid or has expired."]
NEW_PASSWORD = "battery-staple-77"


def link_in(message, kind):
    """The token of the first `kind` link in a mail (text part)."""
    for found_kind, token in LINK.findall(message["text"]):
        if found_kind == kind:
            return token
    raise AssertionError(f"no {kind} link in {message['template']}: {message['text']}")


def last_mail(outbox, to, template=None):
    mails = [m for m in outbox if m["to"] == to and (template is None or m["template"] == template)]
    assert mails, f"no {template or 'mail'} to {to}; sent: {[(m['to'], m['template']) for m in outbox]}"
    return mails[-1]


def join(client, email, code=None):
    response = client.post(f"/api/join/{code}/" if code else "/api/join/", json={"email": email})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def confirm(client, outbox, email):
    token = link_in(last_mail(outbox, email, "welcome"), "confirm")
    return client.post("/api/v1/auth/email/confirm", json={"token": token})


def standing(client, code):
    return client.get(f"/api/user/{code}/").get_json()


def user_by_email(email):
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def sign_in(client, login, password=PASSWORD):
    return client.post("/api/v1/auth/token", data={"grant_type": "password", "username": login, "password": password})


def bearer(tokens):
    return {"Authorization": f"Bearer {tokens['access_token']}"}


# --- confirmation -------------------------------------------------------------------------------------


def test_join_mails_one_welcome_with_the_confirmation_link(client, outbox):
    body = join(client, "ada@example.com")
    assert body["email_confirmed"] is False and body["pending_referrals"] == 0
    assert [m["template"] for m in outbox] == ["welcome"]
    response = confirm(client, outbox, "ada@example.com")
    assert response.status_code == 200
    assert response.get_json()["email"] == "ada@example.com" and response.get_json()["email_confirmed"] is True
    assert standing(client, body["referral_code"])["email_confirmed"] is True
    assert len(outbox) == 1  # confirming sends no mail of its own


def test_confirming_twice_is_harmless(client, outbox):
    join(client, "twice@example.com")
    assert confirm(client, outbox, "twice@example.com").status_code == 200
    again = confirm(client, outbox, "twice@example.com")
    assert again.status_code == 200 and "already confirmed" in again.get_json()["detail"]


def test_confirm_page_signs_the_browser_in_and_shows_the_standing(app, outbox):
    visitor = app.test_client()
    join(app.test_client(), "page@example.com")
    token = link_in(last_mail(outbox, "page@example.com"), "confirm")
    response = visitor.get(f"/confirm/{token}")
    assert response.status_code == 303 and response.headers["Location"] == "/status"
    page = visitor.get("/status").get_data(as_text=True)
    assert "Your email address is confirmed." in page and "Your place in line" in page
    # The emailed link proved the address: this browser sees it in full.
    code = user_by_email("page@example.com").invite_code
    assert visitor.get(f"/api/user/detail/?code={code}").get_json()["email"] == "page@example.com"


@pytest.mark.parametrize("token", ["garbage", "", "a" * 300, "eyJ1IjoxfQ.ZZZZ.signature"])
def test_a_forged_token_is_400_on_the_api_and_the_page(client, outbox, token):
    join(client, "forged@example.com")
    response = client.post("/api/v1/auth/email/confirm", json={"token": token})
    assert response.status_code == 400
    if token:
        assert response.get_json()["errors"]["json"]["token"] == INVALID
        page = client.get(f"/confirm/{token}")
        assert page.status_code == 400 and "This link doesn't work" in page.get_data(as_text=True)


def test_a_tampered_token_is_400(client, outbox):
    join(client, "tamper@example.com")
    token = link_in(last_mail(outbox, "tamper@example.com"), "confirm")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post("/api/v1/auth/email/confirm", json={"token": tampered})
    assert response.status_code == 400 and response.get_json()["errors"]["json"]["token"] == INVALID


@pytest.mark.parametrize("bad", [None, 5, ["x"], {"a": 1}])
def test_a_token_that_is_not_a_string_is_400(client, bad):
    response = client.post("/api/v1/auth/email/confirm", json={"token": bad})
    assert response.status_code == 400 and "token" in response.get_json()["errors"]["json"]


def test_an_expired_confirmation_link_is_400(app, client, outbox, monkeypatch):
    join(client, "late@example.com")
    user = user_by_email("late@example.com")
    hours = app.config["EMAIL_LINK_HOURS"]
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - hours * 3600 - 5)
        token = links.token_for(user, links.CONFIRM)
    response = client.post("/api/v1/auth/email/confirm", json={"token": token})
    assert response.status_code == 400 and response.get_json()["errors"]["json"]["token"] == INVALID
    assert client.get(f"/confirm/{token}").status_code == 400


def test_a_link_made_for_one_purpose_does_nothing_for_another(client, outbox, make_user):
    make_user(email="owner@example.com")
    assert client.post("/api/v1/auth/password/forgot", json={"email": "owner@example.com"}).status_code == 202
    reset_token = link_in(last_mail(outbox, "owner@example.com", "password_reset"), "reset")
    join(client, "fresh@example.com")
    confirm_token = link_in(last_mail(outbox, "fresh@example.com"), "confirm")
    attempts = [
        ("/api/v1/auth/email/confirm", {"token": reset_token}),
        ("/api/v1/auth/activate", {"token": reset_token, "password": NEW_PASSWORD}),
        ("/api/v1/auth/password/reset", {"token": confirm_token, "password": NEW_PASSWORD}),
        ("/api/v1/auth/activate", {"token": confirm_token, "password": NEW_PASSWORD}),
    ]
    for path, body in attempts:
        response = client.post(path, json=body)
        assert response.status_code == 400, (path, response.get_json())
        assert response.get_json()["errors"]["json"]["token"] == INVALID
    for path in (f"/reset/{confirm_token}", f"/activate/{confirm_token}", f"/signin/{reset_token}"):
        assert client.get(path).status_code == 400
    assert user_by_email("fresh@example.com").password_hash is None


def test_resend_and_link_and_forgot_do_not_tell_who_is_known(client, outbox, make_user):
    join(client, "known@example.com")
    make_user(email="account@example.com")
    for path in ("/api/v1/auth/email/resend", "/api/v1/auth/email/link", "/api/v1/auth/password/forgot"):
        answers = {
            email: client.post(path, json={"email": email})
            for email in ("known@example.com", "account@example.com", "nobody@example.com")
        }
        assert {response.status_code for response in answers.values()} == {202}, path
        assert len({response.get_data() for response in answers.values()}) == 1, path
    assert not [m for m in outbox if m["to"] == "nobody@example.com"]


def test_resend_is_throttled_per_address_even_without_rate_limits(make_app):
    app = make_app(RATELIMIT_ENABLED=False)
    client = app.test_client()
    with app.app_context():
        from titan.integrations.mail import outbox as outbox_of

        outbox = outbox_of(app)
        join(client, "patient@example.com")
        for _ in range(3):
            assert client.post("/api/v1/auth/email/resend", json={"email": "patient@example.com"}).status_code == 202
        confirmations = [m for m in outbox if m["template"] == "confirm_address"]
        assert len(confirmations) == 1  # one a minute; the answer stayed 202
        # A day's share: the first of the day and four more, each a minute later.
        from titan.members.models import VisitorMail

        db.session.execute(
            db.update(VisitorMail).values(sent_at=utcnow() - timedelta(minutes=2))
        )  # the last minute is over
        for minutes in range(3, 7):
            db.session.add(
                VisitorMail(
                    address="patient@example.com", kind="confirm", sent_at=utcnow() - timedelta(minutes=minutes)
                )
            )
        db.session.commit()
        assert client.post("/api/v1/auth/email/resend", json={"email": "patient@example.com"}).status_code == 202
        assert len([m for m in outbox if m["template"] == "confirm_address"]) == 1


def test_mail_routes_are_rate_limited_per_client(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [
        client.post("/api/v1/auth/password/forgot", json={"email": f"x{n}@example.com"}).status_code for n in range(40)
    ]
    assert 429 in statuses and set(statuses) <= {202, 429}
    limited = client.post("/api/v1/auth/email/resend", json={"email": "y@example.com"})
    if limited.status_code == 429:
        assert limited.headers["Retry-After"].isdigit() and limited.get_json()["code"] == 429


# --- referrals count on confirmation --------------------------------------------------------------------


def test_a_referral_counts_only_when_the_friend_confirms(client, outbox):
    others = [join(client, f"early{n}@example.com")["referral_code"] for n in range(12)]
    referrer = join(client, "referrer@example.com")
    assert confirm(client, outbox, "referrer@example.com").status_code == 200
    assert referrer["wait_list_position"] == 13
    join(client, "friend@example.com", code=referrer["referral_code"])
    before = standing(client, referrer["referral_code"])
    assert (before["referral_count"], before["pending_referrals"], before["wait_list_position"]) == (0, 1, 13)
    assert not [m for m in outbox if m["template"] == "referrer_notified"]

    assert confirm(client, outbox, "friend@example.com").status_code == 200
    after = standing(client, referrer["referral_code"])
    # Key (id - 10 x count, id): (3, 13) comes right after the member who joined third.
    assert (after["referral_count"], after["pending_referrals"], after["wait_list_position"]) == (1, 0, 4)
    # The email tells the referrer their standing after the referral, by value.
    notice = last_mail(outbox, "referrer@example.com", "referrer_notified")
    assert "You have referred 1 person." in notice["text"] and "You're now number 4 on the waitlist." in notice["text"]
    assert "f***@example.com" in notice["text"]
    assert standing(client, others[0])["wait_list_position"] == 1


def test_confirming_twice_counts_the_referral_once(client, outbox):
    referrer = join(client, "host@example.com")
    join(client, "guest@example.com", code=referrer["referral_code"])
    for _ in range(2):
        assert confirm(client, outbox, "guest@example.com").status_code == 200
    assert standing(client, referrer["referral_code"])["referral_count"] == 1
    assert len([m for m in outbox if m["template"] == "referrer_notified"]) == 1


def test_concurrent_confirmations_count_the_referral_once(app, backend, outbox):
    if backend != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them")
    client = app.test_client()
    referrer = join(client, "busy@example.com")
    join(client, "clicker@example.com", code=referrer["referral_code"])
    token = link_in(last_mail(outbox, "clicker@example.com"), "confirm")

    def click(_):
        return app.test_client().post("/api/v1/auth/email/confirm", json={"token": token}).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(click, range(12)))
    assert set(statuses) == {200}
    user = user_by_email("busy@example.com")
    assert (user.referral_count, user.waitlist_boost) == (1, app.config["WAITLIST_REFERRAL_BOOST"])
    assert standing(client, referrer["referral_code"])["referral_count"] == 1
    assert len([m for m in outbox if m["template"] == "referrer_notified"]) == 1


def test_the_mirror_and_the_database_agree_after_confirmations(make_app, database):
    if database["redis_url"] is None:
        pytest.skip("the Redis mirror runs with Redis (the PostgreSQL + Redis run)")
    mirrored = make_app()
    from_database = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    client = mirrored.test_client()
    with mirrored.app_context():
        from titan.integrations.mail import outbox as outbox_of

        outbox = outbox_of(mirrored)
        codes = [join(client, f"m{n}@example.com")["referral_code"] for n in range(6)]
        for n in range(8):
            join(client, f"f{n}@example.com", code=codes[n % 3 + 2])
        for n in range(0, 8, 2):
            confirm(client, outbox, f"f{n}@example.com")
        for n in range(3):
            confirm(client, outbox, f"m{n}@example.com")
        codes += [user_by_email(f"f{n}@example.com").invite_code for n in range(8)]
    fields = ("referral_count", "pending_referrals", "wait_list_position", "email_confirmed", "total_registered")
    database_client = from_database.test_client()
    for code in codes:
        seen = standing(mirrored.test_client(), code)
        truth = database_client.get(f"/api/user/{code}/").get_json()
        assert {f: seen[f] for f in fields} == {f: truth[f] for f in fields}, code


@pytest.mark.email_confirmation_off
def test_with_confirmation_off_a_referral_counts_at_once(client, outbox):
    referrer = join(client, "quick@example.com")
    join(client, "pal@example.com", code=referrer["referral_code"])
    now = standing(client, referrer["referral_code"])
    assert (now["referral_count"], now["pending_referrals"]) == (1, 0)
    notice = last_mail(outbox, "quick@example.com", "referrer_notified")  # fresh numbers in inline mode too
    assert "You have referred 1 person." in notice["text"] and "number 1 on the waitlist" in notice["text"]
    assert link_in(last_mail(outbox, "pal@example.com"), "confirm")  # the link is still sent, and works
    assert confirm(client, outbox, "pal@example.com").status_code == 200


# --- admission and activation -------------------------------------------------------------------------


def test_admission_admits_confirmed_members_only_and_mails_an_activation_link(app, client, outbox):
    join(client, "unconfirmed@example.com")
    first = join(client, "confirmed@example.com")
    confirm(client, outbox, "confirmed@example.com")
    admitted = admit_next(5)
    assert [user.email for user in admitted] == ["confirmed@example.com"]
    assert user_by_email("unconfirmed@example.com").waitlist_status == "waiting"

    token = link_in(last_mail(outbox, "confirmed@example.com", "admitted"), "activate")
    response = client.post("/api/v1/auth/activate", json={"token": token, "password": NEW_PASSWORD, "username": "ada"})
    assert response.status_code == 200 and {"access_token", "refresh_token"} <= set(response.get_json())
    me = client.get("/api/v1/users/me", headers=bearer(response.get_json())).get_json()
    assert me["invite_code"] == first["referral_code"] and me["username"] == "ada"
    assert sign_in(client, "confirmed@example.com", NEW_PASSWORD).status_code == 200
    again = client.post("/api/v1/auth/activate", json={"token": token, "password": "another-pass-99"})
    assert again.status_code == 400 and again.get_json()["errors"]["json"]["token"] == INVALID


def test_activation_rejects_a_weak_password(client, outbox):
    join(client, "weak@example.com")
    confirm(client, outbox, "weak@example.com")
    admit_next(1)
    token = link_in(last_mail(outbox, "weak@example.com", "admitted"), "activate")
    response = client.post("/api/v1/auth/activate", json={"token": token, "password": "short"})
    assert response.status_code == 400 and "password" in response.get_json()["errors"]["json"]


def test_register_with_a_waitlist_address_answers_202_and_changes_nothing(client, outbox):
    join(client, "member@example.com")
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "Member@Example.com", "password": "takeover-pass-1", "username": "thief"},
    )
    assert response.status_code == 202
    assert response.get_json()["detail"] == "Check your email to finish setting up your account."
    user = user_by_email("member@example.com")
    assert user.password_hash is None and user.username is None
    assert sign_in(client, "member@example.com", "takeover-pass-1").status_code == 401
    token = link_in(last_mail(outbox, "member@example.com", "activation"), "activate")
    assert client.post("/api/v1/auth/activate", json={"token": token, "password": NEW_PASSWORD}).status_code == 200
    assert user_by_email("member@example.com").email_confirmed_at is not None


def test_invite_only_launch(make_app):
    app = make_app(ACCOUNTS_REQUIRE_ADMISSION=True)
    client = app.test_client()
    with app.app_context():
        from titan.integrations.mail import outbox as outbox_of

        outbox = outbox_of(app)
        unknown = client.post("/api/v1/auth/register", json={"email": "new@example.com", "password": NEW_PASSWORD})
        assert unknown.status_code == 403
        assert unknown.get_json()["message"] == "Titan is invite-only for now. Join the waitlist."
        assert client.post("/api/v1/auth/phone/code", json={"phone": "+79174445566"}).status_code == 202
        code = re.search(r"code is (\d+)", sms.outbox(app)[-1]["text"]).group(1)
        phone = client.post("/api/v1/auth/phone/token", json={"phone": "+79174445566", "code": code})
        assert phone.status_code == 403

        join(client, "waiting@example.com")
        assert (
            client.post(
                "/api/v1/auth/register", json={"email": "waiting@example.com", "password": NEW_PASSWORD}
            ).status_code
            == 202
        )
        still = last_mail(outbox, "waiting@example.com", "still_waiting")
        assert "number 1" in still["text"] and not LINK.search(still["text"].replace("/confirm/", "/x/"))
        # A link made before (say, by an admin) cannot open an account while the member waits.
        user = user_by_email("waiting@example.com")
        token = links.token_for(user, links.ACTIVATE)
        assert client.post("/api/v1/auth/activate", json={"token": token, "password": NEW_PASSWORD}).status_code == 403


def test_prune_frees_addresses_that_never_confirmed(app, client, outbox):
    join(client, "stale@example.com")
    join(client, "kept@example.com")
    confirm(client, outbox, "kept@example.com")
    join(client, "recent@example.com")
    old = utcnow() - timedelta(days=app.config["WAITLIST_UNCONFIRMED_DAYS"] + 1)
    db.session.execute(
        db.update(User).where(User.email.in_(["stale@example.com", "kept@example.com"])).values(joined_waitlist_at=old)
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["waitlist", "prune"])
    assert result.exit_code == 0 and "Removed 1 unconfirmed members" in result.output
    assert user_by_email("stale@example.com") is None
    assert user_by_email("kept@example.com") is not None and user_by_email("recent@example.com") is not None
    assert join(client, "stale@example.com")["wait_list_position"] == 3


# --- passwords --------------------------------------------------------------------------------------


def test_forgot_and_reset_revoke_every_earlier_token(client, outbox, make_user):
    make_user(email="forgetful@example.com", username="forgetful")
    tokens = sign_in(client, "forgetful").get_json()
    refreshed = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refreshed.status_code == 200
    assert client.post("/api/v1/auth/password/forgot", json={"email": "forgetful@example.com"}).status_code == 202
    token = link_in(last_mail(outbox, "forgetful@example.com", "password_reset"), "reset")
    response = client.post("/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 200
    for access in (tokens["access_token"], refreshed.get_json()["access_token"]):
        assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"}).status_code == 401
    assert (
        client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}).status_code
        == 401
    )
    assert sign_in(client, "forgetful", PASSWORD).status_code == 401
    assert sign_in(client, "forgetful", NEW_PASSWORD).status_code == 200
    reused = client.post("/api/v1/auth/password/reset", json={"token": token, "password": "third-pass-33"})
    assert reused.status_code == 400 and reused.get_json()["errors"]["json"]["token"] == INVALID


def test_an_expired_reset_link_is_400(app, client, make_user, monkeypatch):
    user = make_user(email="slow@example.com")
    minutes = app.config["PASSWORD_RESET_MINUTES"]
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - minutes * 60 - 5)
        token = links.token_for(user, links.RESET)
    response = client.post("/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 400 and response.get_json()["errors"]["json"]["token"] == INVALID


def test_reset_page_sets_the_password(client, outbox, make_user):
    make_user(email="pager@example.com", username="pager")
    client.post("/api/v1/auth/password/forgot", json={"email": "pager@example.com"})
    token = link_in(last_mail(outbox, "pager@example.com", "password_reset"), "reset")
    form = client.get(f"/reset/{token}")
    assert form.status_code == 200 and 'name="password"' in form.get_data(as_text=True)
    done = client.post(f"/reset/{token}", data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code in (200, 303)
    assert sign_in(client, "pager", NEW_PASSWORD).status_code == 200
    assert client.get(f"/reset/{token}").status_code == 400


def test_change_password(client, make_user):
    make_user(email="changer@example.com", username="changer")
    tokens = sign_in(client, "changer").get_json()
    wrong = client.post(
        "/api/v1/auth/password/change",
        headers=bearer(tokens),
        json={"current_password": "not-it-at-all", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and "current_password" in wrong.get_json()["errors"]["json"]
    weak = client.post(
        "/api/v1/auth/password/change", headers=bearer(tokens), json={"current_password": PASSWORD, "new_password": "x"}
    )
    assert weak.status_code == 400 and "new_password" in weak.get_json()["errors"]["json"]
    changed = client.post(
        "/api/v1/auth/password/change",
        headers=bearer(tokens),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/users/me", headers=bearer(tokens)).status_code == 401
    assert client.get("/api/v1/users/me", headers=bearer(changed.get_json())).status_code == 200
    assert sign_in(client, "changer", NEW_PASSWORD).status_code == 200


def test_logout_all_signs_out_everywhere(client, make_user):
    make_user(email="everywhere@example.com", username="everywhere")
    laptop, phone = sign_in(client, "everywhere").get_json(), sign_in(client, "everywhere").get_json()
    response = client.post("/api/v1/auth/logout", headers=bearer(laptop), json={"all": True})
    assert response.status_code == 200
    assert client.get("/api/v1/users/me", headers=bearer(phone)).status_code == 401
    assert (
        client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {phone['refresh_token']}"}).status_code
        == 401
    )
    assert client.get("/api/v1/users/me", headers=bearer(sign_in(client, "everywhere").get_json())).status_code == 200


# --- email change -------------------------------------------------------------------------------------


def test_an_email_change_waits_for_the_new_address(client, outbox, make_user):
    make_user(email="old@example.com", username="mover")
    tokens = sign_in(client, "mover").get_json()
    response = client.patch("/api/v1/users/me", headers=bearer(tokens), json={"email": "New@Example.com"})
    assert response.status_code == 200
    assert (response.get_json()["email"], response.get_json()["pending_email"]) == (
        "old@example.com",
        "new@example.com",
    )
    notice = last_mail(outbox, "old@example.com", "email_change_notice")
    assert "n***@example.com" in notice["text"]
    token = link_in(last_mail(outbox, "new@example.com", "confirm_address"), "confirm")
    assert client.post("/api/v1/auth/email/confirm", json={"token": token}).status_code == 200
    me = client.get("/api/v1/users/me", headers=bearer(tokens)).get_json()
    assert (me["email"], me["pending_email"]) == ("new@example.com", None)
    assert sign_in(client, "new@example.com").status_code == 200


def test_a_new_address_taken_before_confirmation_is_refused(client, outbox, make_user):
    make_user(email="slowpoke@example.com", username="slowpoke")
    tokens = sign_in(client, "slowpoke").get_json()
    client.patch("/api/v1/users/me", headers=bearer(tokens), json={"email": "contested@example.com"})
    token = link_in(last_mail(outbox, "contested@example.com", "confirm_address"), "confirm")
    join(client, "contested@example.com")  # someone else took it meanwhile
    response = client.post("/api/v1/auth/email/confirm", json={"token": token})
    assert response.status_code == 409
    assert client.get("/api/v1/users/me", headers=bearer(tokens)).get_json()["email"] == "slowpoke@example.com"


def test_an_address_someone_uses_cannot_be_claimed(client, make_user):
    make_user(email="mine@example.com")
    make_user(email="squatter@example.com", username="squatter")
    tokens = sign_in(client, "squatter").get_json()
    assert (
        client.patch("/api/v1/users/me", headers=bearer(tokens), json={"email": "MINE@example.com"}).status_code == 409
    )


# --- unsubscribe and privacy ---------------------------------------------------------------------------


def test_non_essential_mail_can_be_stopped_with_one_click(client, outbox):
    referrer = join(client, "loud@example.com")
    confirm(client, outbox, "loud@example.com")
    join(client, "one@example.com", code=referrer["referral_code"])
    confirm(client, outbox, "one@example.com")
    notice = last_mail(outbox, "loud@example.com", "referrer_notified")
    assert notice["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = notice["headers"]["List-Unsubscribe"].strip("<>")
    assert url in notice["text"] and url.startswith("http://titan.test/unsubscribe/")
    for essential in ("welcome",):
        assert "List-Unsubscribe" not in last_mail(outbox, "loud@example.com", essential)["headers"]

    response = client.post(url.removeprefix("http://titan.test"))  # the mail client's one-click POST
    assert response.status_code == 200
    join(client, "two@example.com", code=referrer["referral_code"])
    confirm(client, outbox, "two@example.com")
    assert len([m for m in outbox if m["template"] == "referrer_notified"]) == 1
    assert standing(client, referrer["referral_code"])["referral_count"] == 2
    admit_next(1)
    assert last_mail(outbox, "loud@example.com", "admitted")  # essential mail always goes
    assert client.post("/unsubscribe/not-a-token").status_code == 400


def test_a_code_alone_sees_the_masked_address_an_emailed_link_the_full_one(app, outbox):
    joined = join(app.test_client(), "private@example.com")
    code = joined["referral_code"]
    by_code = app.test_client()
    assert by_code.post(f"/api/user/{code}/").status_code == 200
    assert by_code.get(f"/api/user/detail/?code={code}").get_json()["email"] == "p***@example.com"
    assert by_code.post("/api/v1/auth/email/link", json={"email": "private@example.com"}).status_code == 202
    token = link_in(last_mail(outbox, "private@example.com", "sign_in_link"), "signin")
    page = by_code.get(f"/signin/{token}")
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)  # a scanner's GET uses nothing up
    assert by_code.post(f"/signin/{token}").status_code == 303
    assert by_code.get(f"/api/user/detail/?code={code}").get_json()["email"] == "private@example.com"
    assert app.test_client().post(f"/signin/{token}").status_code == 400  # once


def test_export_holds_everything_stored(client, outbox, make_user):
    host = make_user(email="exporter@example.com", username="exporter", waitlist_status="waiting")
    join(client, "friend1@example.com", code=host.invite_code)
    tokens = sign_in(client, "exporter").get_json()
    response = client.get("/api/v1/users/me/export", headers=bearer(tokens))
    assert response.status_code == 200
    body = response.get_json()
    assert {"profile", "waitlist", "referred_by", "referred", "referral_codes", "records", "exported_at"} <= set(body)
    assert body["profile"]["email"] == "exporter@example.com" and "password_hash" not in body["profile"]
    assert [friend["counted"] for friend in body["referred"]] == [False]
    assert client.get("/api/v1/users/me/export").status_code == 401


def test_delete_with_the_password_erases_personal_data(client, outbox, make_user):
    host = make_user(email="leaver@example.com", username="leaver", first_name="Lea", phone="+79174445599")
    join(client, "stayer@example.com", code=host.invite_code)
    confirm(client, outbox, "stayer@example.com")
    tokens = sign_in(client, "leaver").get_json()
    wrong = client.delete("/api/v1/users/me", headers=bearer(tokens), json={"password": "nope-nope-1"})
    assert wrong.status_code == 400 and "password" in wrong.get_json()["errors"]["json"]
    response = client.delete("/api/v1/users/me", headers=bearer(tokens), json={"password": PASSWORD})
    assert response.status_code == 204
    gone = db.session.get(User, host.id)
    db.session.refresh(gone)
    assert (gone.email, gone.phone, gone.first_name, gone.username, gone.password_hash) == (None, None, "", None, None)
    assert gone.referral_count == 1  # referrals already counted stay counted
    assert client.get("/api/v1/users/me", headers=bearer(tokens)).status_code == 401
    assert sign_in(client, "leaver@example.com").status_code == 401
    assert join(client, "leaver@example.com")["referral_count"] == 0  # a new person


def test_delete_without_a_password_goes_through_an_emailed_link(client, outbox):
    join(client, "phoneonly@example.com")
    user = user_by_email("phoneonly@example.com")
    # A password-less member with a token (as after a phone sign-in) asks for the link first.
    headers = bearer(issue_tokens(user))
    asked = client.delete("/api/v1/users/me", headers=headers)
    assert asked.status_code == 202
    token = link_in(last_mail(outbox, "phoneonly@example.com", "delete_link"), "delete")
    assert client.delete("/api/v1/users/me", headers=headers, json={"token": "forged"}).status_code == 400
    assert client.delete("/api/v1/users/me", headers=headers, json={"token": token}).status_code == 204
    assert user_by_email("phoneonly@example.com") is None


def test_the_landing_page_says_what_mail_a_member_gets(client):
    text = client.get("/").get_data(as_text=True)
    assert "One email when it's your turn, nothing else" not in text
    assert "We email you a link to confirm your address" in text
