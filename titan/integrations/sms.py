"""Text messages: `console` logs them, `twilio` sends them through Twilio's REST API, `memory` keeps
them on the app for tests."""

import logging

from flask import current_app

from titan.integrations.http import call

log = logging.getLogger(__name__)
BACKENDS = ("console", "twilio", "memory")


def outbox(app=None):
    """Messages the `memory` backend kept (tests read them)."""
    return (app or current_app).extensions.setdefault("titan_sms_outbox", [])


def send_sms(phone, text):
    """Send `text` to `phone`. Raises OutboundError if the provider fails."""
    backend = current_app.config["SMS_BACKEND"]
    if backend == "console":
        log.info("SMS to %s: %s", phone, text)
    elif backend == "memory":
        outbox().append({"to": phone, "text": text})
    elif backend == "twilio":
        config = current_app.config
        call(
            "twilio",
            "TWILIO_BASE_URL",
            "POST",
            f"/2010-04-01/Accounts/{config['TWILIO_ACCOUNT_SID']}/Messages.json",
            data={"To": phone, "From": config["TWILIO_FROM_NUMBER"], "Body": text},
            auth=(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]),
        )
    else:
        raise RuntimeError(f"SMS_BACKEND must be one of {', '.join(BACKENDS)}")
