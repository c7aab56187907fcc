"""The pages in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium), headless,
against the app served on a local port. Every request to anywhere but this machine is blocked and
recorded, and must not happen; nor may a script error or a Content-Security-Policy violation.

Skipped with a message when Chromium is absent (`make test` on a bare machine); `.ci/run` installs it
and sets TITAN_REQUIRE_BROWSER=1, which turns that skip into a failure. SQLite only: the pages run
the same code on PostgreSQL, which the rest of the suite covers.
"""

import email
import email.policy
import os
import re
import threading
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from werkzeug.serving import make_server

from conftest import PASSWORD
from titan.auth.users import create_admin
from titan.common.types import utcnow
from titan.demo.market import load_demo_series
from titan.extensions import db
from titan.members.models import User
from titan.waitlist.admission import admit_next
from titan.waitlist.membership import join_waitlist

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium): browser tests skipped"
        if os.environ.get("TITAN_REQUIRE_BROWSER"):
            pytest.fail(message.replace("skipped", "required (TITAN_REQUIRE_BROWSER is set)"))
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live(make_app, backend, tmp_path):
    """The app with CSRF on, served on a free local port; the test holds an app context for set-up.
    Mail goes to .eml files (MAIL_BACKEND=file), read as a person reads their inbox."""
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite only")
    mail_dir = tmp_path / "mail"
    # No PUBLIC_BASE_URL: links point at this server, so the browser can follow them.
    app = make_app(WTF_CSRF_ENABLED=True, PUBLIC_BASE_URL=None, MAIL_BACKEND="file", MAIL_FILE_DIR=str(mail_dir))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        yield SimpleNamespace(app=app, url=f"http://127.0.0.1:{server.server_port}", mail_dir=mail_dir)
        db.session.remove()
    server.shutdown()
    thread.join()


@pytest.fixture
def new_page(browser, live):
    """Open a page in a fresh browser context (its own cookies). Afterwards: no request left this
    machine, no script failed, no asset failed to load, no CSP violation."""
    contexts, outside, problems, expected = [], [], [], []

    def guard(route):
        url = route.request.url
        if url.startswith("data:") or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def watch(page):
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda message: "Content Security Policy" in message.text and problems.append(message.text))
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and response.request.resource_type in ("script", "stylesheet", "image", "font")
                and problems.append(f"{response.status} {response.url}")
            ),
        )

    def open_page(path="/", expect_blocked=(), **options):
        expected.extend(expect_blocked)
        context = browser.new_context(viewport=options.pop("viewport", DESKTOP), **options)
        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        watch(page)
        if path is not None:
            page.goto(live.url + path)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert outside == [], "requests left the machine"
    assert [problem for problem in problems if not any(allowed in problem for allowed in expected)] == []


def fresh_user(email):
    """Read a user as the server last committed it (the server threads have their own sessions)."""
    db.session.remove()
    return db.session.scalar(db.select(User).where(User.email == email))


def inbox(live, to):
    """The messages delivered to `to`, oldest first, as (subject, plain text)."""
    messages = []
    for path in sorted(live.mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            messages.append((message["Subject"], message.get_body(preferencelist=("plain",)).get_content()))
    return messages


def link_in_mail(live, to, path):
    """The last `/path/{token}` link mailed to `to`, as the recipient would click it."""
    for _, text in reversed(inbox(live, to)):
        found = re.search(re.escape(live.url) + "/" + path + r"/[A-Za-z0-9_.\-]+", text)
        if found:
            return found.group(0)
    raise AssertionError(f"no /{path}/ link mailed to {to}: {inbox(live, to)}")


# Where screenshot() writes: docs/screenshots/ (the README's pictures) only with UPDATE_SCREENSHOTS=1,
# else a pytest temp folder, so a test run never changes a tracked file.
screenshot_folder = {}


@pytest.fixture(scope="module", autouse=True)
def screenshots_go_to_a_temp_folder(tmp_path_factory):
    updating = os.environ.get("UPDATE_SCREENSHOTS") == "1"
    screenshot_folder["path"] = SCREENSHOTS if updating else tmp_path_factory.mktemp("screenshots")
    yield
    screenshot_folder.clear()


def screenshot(page, name, **options):
    folder = screenshot_folder["path"]
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), animations="disabled", **options)


