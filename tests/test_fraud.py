"""Fraud signals (docs/contract.md §10): each join's client address and user-agent hash; a friend
joining from the referrer's address, or a burst from one network, makes the referral suspect
until an admin approves it; admins void referrals and the referrer's standing is recomputed."""

import pytest

from conftest import PASSWORD
from titan.auth.users import create_admin
from titan.extensions import db
from titan.members.fraud import network_of
from titan.members.models import User

pytestmark = pytest.mark.email_confirmation_off  # referrals count at once unless suspect


@pytest.fixture
def fraud_app(make_app):
    app = make_app(FRAUD_CHECKS=True, FRAUD_MAX_JOINS_PER_NETWORK=3)
    with app.app_context():
        yield app


def join(app, email, code=None, address="198.51.100.7", agent="Mozilla/5.0 (X11)"):
    response = app.test_client().post(
        f"/api/join/{code}/" if code else "/api/join/",
        json={"email": email},
        environ_base={"REMOTE_ADDR": address},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def user(email):
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def standing(app, code):
    return app.test_client().get(f"/api/user/{code}/").get_json()


def admin_client(app):
    create_admin("reviewer@example.com", PASSWORD)
    client = app.test_client()
    assert client.post("/admin/login", data={"email": "reviewer@example.com", "password": PASSWORD}).status_code == 303
    return client


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.0/24"),
        ("not an address", None),
        (None, None),
    ],
)
def test_networks(address, network):
    assert network_of(address) == network


def test_each_join_records_its_address_network_and_agent_hash(fraud_app):
    join(fraud_app, "seen@example.com", address="203.0.113.77", agent="Agent/1")
    seen = user("seen@example.com")
    assert (seen.join_address, seen.join_network) == ("203.0.113.77", "203.0.113.0/24")
    assert len(seen.join_agent_hash) == 16 and "Agent" not in seen.join_agent_hash


def test_a_friend_from_the_referrers_own_address_is_suspect(fraud_app):
    host = join(fraud_app, "host@example.com", address="198.51.100.7")
    join(fraud_app, "sock@example.com", host["referral_code"], address="198.51.100.7")
    join(fraud_app, "real@example.com", host["referral_code"], address="192.0.2.44")
    body = standing(fraud_app, host["referral_code"])
    assert (body["referral_count"], body["pending_referrals"]) == (1, 0)
    sock = user("sock@example.com")
    assert (sock.referral_state, sock.referral_flag) == ("suspect", "same_address")


def test_a_burst_from_one_network_is_suspect(fraud_app):
    host = join(fraud_app, "busy@example.com", address="192.0.2.1")
    for number in range(3):
        join(fraud_app, f"bot{number}@example.com", address=f"203.0.113.{10 + number}")
    join(fraud_app, "bot-friend@example.com", host["referral_code"], address="203.0.113.99")
    assert user("bot-friend@example.com").referral_flag == "network_burst"
    assert standing(fraud_app, host["referral_code"])["referral_count"] == 0
    join(fraud_app, "elsewhere@example.com", host["referral_code"], address="203.0.114.5")
    assert standing(fraud_app, host["referral_code"])["referral_count"] == 1


def test_with_fraud_checks_off_nothing_is_recorded_or_suspect(make_app):
    app = make_app(FRAUD_CHECKS=False)
    with app.app_context():
        host = join(app, "trusting@example.com")
        join(app, "same@example.com", host["referral_code"])
        assert standing(app, host["referral_code"])["referral_count"] == 1
        assert user("same@example.com").join_address is None


def test_an_admin_approves_a_suspect_referral(fraud_app):
    host = join(fraud_app, "approved@example.com")
    join(fraud_app, "twin@example.com", host["referral_code"])
    client = admin_client(fraud_app)
    page = client.get("/admin/").get_data(as_text=True)
    assert "twin@example.com" in page and "same address as the referrer" in page
    twin = user("twin@example.com")
    assert client.post(f"/admin/referrals/{twin.id}/approve").status_code == 303
    body = standing(fraud_app, host["referral_code"])
    assert body["referral_count"] == 1 and user("twin@example.com").referral_state == "counted"
    flash = client.post(f"/admin/referrals/{twin.id}/approve", follow_redirects=True).get_data(as_text=True)
    assert "Only a suspect referral can be approved." in flash


def test_voiding_a_counted_referral_recomputes_the_referrer(fraud_app):
    for number in range(12):
        join(fraud_app, f"early{number}@example.com", address=f"192.0.2.{number + 1}")
    host = join(fraud_app, "voided@example.com", address="198.51.100.1")
    join(fraud_app, "friend@example.com", host["referral_code"], address="198.51.100.2")
    assert standing(fraud_app, host["referral_code"])["wait_list_position"] == 4
    client = admin_client(fraud_app)
    friend = user("friend@example.com")
    assert client.post(f"/admin/referrals/{friend.id}/void").status_code == 303
    body = standing(fraud_app, host["referral_code"])
    assert (body["referral_count"], body["wait_list_position"]) == (0, 13)
    referrer = user("voided@example.com")
    assert (referrer.referral_count, referrer.waitlist_boost) == (0, 0)
    assert user("friend@example.com").referred_by_id == referrer.id  # who referred whom is kept
    # The database answers the same as the mirror (with Redis).
    from_database = fraud_app.test_client()
    assert from_database.get("/api/leaderboard/").get_json() == []


def test_review_needs_an_admin_and_a_real_referral(fraud_app):
    join(fraud_app, "loner@example.com")
    anonymous = fraud_app.test_client()
    assert anonymous.post("/admin/referrals/1/void").status_code == 302  # to the sign-in page
    client = admin_client(fraud_app)
    loner = user("loner@example.com")
    page = client.post(f"/admin/referrals/{loner.id}/void", follow_redirects=True).get_data(as_text=True)
    assert "This user was not referred by anyone." in page
    assert client.post("/admin/referrals/1/explode").status_code == 404
