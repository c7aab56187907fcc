"""E-mail from templates under `templates/email/`: `console` logs, `smtp` sends, `memory` keeps them
on the app for tests. Sending never fails the request that asked for it."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, render_template

log = logging.getLogger(__name__)
BACKENDS = ("console", "smtp", "memory")


def outbox(app=None):
    """Messages the `memory` backend kept (tests read them)."""
    return (app or current_app).extensions.setdefault("titan_mail_outbox", [])


def render(template, **context):
    return {
        "subject": render_template(f"email/{template}.subject.txt", **context).strip(),
        "text": render_template(f"email/{template}.txt", **context),
        "html": render_template(f"email/{template}.html", **context),
    }


def build_message(to, rendered):
    message = EmailMessage()
    message["Subject"] = rendered["subject"]
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message.set_content(rendered["text"])
    message.add_alternative(rendered["html"], subtype="html")
    return message


def deliver_smtp(message):
    config = current_app.config
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as server:
        if config["MAIL_USE_TLS"]:
            server.starttls()
        if config["MAIL_USERNAME"]:
            server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        server.send_message(message)


def send_mail(to, template, **context):
    """Render and send; returns True if it went out. Failures are logged, never raised."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "console" and not log.isEnabledFor(logging.INFO):
        return True  # the console backend's only output is a log line nobody would see
    try:
        rendered = render(template, **context)
        if backend == "console":
            log.info("mail to %s: %s\n%s", to, rendered["subject"], rendered["text"])
        elif backend == "memory":
            outbox().append({"to": to, "template": template, **rendered})
        elif backend == "smtp":
            deliver_smtp(build_message(to, rendered))
        else:
            raise RuntimeError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}")
    except Exception:
        log.exception("mail %r to %s failed", template, to)
        return False
    return True
