"""User-created referral codes (docs/contract.md §5 "Referrals")."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text, update
from sqlalchemy.exc import IntegrityError

from titan.common.codes import CODE_ALPHABET
from titan.common.types import utcnow
from titan.extensions import db
from titan.members.models import ReferralCode, User
from titan.referrals import lookup

# The original waitlist's behaviour (every referral counts at once); tests/test_journey.py covers
# confirmation.
pytestmark = pytest.mark.email_confirmation_off

CODES = "/api/v1/referral-codes"


def in_days(days):
    return (utcnow() + timedelta(days=days)).isoformat()


@pytest.fixture
def headers(user, auth_header):
    return auth_header("member")


def create(client, headers, **body):
    return client.post(CODES, headers=headers, json={"expires_at": in_days(7)} | body)


def test_create_with_a_chosen_code(client, headers):
    response = create(client, headers, code="Summer2026")
    assert response.status_code == 201
    body = response.get_json()
    assert body["code"] == "SUMMER2026" and body["is_active"] is True
    assert set(body) >= {"id", "code", "expires_at", "is_active", "created_at"}


def test_create_generates_a_code_when_none_is_given(client, headers):
    body = create(client, headers).get_json()
    assert len(body["code"]) == 8 and set(body["code"]) <= set(CODE_ALPHABET)


def test_naive_expiry_is_read_as_utc(client, headers):
    naive = (utcnow() + timedelta(days=1)).replace(tzinfo=None).isoformat()
    response = client.post(CODES, headers=headers, json={"expires_at": naive})
    assert response.status_code == 201
    assert response.get_json()["expires_at"].endswith("+00:00")


def test_expiry_in_the_past_is_400(client, headers):
    response = create(client, headers, expires_at=in_days(-1))
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"]["expires_at"] == ["Expires time less than current time"]


@pytest.mark.parametrize(
    "body",
    [
        {"code": "abc"},
        {"code": "x" * 33},
        {"code": "no-dashes"},
        {"code": 1234},
        {"expires_at": "tomorrow"},
        {"expires_at": None},
    ],
)
def test_bad_input_is_400(client, headers, body):
    assert create(client, headers, **body).status_code == 400


def test_missing_expiry_is_400(client, headers):
    assert client.post(CODES, headers=headers, json={"code": "GOODCODE"}).status_code == 400


def test_only_one_active_code_at_a_time(client, headers):
    assert create(client, headers, code="FIRST123").status_code == 201
    response = create(client, headers, code="SECOND12")
    assert response.status_code == 409


def test_the_database_enforces_one_active_code_per_user(app, user):
    db.session.add(ReferralCode(owner_id=user.id, code="ONE11111", expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    db.session.add(ReferralCode(owner_id=user.id, code="TWO22222", expires_at=utcnow() + timedelta(days=1)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_an_expired_code_does_not_block_a_new_one(client, headers, user):
    db.session.add(ReferralCode(owner_id=user.id, code="OLDONE11", expires_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert create(client, headers, code="NEWONE11").status_code == 201
    listed = client.get(CODES, headers=headers).get_json()["items"]
    assert {(item["code"], item["status"], item["is_active"]) for item in listed} == {
        ("NEWONE11", "active", True),
        ("OLDONE11", "expired", False),
    }


def test_code_taken_by_another_code_or_an_invite_code_is_409(client, headers, make_user):
    other = make_user(email="other@example.com", username="other")
    db.session.add(ReferralCode(owner_id=other.id, code="TAKEN123", expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    assert create(client, headers, code="taken123").status_code == 409
    assert create(client, headers, code=other.invite_code).status_code == 409


def test_list_active_and_delete(client, headers):
    create(client, headers, code="FIRST123")
    assert client.delete(f"{CODES}/first123", headers=headers).status_code == 204
    create(client, headers, code="SECOND12")
    listed = client.get(CODES, headers=headers).get_json()
    assert [item["code"] for item in listed["items"]] == ["SECOND12", "FIRST123"]
    assert listed["total"] == 2 and listed["pages"] == 1
    assert [item["is_active"] for item in listed["items"]] == [True, False]
    assert client.get(f"{CODES}/active", headers=headers).get_json()["code"] == "SECOND12"
    assert client.delete(f"{CODES}/SECOND12", headers=headers).status_code == 204
    assert client.get(f"{CODES}/active", headers=headers).status_code == 404


def test_cannot_delete_someone_elses_code(client, headers, make_user, auth_header):
    make_user(email="other@example.com", username="other")
    create(client, auth_header("other"), code="THEIRS12")
    assert client.delete(f"{CODES}/THEIRS12", headers=headers).status_code == 404
    assert client.delete(f"{CODES}/NOTHING1", headers=headers).status_code == 404


def test_codes_need_a_token(client):
    assert client.get(CODES).status_code == 401
    assert client.post(CODES, json={"expires_at": in_days(1)}).status_code == 401


def test_lookup_by_email(client, headers, user):
    response = client.get(f"{CODES}/lookup?email=MEMBER@example.com")
    assert response.get_json() == {"code": user.invite_code, "expires_at": None}
    create(client, headers, code="PROMO2026")
    body = client.get(f"{CODES}/lookup?email=member@example.com").get_json()
    assert body["code"] == "PROMO2026" and body["expires_at"]
    assert client.get(f"{CODES}/lookup?email=ghost@example.com").status_code == 404
    assert client.get(f"{CODES}/lookup?email=bad").status_code == 400
    assert client.get(f"{CODES}/lookup").status_code == 400


# --- the look-up by email, cached -----------------------------------------------------------------


def look_up(client, email="member@example.com"):
    response = client.get(f"{CODES}/lookup?email={email}")
    return response.status_code, response.get_json()


@contextmanager
def statements(app):
    """The SQL statements run inside the block (on the app's engine)."""
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def behind_the_cache(sql, **params):
    """Change the database in plain SQL, which tells no cache."""
    db.session.execute(text(sql), params)
    db.session.commit()


def test_lookup_is_answered_from_the_cache_for_known_and_unknown_addresses(app, client, user):
    assert look_up(client) == (200, {"code": user.invite_code, "expires_at": None})
    assert look_up(client, "ghost@example.com")[0] == 404
    behind_the_cache("UPDATE users SET invite_code = 'BEHIND26' WHERE id = :id", id=user.id)
    with statements(app) as seen:
        assert look_up(client, "Member@Example.com") == (200, {"code": user.invite_code, "expires_at": None})
        assert look_up(client, "ghost@example.com")[0] == 404
    # A known and an unknown address cost the same: one cache read, no query.
    assert seen == []


def test_lookup_runs_one_query_on_a_miss(app, client, user):
    with statements(app) as seen:
        assert look_up(client)[0] == 200
    assert len(seen) == 1


def test_lookup_follows_codes_created_revoked_and_replaced(client, headers, user):
    assert look_up(client)[1]["code"] == user.invite_code
    create(client, headers, code="PROMO2026")
    status, body = look_up(client)
    assert status == 200 and body["code"] == "PROMO2026" and body["expires_at"]
    assert client.delete(f"{CODES}/PROMO2026", headers=headers).status_code == 204
    assert look_up(client)[1] == {"code": user.invite_code, "expires_at": None}
    create(client, headers, code="NEXT2026")
    assert look_up(client)[1]["code"] == "NEXT2026"


def test_lookup_answers_the_invite_code_once_a_cached_code_expires(client, headers, user, monkeypatch):
    create(client, headers, code="SHORT2026", expires_at=in_days(1))
    assert look_up(client)[1]["code"] == "SHORT2026"
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(lookup, "utcnow", lambda: later)
    assert look_up(client)[1] == {"code": user.invite_code, "expires_at": None}
    # A code that ran out while still marked active: creating the next one expires it (in bulk).
    behind_the_cache("UPDATE referral_codes SET expires_at = :past", past=utcnow() - timedelta(hours=1))
    monkeypatch.undo()
    assert look_up(client)[1]["code"] == "SHORT2026"  # the cache still holds the old expiry
    create(client, headers, code="FRESH2026")
    assert look_up(client)[1]["code"] == "FRESH2026"


def test_lookup_of_an_unknown_address_follows_a_join(client):
    assert look_up(client, "newcomer@example.com")[0] == 404
    joined = client.post("/api/join/", json={"email": "newcomer@example.com"}).get_json()
    assert look_up(client, "newcomer@example.com") == (200, {"code": joined["referral_code"], "expires_at": None})


def test_lookup_follows_an_email_change(client, headers, user, outbox):
    create(client, headers, code="MOVING2026")
    assert look_up(client)[1]["code"] == "MOVING2026"
    assert look_up(client, "moved@example.com")[0] == 404
    client.patch("/api/v1/users/me", headers=headers, json={"email": "moved@example.com"})
    mail = next(m for m in reversed(outbox) if m["to"] == "moved@example.com")
    token = re.search(r"http://titan\.test/confirm/([A-Za-z0-9_.\-]+)", mail["text"]).group(1)
    assert client.post("/api/v1/auth/email/confirm", json={"token": token}).status_code == 200
    assert look_up(client)[0] == 404
    assert look_up(client, "moved@example.com")[1]["code"] == "MOVING2026"


def test_lookup_follows_an_account_deletion(client, headers, user):
    create(client, headers, code="LEAVING2026")
    assert look_up(client)[1]["code"] == "LEAVING2026"
    response = client.delete("/api/v1/users/me", headers=headers, json={"password": "correct-horse-42"})
    assert response.status_code == 204
    assert look_up(client)[0] == 404


def test_lookup_follows_a_deactivation_and_bulk_changes(app, client, user, make_user):
    assert look_up(client)[0] == 200
    user.is_active = False  # through the ORM, as an admin's edit
    db.session.commit()
    assert look_up(client)[0] == 404
    user.is_active = True
    db.session.commit()
    assert look_up(client)[0] == 200
    # A bulk statement that names no address (here, the waitlist's pruning) drops every answer.
    stale = make_user(email="stale@example.com", password=None, email_confirmed_at=None)
    assert look_up(client, "stale@example.com")[0] == 200
    old = utcnow() - timedelta(days=app.config["WAITLIST_UNCONFIRMED_DAYS"] + 1)
    db.session.execute(
        update(User).where(User.id == stale.id).values(joined_waitlist_at=old, waitlist_status="waiting")
    )
    db.session.commit()
    assert look_up(client, "stale@example.com")[0] == 200  # those columns are not in an answer
    result = app.test_cli_runner().invoke(args=["waitlist", "prune"])
    assert result.exit_code == 0 and "Removed 1" in result.output
    assert look_up(client, "stale@example.com")[0] == 404
    assert look_up(client)[0] == 200


def test_lookup_cached_on_one_worker_follows_a_code_created_on_another(two_workers, backend):
    if backend != "postgresql":
        pytest.skip("a cache shared by workers is Redis (the PostgreSQL run)")
    client_a, client_b, headers = two_workers
    assert look_up(client_b, "owner@example.com")[0] == 200
    client_a.post(CODES, headers=headers, json={"code": "WORKER2026", "expires_at": in_days(3)})
    assert look_up(client_b, "owner@example.com")[1]["code"] == "WORKER2026"
    client_a.delete(f"{CODES}/WORKER2026", headers=headers)
    assert look_up(client_b, "owner@example.com")[1]["expires_at"] is None


def test_custom_code_works_in_every_sign_up_path(client, headers, user):
    create(client, headers, code="EVERYWHERE1")
    assert client.post("/api/join/EVERYWHERE1/", json={"email": "a@example.com"}).status_code == 201
    assert (
        client.post(
            "/api/v1/auth/register",
            json={"email": "b@example.com", "password": "s3cure-pass-99", "referral_code": "everywhere1"},
        ).status_code
        == 201
    )
    phone_code = client.post("/api/v1/auth/phone/code", json={"phone": "+12015550106"}).get_json()["debug_code"]
    assert (
        client.post(
            "/api/v1/auth/phone/token", json={"phone": "+12015550106", "code": phone_code, "invite_code": "EVERYWHERE1"}
        ).status_code
        == 200
    )
    db.session.refresh(user)
    assert user.referral_count == 3


def test_revoked_or_expired_code_fails_every_sign_up_path(client, headers, user):
    create(client, headers, code="GONE2026")
    client.delete(f"{CODES}/GONE2026", headers=headers)
    assert client.post("/api/join/GONE2026/", json={"email": "a@example.com"}).status_code == 400
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "b@example.com", "password": "s3cure-pass-99", "referral_code": "GONE2026"},
    )
    assert response.status_code == 400 and response.get_json()["message"] == "Referral code has expired"
    phone_code = client.post("/api/v1/auth/phone/code", json={"phone": "+12015550106"}).get_json()["debug_code"]
    assert (
        client.post(
            "/api/v1/auth/phone/token", json={"phone": "+12015550106", "code": phone_code, "invite_code": "GONE2026"}
        ).status_code
        == 400
    )


