"""Settings, read from the environment (and a `.env` file if there is one).

Every variable is listed with its default and meaning in `.env.example`.
"""

import os
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")

INSECURE_DEFAULT_SECRET = "dev-only-insecure-secret-change-me-in-production"


def env_str(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_int(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_float(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


def env_bool(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name, default=()):
    value = os.environ.get(name)
    if value in (None, ""):
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def normalise_database_url(url):
    """Accept `postgres://` and `postgresql://` URLs and use the psycopg2 driver for them
    (SQLAlchemy 2.1 would otherwise pick psycopg 3)."""
    for scheme in ("postgres://", "postgresql://"):
        if url and url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme) :]
    return url


def default_sqlite_url():
    instance = BASE_DIR / "instance"
    instance.mkdir(exist_ok=True)
    return f"sqlite:///{instance / 'titan.db'}"


class Config:
    ENV_NAME = "development"
    DEBUG = False
    TESTING = False

    SECRET_KEY = env_str("SECRET_KEY", INSECURE_DEFAULT_SECRET)
    JWT_SECRET_KEY = env_str("JWT_SECRET_KEY", INSECURE_DEFAULT_SECRET)

    SQLALCHEMY_DATABASE_URI = normalise_database_url(env_str("DATABASE_URL")) or default_sqlite_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 1800}
    # A pooled connection unused this long is checked (`SELECT 1`) before use: see titan.database.
    DATABASE_PING_IDLE_SECONDS = env_float("DATABASE_PING_IDLE_SECONDS", 10)
    DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 5)
    DATABASE_MAX_OVERFLOW = env_int("DATABASE_MAX_OVERFLOW", 10)
    DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 2)
    DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 15000)
    REDIS_URL = env_str("REDIS_URL")
    REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "titan:")
    REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 0.5)

    MAX_CONTENT_LENGTH = 1024 * 1024

    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=env_int("JWT_ACCESS_TOKEN_EXPIRES_MINUTES", 15))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=env_int("JWT_REFRESH_TOKEN_EXPIRES_DAYS", 14))
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ["HS256"]
    JWT_COOKIE_CSRF_PROTECT = False  # tokens travel in the Authorization header only

    PASSWORD_HASH_METHOD = env_str("PASSWORD_HASH_METHOD", "scrypt")

    AUTH_CODE_EXPIRES_MINUTES = env_int("AUTH_CODE_EXPIRES_MINUTES", 5)
    AUTH_CODE_ATTEMPTS = 5
    AUTH_CODE_IN_RESPONSE = env_bool("AUTH_CODE_IN_RESPONSE", False)
    PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "US")

    SMS_BACKEND = env_str("SMS_BACKEND", "console")
    TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
    TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
    TWILIO_BASE_URL = env_str("TWILIO_BASE_URL", "https://api.twilio.com")

    MAIL_BACKEND = env_str("MAIL_BACKEND", "console")
    MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER", "Titan <hello@titan.local>")
    MAIL_SERVER = env_str("MAIL_SERVER", "localhost")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USERNAME = env_str("MAIL_USERNAME")
    MAIL_PASSWORD = env_str("MAIL_PASSWORD")
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = env_float("MAIL_TIMEOUT", 5)
    MAIL_FILE_DIR = env_str("MAIL_FILE_DIR", str(BASE_DIR / "instance" / "mail"))

    # `inline`: the web process runs each job right after its commit; `queue`: jobs wait in
    # PostgreSQL for `flask --app wsgi worker` (the production default).
    JOBS_MODE = env_str("JOBS_MODE", "inline")
    JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 7)
    # Webhooks: seconds an endpoint has to answer, and whether it may be a private or loopback address.
    WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
    WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
    # Each process reads which endpoints take which events again at most this often (every join
    # emits an event): an endpoint added, changed or deleted elsewhere takes effect within it.
    WEBHOOK_ENDPOINTS_CHECK_SECONDS = env_float("WEBHOOK_ENDPOINTS_CHECK_SECONDS", 1)
    # The first retry waits this long, each next one twice as long (1, 2, 4 ... 32 minutes: 63 in all).
    JOBS_RETRY_SECONDS = env_int("JOBS_RETRY_SECONDS", 60)
    JOBS_CONCURRENCY = env_int("JOBS_CONCURRENCY", 4)
    JOBS_POLL_SECONDS = env_float("JOBS_POLL_SECONDS", 5)

    HUNTER_API_KEY = env_str("HUNTER_API_KEY")
    HUNTER_BASE_URL = env_str("HUNTER_BASE_URL", "https://api.hunter.io")
    CLEARBIT_API_KEY = env_str("CLEARBIT_API_KEY")
    CLEARBIT_BASE_URL = env_str("CLEARBIT_BASE_URL", "https://person.clearbit.com")
    RANDOM_ORG_API_KEY = env_str("RANDOM_ORG_API_KEY")
    RANDOM_ORG_BASE_URL = env_str("RANDOM_ORG_BASE_URL", "https://api.random.org")
    OUTBOUND_TIMEOUT_SECONDS = env_float("OUTBOUND_TIMEOUT_SECONDS", 3)

    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI")  # defaults to REDIS_URL, else memory
    RATELIMIT_LOGIN = env_str("RATELIMIT_LOGIN", "10/minute;100/hour")
    RATELIMIT_JOIN = env_str("RATELIMIT_JOIN", "20/minute;200/hour")
    RATELIMIT_LOOKUP = env_str("RATELIMIT_LOOKUP", "60/minute")
    # Routes that send a visitor a link (resend, sign-in link, forgot password), per client.
    RATELIMIT_MAIL = env_str("RATELIMIT_MAIL", "5/minute;30/hour")
    RATELIMIT_PHONE_CODE_PER_PHONE = env_str("RATELIMIT_PHONE_CODE_PER_PHONE", "1/minute;5/hour")
    RATELIMIT_PHONE_CODE_PER_CLIENT = env_str("RATELIMIT_PHONE_CODE_PER_CLIENT", "5/minute;20/hour")

    WAITLIST_REFERRAL_BOOST = env_int("WAITLIST_REFERRAL_BOOST", 10)
    # Rewards for counted referrals, e.g. "3:skip-50,10:early-access" (README: Milestones). Empty: none.
    WAITLIST_MILESTONES = env_str("WAITLIST_MILESTONES", "")
    # Referrals count, and members are admitted, once the address is confirmed by its link.
    EMAIL_CONFIRMATION = env_bool("EMAIL_CONFIRMATION", True)
    EMAIL_LINK_HOURS = env_int("EMAIL_LINK_HOURS", 48)
    ACTIVATION_LINK_DAYS = env_int("ACTIVATION_LINK_DAYS", 7)
    PASSWORD_RESET_MINUTES = env_int("PASSWORD_RESET_MINUTES", 60)
    UNSUBSCRIBE_LINK_DAYS = env_int("UNSUBSCRIBE_LINK_DAYS", 365)
    # Invite-only launch: only people Titan knows (and, to activate, admitted ones) get accounts.
    ACCOUNTS_REQUIRE_ADMISSION = env_bool("ACCOUNTS_REQUIRE_ADMISSION", False)
    WAITLIST_UNCONFIRMED_DAYS = env_int("WAITLIST_UNCONFIRMED_DAYS", 30)
    # The silent per-address throttle on mail a visitor can trigger (holds with rate limits off).
    VISITOR_MAIL_PER_MINUTE = env_int("VISITOR_MAIL_PER_MINUTE", 1)
    VISITOR_MAIL_PER_DAY = env_int("VISITOR_MAIL_PER_DAY", 5)
    CALCULATOR_START_BALANCE = env_int("CALCULATOR_START_BALANCE", 2500)
    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL")
    CORS_ORIGINS = env_list("CORS_ORIGINS")
    TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
    # Fraud signals on joins (README: Fraud signals): a burst from one network, or a friend joining
    # from the referrer's own address, makes a referral suspect until an admin approves it.
    FRAUD_CHECKS = env_bool("FRAUD_CHECKS", True)
    FRAUD_MAX_JOINS_PER_NETWORK = env_int("FRAUD_MAX_JOINS_PER_NETWORK", 20)

    CACHE_DEFAULT_TIMEOUT = env_int("CACHE_DEFAULT_TIMEOUT", 300)
    REFERRAL_CODE_CACHE_SECONDS = env_int("REFERRAL_CODE_CACHE_SECONDS", 60)
    # How long browsers and shared caches may keep /api/chart/ and /api/stats/ (then they revalidate
    # with If-None-Match: a 304 while the data is unchanged).
    MARKET_CACHE_MAX_AGE = env_int("MARKET_CACHE_MAX_AGE", 300)
    # Each worker answers the chart and stats from its own memory, reading the data version (in
    # the database) again at most this often: an import reaches every worker within this bound.
    MARKET_VERSION_CHECK_SECONDS = env_float("MARKET_VERSION_CHECK_SECONDS", 1)
    # How long the leaderboard (GET /api/leaderboard/, /leaderboard) is served from the cache.
    LEADERBOARD_CACHE_SECONDS = env_int("LEADERBOARD_CACHE_SECONDS", 30)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(days=env_int("SESSION_LIFETIME_DAYS", 30))

    LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
    LOG_JSON = env_bool("LOG_JSON", False)

    API_TITLE = "Titan API"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_REDOC_PATH = "docs"
    OPENAPI_REDOC_URL = "/static/vendor/redoc/redoc.standalone.js"
    OPENAPI_SWAGGER_UI_PATH = "swagger"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = env_bool("FLASK_DEBUG", False)
    # The phone code comes back as `debug_code` when debugging (and in tests), never by default.
    AUTH_CODE_IN_RESPONSE = env_bool("AUTH_CODE_IN_RESPONSE", DEBUG)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    # A fast scrypt setting keeps the suite quick; production uses the library's slow default.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    AUTH_CODE_IN_RESPONSE = True
    SMS_BACKEND = "memory"
    MAIL_BACKEND = "memory"
    RATELIMIT_ENABLED = False
    REDIS_URL = None
    HUNTER_API_KEY = None
    CLEARBIT_API_KEY = None
    RANDOM_ORG_API_KEY = None
    WTF_CSRF_ENABLED = False
    PUBLIC_BASE_URL = "http://titan.test"
    LOG_LEVEL = "WARNING"
    LEADERBOARD_CACHE_SECONDS = 0  # tests see each change at once; test_leaderboard turns the cache on
    MARKET_VERSION_CHECK_SECONDS = 0  # every request checks the market data version
    # Every test client comes from one address, which the fraud signals would take for one person
    # referring themself; tests/test_fraud.py turns them on.
    FRAUD_CHECKS = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    JOBS_MODE = env_str("JOBS_MODE", "queue")
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    LOG_JSON = env_bool("LOG_JSON", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment():
    name = env_str("TITAN_ENV") or env_str("FLASK_ENV") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown TITAN_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None
