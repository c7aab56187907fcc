"""Absolute links for things Titan hands out (referral links, links in e-mails)."""

from flask import current_app, g, has_app_context, has_request_context, request

FALLBACK_BASE_URL = "http://127.0.0.1:5000"


def public_base_url():
    """`PUBLIC_BASE_URL` if set, else the address the current request came to (for a job, the
    address of the request that queued it)."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    if has_app_context() and g.get("public_base_url"):
        return g.public_base_url
    return FALLBACK_BASE_URL
