"""`make bench-dashboard`: the operator dashboard's figures (titan.pages.admin.growth) at a million
members. Loads BENCH_USERS (1,000,000) waiting users into BENCH_DATABASE_URL (recreated), then
confirms, refers and admits a share of them set-based, and times each figure (median of 5 after a
warm-up)."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.common import load_waiting_users, recreate_database  # noqa: E402
from config import ProductionConfig, normalise_database_url  # noqa: E402
from titan import create_app  # noqa: E402
from titan.extensions import db  # noqa: E402
from titan.pages.admin import growth  # noqa: E402
from titan.waitlist.leaderboard import leaderboard_rows  # noqa: E402

DATABASE_URL = normalise_database_url(
    os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/titan_bench_dashboard")
)
USERS = int(os.environ.get("BENCH_USERS", "1000000"))
SHAPE = [
    # A tenth confirmed (over the last 90 days), a twentieth of those referred by the first 1,000, 5,000 admitted.
    "UPDATE users SET email_confirmed_at = now() - (id % 90) * interval '1 day',"
    " joined_waitlist_at = now() - (id % 120) * interval '1 day' WHERE id % 10 = 0",
    "UPDATE users SET referred_by_id = 1 + id % 1000, referral_state = 'counted' WHERE id % 200 = 0 AND id > 1000",
    "UPDATE users SET referral_count = c.n, waitlist_boost = 10 * c.n, last_referral_at = now()"
    " FROM (SELECT referred_by_id AS id, count(*) AS n FROM users WHERE referral_state = 'counted'"
    " GROUP BY referred_by_id) AS c WHERE users.id = c.id",
    "UPDATE users SET waitlist_status = 'admitted', admitted_at = now() - (id % 30) * interval '1 day'"
    " WHERE id % 10 = 0 AND id <= 50000",
    "ANALYZE users",
]


def timed(call, runs=5):
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main():
    recreate_database(DATABASE_URL)
    app = create_app(
        ProductionConfig,
        SQLALCHEMY_DATABASE_URI=DATABASE_URL,
        SECRET_KEY="b" * 40,
        JWT_SECRET_KEY="j" * 40,
        DATABASE_STATEMENT_TIMEOUT_MS=0,
        REDIS_URL=None,
    )
    with app.app_context():
        upgrade()
        seconds = load_waiting_users(USERS)
        for statement in SHAPE:
            db.session.execute(text(statement))
        db.session.commit()
        print(f"{USERS:,} members loaded and shaped in {seconds:.1f}s (+ updates)")
        stages = growth.funnel()
        print("funnel:", ", ".join(f"{stage.label} {stage.count:,}" for stage in stages))
        figures = {
            "funnel": growth.funnel,
            "viral coefficient": lambda: growth.viral_coefficient(stages[1].count),
            "per day (4 series x 90 days)": growth.per_day,
            "top referrers": growth.top_referrers,
            "leaderboard (GET /api/leaderboard/ query, top 10)": lambda: leaderboard_rows(10),
            "leaderboard (top 100)": lambda: leaderboard_rows(100),
        }
        print("| figure | median ms |\n|---|---|")
        total = 0.0
        for name, call in figures.items():
            median = timed(call)
            total += median
            print(f"| {name} | {median:.1f} |")
        print(f"| all of the above | {total:.1f} |")


if __name__ == "__main__":
    main()
