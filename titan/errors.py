"""Every error handler of the service, and the shapes errors take.

Each API blueprint declares its shape (`titan.api.Blueprint(error_shape=...)`): the v1 envelope
`{"code", "status", "message"[, "errors"]}`, or, for the routes the single-page app already speaks,
invalid input as `{"field": ["message"]}` and other errors in the envelope with `detail` beside it.
Anything else (a request no route matched, the docs, the admin panel) answers the envelope under
`/api/` and `/openapi.json`, and a small HTML page elsewhere. No route ever answers a traceback.
"""

import logging
from http import HTTPStatus

import redis.exceptions
import sqlalchemy.exc
from flask import current_app, jsonify, render_template, request
from flask.globals import request_ctx
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from titan.api import ENVELOPE, FIELD_ERRORS
from titan.common.exceptions import ServiceError
from titan.error_shapes import envelope, field_errors

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/openapi.json")
UNAVAILABLE_RETRY_SECONDS = 5
FORM_EXPIRED = (
    "For your security, forms time out. Go back, reload the page and send it again. "
    "If it keeps happening, allow cookies for this site."
)


def error_shape():
    """ENVELOPE or FIELD_ERRORS for an API request (as its blueprint says), None for a page."""
    blueprint = current_app.blueprints.get(request.blueprint) if request.blueprint else None
    declared = getattr(blueprint, "error_shape", None)
    if declared is not None:
        return declared
    return ENVELOPE if request.path.startswith(API_PREFIXES) or request.path == "/api" else None


def error_page(code, status=None, message=None):
    """The HTML error page, even for a request too malformed to build URLs for (a Host that cannot
    be IDNA-encoded leaves it without a URL adapter): the page's links are relative, so any server
    name builds them. Should the page itself fail, a bare one says what happened."""
    status = status or HTTPStatus(code).phrase
    if request_ctx and request_ctx.url_adapter is None:
        request_ctx.url_adapter = current_app.url_map.bind(
            "invalid.host", script_name=request.root_path or "/", url_scheme=request.scheme
        )
    try:
        return render_template("error.html", code=code, status=status, message=message)
    except Exception:  # the page of last resort must not fail
        log.exception("error page failed to render")
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(status)} · Titan</title>'
            f"</head><body><h1>{escape(status)}</h1><p>{escape(message or '')}</p>"
            '<p><a href="/">Back to Titan</a></p></body></html>'
        )


def error_response(code, message=None, errors=None, headers=None):
    headers = headers or {}
    shape = error_shape()
    if shape is None:
        return error_page(code, message=message), code, headers
    if shape == FIELD_ERRORS:
        if errors and code == 400:
            return jsonify(field_errors(errors)), code, headers
        payload = envelope(code, message, errors)
        payload["detail"] = payload["message"]
        return jsonify(payload), code, headers
    return jsonify(envelope(code, message, errors)), code, headers


def http_error_parts(error):
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    message = data.get("message")
    if message is None:
        if errors:
            message = "Invalid input."
        elif error.description and error.description != type(error).description:
            message = error.description
    if isinstance(error, RateLimitExceeded):
        message = f"Too many requests (limit: {error.description}). Try again later."
    headers = dict(data.get("headers") or {})
    if error.response is None:
        headers.update({k: v for k, v in error.get_headers() if k.lower() != "content-type"})
    return message, errors, headers


def handle_http_exception(error):
    message, errors, headers = http_error_parts(error)
    return error_response(error.code or 500, message, errors, headers)


def handle_service_error(error):
    # A service error about an input field is about the request body: the query's own fields are
    # checked by their schemas before any service runs.
    errors = {"json": {error.field: [error.message]}} if error.field else None
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return error_response(error.status, error.message, errors, headers)


def handle_form_expired(error):
    """A page form posted with a missing or stale CSRF token."""
    if error_shape() is not None:
        return handle_http_exception(error)
    return error_page(400, "This form has expired", FORM_EXPIRED), 400


def handle_service_unavailable(error):
    log.error("backing service unavailable: %s", error.__class__.__name__, exc_info=error)
    return error_response(
        503,
        "A backing service is unavailable; try again shortly.",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
    )


def handle_unexpected_exception(error):
    log.exception("unhandled error", exc_info=error)
    return handle_http_exception(InternalServerError())


def register_error_handlers(app):
    app.register_error_handler(CSRFError, handle_form_expired)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(sqlalchemy.exc.OperationalError, handle_service_unavailable)
    app.register_error_handler(sqlalchemy.exc.TimeoutError, handle_service_unavailable)
    app.register_error_handler(redis.exceptions.ConnectionError, handle_service_unavailable)
    app.register_error_handler(redis.exceptions.TimeoutError, handle_service_unavailable)
    app.register_error_handler(Exception, handle_unexpected_exception)
