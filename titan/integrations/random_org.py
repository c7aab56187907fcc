"""random.org's JSON-RPC `generateStrings`: one truly random string."""

import string
import uuid

from flask import current_app

from titan.integrations.http import OutboundError, call

CHARACTERS = string.ascii_letters + string.digits


def is_enabled():
    return bool(current_app.config.get("RANDOM_ORG_API_KEY"))


def generate_string(length):
    """A random string of `length` letters and digits. Raises OutboundError when random.org fails."""
    body = call(
        "random.org",
        "RANDOM_ORG_BASE_URL",
        "POST",
        "/json-rpc/4/invoke",
        json={
            "jsonrpc": "2.0",
            "method": "generateStrings",
            "params": {
                "apiKey": current_app.config["RANDOM_ORG_API_KEY"],
                "n": 1,
                "length": length,
                "characters": CHARACTERS,
                "replacement": True,
            },
            "id": str(uuid.uuid4()),
        },
    )
    try:
        value = body["result"]["random"]["data"][0]
    except (KeyError, IndexError, TypeError):
        raise OutboundError(f"random.org error: {(body.get('error') or {}).get('message', 'bad answer')}") from None
    if not isinstance(value, str) or len(value) != length:
        raise OutboundError("random.org answered a string of the wrong length")
    return value