# --- joining ------------------------------------------------------------------------------------------


def test_join_with_javascript_without_a_reload(new_page, live):
    with live.app.app_context():
        load_demo_series()
        for index in range(41):
            join_waitlist(f"early{index}@example.com")

    screenshot(new_page(viewport=PHONE), "landing-phone.png")
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    screenshot(page, "landing-desktop.png")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Email address").fill("Newcomer@Example.com")
    page.get_by_role("button", name="Join the waitlist").first.click()

    result = page.locator("[data-join-result]")
    result.wait_for(state="visible")
    assert page.evaluate("window.notReloaded") is True and page.url == live.url + "/"
    assert page.locator("form.join-form").is_hidden()
    assert page.locator("[data-standing-title]").evaluate("element => element === document.activeElement")
    assert result.locator("[data-field=wait_list_position]").inner_text() == "#42"
    assert result.locator("[data-field=total_registered]").inner_text() == "42"
    user = fresh_user("newcomer@example.com")
    link = f"{live.url}/r/{user.invite_code}"
    assert page.get_by_label("Your referral link").input_value() == link
    encoded = quote(link, safe="")
    assert page.get_by_role("link", name="Post on X").get_attribute("href").endswith("&url=" + encoded)
    assert page.get_by_role("link", name="Share on LinkedIn").get_attribute("href").endswith("?url=" + encoded)
    assert encoded in page.get_by_role("link", name="Send by email").get_attribute("href")

    page.get_by_role("button", name="Copy link").click()
    page.get_by_text("Link copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert inbox(live, "newcomer@example.com")[-1][0] == "You're on the Titan waitlist (#42)"


def test_javascript_join_errors_are_shown_in_plain_words(new_page, live):
    with live.app.app_context():
        join_waitlist("taken@example.com")
    page = new_page()
    page.get_by_label("Email address").fill("taken@example.com")
    page.get_by_role("button", name="Join the waitlist").first.click()
    error = page.locator("#email-error")
    error.wait_for(state="visible")
    assert error.inner_text() == (
        "This email is already on the waitlist. Find your place with your referral code on the status page."
    )
    assert page.get_by_label("Email address").get_attribute("aria-invalid") == "true"


def test_join_without_javascript(new_page, live):
    page = new_page(java_script_enabled=False)
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Join the waitlist").first.click()
    assert page.locator("#email-error").inner_text() == "Enter a valid email address."

    page.get_by_label("Email address").fill("plain@example.com")
    page.get_by_role("button", name="Join the waitlist").first.click()
    page.get_by_text("You're on the list. Confirm your address from the email we sent").wait_for()
    assert page.locator("[data-field=wait_list_position]").inner_text() == "#1"
    user = fresh_user("plain@example.com")
    assert page.get_by_label("Your referral link").input_value() == f"{live.url}/r/{user.invite_code}"
    assert page.get_by_role("button", name="Copy link").is_hidden()  # copying needs the script


def referrals_shown_on_status(page, code):
    page.get_by_role("textbox", name="Your referral code").fill(code)
    page.get_by_role("button", name="See my place").click()
    return page.locator("[data-field=referral_count]").inner_text()


def test_join_then_confirm_from_the_mail(new_page, live):
    page = new_page()
    page.get_by_label("Email address").fill("confirmer@example.com")
    page.get_by_role("button", name="Join the waitlist").first.click()
    page.locator("[data-join-result]").wait_for(state="visible")
    page.goto(link_in_mail(live, "confirmer@example.com", "confirm"))
    page.wait_for_url(live.url + "/status")
    page.get_by_text("Your email address is confirmed.").wait_for()
    assert page.get_by_text("Confirm your email address").count() == 0
    assert fresh_user("confirmer@example.com").email_confirmed_at is not None


def test_a_referral_counts_once_the_friend_confirms(new_page, live):
    with live.app.app_context():
        referrer = join_waitlist("host@example.com").user
    host_page = new_page("/status")
    assert referrals_shown_on_status(host_page, referrer.invite_code) == "0"

    guest_page = new_page(f"/r/{referrer.invite_code}")
    assert f"Code {referrer.invite_code} is applied" in guest_page.locator("[data-notice]").inner_text()
    guest_page.get_by_label("Email address").fill("guest@example.com")
    guest_page.get_by_role("button", name="Join the waitlist").first.click()
    guest_page.locator("[data-join-result]").wait_for(state="visible")
    assert fresh_user("guest@example.com").referred_by_id == referrer.id

    host_page.reload()
    assert host_page.locator("[data-field=referral_count]").inner_text() == "0"  # not before confirmation
    guest_page.goto(link_in_mail(live, "guest@example.com", "confirm"))
    guest_page.get_by_text("Your email address is confirmed.").wait_for()
    host_page.reload()
    assert host_page.locator("[data-field=referral_count]").inner_text() == "1"
    assert inbox(live, "host@example.com")[-1][0] == "Someone joined Titan with your link"

    dead_link = new_page("/r/NOSUCHCODE")
    assert dead_link.get_by_text("This invite link doesn't work, but you can still join.").is_visible()


# --- the chart ------------------------------------------------------------------------------------


def drawn(page):
    """What Chart.js holds now, and what the canvas says it drew."""
    return page.evaluate(
        """() => {
            const canvas = document.getElementById("performance-chart");
            const chart = Chart.getChart(canvas);
            return {period: canvas.dataset.period, points: Number(canvas.dataset.points),
                    labels: chart.data.labels.length, scale: chart.options.scales.y.type};
        }"""
    )


def test_chart_switches_periods(new_page, live):
    with live.app.app_context():
        load_demo_series()
    page = new_page("/chart", reduced_motion="reduce")
    page.locator("#performance-chart:not([data-points=''])").wait_for(state="attached")
    ten_years = drawn(page)
    assert ten_years["period"] == "10y" and ten_years["points"] == ten_years["labels"] == 121
    screenshot(page, "chart.png", full_page=True)

    for label, period in (("1Y", "1y"), ("All", "all"), ("YTD", "ytd")):
        page.get_by_role("link", name=label, exact=True).click()
        page.locator(f"#performance-chart[data-period='{period}']").wait_for(state="attached")
        now = drawn(page)
        assert now["points"] == now["labels"] and now["points"] != ten_years["points"]
        assert page.get_by_role("link", name=label, exact=True).get_attribute("aria-current") == "true"
        assert page.url.endswith(f"?period={period}")
        if period == "all":
            assert now["scale"] == "logarithmic" and page.locator("[data-scale-note]").is_visible()
    assert page.get_by_text("Demo data", exact=True).is_visible()


def test_chart_without_javascript_keeps_the_words_and_the_table(new_page, live):
    with live.app.app_context():
        load_demo_series()
    page = new_page("/chart", java_script_enabled=False)
    page.get_by_role("link", name="1Y", exact=True).click()
    page.wait_for_url("**/chart?period=1y")
    assert "$10,000 became" in page.locator("[data-growth]").inner_text()
    assert page.get_by_role("row", name=re.compile("^Sharpe ratio")).is_visible()
    assert page.get_by_text("The interactive chart needs JavaScript.").is_visible()


# --- the admin panel ------------------------------------------------------------------------------


def test_admin_signs_in_and_admits_a_user(new_page, live):
    with live.app.app_context():
        create_admin("boss@example.com", PASSWORD)
        for address in ("first@example.com", "second@example.com"):
            join_waitlist(address)
        db.session.execute(db.update(User).values(email_confirmed_at=utcnow()))  # admission takes the confirmed
        db.session.commit()

    page = new_page("/admin/")
    assert page.url.startswith(live.url + "/admin/login")
    page.get_by_label("Email").fill("boss@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/admin/")

    page.get_by_label("Number of people to admit").fill("1")
    page.get_by_role("button", name="Admit", exact=True).click()
    assert fresh_user("first@example.com").waitlist_status == "waiting"  # the browser asks to confirm first
    page.get_by_label("Yes: admit them now and email each one").check()
    page.get_by_role("button", name="Admit", exact=True).click()
    page.get_by_text("Admitted 1 person; each got an email.").wait_for()
    assert page.locator("[data-stat=waiting]").inner_text() == "1"
    assert fresh_user("first@example.com").waitlist_status == "admitted"
    assert fresh_user("second@example.com").waitlist_status == "waiting"
    assert inbox(live, "first@example.com")[-1][0] == "You're in: welcome to Titan"

    page.get_by_role("link", name="Users").click()
    page.get_by_placeholder(re.compile("email")).fill("second")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"search=second"))
    assert page.get_by_role("cell", name="second@example.com").is_visible()
    assert not page.get_by_role("cell", name="first@example.com").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/admin/login"))
    page.goto(live.url + "/admin/")
    assert page.url.startswith(live.url + "/admin/login")