@pytest.fixture
def two_workers(make_app, make_user):
    """Two app instances on one database (and one Redis, on the PostgreSQL run), an owner signed in
    on the first: `(client_a, client_b, headers)`."""
    worker_a, worker_b = make_app(), make_app()
    with worker_a.app_context():
        make_user(email="owner@example.com", username="owner")
    client_a, client_b = worker_a.test_client(), worker_b.test_client()
    token = client_a.post("/api/v1/auth/token", data={"username": "owner", "password": "correct-horse-42"}).get_json()[
        "access_token"
    ]
    return client_a, client_b, {"Authorization": f"Bearer {token}"}


def test_code_deleted_on_one_worker_is_refused_at_once_on_another(two_workers):
    client_a, client_b, headers = two_workers
    client_a.post(CODES, headers=headers, json={"code": "SHARED2026", "expires_at": in_days(3)})
    # Worker B looks the code up (and caches it) before it is deleted on worker A.
    assert client_b.get("/api/user/SHARED2026/").status_code == 200
    assert client_a.delete(f"{CODES}/SHARED2026", headers=headers).status_code == 204
    response = client_b.post("/api/join/SHARED2026/", json={"email": "late@example.com"})
    assert response.status_code == 400
    assert response.get_json()["detail"] == "Referral code has expired"


