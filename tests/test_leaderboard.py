"""The leaderboard (docs/contract.md §10): top referrers by counted referrals, ties to whoever reached
the count first, names masked, opt-out, cached briefly, one index range scan."""

import pytest
from sqlalchemy import event

from conftest import PASSWORD
from titan.extensions import db
from titan.members.models import User

BOARD = "/api/leaderboard/"


def join(client, email, code=None):
    response = client.post(f"/api/join/{code}/" if code else "/api/join/", json={"email": email})
    assert response.status_code == 201, response.get_json()
    client.delete_cookie("session")
    return response.get_json()["referral_code"]


def refer(client, code, count, prefix):
    for number in range(count):
        join(client, f"{prefix}{number}@example.com", code)


pytestmark = pytest.mark.email_confirmation_off  # every referral counts at once; test_journey covers confirming


def test_an_empty_board(client):
    response = client.get(BOARD)
    assert response.status_code == 200 and response.get_json() == []


def test_most_referrals_first_ties_to_whoever_got_there_first(client, make_user):
    john = join(client, "john@example.com")
    make_user(email="ada@example.com", username="ada", waitlist_status="waiting")
    ada = db.session.scalar(db.select(User.invite_code).where(User.email == "ada@example.com"))
    grace = join(client, "grace@example.com")
    join(client, "nobody@example.com")
    refer(client, grace, 2, "g")  # grace reaches 2 first
    refer(client, john, 3, "j")
    refer(client, ada, 2, "a")
    body = client.get(BOARD).get_json()
    assert body == [
        {"rank": 1, "name": "j***@example.com", "referral_count": 3},
        {"rank": 2, "name": "g***@example.com", "referral_count": 2},
        {"rank": 3, "name": "ada", "referral_count": 2},
    ]
    assert "john@example.com" not in client.get("/leaderboard").get_data(as_text=True)


def test_limit(client):
    codes = [join(client, f"r{n}@example.com") for n in range(4)]
    for number, code in enumerate(codes):
        refer(client, code, number + 1, f"f{number}-")
    assert [row["referral_count"] for row in client.get(f"{BOARD}?limit=2").get_json()] == [4, 3]
    assert len(client.get(BOARD).get_json()) == 4


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1e3"])
def test_a_bad_limit_is_400(client, limit):
    response = client.get(f"{BOARD}?limit={limit}")
    assert response.status_code == 400 and "limit" in response.get_json()


def test_opting_out_and_back_in(client, make_user, auth_header):
    member = make_user(email="shy@example.com", username="shy", waitlist_status="waiting")
    refer(client, member.invite_code, 1, "s")
    assert [row["name"] for row in client.get(BOARD).get_json()] == ["shy"]
    headers = auth_header("shy", PASSWORD)
    response = client.patch("/api/v1/users/me", headers=headers, json={"show_on_leaderboard": False})
    assert response.status_code == 200 and response.get_json()["show_on_leaderboard"] is False
    assert client.get(BOARD).get_json() == []
    assert client.patch("/api/v1/users/me", headers=headers, json={"show_on_leaderboard": "maybe"}).status_code == 400
    client.patch("/api/v1/users/me", headers=headers, json={"show_on_leaderboard": True})
    assert [row["name"] for row in client.get(BOARD).get_json()] == ["shy"]


def test_a_deleted_member_leaves_the_board(client, make_user, auth_header):
    member = make_user(email="gone@example.com", username="gone", waitlist_status="waiting")
    refer(client, member.invite_code, 2, "d")
    headers = auth_header("gone", PASSWORD)
    assert client.delete("/api/v1/users/me", headers=headers, json={"password": PASSWORD}).status_code == 204
    assert client.get(BOARD).get_json() == []


def test_the_board_is_cached_briefly(make_app):
    app = make_app(LEADERBOARD_CACHE_SECONDS=30)
    client = app.test_client()
    with app.app_context():
        code = join(client, "cached@example.com")
        refer(client, code, 1, "c")
        assert client.get(BOARD).get_json()[0]["referral_count"] == 1
        refer(client, code, 1, "later")
        assert client.get(BOARD).get_json()[0]["referral_count"] == 1  # until the cache expires


def test_the_page_lists_the_board(client):
    code = join(client, "paged@example.com")
    refer(client, code, 2, "p")
    page = client.get("/leaderboard")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "p***@example.com" in body and "data-leaderboard" in body
    assert 'href="/leaderboard"' in client.get("/").get_data(as_text=True)


def test_the_board_is_one_indexed_query(app, client, backend):
    if backend != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    code = join(client, "planned@example.com")
    refer(client, code, 1, "q")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(BOARD)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = connection.exec_driver_sql(
            "EXPLAIN SELECT username, email, referral_count FROM users"
            " WHERE referral_count > 0 AND show_on_leaderboard"
            " ORDER BY -referral_count, last_referral_at, id LIMIT 10"
        ).scalars()
        assert "ix_users_leaderboard" in "\n".join(plan)