def sign_in_through_the_api(page, live, login, password):
    return page.request.post(
        live.url + "/api/v1/auth/token", form={"grant_type": "password", "username": login, "password": password}
    )


def test_an_admitted_member_activates_the_account_from_the_mail(new_page, live):
    with live.app.app_context():
        member = join_waitlist("admitted@example.com").user
        member.email_confirmed_at = utcnow()
        db.session.commit()
    # As the admin's Admit does: the mail's links point at the address the request came to.
    with live.app.test_request_context(base_url=live.url):
        assert [user.email for user in admit_next(1)] == ["admitted@example.com"]

    page = new_page(None)
    page.goto(link_in_mail(live, "admitted@example.com", "activate"))
    page.get_by_label("Username (optional)").fill("Ada_L")
    page.get_by_label("New password").fill("a short one")
    page.get_by_label("The same password again").fill("different")
    page.get_by_role("button", name="Open my account").click()
    page.get_by_text("The two passwords differ.").wait_for()
    page.get_by_label("New password").fill("lovelace-engine-1843")
    page.get_by_label("The same password again").fill("lovelace-engine-1843")
    page.get_by_role("button", name="Open my account").click()
    page.locator("[data-account-ready]").wait_for()
    assert page.locator("[data-account-ready]").inner_text() == "Your account is ready"

    response = sign_in_through_the_api(page, live, "admitted@example.com", "lovelace-engine-1843")
    assert response.status == 200 and response.json()["token_type"].lower() == "bearer"
    assert sign_in_through_the_api(page, live, "ada_l", "lovelace-engine-1843").status == 200
    assert fresh_user("admitted@example.com").invite_code == member.invite_code


