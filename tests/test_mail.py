"""Mail backends: memory (tests), file (.eml files, RFC 5322), smtp (a local fake server)."""

import email
import email.policy

import pytest

from titan.integrations import mail
from titan.members.models import User

ADA = User(email="ada@example.com", first_name="Ada")


def test_memory_backend_renders_text_and_html(app):
    mail.send("ada@example.com", "admitted", user=ADA)
    sent = mail.outbox(app)[-1]
    assert sent["to"] == "ada@example.com" and sent["subject"] == "You're in: welcome to Titan"
    assert "Hello Ada" in sent["text"] and "<h1" in sent["html"]


def test_file_backend_writes_one_rfc_5322_file_per_message(make_app, tmp_path):
    app = make_app(
        MAIL_BACKEND="file", MAIL_FILE_DIR=str(tmp_path / "mail"), MAIL_DEFAULT_SENDER="Titan <hi@titan.test>"
    )
    with app.app_context():
        mail.send("ada@example.com", "admitted", headers={"List-Unsubscribe": "<https://titan.test/u>"}, user=ADA)
        mail.send("grace@example.com", "admitted", user=User(email="grace@example.com"))
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2 and not list((tmp_path / "mail").glob(".*"))
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "ada@example.com" and message["From"] == "Titan <hi@titan.test>"
    assert message["Subject"] == "You're in: welcome to Titan"
    assert message["Date"] and message["Message-ID"].endswith("@titan.test>")
    assert message["List-Unsubscribe"] == "<https://titan.test/u>"
    assert message.get_content_type() == "multipart/alternative"
    assert "Hello Ada" in message.get_body(("plain",)).get_content()
    assert "<h1" in message.get_body(("html",)).get_content()


def test_smtp_backend_sends_multipart_with_message_id_and_date(make_app, smtp_server):
    app = make_app(**smtp_server.settings(), MAIL_DEFAULT_SENDER="Titan <hello@titan.test>")
    with app.app_context():
        mail.send("ada@example.com", "admitted", user=ADA)
    [message] = smtp_server.received
    assert message["To"] == "ada@example.com" and message["Subject"] == "You're in: welcome to Titan"
    assert message["Message-ID"].endswith("@titan.test>") and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    assert "Hello Ada" in message.get_body(("plain",)).get_content()


def test_a_refusing_smtp_server_raises_for_the_job_to_retry(make_app, smtp_server):
    smtp_server.refuse = 1
    app = make_app(**smtp_server.settings())
    with app.app_context(), pytest.raises(mail.MailError, match="SMTP delivery failed"):
        mail.send("ada@example.com", "admitted", user=ADA)
    assert smtp_server.received == []


def test_an_unreachable_smtp_server_raises(make_app):
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=0.5)
    with app.app_context(), pytest.raises(mail.MailError):
        mail.send("ada@example.com", "admitted", user=ADA)


def test_an_unknown_backend_is_refused(make_app):
    app = make_app(MAIL_BACKEND="pigeon")
    with app.app_context(), pytest.raises(RuntimeError, match="MAIL_BACKEND"):
        mail.send("ada@example.com", "admitted", user=ADA)
