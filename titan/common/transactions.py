"""One unit of work per request: commit once, then run what must wait for the commit."""

import logging

from titan.extensions import db

log = logging.getLogger(__name__)


def after_commit(callback):
    """Run `callback` once the current transaction commits (dropped if it never does)."""
    db.session.info.setdefault("after_commit", []).append(callback)


def commit():
    callbacks = db.session.info.pop("after_commit", [])
    db.session.commit()
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("after-commit step %s failed", getattr(callback, "__name__", callback))


def rollback():
    db.session.info.pop("after_commit", None)
    db.session.rollback()


def read_only():
    """Let a read-only request run its statements without a transaction: no BEGIN and ROLLBACK
    round trips (psycopg2 sends one `SET default_transaction_isolation` instead when the connection
    goes back to the pool: one round trip saved of the two). Does nothing once the request's
    transaction has begun."""
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
