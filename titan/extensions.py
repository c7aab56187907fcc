"""Extension objects, created unbound here and bound to the app in `create_app`."""

import flask_limiter
import redis
from flask import current_app
from flask_caching import Cache
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from procrastinate import App as ProcrastinateApp
from procrastinate.contrib.sqlalchemy import SQLAlchemyPsycopg2Connector
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from titan.api import Api

# Named constraints keep Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RedisStore:
    """The shared Redis connection, or None when `REDIS_URL` is not set."""

    def init_app(self, app):
        url = app.config.get("REDIS_URL")
        client = None
        if url:
            timeout = app.config["REDIS_SOCKET_TIMEOUT"]
            client = redis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
            )
        app.extensions["titan_redis"] = client

    @property
    def client(self):
        return current_app.extensions.get("titan_redis")

    def script(self, source):
        """A Lua script registered once per app (redis-py runs it by SHA, loading it when needed)."""
        scripts = current_app.extensions.setdefault("titan_redis_scripts", {})
        if source not in scripts:
            scripts[source] = self.client.register_script(source)
        return scripts[source]

    def key(self, *parts):
        return current_app.config["REDIS_KEY_PREFIX"] + ":".join(str(part) for part in parts)


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter keeps the first app's key prefix; take each app's own (tests build many apps)."""

    def init_app(self, app):
        self._key_prefix = app.config.get("RATELIMIT_KEY_PREFIX", "")
        super().init_app(app)


class JobQueue:
    """Where background jobs wait: with `JOBS_MODE=queue`, procrastinate's tables in the app's
    PostgreSQL database (jobs are deferred on the request's own connection, so they commit or roll
    back with it); with `inline`, nowhere (the web process runs each job after its commit)."""

    MODES = ("inline", "queue")

    def init_app(self, app):
        mode = app.config["JOBS_MODE"]
        if mode not in self.MODES:
            raise RuntimeError(f"JOBS_MODE must be one of {', '.join(self.MODES)}, not {mode!r}")
        queue = None
        if mode == "queue":
            with app.app_context():
                if db.engine.dialect.name != "postgresql":
                    raise RuntimeError("JOBS_MODE=queue keeps jobs in PostgreSQL: set DATABASE_URL to a PostgreSQL URL")
                queue = ProcrastinateApp(connector=SQLAlchemyPsycopg2Connector())
                queue.open(db.engine)
        app.extensions["titan_jobs"] = queue

    @property
    def queue(self):
        """The procrastinate app jobs are deferred to, or None in inline mode."""
        return current_app.extensions["titan_jobs"]


# Objects stay readable after commit, so post-commit work (mail, ranking) issues no reloads.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(compare_type=True, render_as_batch=True)
jwt = JWTManager()
api = Api()
cache = Cache()
limiter = Limiter(key_func=get_remote_address)
cors = CORS()
csrf = CSRFProtect()
redis_store = RedisStore()
job_queue = JobQueue()
