"""Liveness and readiness for load balancers and orchestrators."""

import logging

import marshmallow as ma
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from titan.api import Blueprint
from titan.extensions import db, redis_store

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})


class ReadinessSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ready"})
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)


@blp.route("/healthz")
@blp.response(200, HealthSchema, example={"status": "ok"})
def healthz():
    """The process is alive (touches nothing else).

    For liveness probes: it answers 200 as long as the process serves requests, even when the
    database or Redis is down (`/readyz` says whether they answer).
    """
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, ReadinessSchema, example={"status": "ready", "checks": {"database": "ok", "redis": "ok"}})
@blp.alt_response(
    503,
    schema=ReadinessSchema,
    description="The database or Redis is unreachable.",
    example={"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}},
)
def readyz():
    """The database, and Redis when configured, answer.

    For readiness probes: `checks` has one entry per backing service, `ok`, `unavailable` or (Redis
    without `REDIS_URL`) `not configured`; any `unavailable` answers 503.
    """
    checks = {"database": "ok", "redis": "not configured"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("readiness: database unreachable: %s", error.__class__.__name__)
        checks["database"] = "unavailable"
        db.session.rollback()
    client = redis_store.client
    if client is not None:
        try:
            client.ping()
            checks["redis"] = "ok"
        except RedisError as error:
            log.warning("readiness: redis unreachable: %s", error.__class__.__name__)
            checks["redis"] = "unavailable"
    ready = "unavailable" not in checks.values()
    return {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503
