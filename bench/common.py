"""Pieces the benchmarks share: a fresh PostgreSQL database, many waiting users (set-based), and
a description of the machine they ran on."""

import os
import platform
import time

from sqlalchemy import create_engine, text

from titan.extensions import db

BOOST = 10

# Every 7th user has referred (id mod 5) friends, so ranks are not just sign-up order.
LOAD_WAITING_USERS = text(
    """
    INSERT INTO users (id, email, email_identity, invite_code, referral_count, waitlist_status,
                       waitlist_boost, joined_waitlist_at, balance, created_at, first_name, last_name)
    SELECT i, 'bench' || i || '@example.com', 'bench' || i || '@example.com', lpad(upper(to_hex(i)), 8, '0'),
           CASE WHEN i % 7 = 0 THEN i % 5 ELSE 0 END, 'waiting',
           :boost * CASE WHEN i % 7 = 0 THEN i % 5 ELSE 0 END, now(), 2500, now(), '', ''
    FROM generate_series(:start, :stop) AS i
    """
)


def recreate_database(url):
    """Drop and create the database named in `url` (a PostgreSQL URL)."""
    admin_url, name = url.rsplit("/", 1)
    engine = create_engine(admin_url + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def load_waiting_users(up_to, already=0):
    """Add waiting users with ids already+1 .. up_to (in one statement); returns seconds taken."""
    started = time.perf_counter()
    db.session.execute(LOAD_WAITING_USERS, {"boost": BOOST, "start": already + 1, "stop": up_to})
    db.session.execute(text("SELECT setval('users_id_seq', (SELECT max(id) FROM users))"))
    db.session.commit()
    db.session.execute(text("ANALYZE users"))
    db.session.commit()
    return time.perf_counter() - started


def machine():
    """The machine a benchmark runs on: cores, CPU model, memory and system, for its output and results."""
    cpu = platform.processor() or platform.machine()
    memory_gb = None
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
        with open("/proc/meminfo") as info:
            kilobytes = next(int(line.split()[1]) for line in info if line.startswith("MemTotal:"))
        memory_gb = round(kilobytes / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass  # not Linux: the platform module's answer will do
    return {
        "cores": os.cpu_count(),
        "cpu": f"{cpu} ({platform.machine()})",
        "memory_gb": memory_gb,
        "system": platform.platform(),
        "python": platform.python_version(),
    }