def test_forgot_password_then_reset_from_the_mail(new_page, live):
    with live.app.app_context():
        create_admin("forgetful@example.com", PASSWORD)
    page = new_page(None)
    asked = page.request.post(live.url + "/api/v1/auth/password/forgot", data={"email": "forgetful@example.com"})
    assert asked.status == 202
    page.goto(link_in_mail(live, "forgetful@example.com", "reset"))
    page.get_by_label("New password").fill("brand-new-secret-9")
    page.get_by_label("The same password again").fill("brand-new-secret-9")
    page.get_by_role("button", name="Save my new password").click()
    page.get_by_text("Your password is changed").wait_for()
    assert sign_in_through_the_api(page, live, "forgetful@example.com", PASSWORD).status == 401
    assert sign_in_through_the_api(page, live, "forgetful@example.com", "brand-new-secret-9").status == 200


# --- growth -----------------------------------------------------------------------------------------


def test_the_leaderboard_page_and_milestone_progress(new_page, live):
    live.app.config.update(WAITLIST_MILESTONES="2:skip-5,5:early-access", EMAIL_CONFIRMATION=False)
    with live.app.app_context():
        code = join_waitlist("leader@example.com").user.invite_code
        join_waitlist("runner-up@example.com")
        join_waitlist("pal@example.com", code)

    page = new_page("/leaderboard")
    rows = page.locator("[data-leaderboard] tbody tr")
    assert rows.count() == 1 and rows.first.inner_text().split() == ["1", "l***@example.com", "1"]
    assert "leader@example.com" not in page.content()

    status = new_page("/status")
    status.get_by_role("textbox", name="Your referral code").fill(code)
    status.get_by_role("button", name="See my place").click()
    assert status.locator("[data-milestone]").inner_text() == "1 more friend to skip 5 places."
    screenshot(status, "status-milestone.png", full_page=True)


