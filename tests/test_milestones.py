"""Milestones (docs/contract.md §10): WAITLIST_MILESTONES rewards for counted referrals, each once
per user, with an email; `next_milestone` in the user data and progress on /status."""

import pytest

from titan.extensions import db
from titan.integrations.mail import outbox as outbox_of
from titan.members import ranking
from titan.members.milestones import parse_milestones
from titan.members.models import MilestoneReward, User

MILESTONES = "2:skip-5,3:early-access"


def join(client, email, code=None):
    response = client.post(f"/api/join/{code}/" if code else "/api/join/", json={"email": email})
    assert response.status_code == 201, response.get_json()
    client.delete_cookie("session")
    return response.get_json()


@pytest.fixture
def milestone_app(make_app):
    app = make_app(WAITLIST_MILESTONES=MILESTONES, EMAIL_CONFIRMATION=False)
    with app.app_context():
        yield app


def standing(client, code):
    return client.get(f"/api/user/{code}/").get_json()


def test_without_milestones_next_milestone_is_null(client):
    assert join(client, "plain@example.com")["next_milestone"] is None


def test_skip_moves_the_referrer_ahead_once_with_an_email(milestone_app):
    client = milestone_app.test_client()
    for number in range(30):
        join(client, f"early{number}@example.com")
    host = join(client, "host@example.com")  # id 31
    assert host["next_milestone"] == {"referrals": 2, "reward": "skip-5"}
    join(client, "f1@example.com", host["referral_code"])
    # Key (31 - 10, 31) comes right after (21, 21): place 22.
    assert standing(client, host["referral_code"])["wait_list_position"] == 22
    join(client, "f2@example.com", host["referral_code"])
    after = standing(client, host["referral_code"])
    # Two referrals (20 places) and the milestone's 5 more: key (6, 31), after (6, 6): place 7.
    assert after["wait_list_position"] == 7 and after["next_milestone"] == {"referrals": 3, "reward": "early-access"}
    mails = [m for m in outbox_of(milestone_app) if m["template"] == "milestone_reached"]
    assert len(mails) == 1 and mails[0]["to"] == "host@example.com"
    assert "you skipped 5 places" in mails[0]["subject"]
    assert "You're now number 7" in mails[0]["text"], mails[0]["text"]
    assert "1 more friend to get early access" in mails[0]["text"], mails[0]["text"]
    assert mails[0]["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    rewards = db.session.scalars(db.select(MilestoneReward)).all()
    assert [(r.referrals, r.reward, r.places) for r in rewards] == [(2, "skip-5", 5)]


def test_early_access_admits_at_once(milestone_app):
    client = milestone_app.test_client()
    host = join(client, "eager@example.com")
    for number in range(3):
        join(client, f"friend{number}@example.com", host["referral_code"])
    body = standing(client, host["referral_code"])
    assert body["wait_list_position"] is None and body["next_milestone"] is None
    user = db.session.scalar(db.select(User).where(User.email == "eager@example.com"))
    assert user.waitlist_status == "admitted"
    templates = [m["template"] for m in outbox_of(milestone_app) if m["to"] == "eager@example.com"]
    assert templates.count("admitted") == 1 and templates.count("milestone_reached") == 2


def test_a_milestone_is_given_once_even_if_the_count_is_reached_again(milestone_app):
    client = milestone_app.test_client()
    host = join(client, "again@example.com")
    join(client, "a1@example.com", host["referral_code"])
    join(client, "a2@example.com", host["referral_code"])
    user = db.session.scalar(db.select(User).where(User.email == "again@example.com"))
    boost = user.waitlist_boost
    # The count falls back (as after a voided referral) and reaches 2 again: no second reward.
    db.session.execute(db.update(User).where(User.id == user.id).values(referral_count=1, waitlist_boost=boost - 10))
    db.session.commit()
    join(client, "a3@example.com", host["referral_code"])
    db.session.refresh(user)
    assert user.waitlist_boost == boost and db.session.query(MilestoneReward).count() == 1


def test_recomputing_boosts_keeps_the_places_milestones_gave(milestone_app):
    client = milestone_app.test_client()
    host = join(client, "kept@example.com")
    join(client, "k1@example.com", host["referral_code"])
    join(client, "k2@example.com", host["referral_code"])
    assert ranking.recompute_boosts(10) == 0
    user = db.session.scalar(db.select(User).where(User.email == "kept@example.com"))
    assert user.waitlist_boost == 25


def test_status_shows_the_progress(milestone_app):
    client = milestone_app.test_client()
    host = join(client, "progress@example.com")
    client.post("/status", data={"code": host["referral_code"]})
    assert "2 more friends to skip 5 places." in client.get("/status").get_data(as_text=True)
    join(milestone_app.test_client(), "p1@example.com", host["referral_code"])
    assert "1 more friend to skip 5 places." in client.get("/status").get_data(as_text=True)


@pytest.mark.parametrize(
    "setting", ["0:skip-5", "x:skip-5", "3:skip-", "3:skip-0", "3:free-beer", "3:skip-5,3:early-access", "3"]
)
def test_a_bad_setting_is_refused(setting):
    with pytest.raises(ValueError, match="WAITLIST_MILESTONES"):
        parse_milestones(setting)


def test_settings_parse_in_threshold_order():
    parsed = parse_milestones(" 10:early-access , 3:skip-50 ")
    assert [(m.referrals, m.reward, m.places) for m in parsed] == [(3, "skip-50", 50), (10, "early-access", 0)]


def test_a_bad_setting_stops_the_app(make_app):
    with pytest.raises(ValueError, match="WAITLIST_MILESTONES"):
        make_app(WAITLIST_MILESTONES="3:free-beer")


def test_a_milestone_is_given_once_under_concurrent_confirmations(make_app, backend):
    if backend != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them")
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_journey import last_mail, link_in

    app = make_app(WAITLIST_MILESTONES="2:skip-5")
    with app.app_context():
        client = app.test_client()
        host = join(client, "racer@example.com")
        for number in range(2):
            join(client, f"racer-friend{number}@example.com", host["referral_code"])
        outbox = outbox_of(app)
        tokens = [link_in(last_mail(outbox, f"racer-friend{n}@example.com", "welcome"), "confirm") for n in range(2)]

        def confirm(token):
            return app.test_client().post("/api/v1/auth/email/confirm", json={"token": token}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(confirm, tokens * 4)) == {200}
        referrer = db.session.scalar(db.select(User).where(User.email == "racer@example.com"))
        db.session.refresh(referrer)
        assert (referrer.referral_count, referrer.waitlist_boost) == (2, 25)
        assert db.session.query(MilestoneReward).count() == 1
        assert len([m for m in outbox if m["template"] == "milestone_reached"]) == 1
