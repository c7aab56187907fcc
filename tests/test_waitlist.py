"""The waitlist routes the single-page app speaks (docs/contract.md §4): paths, shapes and errors exactly."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import event

from titan.common.types import utcnow
from titan.extensions import db
from titan.members import ranking
from titan.members.models import ReferralCode, User
from titan.waitlist.admission import admit_next

# The original waitlist's behaviour (every referral counts at once); tests/test_journey.py covers
# confirmation.
pytestmark = pytest.mark.email_confirmation_off

# The seed's fields, the two of docs/contract.md §8 (present with EMAIL_CONFIRMATION off too) and
# `next_milestone` of §10 (null without WAITLIST_MILESTONES).
USER_DATA_KEYS = {
    "referral_count",
    "referral_code",
    "wait_list_position",
    "total_registered",
    "referral_url",
    "email_confirmed",
    "pending_referrals",
    "next_milestone",
}


def join(client, email, code=None, **kwargs):
    path = f"/api/join/{code}/" if code else "/api/join/"
    return client.post(path, json={"email": email}, **kwargs)


def test_first_user_joins_at_position_one(client, outbox):
    response = join(client, "first@example.com")
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == USER_DATA_KEYS
    assert body["wait_list_position"] == 1 and body["total_registered"] == 1 and body["referral_count"] == 0
    assert body["referral_url"] == f"http://titan.test/r/{body['referral_code']}"
    assert [mail["template"] for mail in outbox] == ["welcome"]
    assert outbox[0]["to"] == "first@example.com" and body["referral_url"] in outbox[0]["text"]


def test_join_accepts_a_form_and_no_trailing_slash(client):
    assert client.post("/api/join", data={"email": "form@example.com"}).status_code == 201
    assert client.post("/api/join/", data={"email": "extra@example.com", "csrfmiddlewaretoken": "x"}).status_code == 201


@pytest.mark.parametrize(
    "body", [{"email": "nope"}, {"email": ""}, {"email": 7}, {"email": "a@b"}, {"email": "x" * 250 + "@example.com"}]
)
def test_invalid_email_is_400_in_the_spa_shape(client, body):
    response = client.post("/api/join/", json=body)
    assert response.status_code == 400
    assert response.get_json() == {"email": ["Enter a valid email address."]}


def test_missing_email_is_400(client):
    response = client.post("/api/join/", json={})
    assert response.status_code == 400
    assert response.get_json() == {"email": ["This field is required."]}


def test_malformed_json_is_400(client):
    response = client.post("/api/join/", data="{oops", content_type="application/json")
    assert response.status_code == 400
    assert response.is_json


@pytest.mark.parametrize("again", ["dup@example.com", "DUP@EXAMPLE.COM", " Dup@Example.com "])
def test_duplicate_email_is_400_unique(client, again):
    assert join(client, "dup@example.com").status_code == 201
    response = join(client, again)
    assert response.status_code == 400
    assert response.get_json() == {"email": ["This field must be unique."]}


def test_gmail_spellings_are_one_person(client):
    assert join(client, "jane.doe@gmail.com").status_code == 201
    for variant in ("janedoe@gmail.com", "Jane.Doe+waitlist@gmail.com", "jane.doe@googlemail.com"):
        assert join(client, variant).get_json() == {"email": ["This field must be unique."]}


def test_disposable_address_is_refused(client):
    response = join(client, "temp@mailinator.com")
    assert response.status_code == 400
    assert response.get_json() == {"email": ["Registration at this email address is not available"]}


def test_registered_account_email_cannot_join_twice(client, make_user):
    make_user(email="account@example.com")
    assert join(client, "Account@example.com").get_json() == {"email": ["This field must be unique."]}


def test_referral_is_counted_and_moves_the_referrer_up(client, outbox):
    for number in range(12):
        join(client, f"early{number}@example.com")
    referrer = join(client, "referrer@example.com").get_json()
    assert referrer["wait_list_position"] == 13
    friend = join(client, "friend@example.com", code=referrer["referral_code"])
    assert friend.status_code == 201
    assert friend.get_json()["wait_list_position"] == 14
    after = client.get(f"/api/user/{referrer['referral_code']}/").get_json()
    assert after["referral_count"] == 1
    assert after["wait_list_position"] == 4  # key 13 - 10 = 3 ties with user 3, who keeps the earlier id
    assert after["total_registered"] == 14
    notice = [mail for mail in outbox if mail["template"] == "referrer_notified"]
    assert len(notice) == 1 and notice[0]["to"] == "referrer@example.com"
    assert "f***@example.com" in notice[0]["text"]


def test_join_with_a_lower_case_code(client):
    code = join(client, "owner@example.com").get_json()["referral_code"]
    assert join(client, "guest@example.com", code=code.lower()).status_code == 201


def test_join_with_unknown_code_is_404_and_creates_nobody(client):
    response = join(client, "lost@example.com", code="NOSUCH99")
    assert response.status_code == 404
    assert response.get_json()["detail"] == "Referral code not found"
    assert User.query.count() == 0


def test_join_with_expired_or_revoked_referral_code_is_400(client, make_user):
    owner = make_user(email="owner@example.com")
    db.session.add_all(
        [
            ReferralCode(
                owner_id=owner.id, code="OLDCODE1", expires_at=utcnow() - timedelta(minutes=1), status="active"
            ),
            ReferralCode(owner_id=owner.id, code="REVOKED1", expires_at=utcnow() + timedelta(days=1), status="revoked"),
        ]
    )
    db.session.commit()
    for code, message in (("OLDCODE1", "Referral code has expired"), ("REVOKED1", "Referral code has expired")):
        response = join(client, f"{code.lower()}@example.com", code=code)
        assert response.status_code == 400
        assert response.get_json()["detail"] == message


def test_join_with_an_active_custom_code(client, make_user):
    owner = make_user(email="owner@example.com")
    db.session.add(ReferralCode(owner_id=owner.id, code="SUMMER2026", expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    assert join(client, "guest@example.com", code="summer2026").status_code == 201
    db.session.refresh(owner)
    assert owner.referral_count == 1
    assert User.query.filter_by(email="guest@example.com").one().signup_code == "SUMMER2026"


def test_join_logs_the_session_in(client):
    assert client.get("/api/user/").status_code == 401
    code = join(client, "me@example.com").get_json()["referral_code"]
    response = client.get("/api/user/")
    assert response.status_code == 200
    assert response.get_json()["referral_code"] == code
    cookie = response.request.headers.get("Cookie", "") or ""
    assert "session=" in cookie


def test_session_cookie_is_httponly_and_samesite(client):
    response = join(client, "cookie@example.com")
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie


def test_viewing_by_code_does_not_log_in(app):
    owner_client, visitor = app.test_client(), app.test_client()
    code = join(owner_client, "owner@example.com").get_json()["referral_code"]
    response = visitor.get(f"/api/user/{code}/")
    assert response.status_code == 200 and response.get_json()["referral_code"] == code
    assert visitor.get("/api/user/").status_code == 401


def test_login_by_code_logs_in(app):
    owner_client, visitor = app.test_client(), app.test_client()
    code = join(owner_client, "owner@example.com").get_json()["referral_code"]
    response = visitor.post(f"/api/user/{code}/")
    assert response.status_code == 200
    assert visitor.get("/api/user/").get_json()["referral_code"] == code


def test_login_by_code_never_gives_an_api_token(app):
    visitor = app.test_client()
    code = join(app.test_client(), "owner@example.com").get_json()["referral_code"]
    visitor.post(f"/api/user/{code}/")
    assert visitor.get("/api/v1/users/me").status_code == 401


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_code_is_404(client, method):
    response = getattr(client, method)("/api/user/NOSUCH99/")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_detail_by_email_shows_the_email(client):
    join(client, "shown@example.com")
    response = client.get("/api/user/detail/?email=SHOWN@example.com")
    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == "shown@example.com" and set(body) == USER_DATA_KEYS | {"email"}


def test_detail_by_code_masks_the_email_unless_it_is_you(app):
    owner_client, stranger = app.test_client(), app.test_client()
    code = join(owner_client, "john@example.com").get_json()["referral_code"]
    assert stranger.get(f"/api/user/detail/?code={code}").get_json()["email"] == "j***@example.com"
    assert owner_client.get(f"/api/user/detail/?code={code}").get_json()["email"] == "john@example.com"


def test_detail_needs_email_or_code(client):
    response = client.get("/api/user/detail/")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["email=ghost@example.com", "code=NOSUCH99"])
def test_detail_unknown_is_404(client, query):
    assert client.get(f"/api/user/detail/?{query}").status_code == 404


def test_detail_with_mismatched_email_and_code_is_404(client):
    code = join(client, "one@example.com").get_json()["referral_code"]
    join(client, "two@example.com")
    assert client.get(f"/api/user/detail/?email=two@example.com&code={code}").status_code == 404
    assert client.get(f"/api/user/detail/?email=one@example.com&code={code}").status_code == 200


def test_detail_with_invalid_email_is_400(client):
    response = client.get("/api/user/detail/?email=nope")
    assert response.status_code == 400
    assert response.get_json() == {"email": ["Enter a valid email address."]}


def positions(client, codes):
    return [client.get(f"/api/user/{code}/").get_json()["wait_list_position"] for code in codes]


def test_positions_follow_the_boost_rule_and_stay_unique(make_app):
    app = make_app(WAITLIST_REFERRAL_BOOST=2)
    client = app.test_client()
    codes = [join(client, f"user{n}@example.com").get_json()["referral_code"] for n in range(1, 6)]
    # user5 refers one friend: key 5 - 2 = 3 ties with user3 (key 3) and goes after it (id order).
    join(client, "friend@example.com", code=codes[4])
    assert positions(client, codes) == [1, 2, 3, 5, 4]
    # user5 refers another: key 1 ties with user1 and goes after it.
    join(client, "friend2@example.com", code=codes[4])
    assert positions(client, codes) == [1, 3, 4, 5, 2]
    everyone = [client.get(f"/api/user/{code}/").get_json()["wait_list_position"] for code in codes]
    assert len(set(everyone)) == len(everyone)


def test_boost_zero_is_sign_up_order(make_app):
    client = make_app(WAITLIST_REFERRAL_BOOST=0).test_client()
    codes = [join(client, f"user{n}@example.com").get_json()["referral_code"] for n in range(1, 4)]
    join(client, "friend@example.com", code=codes[2])
    assert positions(client, codes) == [1, 2, 3]


def test_referral_count_counts_every_sign_up_path(client, make_user):
    code = join(client, "hub@example.com").get_json()["referral_code"]
    join(client, "viajoin@example.com", code=code)
    assert (
        client.post(
            "/api/v1/auth/register",
            json={"email": "viaregister@example.com", "password": "s3cure-pass-99", "referral_code": code},
        ).status_code
        == 201
    )
    phone_code = client.post("/api/v1/auth/phone/code", json={"phone": "+12015550106"}).get_json()["debug_code"]
    assert (
        client.post(
            "/api/v1/auth/phone/token", json={"phone": "+12015550106", "code": phone_code, "invite_code": code}
        ).status_code
        == 200
    )
    assert client.get(f"/api/user/{code}/").get_json()["referral_count"] == 3


def test_admitted_users_leave_the_list(client, outbox):
    codes = [join(client, f"user{n}@example.com").get_json()["referral_code"] for n in range(1, 5)]
    admitted = admit_next(2)
    assert [user.email for user in admitted] == ["user1@example.com", "user2@example.com"]
    assert positions(client, codes) == [None, None, 1, 2]
    assert client.get(f"/api/user/{codes[3]}/").get_json()["total_registered"] == 4
    assert sorted(mail["to"] for mail in outbox if mail["template"] == "admitted") == [
        "user1@example.com",
        "user2@example.com",
    ]


def test_admit_command(app, client):
    join(client, "a@example.com")
    result = app.test_cli_runner().invoke(args=["waitlist", "admit", "5"])
    assert result.exit_code == 0 and "Admitted 1 users." in result.output
    assert User.query.one().waitlist_status == "admitted"


def test_failing_mail_server_never_fails_a_join(make_app):
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=0.5)
    client = app.test_client()
    code = join(client, "first@example.com").get_json()["referral_code"]
    assert join(client, "second@example.com", code=code).status_code == 201


def test_ranking_rebuild_matches_the_database(client, app):
    codes = [join(client, f"user{n}@example.com").get_json()["referral_code"] for n in range(1, 8)]
    join(client, "friend@example.com", code=codes[6])
    before = positions(client, codes)
    result = app.test_cli_runner().invoke(args=["waitlist", "rebuild-ranking"])
    assert result.exit_code == 0
    assert positions(client, codes) == before
    user = User.query.filter_by(email="user7@example.com").one()
    assert ranking.database_position(user) == before[6]


def test_position_lookup_survives_a_lost_ranking_set(client, app, backend):
    codes = [join(client, f"user{n}@example.com").get_json()["referral_code"] for n in range(1, 4)]
    client_redis = app.extensions["titan_redis"]
    if client_redis is not None:
        # As after a Redis restart: the set is gone and is rebuilt from the database.
        client_redis.delete(*ranking.keys().values())
    assert positions(client, codes) == [1, 2, 3]
    assert client.get(f"/api/user/{codes[0]}/").get_json()["total_registered"] == 3


def test_concurrent_joins_with_one_email_create_one_user(app, backend):
    if backend != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them")
    statuses = []

    def attempt(_):
        return join(app.test_client(), "race@example.com").status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(attempt, range(30)))
    assert statuses.count(201) == 1
    assert set(statuses) == {201, 400}
    assert User.query.filter_by(email="race@example.com").count() == 1


def test_concurrent_joins_through_one_code_count_every_referral(app, backend):
    if backend != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    code = join(app.test_client(), "popular@example.com").get_json()["referral_code"]
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(
            pool.map(lambda n: join(app.test_client(), f"fan{n}@example.com", code=code).status_code, range(20))
        )
    assert statuses == [201] * 20
    body = app.test_client().get(f"/api/user/{code}/").get_json()
    assert body["referral_count"] == 20
    popular = User.query.filter_by(email="popular@example.com").one()
    db.session.refresh(popular)
    assert popular.waitlist_boost == 200
    assert body["wait_list_position"] == 1


def test_rebuild_ranking_applies_a_changed_boost(make_app):
    before = make_app(WAITLIST_REFERRAL_BOOST=10).test_client()
    codes = [join(before, f"user{n}@example.com").get_json()["referral_code"] for n in range(1, 4)]
    join(before, "friend@example.com", code=codes[2])
    assert positions(before, codes) == [2, 3, 1]
    after = make_app(WAITLIST_REFERRAL_BOOST=0)
    result = after.test_cli_runner().invoke(args=["waitlist", "rebuild-ranking"])
    assert result.exit_code == 0 and "1 users changed" in result.output
    assert positions(after.test_client(), codes) == [1, 2, 3]


@pytest.fixture
def mirrored(app):
    if app.config["REDIS_URL"] is None:
        pytest.skip("the Redis mirror runs with Redis (the PostgreSQL + Redis run)")
    return app.extensions["titan_redis"]


def count_queries(app, call):
    statements = []

    def record(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return result, statements


def test_look_up_by_invite_code_runs_no_query_when_redis_mirrors_the_waitlist(app, client, mirrored):
    first = join(client, "first@example.com").get_json()["referral_code"]
    join(client, "second@example.com", code=first)
    client.get(f"/api/user/{first}/")  # the mirror is complete from here on
    response, statements = count_queries(app, lambda: client.get(f"/api/user/{first}/"))
    assert statements == []
    assert response.get_json() | {"referral_url": None} == {
        "referral_count": 1,
        "referral_code": first,
        "wait_list_position": 1,
        "total_registered": 2,
        "referral_url": None,
        "email_confirmed": False,
        "pending_referrals": 0,
        "next_milestone": None,
    }


def test_mirror_answers_for_admitted_users(app, client, mirrored):
    code = join(client, "early@example.com").get_json()["referral_code"]
    join(client, "late@example.com")
    admit_next(1)
    (response, statements) = count_queries(app, lambda: client.get(f"/api/user/{code}/"))
    assert statements == []
    assert response.get_json()["wait_list_position"] is None and response.get_json()["total_registered"] == 2


def test_a_user_the_mirror_lost_is_answered_by_the_database(app, client, mirrored):
    codes = [join(client, f"user{n}@example.com").get_json()["referral_code"] for n in range(1, 4)]
    names = ranking.keys()
    mirrored.hdel(names["codes"], codes[1])
    mirrored.zrem(names["rank"], ranking.member(User.query.filter_by(invite_code=codes[2]).one().id))
    assert positions(client, codes) == [1, 2, 3]


def test_a_member_not_yet_in_the_ranking_set_is_added_and_answered_from_it(app, mirrored):
    """A job may read a member before the request that added them has mirrored them (it does so
    after its commit): the standing adds the entry and answers from Redis, not from a count."""
    clients = [app.test_client() for _ in range(3)]
    for number, client in enumerate(clients, 1):
        join(client, f"user{number}@example.com")
    second = User.query.filter_by(email="user2@example.com").one()
    mirrored.zrem(ranking.keys()["rank"], ranking.member(second.id))
    body, seen = count_queries(app, lambda: clients[1].get("/api/user/").get_json())
    assert (body["wait_list_position"], body["total_registered"]) == (2, 3)
    assert mirrored.zscore(ranking.keys()["rank"], ranking.member(second.id)) is not None
    assert len(seen) == 1  # the member; neither their position nor the total counted in the database
