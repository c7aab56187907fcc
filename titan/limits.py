"""Rate-limit keys and the configured limits (Flask-Limiter; Redis storage when REDIS_URL is set)."""

from flask import current_app, request
from flask_limiter.util import get_remote_address

from titan.common.contacts import normalise_phone
from titan.extensions import limiter


def configured(setting):
    """A limit read from settings at request time, e.g. `configured("RATELIMIT_LOGIN")`."""
    return lambda: current_app.config[setting]


def phone_key():
    """Limit per phone number (as E.164, so spellings of one number share a limit)."""
    body = request.get_json(silent=True) if request.is_json else request.form
    raw = body.get("phone") if isinstance(body, dict) or hasattr(body, "get") else None
    if isinstance(raw, str):
        try:
            return "phone:" + normalise_phone(raw, current_app.config["PHONE_DEFAULT_REGION"])
        except ValueError:
            pass
    return "client:" + get_remote_address()


def shared_limit(action, methods=None):
    """One limit per client for a kind of action (`join`, `login`, `lookup`: RATELIMIT_JOIN, ...),
    counted together across every route that offers it: the API, the pages, the admin sign-in."""
    return limiter.shared_limit(configured(f"RATELIMIT_{action.upper()}"), scope=action, methods=methods)
