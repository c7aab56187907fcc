"""Hunter's email verifier: is an address disposable, invalid or undeliverable?"""

from flask import current_app

from titan.integrations.http import call

REFUSED_STATUSES = {"invalid", "disposable"}


def is_enabled():
    return bool(current_app.config.get("HUNTER_API_KEY"))


def address_is_refused(email):
    """True when Hunter says the address cannot be used. Raises OutboundError if Hunter fails."""
    body = call(
        "hunter",
        "HUNTER_BASE_URL",
        "GET",
        "/v2/email-verifier",
        params={"email": email, "api_key": current_app.config["HUNTER_API_KEY"]},
    )
    data = body.get("data") or {}
    return bool(
        data.get("status") in REFUSED_STATUSES or data.get("result") == "undeliverable" or data.get("disposable")
    )
