"""The admin panel (docs/contract.md §6): who gets in, what admins see, admitting people, the CSV export."""

import csv
import io
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from conftest import PASSWORD
from titan.auth.privacy import erase
from titan.calculator.models import Operation, Record
from titan.common.types import utcnow
from titan.extensions import db
from titan.members.models import ReferralCode, User
from titan.members.review import void
from titan.pages.admin.session import ADMIN_SESSION_SECONDS, ADMIN_SIGNED_IN_AT_KEY
from titan.waitlist.membership import join_waitlist

# The original waitlist's behaviour (every referral counts at once); tests/test_journey.py covers
# confirmation.
pytestmark = pytest.mark.email_confirmation_off

PANEL_PATHS = (
    "/admin/",
    "/admin/user/",
    "/admin/referralcode/",
    "/admin/record/",
    "/admin/waitlist.csv",
    "/admin/user/details/?id=1",
)


def sign_in(client, email="admin@example.com", password=PASSWORD, **kwargs):
    return client.post("/admin/login", data={"email": email, "password": password}, **kwargs)


@pytest.fixture
def admin_client(client, admin):
    assert sign_in(client).status_code == 303
    return client


def waitlist(*emails):
    return [join_waitlist(email).user for email in emails]


def user_named(email):
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


# --- who gets in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PANEL_PATHS)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


def test_anonymous_cannot_admit(client):
    waitlist("one@example.com")
    response = client.post("/admin/admit", data={"count": 1, "confirm": "y"})
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert user_named("one@example.com").waitlist_status == "waiting"


def test_a_non_admin_cannot_sign_in(client, make_user):
    make_user(email="member@example.com")
    response = sign_in(client, "member@example.com")
    assert response.status_code == 400
    assert "That email and password don&#39;t match an admin account." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"), [("admin@example.com", "wrong-password-1"), ("nobody@example.com", PASSWORD)]
)
def test_wrong_credentials_get_one_message(client, admin, email, password):
    response = sign_in(client, email, password)
    assert response.status_code == 400
    assert "don&#39;t match an admin account" in response.get_data(as_text=True)


def test_a_waitlist_session_is_not_an_admin_session(client, admin):
    client.post("/status", data={"code": admin.invite_code})
    with client.session_transaction() as session:
        assert session["waitlist_user_id"] == admin.id and "admin_user_id" not in session
    assert client.get("/admin/").status_code == 302


