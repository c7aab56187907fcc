"""Titan: a waitlist-and-referral service. `create_app` builds the Flask application."""

import secrets

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

import config as settings
from titan.database import engine_options, register_engine_events
from titan.extensions import api, cache, cors, csrf, db, job_queue, jwt, limiter, migrate, redis_store


def create_app(config=None, **overrides):
    """Build the app. `config` is a config class (default: from TITAN_ENV/FLASK_ENV); keyword
    arguments override single settings (tests use this)."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static", instance_relative_config=True)
    app.config.from_object(config or settings.config_from_environment())
    app.config.update(overrides)
    app.json.sort_keys = False
    check_production_secrets(app)
    check_settings(app)
    configure_database(app)

    from titan.logs import configure_logging

    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_request_hooks(app)
    register_cli(app)
    return app


def check_production_secrets(app):
    if app.config["ENV_NAME"] != "production":
        return
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        value = app.config.get(name)
        if not value or value == settings.INSECURE_DEFAULT_SECRET or len(value) < 32:
            raise RuntimeError(f"{name} must be set to a long random value in production (at least 32 characters)")


def check_settings(app):
    """Settings with a syntax of their own are read at start-up: a mistake stops the app, naming it."""
    from titan.members.milestones import parse_milestones

    parse_milestones(app.config["WAITLIST_MILESTONES"])


def configure_database(app):
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)


def register_extensions(app):
    db.init_app(app)
    with app.app_context():
        register_engine_events(db.engine, app.config)
    migrate.init_app(app, db, directory=str(settings.BASE_DIR / "migrations"))
    redis_store.init_app(app)
    job_queue.init_app(app)

    if app.config["REDIS_URL"]:
        app.config.setdefault("CACHE_TYPE", "titan.caching.ResilientRedisCache")
        app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
        app.config.setdefault("CACHE_KEY_PREFIX", app.config["REDIS_KEY_PREFIX"] + "cache:")
        app.config.setdefault(
            "CACHE_OPTIONS",
            {
                "socket_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
                "socket_connect_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
            },
        )
    else:
        app.config.setdefault("CACHE_TYPE", "SimpleCache")
    cache.init_app(app)

    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["REDIS_KEY_PREFIX"] + "limits")
    # If the limit store is unreachable, count in memory rather than refuse every request.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)

    from titan.auth.tokens import register_jwt_callbacks

    jwt.init_app(app)
    register_jwt_callbacks(jwt)

    cors.init_app(
        app,
        resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
        supports_credentials=True,
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    csrf.init_app(app)

    from titan.openapi import spec_options

    app.config["API_SPEC_OPTIONS"] = spec_options()
    api.init_app(app)

    if app.config["TRUSTED_PROXY_COUNT"]:
        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def register_blueprints(app):
    from titan.auth.routes import blp as auth_blp
    from titan.auth.user_routes import blp as users_blp
    from titan.calculator.routes import blp as calculator_blp
    from titan.converters import CodeConverter
    from titan.health import blp as health_blp
    from titan.market.routes import blp as market_blp
    from titan.referrals.routes import blp as referrals_blp
    from titan.waitlist.routes import blp as waitlist_blp
    from titan.webhooks.routes import blp as webhooks_blp

    app.url_map.strict_slashes = False
    # `<code:code>`: invite and referral codes in paths (anything else is a 404).
    app.url_map.converters["code"] = CodeConverter
    blueprints = (
        health_blp,
        waitlist_blp,
        auth_blp,
        users_blp,
        referrals_blp,
        calculator_blp,
        market_blp,
        webhooks_blp,
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    register_pages(app)


def register_pages(app):
    """The server-rendered pages and the admin panel: plain blueprints that keep CSRF protection."""
    from titan.pages.account import bp as account_bp
    from titan.pages.admin import init_admin
    from titan.pages.routes import bp as pages_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(account_bp)
    init_admin(app)


def register_error_handlers(app):
    from titan.errors import register_error_handlers as register

    register(app)


def register_request_hooks(app):
    from titan.input_guard import init_input_guard
    from titan.security import apply_security_headers

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else secrets.token_hex(8)

    @app.after_request
    def finish_response(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return apply_security_headers(response)

    init_input_guard(app)


def register_cli(app):
    from titan.cli import register_commands

    register_commands(app)