def test_the_operator_dashboard_charts_and_a_suspect_referral_approved(new_page, live):
    from titan.members.fraud import Client

    live.app.config.update(FRAUD_CHECKS=True, EMAIL_CONFIRMATION=False)
    with live.app.app_context():
        create_admin("operator@example.com", PASSWORD)
        same_machine = Client("198.51.100.7", "Mozilla/5.0")
        host = join_waitlist("referrer@example.com", client=same_machine).user
        join_waitlist("sock-puppet@example.com", host.invite_code, client=same_machine)
        join_waitlist("honest@example.com", host.invite_code, client=Client("192.0.2.50"))

    page = new_page("/admin/", viewport={"width": 1280, "height": 1400})
    page.get_by_label("Email").fill("operator@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/admin/")
    assert page.locator("[data-funnel=joined] td").nth(1).inner_text() == "3"
    joins = page.locator("[data-series=joins] svg rect")
    assert joins.count() == 90 and float(joins.last.get_attribute("height")) > 0  # today's bar is drawn
    assert page.locator("[data-viral]").inner_text() == "0.00"  # nobody has confirmed yet
    suspect = page.locator("[data-suspect]")
    assert suspect.count() == 1 and "sock-puppet@example.com" in suspect.inner_text()
    assert "same address as the referrer" in suspect.inner_text()
    screenshot(page, "admin-dashboard.png", full_page=True)

    suspect.get_by_role("button", name="Approve").click()
    page.get_by_text("The referral of sock-puppet@example.com is approved.").wait_for()
    assert page.locator("[data-suspect]").count() == 0
    assert fresh_user("referrer@example.com").referral_count == 2


def test_redoc_renders_the_api_reference_offline(new_page):
    # No allowance: the vendored ReDoc no longer loads Redocly's logo from its CDN (static/vendor/README.md).
    page = new_page("/docs")
    page.get_by_text("Titan API").first.wait_for(timeout=20_000)
    page.get_by_text("OAuth2 password grant").first.wait_for(state="attached", timeout=20_000)
    assert (
        page.get_by_text("Create an account with email and password; a confirmation link goes to the address.").count()
        > 0
    )
    assert page.get_by_role("heading", name="Authentication").count() > 0
    screenshot(page, "docs.png")


def test_swagger_ui_offers_oauth2_authorize(new_page):
    page = new_page("/swagger")
    page.wait_for_selector("button.authorize", timeout=20_000)
    page.click("button.authorize")
    page.wait_for_selector("text=oauth2 (OAuth2, password)", timeout=10_000)
    assert page.locator("input#oauth_username").count() == 1


# --- nothing leaves the origin ----------------------------------------------------------------------


def test_no_page_asks_another_origin_for_anything(new_page, live):
    """Every request each page makes, recorded as the browser issues it (before any routing), is to
    the site's own origin: no CDN, font, analytics or logo, on the pages, the API docs and /admin."""
    with live.app.app_context():
        load_demo_series()
        create_admin("boss@example.com", PASSWORD)
        code = join_waitlist("member@example.com").user.invite_code
    page = new_page(None)
    made, visiting = {}, []
    page.on("request", lambda request: made.setdefault(visiting[-1], []).append(request.url))

    def visit(path, *then):
        """Open `path`, do `then`, and wait until the page makes no more requests."""
        visiting.append(path)
        page.goto(live.url + path)
        for action in then:
            action()
        page.wait_for_load_state("networkidle")

    def join():
        page.get_by_label("Email address").fill("joiner@example.com")
        page.get_by_role("button", name="Join the waitlist").first.click()
        page.locator("[data-join-result]").wait_for(state="visible")

    def sign_in_as_admin():
        page.get_by_label("Email").fill("boss@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(live.url + "/admin/")

    visit("/")
    visit(f"/r/{code}", join)  # joining signs this browser in
    visit("/status")
    assert page.locator("[data-field=referral_url]").input_value().startswith(live.url + "/r/")
    visit("/chart")
    visit("/docs", lambda: page.get_by_text("Titan API").first.wait_for())
    visit("/swagger", lambda: page.wait_for_selector("button.authorize"))
    visit("/admin/", sign_in_as_admin)
    assert page.locator("[data-stat=waiting]").is_visible()  # the dashboard, signed in

    assert list(made) == ["/", f"/r/{code}", "/status", "/chart", "/docs", "/swagger", "/admin/"]
    for path, urls in made.items():
        # The recording works: the document itself and at least one of its assets are in it.
        assert urls[0] == live.url + path and len(urls) > 1, (path, urls)
    elsewhere = {path: [url for url in urls if not url.startswith(live.url + "/")] for path, urls in made.items()}
    assert elsewhere == {path: [] for path in made}
