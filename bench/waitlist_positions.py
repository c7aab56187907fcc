"""Waitlist position look-up latency at 10,000 and at 1,000,000 waiting users.

Loads the users into PostgreSQL (set-based, one INSERT ... SELECT generate_series), rebuilds the
Redis ranking from the database, then times the waitlist "user data" look-up (the user by code,
position, total registered: what GET /api/user/{code}/ computes) for users at the front, the
middle and the back of the list. It also times the database-only fallback, to show why Redis
answers positions.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/titan_bench \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/waitlist_positions.py

The database named in BENCH_DATABASE_URL is emptied and rebuilt.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade

from bench.common import BOOST, load_waiting_users, recreate_database
from config import TestingConfig, normalise_database_url
from titan import create_app
from titan.extensions import db
from titan.members import ranking
from titan.members.models import User
from titan.members.standing import member_by_code, user_data

DATABASE_URL = normalise_database_url(
    os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/titan_bench")
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "10000,1000000").split(",")]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))


def time_lookup(lookup, rounds=ROUNDS):
    for _ in range(rounds):
        lookup()  # warm caches, connections and the interpreter as much as we measure
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        lookup()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def user_at(place):
    """The user with the given 1-based position (from the database's own ordering)."""
    return db.session.scalars(ranking.in_position_order(db.select(User)).offset(place - 1).limit(1)).one()


def measure(count):
    places = {"front": 1, "middle": count // 2, "back": count}
    results = {}
    for label, place in places.items():
        user = user_at(place)
        code = user.invite_code
        assert ranking.standing(user)[0] == place == ranking.database_position(user)

        def full_lookup(code=code):
            db.session.expire_all()
            user_data(member_by_code(code))

        results[label] = {
            "redis": time_lookup(full_lookup),
            "database": time_lookup(lambda user=user: ranking.database_position(user), rounds=max(20, ROUNDS // 10)),
        }
    return results


def main():
    recreate_database(DATABASE_URL)
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        REDIS_KEY_PREFIX="titan-bench:",
        WAITLIST_REFERRAL_BOOST=BOOST,
        DATABASE_STATEMENT_TIMEOUT_MS=0,  # loading a million rows takes longer than a request may
    )
    report = {}
    with app.app_context():
        upgrade()
        loaded = 0
        for size in SIZES:
            seconds = load_waiting_users(size, loaded)
            loaded = size
            started = time.perf_counter()
            ranking.rebuild()
            rebuild_seconds = time.perf_counter() - started
            print(
                f"{size:>9,} waiting users: loaded in {seconds:.1f}s, Redis ranking rebuilt in {rebuild_seconds:.1f}s"
            )
            measure(size)  # a first, unreported pass: after a load, warm the interpreter and caches
            report[size] = measure(size)

    small, large = SIZES[0], SIZES[-1]
    print()
    print(f"Median latency of one look-up (ms), {ROUNDS} rounds; PostgreSQL + Redis on {os.uname().nodename}")
    print(f"| place | {small:,} users | {large:,} users | ratio | database count at {small:,} | at {large:,} |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for label in ("front", "middle", "back"):
        a, b = report[small][label], report[large][label]
        ratio = b["redis"] / a["redis"]
        worst = max(worst, ratio)
        row = (
            label,
            f"{a['redis']:.3f}",
            f"{b['redis']:.3f}",
            f"{ratio:.2f}x",
            f"{a['database']:.3f}",
            f"{b['database']:.3f}",
        )
        print("| " + " | ".join(row) + " |")
    print()
    print(f"worst ratio {worst:.2f}x (target: at most 2x)")
    return 0 if worst <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