def test_admin_signs_in_and_out(client, admin):
    response = sign_in(client, query_string={"next": "/admin/user/"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/user/"
    with client.session_transaction() as session:
        assert session["admin_user_id"] == admin.id and "waitlist_user_id" not in session
    page = client.get("/admin/")
    assert page.status_code == 200 and "admin@example.com" in page.get_data(as_text=True)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/admin/login").headers["Location"] == "/admin/"

    assert client.post("/admin/logout").status_code == 303
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/admin", "https://evil.example/", "/status", "/admin/login"])
def test_sign_in_never_redirects_outside_the_panel(client, admin, target):
    response = sign_in(client, query_string={"next": target})
    assert response.headers["Location"] == "/admin/"


def test_a_demoted_admin_loses_access_at_once(admin_client, admin):
    db.session.get(User, admin.id).is_admin = False
    db.session.commit()
    assert admin_client.get("/admin/").status_code == 302


def test_an_admin_sign_in_expires(admin_client):
    with admin_client.session_transaction() as session:
        session[ADMIN_SIGNED_IN_AT_KEY] = int(time.time()) - ADMIN_SESSION_SECONDS - 1
    assert admin_client.get("/admin/").status_code == 302


def test_admin_forms_need_a_csrf_token(make_app, admin):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/admin/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 400
    login_page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    response = client.post(
        "/admin/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    with app.app_context():
        waitlist("csrf@example.com")
    assert client.post("/admin/admit", data={"count": 1, "confirm": "y"}).status_code == 400
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


def test_admin_login_is_rate_limited(make_app, admin):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2/minute")
    client = app.test_client()
    for _ in range(2):
        assert sign_in(client, password="wrong-password-1").status_code == 400
    response = sign_in(client)
    assert response.status_code == 429 and response.mimetype == "text/html"


# --- what admins see ------------------------------------------------------------------------------


def test_dashboard_shows_the_waitlist(admin_client):
    waitlist("first@example.com", "second@example.com")
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert re.search(r'data-stat="waiting">2<', page) and re.search(r'data-stat="joined-in-total">2<', page)
    assert page.index("first@example.com") < page.index("second@example.com")
    assert 'action="/admin/admit"' in page and 'href="/admin/waitlist.csv"' in page


def test_users_are_listed_searched_and_paginated(admin_client):
    waitlist(*(f"person{i:02}@example.com" for i in range(55)))
    page = admin_client.get("/admin/user/").get_data(as_text=True)
    assert "person54@example.com" in page and "person00@example.com" not in page  # newest first, 50 a page
    assert "person00@example.com" in admin_client.get("/admin/user/?page=1").get_data(as_text=True)
    found = admin_client.get("/admin/user/?search=person07").get_data(as_text=True)
    assert "person07@example.com" in found and "person08@example.com" not in found
    assert "password_hash" not in page and "scrypt:" not in page


def test_user_details_never_show_the_password_hash(admin_client, admin):
    page = admin_client.get(f"/admin/user/details/?id={admin.id}").get_data(as_text=True)
    assert "admin@example.com" in page and "scrypt" not in page and "Password" not in page


def test_referral_codes_and_records_are_listed_and_searchable(admin_client, make_user):
    owner = make_user(email="owner@example.com", password=None)
    db.session.add(ReferralCode(owner_id=owner.id, code="SPRING24", expires_at=utcnow() + timedelta(days=3)))
    operation = db.session.scalar(db.select(Operation).where(Operation.type == "addition"))
    db.session.add(
        Record(user_id=owner.id, operation_id=operation.id, amount=3, user_balance=2497, operation_response="42")
    )
    db.session.commit()

    codes = admin_client.get("/admin/referralcode/?search=owner@example").get_data(as_text=True)
    assert "SPRING24" in codes and "owner@example.com" in codes
    assert "SPRING24" not in admin_client.get("/admin/referralcode/?search=nothing").get_data(as_text=True)
    records = admin_client.get("/admin/record/?search=Addition").get_data(as_text=True)
    assert "2497" in records and "Addition" in records

    code_id = db.session.scalar(db.select(ReferralCode.id))
    assert "owner@example.com" in admin_client.get(f"/admin/referralcode/details/?id={code_id}").get_data(as_text=True)
    record_id = db.session.scalar(db.select(Record.id))
    assert "Addition" in admin_client.get(f"/admin/record/details/?id={record_id}").get_data(as_text=True)
    assert admin_client.get("/admin/record/details/?id=abc").status_code == 302


def test_the_panel_is_read_only(admin_client, make_user):
    member = make_user(email="member@example.com", password=None)
    for path in (f"/admin/user/edit/?id={member.id}", "/admin/user/new/"):
        response = admin_client.post(path, data={"balance": 999999, "email": "hacked@example.com", "is_admin": "y"})
        assert response.status_code == 302
    response = admin_client.post("/admin/user/delete/", data={"id": member.id})
    assert response.status_code in (302, 404)
    member = user_named("member@example.com")
    assert member is not None and member.balance == 2500 and not member.is_admin
    page = admin_client.get("/admin/user/").get_data(as_text=True)
    assert "/admin/user/edit/" not in page and "/admin/user/new/" not in page


def test_the_panel_serves_its_own_assets(admin_client):
    page = admin_client.get("/admin/user/").get_data(as_text=True)
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets)
    for url in assets:
        assert admin_client.get(url).status_code == 200, url
    # The stylesheets themselves pull nothing from elsewhere (Bootswatch themes @import Google Fonts).
    for url in (u for u in assets if ".css" in u):
        assert "googleapis" not in admin_client.get(url).get_data(as_text=True)


# --- admitting people and the export --------------------------------------------------------------


def test_admit_the_next_people_in_position_order(admin_client, outbox):
    first, second, third = waitlist("a@example.com", "b@example.com", "c@example.com")
    join_waitlist("friend@example.com", third.invite_code)  # a referral moves c ahead of a and b
    outbox.clear()

    response = admin_client.post("/admin/admit", data={"count": 2, "confirm": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    assert "Admitted 2 people; each got an email." in admin_client.get("/admin/").get_data(as_text=True)
    assert [user_named(email).waitlist_status for email in ("c@example.com", "a@example.com", "b@example.com")] == [
        "admitted",
        "admitted",
        "waiting",
    ]
    assert sorted(mail["to"] for mail in outbox) == ["a@example.com", "c@example.com"]
    assert {mail["template"] for mail in outbox} == {"admitted"}


@pytest.mark.parametrize("count", ["0", "-3", "501", "ten", ""])
def test_admit_refuses_a_bad_number(admin_client, count):
    waitlist("a@example.com")
    admin_client.post("/admin/admit", data={"count": count, "confirm": "y"})
    assert user_named("a@example.com").waitlist_status == "waiting"
    assert "alert-danger" in admin_client.get("/admin/").get_data(as_text=True)


def test_admit_with_nobody_waiting(admin_client):
    admin_client.post("/admin/admit", data={"count": 5, "confirm": "y"})
    assert "Nobody is waiting" in admin_client.get("/admin/").get_data(as_text=True)


def test_export_streams_the_waitlist_in_position_order(admin_client):
    first, second, third = waitlist("a@example.com", "b@example.com", "=cmd@example.com")
    join_waitlist("friend@example.com", second.invite_code)
    admin_client.post("/admin/admit", data={"count": 1, "confirm": "y"})  # b, moved ahead by the referral

    response = admin_client.get("/admin/waitlist.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv" and response.is_streamed
    assert response.headers["Content-Disposition"].startswith('attachment; filename="titan-waitlist-')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(row["position"], row["status"], row["email"]) for row in rows] == [
        ("1", "waiting", "a@example.com"),
        ("2", "waiting", "'=cmd@example.com"),  # never a formula in a spreadsheet
        ("3", "waiting", "friend@example.com"),
        ("", "admitted", "b@example.com"),
    ]
    assert rows[2]["signup_code"] == second.invite_code and rows[3]["referral_count"] == "1"
    assert rows[3]["admitted_at"] and rows[0]["invite_code"] == first.invite_code


# --- the operator's figures ---------------------------------------------------------------------------


def test_admitting_asks_for_confirmation(admin_client):
    waitlist("careful@example.com")
    response = admin_client.post("/admin/admit", data={"count": 1}, follow_redirects=True)
    assert "Tick the box to confirm" in response.get_data(as_text=True)
    assert user_named("careful@example.com").waitlist_status == "waiting"


def test_the_dashboard_shows_the_funnel_the_viral_coefficient_and_activity(admin_client, make_user):
    host = make_user(email="host@example.com", password=None, waitlist_status="waiting", joined_waitlist_at=utcnow())
    for number in range(3):
        join_waitlist(f"friend{number}@example.com", host.invite_code)
    admin_client.post("/admin/admit", data={"count": 1, "confirm": "y"})
    page = admin_client.get("/admin/").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    # 4 joined; host confirmed (make_user) and admitted; no password yet.
    assert "Joined 4 —" in text and "Confirmed 1 25.0%" in text and "Admitted 1 100.0%" in text
    assert "Activated 0 0.0%" in text
    assert "Viral coefficient: 3.00" in text  # 3 counted referrals, 1 confirmed member
    assert "Joins : 4 in all, 4 today" in text and "Admissions : 1 in all, 1 today" in text
    assert "Counted referrals : 3 in all" in text
    assert 'data-series="joins"' in page and page.count("<rect") == 4 * 90
    assert "host@example.com" in text.split("Top referrers")[1]


# The definition of each figure over `users` itself: what member_activity must always sum to.
REFERENCE_FIGURES = {
    "joined": ("joined_waitlist_at", "waitlist_status IS NOT NULL"),
    "confirmed": ("email_confirmed_at", "waitlist_status IS NOT NULL"),
    "referral_counted": ("coalesce(email_confirmed_at, created_at)", "referral_state = 'counted'"),
    "admitted": ("admitted_at", "waitlist_status = 'admitted'"),
    "activated": ("admitted_at", "waitlist_status = 'admitted' AND password_hash IS NOT NULL"),
}


def activity_by_day(backend):
    """{(kind, day): count} from member_activity, and the same figures counted over users."""
    kept = db.session.execute(
        text("SELECT kind, day, sum(count) FROM member_activity GROUP BY kind, day HAVING sum(count) <> 0")
    ).all()
    counted = {}
    for kind, (column, condition) in REFERENCE_FIGURES.items():
        day = f"date({column})" if backend == "sqlite" else f"(({column}) AT TIME ZONE 'UTC')::date"
        rows = db.session.execute(
            text(f"SELECT {day}, count(*) FROM users WHERE {condition} AND {column} IS NOT NULL GROUP BY 1")
        ).all()
        counted.update({(kind, str(row[0])): row[1] for row in rows})
    return {(kind, str(day)): int(count) for kind, day, count in kept}, counted


def test_the_activity_counters_follow_every_change_to_users(app, backend, admin_client, make_user):
    host = make_user(email="host@example.com", password=None, waitlist_status="waiting", joined_waitlist_at=utcnow())
    friends = [join_waitlist(f"friend{number}@example.com", host.invite_code).user for number in range(4)]
    waitlist("solo@example.com", "gone@example.com")
    admin_client.post("/admin/admit", data={"count": 2, "confirm": "y"})
    # Activation (a password), a voided referral, an erased member, and plain SQL moving a day.
    db.session.execute(text("UPDATE users SET password_hash = 'x' WHERE email = 'host@example.com'"))
    db.session.commit()
    void(friends[0].id)
    erase(user_named("gone@example.com"))
    shift = "now() - interval '3 days'" if backend == "postgresql" else "datetime('now', '-3 days')"
    db.session.execute(text(f"UPDATE users SET joined_waitlist_at = {shift} WHERE email = 'solo@example.com'"))
    db.session.commit()

    kept, counted = activity_by_day(backend)
    assert kept == counted
    assert sum(count for (kind, _day), count in kept.items() if kind == "referral_counted") == 3
    assert {kind for kind, _day in kept} == set(REFERENCE_FIGURES)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", admin_client.get("/admin/").get_data(as_text=True)))
    assert "Joined 6 —" in page and "Activated 1" in page and "Viral coefficient: 3.00" in page