def test_deleted_code_read_through_a_shared_cache_is_refused_at_once(two_workers, backend):
    if backend != "postgresql":
        pytest.skip("a cache shared by workers is Redis (the PostgreSQL run)")
    client_a, client_b, headers = two_workers
    client_a.post(CODES, headers=headers, json={"code": "CACHED2026", "expires_at": in_days(3)})
    assert client_b.get("/api/user/CACHED2026/").status_code == 200
    client_a.delete(f"{CODES}/CACHED2026", headers=headers)
    assert client_b.get("/api/user/CACHED2026/").status_code == 400


def test_referrals_of_a_referrer(client, user, make_user, auth_header, admin):
    code = user.invite_code
    client.post(f"/api/join/{code}/", json={"email": "friend1@example.com"})
    client.post(f"/api/join/{code}/", json={"email": "friend2@example.com"})
    make_user(email="stranger@example.com", username="stranger")
    mine = client.get(f"/api/v1/referrals/{user.id}", headers=auth_header("member")).get_json()
    assert mine["total"] == 2 and {item["email"] for item in mine["items"]} == {
        "friend1@example.com",
        "friend2@example.com",
    }
    theirs = client.get(f"/api/v1/referrals/{user.id}", headers=auth_header("stranger")).get_json()
    assert all(set(item) == {"id", "username", "created_at"} for item in theirs["items"])
    as_admin = client.get(f"/api/v1/referrals/{user.id}", headers=auth_header("admin")).get_json()
    assert "email" in as_admin["items"][0]
    assert client.get("/api/v1/referrals/999999", headers=auth_header("member")).status_code == 404
    assert client.get(f"/api/v1/referrals/{user.id}").status_code == 401


