"""Logging: one line per event, each carrying the request id (JSON lines in production)."""

import json
import logging
import sys
import time
from datetime import UTC, datetime

from flask import g, has_request_context, request

HANDLER_NAME = "titan"


class RequestContextFilter(logging.Filter):
    """Every line carries the request id: the current request's, or the one a line names itself
    (a job logs the id of the request that queued it)."""

    def filter(self, record):
        if has_request_context():
            record.request_id = g.get("request_id", "-")
        elif not hasattr(record, "request_id"):
            record.request_id = "-"
        return True


class JsonFormatter(logging.Formatter):
    EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "remote_addr", "job_id", "kind", "attempt", "outcome")

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({key: getattr(record, key) for key in self.EXTRA_FIELDS if hasattr(record, key)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(app):
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(HANDLER_NAME)
        handler.addFilter(RequestContextFilter())
        root.addHandler(handler)
    if app.config["LOG_JSON"]:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root.setLevel(app.config["LOG_LEVEL"])
    # werkzeug's own access log would repeat ours without the request id.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    access_log = logging.getLogger("titan.access")

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        if started is not None and not request.path.startswith("/static/"):
            duration = round((time.perf_counter() - started) * 1000, 1)
            access_log.info(
                "%s %s %s %sms",
                request.method,
                request.path,
                response.status_code,
                duration,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration,
                    "remote_addr": request.remote_addr,
                },
            )
        return response
