"""Pieces both benchmarks share: a fresh PostgreSQL database and many waiting users, set-based."""

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
