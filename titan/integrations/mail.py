"""E-mail from templates under `templates/email/`.

Backends (`MAIL_BACKEND`): `console` logs each message, `smtp` sends it, `file` writes it as an
RFC 5322 `.eml` file into `MAIL_FILE_DIR` (development, black-box tests), `memory` keeps it on
the app (tests). `send` raises MailError when the message cannot be delivered: mail goes out from
jobs (titan.jobs), which retry it.
"""

import logging
import os
import smtplib
import tempfile
import time
import uuid
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from flask import current_app, render_template

log = logging.getLogger(__name__)
BACKENDS = ("console", "smtp", "file", "memory")


class MailError(Exception):
    """The message could not be delivered (the mail server refused, timed out, or is down)."""


def outbox(app=None):
    """Messages the `memory` backend kept (tests read them)."""
    return (app or current_app).extensions.setdefault("titan_mail_outbox", [])


def render(template, **context):
    return {
        "subject": render_template(f"email/{template}.subject.txt", **context).strip(),
        "text": render_template(f"email/{template}.txt", **context),
        "html": render_template(f"email/{template}.html", **context),
    }


def sender_domain():
    address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return address.rpartition("@")[2] or "titan.local"


def build_message(to, rendered, headers=None):
    """A multipart (text and HTML) message with every header a mail server expects."""
    message = EmailMessage()
    message["Subject"] = rendered["subject"]
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender_domain())
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(rendered["text"])
    message.add_alternative(rendered["html"], subtype="html")
    return message


def deliver_smtp(message):
    config = current_app.config
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as server:
            if config["MAIL_USE_TLS"]:
                server.starttls()
            if config["MAIL_USERNAME"]:
                server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"SMTP delivery failed: {error.__class__.__name__}: {error}") from error


def write_file(message):
    """Write the message into MAIL_FILE_DIR, atomically: a reader never sees half a file."""
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".", suffix=".tmp", delete=False) as partial:
        partial.write(message.as_bytes(policy=SMTP))
    os.replace(partial.name, folder / name)
    return folder / name


def send(to, template, headers=None, **context):
    """Render `template` and send it to `to` with the extra `headers`. Raises MailError."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend not in BACKENDS:
        raise RuntimeError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}")
    if backend == "console":
        if log.isEnabledFor(logging.INFO):  # rendering is the whole cost, and only the log would see it
            rendered = render(template, **context)
            log.info("mail to %s: %s\n%s", to, rendered["subject"], rendered["text"])
        return
    rendered = render(template, **context)
    if backend == "memory":
        outbox().append({"to": to, "template": template, "headers": dict(headers or {}), **rendered})
    elif backend == "file":
        write_file(build_message(to, rendered, headers))
    else:
        deliver_smtp(build_message(to, rendered, headers))