# --- the referrals list's plain rows and the one-statement creation (titan.referrals) ------------


def referrals_as_the_schema_dumps_them(referrer_id, viewer, page, per_page):
    """The list as it was built before plain rows: ORM users, dumped by the page schema the route
    documents (without email and phone for anyone but the referrer and admins)."""
    from sqlalchemy import select

    from titan.common.pagination import page_schema, paginate
    from titan.referrals.schemas import ReferredUserSchema

    statement = select(User).where(User.referred_by_id == referrer_id).order_by(User.created_at, User.id)
    result = paginate(statement, page, per_page)
    if viewer.id != referrer_id and not viewer.is_admin:
        result["items"] = [{"id": u.id, "username": u.username, "created_at": u.created_at} for u in result["items"]]
    return page_schema(ReferredUserSchema)().dump(result)


@pytest.mark.parametrize("page, per_page", [(1, 20), (1, 2), (2, 2), (3, 2), (9, 2)])
@pytest.mark.parametrize("viewer", ["member", "stranger", "admin"])
def test_referrals_list_answers_what_the_schema_dumps(
    client, user, make_user, auth_header, admin, viewer, page, per_page
):
    import json

    code = user.invite_code
    for number in range(5):
        client.post(f"/api/join/{code}/", json={"email": f"friend{number}@example.com"})
    make_user(email="stranger@example.com", username="stranger", phone="+14155550123")
    db.session.execute(update(User).where(User.email == "friend1@example.com").values(username="friend-one"))
    db.session.commit()
    response = client.get(
        f"/api/v1/referrals/{user.id}", query_string={"page": page, "per_page": per_page}, headers=auth_header(viewer)
    )
    assert response.status_code == 200
    viewing = db.session.get(User, {"member": user.id, "admin": admin.id}.get(viewer)) or db.session.scalar(
        db.select(User).where(User.username == "stranger")
    )
    expected = referrals_as_the_schema_dumps_them(user.id, viewing, page, per_page)
    assert expected["total"] == 5
    assert response.get_json() == expected
    assert response.get_data(as_text=True) == json.dumps(expected, separators=(",", ":")) + "\n"


