"""Profiles (`/users/me`), the invited-by rules, and the admin's user list."""

import pytest

from titan.extensions import db
from titan.members.models import User

ME = "/api/v1/users/me"


def test_me_returns_the_signed_in_user(client, user, auth_header):
    response = client.get(ME, headers=auth_header("member"))
    assert response.status_code == 200
    assert response.get_json()["email"] == "member@example.com"


def test_patch_me_updates_profile(client, user, auth_header):
    response = client.patch(
        ME,
        headers=auth_header("member"),
        json={"first_name": "Grace", "last_name": "Hopper", "username": "Grace_H", "email": "Grace@Example.com"},
    )
    assert response.status_code == 200
    body = response.get_json()
    # A new address waits for its confirmation: the old one stays until then (docs/contract.md §8).
    assert (body["first_name"], body["last_name"], body["username"], body["email"], body["pending_email"]) == (
        "Grace",
        "Hopper",
        "grace_h",
        "member@example.com",
        "grace@example.com",
    )
    assert (
        client.post("/api/v1/auth/token", data={"username": "grace_h", "password": "correct-horse-42"}).status_code
        == 200
    )


def test_patch_me_conflicts_are_409(client, user, make_user, auth_header):
    make_user(email="taken@example.com", username="taken")
    headers = auth_header("member")
    assert client.patch(ME, headers=headers, json={"email": "TAKEN@example.com"}).status_code == 409
    assert client.patch(ME, headers=headers, json={"username": "taken"}).status_code == 409
    # Your own values are not a conflict.
    assert (
        client.patch(ME, headers=headers, json={"email": "member@example.com", "username": "member"}).status_code == 200
    )


@pytest.mark.parametrize(
    "body",
    [
        {"email": "nope"},
        {"email": "x@mailinator.com"},
        {"username": "no spaces"},
        {"first_name": 5},
        {"balance": 1_000_000},
        {"is_admin": True},
        {"invited_by_code": "!!"},
    ],
)
def test_patch_me_rejects_bad_input(client, user, auth_header, body):
    response = client.patch(ME, headers=auth_header("member"), json=body)
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.balance == 2500 and user.is_admin is False


def test_invited_by_code_is_accepted_once(client, user, make_user, auth_header):
    first = make_user(email="first@example.com")
    second = make_user(email="second@example.com")
    headers = auth_header("member")
    response = client.patch(ME, headers=headers, json={"invited_by_code": first.invite_code})
    assert response.status_code == 200
    assert response.get_json()["referred_by_id"] == first.id
    response = client.patch(ME, headers=headers, json={"invited_by_code": second.invite_code})
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"]["invited_by_code"] == ["Your referrer is already set."]
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.referral_count, second.referral_count) == (1, 0)


def test_invited_by_own_code_is_400(client, user, auth_header):
    response = client.patch(ME, headers=auth_header("member"), json={"invited_by_code": user.invite_code})
    assert response.status_code == 400
    assert response.get_json()["errors"]["json"]["invited_by_code"] == ["You cannot use your own referral code."]


def test_invited_by_code_that_would_form_a_cycle_is_400(client, make_user, auth_header):
    a = make_user(email="a@example.com", username="usera")
    b = make_user(email="b@example.com", username="userb")
    c = make_user(email="c@example.com", username="userc")
    assert client.patch(ME, headers=auth_header("userb"), json={"invited_by_code": a.invite_code}).status_code == 200
    assert client.patch(ME, headers=auth_header("userc"), json={"invited_by_code": b.invite_code}).status_code == 200
    # a -> b -> c: a may not now be invited by c (or by b).
    for code in (c.invite_code, b.invite_code):
        response = client.patch(ME, headers=auth_header("usera"), json={"invited_by_code": code})
        assert response.status_code == 400
    assert db.session.get(User, a.id).referred_by_id is None


def test_invited_by_unknown_code_is_404(client, user, auth_header):
    assert client.patch(ME, headers=auth_header("member"), json={"invited_by_code": "NOPE2345"}).status_code == 404


def test_user_list_is_admin_only(client, user, admin, auth_header):
    assert client.get("/api/v1/users", headers=auth_header("member")).status_code == 403
    assert client.get("/api/v1/users").status_code == 401
    response = client.get("/api/v1/users/", headers=auth_header("admin"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 20 and body["pages"] == 1
    assert {item["email"] for item in body["items"]} == {"member@example.com", "admin@example.com"}


def test_user_list_search_and_paging(client, admin, make_user, auth_header):
    for number in range(25):
        make_user(email=f"person{number}@example.com", password=None)
    make_user(email="odd_one@example.org", phone="+15005550006", password=None)
    headers = auth_header("admin")
    assert client.get("/api/v1/users?search=example.org", headers=headers).get_json()["total"] == 1
    assert client.get("/api/v1/users?search=5550006", headers=headers).get_json()["total"] == 1
    # `_` and `%` are matched literally, not as wildcards.
    assert client.get("/api/v1/users?search=odd_", headers=headers).get_json()["total"] == 1
    assert client.get("/api/v1/users?search=%25", headers=headers).get_json()["total"] == 0
    page = client.get("/api/v1/users?per_page=10&page=3&sort_by=email&direction=desc", headers=headers).get_json()
    assert page["total"] == 27 and page["pages"] == 3 and len(page["items"]) == 7
    code = make_user(email="bycode@example.com", password=None).invite_code
    assert client.get(f"/api/v1/users?search={code.lower()}", headers=headers).get_json()["total"] == 1


@pytest.mark.parametrize(
    "query", ["per_page=101", "per_page=0", "page=0", "page=x", "sort_by=password_hash", "direction=up"]
)
def test_user_list_bad_query_is_400(client, admin, auth_header, query):
    response = client.get(f"/api/v1/users?{query}", headers=auth_header("admin"))
    assert response.status_code == 400
    assert response.get_json()["errors"]["query"]


def test_user_detail_for_self_admin_and_others(client, user, admin, make_user, auth_header):
    other = make_user(email="other@example.com", username="other")
    invited = make_user(email="invited@example.com", username="invitee", password=None)
    assert client.patch(ME, headers=auth_header("member"), json={}).status_code == 200
    invited.referred_by_id, invited.referral_state = user.id, "counted"
    db.session.commit()
    mine = client.get(f"/api/v1/users/{user.id}", headers=auth_header("member"))
    assert mine.status_code == 200
    assert [i["email"] for i in mine.get_json()["invited"]] == ["invited@example.com"]
    assert set(mine.get_json()["invited"][0]) == {"id", "username", "phone", "email", "created_at"}
    assert client.get(f"/api/v1/users/{user.id}", headers=auth_header("other")).status_code == 403
    assert client.get(f"/api/v1/users/{other.id}", headers=auth_header("admin")).status_code == 200
    assert client.get("/api/v1/users/999999", headers=auth_header("admin")).status_code == 404
