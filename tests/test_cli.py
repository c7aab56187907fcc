"""The start-up banner `make run` prints (`flask --app wsgi banner`), and `make admin`: the
create-admin command asking for what it was not given."""

from titan.extensions import db
from titan.members.models import User

URLS = ("http://127.0.0.1:5000/", "http://127.0.0.1:5000/docs", "http://127.0.0.1:5000/admin")


def banner(app, *options):
    result = app.test_cli_runner().invoke(args=["banner", "--host", "127.0.0.1", "--port", "5000", *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_banner_without_an_admin_says_how_to_create_one(app, backend, make_user):
    make_user(email="member@example.com")  # not an admin
    output = banner(app)
    assert all(url in output for url in URLS), output
    assert "No admin yet" in output
    # The embedded default offers the prompting make target; elsewhere, the command itself.
    command = "make admin" if backend == "sqlite" else "flask --app wsgi users create-admin"
    assert f"Create one (asks for an email and a password): {command}" in output


def test_banner_once_an_admin_exists(app, admin):
    output = banner(app)
    assert all(url in output for url in URLS), output
    assert "No admin yet" not in output and "1 admin can sign in there" in output


def test_banner_shows_a_reachable_address_when_listening_everywhere(app):
    result = app.test_cli_runner().invoke(args=["banner", "--host", "0.0.0.0", "--port", "8080"])
    assert result.exit_code == 0 and "http://127.0.0.1:8080/docs" in result.output and "0.0.0.0" not in result.output


def test_create_admin_asks_for_the_email_and_the_password_twice(app):
    answers = "Boss@Example.com\n123\nlong-enough-pass-9\nlong-enough-pass-9\n"
    result = app.test_cli_runner().invoke(args=["users", "create-admin"], input=answers)
    assert result.exit_code == 0, result.output
    assert "Password must be at least 8 characters long." in result.output  # asked again, not a crash
    assert "long-enough-pass-9" not in result.output  # hidden input
    boss = db.session.scalar(db.select(User).where(User.email == "boss@example.com"))
    assert boss.is_admin and boss.password_hash
    assert "1 admin can sign in there" in banner(app)


def test_create_admin_refuses_two_different_passwords(app):
    answers = "boss@example.com\nlong-enough-pass-9\nsomething-else-1\n"
    result = app.test_cli_runner().invoke(args=["users", "create-admin"], input=answers)
    assert result.exit_code != 0 and "do not match" in result.output
    assert db.session.scalar(db.select(User).where(User.email == "boss@example.com")) is None
