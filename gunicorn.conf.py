"""gunicorn settings for `make serve` / `gunicorn wsgi:app`. Each can be overridden by environment."""

import multiprocessing
import os


def setting(name, default):
    """An environment setting; empty (as in a copied .env.example) means the default."""
    return os.environ.get(name) or default


bind = setting("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: every request is short (no long polling); 2 per core plus one is gunicorn's advice.
workers = int(setting("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(setting("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(setting("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(setting("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(setting("GUNICORN_KEEPALIVE", 5))
# Workers are not recycled by default (`make bench` shows their memory stays flat); set
# GUNICORN_MAX_REQUESTS to recycle each worker after that many requests (plus some jitter).
max_requests = int(setting("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = int(setting("GUNICORN_MAX_REQUESTS_JITTER", 1000))
# The app logs every request itself, with its request id; gunicorn only logs errors.
accesslog = None
errorlog = "-"
loglevel = setting("GUNICORN_LOG_LEVEL", "info")
# The app is built in each worker (after fork), so no database connection is shared between processes.
preload_app = False
forwarded_allow_ips = setting("FORWARDED_ALLOW_IPS", "127.0.0.1")
