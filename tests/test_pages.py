"""The server-rendered pages (docs/contract.md §6) through the Flask test client: the landing page and its
no-JavaScript join, referral links, the status page, the chart page, CSRF and security headers."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest

from titan.common.types import utcnow
from titan.demo.market import load_demo_series
from titan.extensions import db
from titan.members.models import ReferralCode, User

PAGES = ("/", "/r/NOSUCHCODE", "/status", "/chart", "/chart?period=ytd")


def text_of(response):
    """The page's visible text, roughly: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def field_errors(response):
    return [
        unescape(" ".join(message.split()))
        for message in re.findall(r'class="field-error"[^>]*>([^<]*)<', response.get_data(as_text=True))
    ]


def csrf_token(response):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def join_page(client, email, path="/"):
    return client.post(path, data={"email": email})


@pytest.fixture
def csrf_client(make_app):
    """A client of an app with CSRF protection on, as in production."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app.test_client()


@pytest.fixture
def market_data(app):
    load_demo_series()


# --- rendering and headers -----------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_with_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    body = response.get_data(as_text=True)
    assert '<main id="main"' in body and 'lang="en"' in body and 'class="skip-link"' in body


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_and_no_third_party_assets(client, path):
    body = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline script"
    assert not re.search(r"\son[a-z]+=", body), "inline event handler"
    assert not re.search(r'(?:src|href)="(?:https?:)?//[^"]*"[^>]*rel="stylesheet"', body)
    assert not re.search(r'<(?:script|img|link)[^>]+(?:src|href)="(?:https?:)?//', body)


def test_unknown_page_is_a_friendly_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "We couldn't find that page" in text_of(response)


def test_session_cookie_is_httponly_and_samesite(client):
    response = join_page(client, "cookie@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- joining without JavaScript ------------------------------------------------------------------


def test_landing_form_posts_to_the_page_and_names_the_api_for_javascript(client):
    body = client.get("/").get_data(as_text=True)
    assert re.search(r'<form class="join-form" method="post"[^>]*action="/"', body)
    assert 'data-join-url="/api/join/"' in body
    assert '<label class="field-label field-label-light" for="email">Email address</label>' in body


def test_join_without_javascript_shows_the_standing(client, outbox):
    client.post("/api/join/", json={"email": "earlier@example.com"})
    client.delete_cookie("session")
    response = join_page(client, "  New.Person@Example.com ")
    assert response.status_code == 303 and response.headers["Location"] == "/"

    page = client.get("/")
    text = text_of(page)
    user = db.session.scalar(db.select(User).where(User.email == "new.person@example.com"))
    assert "You're on the list. Confirm your address from the email we sent, then share your link to move up." in text
    assert (
        "Your place in line #2" in text and "People who have joined 2" in text and "Friends you've referred 0" in text
    )
    body = page.get_data(as_text=True)
    link = f"http://titan.test/r/{user.invite_code}"
    assert f'value="{link}"' in body
    encoded = "http%3A%2F%2Ftitan.test%2Fr%2F" + user.invite_code
    assert "https://twitter.com/intent/tweet?text=" in body and f"&amp;url={encoded}" in body
    assert f"https://www.linkedin.com/sharing/share-offsite/?url={encoded}" in body
    assert re.search(r'href="mailto:\?subject=[^"]*' + re.escape(encoded), body)
    assert 'class="join-form"' in body and re.search(r'<form class="join-form"[^>]*\shidden', body, re.S)
    assert [mail["to"] for mail in outbox] == ["earlier@example.com", "new.person@example.com"]
    # The page session is the API's session.
    assert client.get("/api/user/").get_json()["referral_code"] == user.invite_code


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address."),
        ("not-an-email", "Enter a valid email address."),
        ("someone@mailinator.com", "Registration at this email address is not available"),
        ("x" * 250 + "@example.com", "Enter a valid email address."),
    ],
)
def test_join_errors_are_shown_next_to_the_field(client, email, message):
    response = join_page(client, email)
    assert response.status_code == 400
    assert field_errors(response) == [message]
    body = response.get_data(as_text=True)
    assert re.search(r'<input[^>]*aria-invalid="true"', body) and 'id="email-error"' in body
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_joining_twice_says_so_in_plain_words(client):
    join_page(client, "twice@gmail.com")
    response = join_page(client, "T.W.I.C.E+again@gmail.com")
    assert response.status_code == 400
    assert field_errors(response) == [
        "This email is already on the waitlist. Find your place with your referral code on the status page."
    ]
    assert 'value="t.w.i.c.e+again@gmail.com"' in response.get_data(as_text=True)


# --- referral links ---------------------------------------------------------------------------------


@pytest.mark.email_confirmation_off
def test_referral_link_applies_the_code_and_credits_the_referrer(client, make_user, outbox):
    referrer = make_user(email="host@example.com", password=None)
    page = client.get(f"/r/{referrer.invite_code.lower()}")
    text = text_of(page)
    assert f"You've been invited. Code {referrer.invite_code} is applied" in text
    body = page.get_data(as_text=True)
    assert (
        f'action="/r/{referrer.invite_code}"' in body and f'data-join-url="/api/join/{referrer.invite_code}/"' in body
    )

    assert join_page(client, "guest@example.com", f"/r/{referrer.invite_code}").status_code == 303
    db.session.expire_all()
    guest = db.session.scalar(db.select(User).where(User.email == "guest@example.com"))
    assert guest.referred_by_id == referrer.id and db.session.get(User, referrer.id).referral_count == 1
    assert sorted(mail["template"] for mail in outbox) == ["referrer_notified", "welcome"]


def make_referral_code(owner, code, expires_in):
    referral = ReferralCode(owner_id=owner.id, code=code, expires_at=utcnow() + expires_in)
    db.session.add(referral)
    db.session.commit()
    return referral


@pytest.mark.parametrize(
    ("code", "notice"),
    [
        ("NOSUCHCODE", "This invite link doesn't work, but you can still join."),
        ("bad-code!", "This invite link doesn't work, but you can still join."),
        ("OLDCODE1", "This invite link has expired, but you can still join."),
    ],
)
def test_a_dead_referral_link_says_so_and_still_lets_you_join(client, make_user, code, notice):
    make_referral_code(make_user(email="owner@example.com", password=None), "OLDCODE1", -timedelta(days=1))
    page = client.get(f"/r/{code}")
    assert page.status_code == (404 if code == "bad-code!" else 200)  # no code can look like that
    assert notice in text_of(page)
    body = page.get_data(as_text=True)
    assert (
        re.search(r'<form class="join-form" method="post"[^>]*action="/"', body)
        and 'data-join-url="/api/join/"' in body
    )
    assert join_page(client, "still@example.com").status_code == 303


def test_a_code_that_expires_before_the_post_is_reported_and_nobody_joins(client, make_user):
    referral = make_referral_code(make_user(email="owner@example.com", password=None), "SOONGONE", timedelta(days=1))
    referral.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = join_page(client, "late@example.com", "/r/SOONGONE")
    assert response.status_code == 400
    assert "This invite link has expired, but you can still join." in text_of(response)
    assert db.session.scalar(db.select(User).where(User.email == "late@example.com")) is None


# --- status -----------------------------------------------------------------------------------------


def test_status_asks_for_a_code_then_shows_the_standing(client, make_user):
    member = make_user(email="member@example.com", password=None, waitlist_status="waiting")
    page = client.get("/status")
    assert "Log in with your referral code" in text_of(page)

    response = client.post("/status", data={"code": f" {member.invite_code.lower()} "})
    assert response.status_code == 303 and response.headers["Location"] == "/status"
    text = text_of(client.get("/status"))
    assert "Your place in line #1" in text and member.invite_code in client.get("/status").get_data(as_text=True)

    assert client.post("/status/sign-out").status_code == 303
    assert "Log in with your referral code" in text_of(client.get("/status"))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter your referral code."),
        ("no!", "Codes are 4 to 32 letters and digits, like K7M2QX9D."),
        ("ZZZZ9999", "We couldn't find that code. Check it against your welcome email."),
    ],
)
def test_status_login_errors(client, code, message):
    response = client.post("/status", data={"code": code})
    assert response.status_code == 400
    assert field_errors(response) == [message]


def test_status_of_an_admitted_user(client, make_user):
    member = make_user(email="in@example.com", password=None, waitlist_status="admitted")
    client.post("/status", data={"code": member.invite_code})
    text = text_of(client.get("/status"))
    assert "You're in: open your account" in text and "Email me the link again" in text
    assert "Share your link" not in text  # the next step, not the referral pitch


def test_status_of_an_admitted_account_holder_says_sign_in(client, make_user):
    member = make_user(email="holder@example.com", waitlist_status="admitted")
    client.post("/status", data={"code": member.invite_code})
    text = text_of(client.get("/status"))
    assert "You're in: your account is ready" in text and "Share your link" not in text


def test_status_of_an_unconfirmed_member_asks_to_confirm(client):
    join_page(client, "new@example.com")
    text = text_of(client.get("/status"))
    assert "Confirm your email address" in text and "Your place in line #1" in text


def test_a_session_for_a_deleted_user_is_forgotten(client):
    join_page(client, "gone@example.com")
    db.session.execute(db.delete(User))
    db.session.commit()
    assert "Log in with your referral code" in text_of(client.get("/status"))
    assert 'class="join-form"' in client.get("/").get_data(as_text=True)


# --- CSRF -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"), [("/", {"email": "a@example.com"}), ("/status", {"code": "ABCD2345"}), ("/status/sign-out", {})]
)
def test_forms_need_a_csrf_token(csrf_client, path, data):
    response = csrf_client.post(path, data=data)
    assert response.status_code == 400
    assert "This form has expired" in text_of(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_join_with_a_csrf_token(csrf_client):
    token = csrf_token(csrf_client.get("/"))
    assert csrf_client.post("/", data={"email": "token@example.com", "csrf_token": token}).status_code == 303


def test_the_json_join_the_page_script_uses_stays_csrf_exempt(csrf_client):
    assert csrf_client.post("/api/join/", json={"email": "script@example.com"}).status_code == 201


# --- chart --------------------------------------------------------------------------------------


def test_chart_page_embeds_the_period_and_shows_stats_and_the_demo_label(client, market_data):
    page = client.get("/chart")
    body = page.get_data(as_text=True)
    embedded = json.loads(unescape(re.search(r'data-initial="([^"]*)"', body).group(1)))
    assert embedded == client.get("/api/chart/?period=10y").get_json()
    assert 'data-period="10y"' in body and re.search(r'data-period="10y" aria-current="true"', body)
    text = text_of(page)
    assert "Demo data" in text and "trend-following" in text
    stats = client.get("/api/stats/").get_json()
    for row in stats:
        assert row["label"].removesuffix(" (%)") in text
    assert f"{stats[1]['titan']:,.2f}%" in text  # annualized return; totals of 1,000% and more lose their decimals
    assert re.search(r"From \w{3} \d{4} to \w{3} \d{4}, \$10,000 became \$[\d,]+ in the Titan model", text)
    for period in ("1y", "3y", "5y", "10y", "ytd", "all"):
        assert f'href="/chart?period={period}"' in body
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js" defer>' in body


@pytest.mark.parametrize(
    ("query", "period"), [("?period=ALL", "all"), ("?period=5y", "5y"), ("?period=nonsense", "10y")]
)
def test_chart_period_from_the_query(client, market_data, query, period):
    body = client.get("/chart" + query).get_data(as_text=True)
    assert f'data-period="{period}" data-initial' in body


def test_chart_without_market_data(client):
    text = text_of(client.get("/chart"))
    assert "No market data is loaded yet." in text and "No statistics yet" in text


def test_landing_preview_uses_the_market_data(client, market_data):
    body = client.get("/").get_data(as_text=True)
    assert '<polyline class="spark-titan" points="0.0,' in body and "Demo data" in text_of(client.get("/"))


# --- privacy ----------------------------------------------------------------------------------------


def test_privacy_page_says_what_is_stored_why_how_long_and_how_to_export_or_erase(client, app):
    response = client.get("/privacy")
    assert response.status_code == 200 and response.mimetype == "text/html"
    text = text_of(response)
    headings = ("What we store", "Why", "For how long", "Get a copy, or have it erased", "Emails and unsubscribing")
    for heading in headings:
        assert f"{heading} " in text
    for stored in (
        "email address",
        "normalised form",
        "referral code",
        "who referred you",
        "whom you referred",
        "waitlist standing",
        "confirmed",
        "admitted",
        "hash of your password",
        "phone number",
        "ledger",
    ):
        assert stored in text, stored
    assert "we keep no IP address with your data" in text
    assert f"removed after {app.config['WAITLIST_UNCONFIRMED_DAYS']} days" in text and "waitlist prune" in text
    assert "auth purge-revoked" in text
    assert "GET /api/v1/users/me/export" in text and "DELETE /api/v1/users/me" in text
    assert "deletion link" in text and "unsubscribe" in text


@pytest.mark.parametrize("path", ("/", "/status", "/chart", "/privacy"))
def test_every_page_footer_links_to_the_privacy_page(client, path):
    body = client.get(path).get_data(as_text=True)
    footer = body[body.index('<footer class="site-footer">') :]
    assert re.search(r'<a href="/privacy"[^>]*>Privacy</a>', footer)


def test_the_join_form_links_to_the_privacy_page(client):
    body = client.get("/").get_data(as_text=True)
    form = body[body.index('<form class="join-form"') : body.index("</form>", body.index('<form class="join-form"'))]
    assert '<a href="/privacy">' in form


# --- sharing ----------------------------------------------------------------------------------------


def test_a_referral_link_names_the_inviter_never_their_address(client, make_user):
    ada = make_user(email="ada.lovelace@example.com", password=None, first_name="Ada", waitlist_status="waiting")
    body = client.get(f"/r/{ada.invite_code}").get_data(as_text=True)
    assert "<title>Ada invited you to Titan</title>" in body and "Ada invited you." in body
    assert 'property="og:title" content="Ada invited you to Titan"' in body
    assert "ada.lovelace" not in body
    anonymous = make_user(email="quiet.person@example.com", password=None, waitlist_status="waiting")
    body = client.get(f"/r/{anonymous.invite_code}").get_data(as_text=True)
    assert "You've been invited." in body and "quiet.person" not in body


def test_pages_carry_link_preview_tags(client):
    body = client.get("/chart").get_data(as_text=True)
    assert 'property="og:title" content="Performance: Titan vs. the S&amp;P 500 · Titan"' in body
    assert '<meta name="twitter:card" content="summary">' in body
    assert 'property="og:url" content="http://localhost/chart"' in body


def test_the_standing_offers_whatsapp_and_text_message_links(client):
    client.post("/api/join/", json={"email": "sharer@example.com"})
    body = client.get("/").get_data(as_text=True)
    assert 'href="https://wa.me/?text=' in body and 'href="sms:?&amp;body=' in body
    assert "data-web-share" in body  # shown by titan.js where navigator.share exists
