"""Engine settings and per-connection set-up for the app's database."""

import time

from sqlalchemy import event, exc


def engine_options(config):
    """SQLAlchemy engine options from the settings: pool sizes and timeouts for PostgreSQL."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("postgresql"):
        options.setdefault("pool_size", config["DATABASE_POOL_SIZE"])
        options.setdefault("max_overflow", config["DATABASE_MAX_OVERFLOW"])
        options.setdefault("pool_timeout", config["DATABASE_CONNECT_TIMEOUT"])
        options.setdefault(
            "connect_args",
            {
                "connect_timeout": config["DATABASE_CONNECT_TIMEOUT"],
                "options": f"-c statement_timeout={config['DATABASE_STATEMENT_TIMEOUT_MS']}",
                "application_name": "titan",
            },
        )
    elif url.startswith("sqlite"):
        options.pop("pool_recycle", None)
        # Writers wait for each other instead of failing at once.
        options.setdefault("connect_args", {"timeout": 15})
    return options


def sqlite_pragmas(dbapi_connection, _record):
    """Foreign keys on, and WAL so that readers and a writer don't block each other."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def ping_idle_connections(engine, idle_seconds):
    """Check a pooled connection with `SELECT 1` before use if it sat unused for `idle_seconds`
    (the database may have restarted meanwhile); a dead one is replaced at once. Busy connections
    are not pinged: a round trip per request would cost more than the rare failure, which
    invalidates the whole pool and answers 503 (a restart during traffic)."""

    @event.listens_for(engine, "checkin")
    def note_last_use(_dbapi_connection, record):
        record.info["last_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("last_used", 0) < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:
            raise exc.DisconnectionError() from error


def register_engine_events(engine, config):
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite_pragmas)
    else:
        ping_idle_connections(engine, config["DATABASE_PING_IDLE_SECONDS"])