def test_referrals_of_someone_who_referred_nobody_or_of_nobody(client, user, make_user, auth_header):
    make_user(email="stranger@example.com", username="stranger")
    empty = {"items": [], "total": 0, "page": 1, "per_page": 20, "pages": 0}
    assert client.get(f"/api/v1/referrals/{user.id}", headers=auth_header("member")).get_json() == empty
    assert client.get(f"/api/v1/referrals/{user.id}", headers=auth_header("stranger")).get_json() == empty
    past_the_end = client.get(f"/api/v1/referrals/{user.id}?page=4", headers=auth_header("member")).get_json()
    assert past_the_end == {**empty, "page": 4}
    response = client.get("/api/v1/referrals/999999", headers=auth_header("stranger"))
    assert response.status_code == 404 and response.get_json()["message"] == "Referrer not found"


def test_creating_a_code_takes_one_statement_after_the_token_check(client, headers):
    statements = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert create(client, headers).status_code == 201
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    # The token's user with its revocation check, then the insert (no savepoint, no look-ups first).
    assert statements == ["SELECT", "INSERT"]


def test_creating_a_code_answers_as_before_in_every_case(client, headers, user, make_user):
    other = make_user(email="other@example.com", username="other")
    db.session.add(ReferralCode(owner_id=other.id, code="TAKEN123", expires_at=utcnow() + timedelta(days=1)))
    db.session.add(ReferralCode(owner_id=user.id, code="RUNOUT11", expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    # Taken by another code or an invite code (the user's own code that ran out does not block).
    for taken in ("taken123", other.invite_code, user.invite_code, "runout11"):
        response = create(client, headers, code=taken)
        assert response.status_code == 409 and response.get_json()["message"] == "This code is already taken."
    # The code that ran out was marked expired on the way, and a new one is created.
    response = create(client, headers, code="fresh123")
    assert response.status_code == 201
    body = response.get_json()
    assert (body["code"], body["status"], body["is_active"]) == ("FRESH123", "active", True)
    assert db.session.scalar(db.select(ReferralCode.status).where(ReferralCode.code == "RUNOUT11")) == "expired"
    # An active code: 409 whether the new code is free or taken.
    for code in ("another1", "taken123"):
        response = create(client, headers, code=code)
        assert response.status_code == 409
        assert response.get_json()["message"] == "You already have an active referral code; delete it first."
    assert client.delete(f"{CODES}/FRESH123", headers=headers).status_code == 204
    # Its own revoked code stays taken.
    assert create(client, headers, code="fresh123").get_json()["message"] == "This code is already taken."
    generated = create(client, headers)
    assert generated.status_code == 201 and re.fullmatch(f"[{CODE_ALPHABET}]{{8}}", generated.get_json()["code"])


def test_generated_codes_skip_taken_ones(client, headers, make_user, monkeypatch):
    from itertools import chain, count

    from titan.referrals import codes

    other = make_user(email="other@example.com", username="other")
    db.session.add(ReferralCode(owner_id=other.id, code="TAKEN123", expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    offered = chain(["TAKEN123", other.invite_code, "FREE2345"], (f"SPARE{n:03}" for n in count()))
    monkeypatch.setattr(codes, "generate_code", lambda: next(offered))
    response = create(client, headers)
    assert response.status_code == 201 and response.get_json()["code"] == "FREE2345"
    monkeypatch.setattr(codes, "generate_code", lambda: "TAKEN123")
    assert client.delete(f"{CODES}/FREE2345", headers=headers).status_code == 204
    response = create(client, headers)
    assert response.status_code == 409 and response.get_json()["message"] == "This code is already taken."
