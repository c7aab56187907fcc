"""One error shape for the whole service.

API paths answer JSON: `{"code", "status", "message"[, "errors"]}`. The waitlist routes that the
single-page app already speaks (`/api/...` outside `/api/v1`) answer invalid input the way that app
expects, `{"field": ["message"]}`, and carry `detail` beside the envelope for other errors. Pages
answer a small HTML page. No route ever answers a traceback.
"""

import logging
from http import HTTPStatus

import redis.exceptions
import sqlalchemy.exc
from flask import jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, InternalServerError

from titan.common.exceptions import ServiceError

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/openapi.json")
SPA_CONTRACT_PREFIX = "/api/"
V1_PREFIX = "/api/v1/"


def is_api_request():
    return request.path.startswith(API_PREFIXES) or request.path == "/api"


def is_spa_contract_request():
    return request.path.startswith(SPA_CONTRACT_PREFIX) and not request.path.startswith(V1_PREFIX)


def envelope(code, message=None, errors=None):
    payload = {"code": code, "status": HTTPStatus(code).phrase}
    payload["message"] = message or HTTPStatus(code).description or HTTPStatus(code).phrase
    if errors:
        payload["errors"] = errors
    return payload


def field_errors(errors):
    """Merge `{"json": {...}, "query": {...}}` into one `{"field": [...]}` mapping."""
    merged = {}
    for location_errors in errors.values():
        if isinstance(location_errors, dict):
            for field, messages in location_errors.items():
                merged.setdefault(field, []).extend(messages if isinstance(messages, list) else [messages])
        else:
            merged.setdefault("non_field_errors", []).extend(location_errors)
    return merged


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


def error_response(code, message=None, errors=None, headers=None):
    headers = headers or {}
    if not is_api_request():
        return render_template("error.html", code=code, status=HTTPStatus(code).phrase, message=message), code, headers
    if is_spa_contract_request():
        if errors and code == 400:
            return jsonify(field_errors(errors)), code, headers
        payload = envelope(code, message, errors)
        payload["detail"] = payload["message"]
        return jsonify(payload), code, headers
    return jsonify(envelope(code, message, errors)), code, headers


def handle_service_error(error):
    return error_response(error.status, error.message, error.errors, error.headers)


def handle_service_unavailable(error):
    log.error("backing service unavailable: %s", error.__class__.__name__, exc_info=error)
    return error_response(503, "A backing service is unavailable; try again shortly.", headers={"Retry-After": "5"})


def handle_unexpected_exception(error):
    log.exception("unhandled error", exc_info=error)
    return handle_http_exception(InternalServerError())


def register_error_handlers(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(sqlalchemy.exc.OperationalError, handle_service_unavailable)
    app.register_error_handler(sqlalchemy.exc.TimeoutError, handle_service_unavailable)
    app.register_error_handler(redis.exceptions.ConnectionError, handle_service_unavailable)
    app.register_error_handler(redis.exceptions.TimeoutError, handle_service_unavailable)
    app.register_error_handler(Exception, handle_unexpected_exception)
