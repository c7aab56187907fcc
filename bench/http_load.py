"""`make bench`: a reproducible load test of Titan under gunicorn with PostgreSQL and Redis.

1. Recreates the database named by BENCH_DATABASE_URL, migrates it, loads the demo data and
   BENCH_USERS waiting users (set-based), and shapes them, set-based too: every 20th user of the
   first half owns an active referral code (2,500 at 100,000 users), the first one has referred
   the next 100, the last one has 1,000 calculator records (among 100 each of the first 1,000
   users, so that theirs are a small part of the ledger, as in a live service, and the planner's
   statistics stay true while the run adds records), and the rest of the second half (up to
   BENCH_CODE_USERS) create referral codes during the run. A bench admin with credits runs the
   calculator. Access tokens are issued in-process (valid for 12 hours); the Redis keys under the
   bench prefix are cleared and the waitlist mirror rebuilt.
2. Starts gunicorn (gunicorn.conf.py, rate limits off, logs at WARNING, TRUSTED_PROXY_COUNT=1 as
   behind deploy/nginx.conf: the joins come from random client addresses in X-Forwarded-For) on
   BENCH_PORT, and the job worker (JOBS_MODE=queue) at a lower CPU priority, as
   deploy/titan-worker.service runs it.
3. Drives every endpoint with wrk, with the same threads, connections and duration for each run:
   first an unmeasured warm-up run of each (BENCH_WARM_UP seconds: every worker connected, caches
   filled), then BENCH_ROUNDS rounds, each of which measures /healthz right before each endpoint.
   An endpoint's ratio in a round is its rate over that /healthz run's rate, so slow drifts of the
   machine's speed cancel out; the table shows the median ratio over the rounds and its spread
   (min–max), and the medians of req/s and p50/p95/p99 latency over the rounds.
4. Checks the targets of docs/contract.md §7: each ratio, every p99 under 50 ms, and every gunicorn
   worker's resident memory after the whole run under 200 MB.
5. Writes the run as JSON to bench/results/latest.json and bench/results/<UTC time>.json (compare
   two runs with `make bench-compare A=... B=...`). Exits 1 when a target is missed or any request
   failed (non-2xx or socket errors, warm-ups included).

Settings (environment): BENCH_DATABASE_URL (a database it may drop; titan_bench_http on the local
server), BENCH_REDIS_URL (redis://127.0.0.1:6379/8; only keys under titan-bench-http: are cleared),
BENCH_USERS (100000), BENCH_ROUNDS (3), BENCH_DURATION (seconds per measured run, 10),
BENCH_WARM_UP (seconds per warm-up run, 2; 0 skips them), BENCH_CONNECTIONS (16), BENCH_THREADS
(2), BENCH_CODE_USERS (most users that create codes, 40000: a run needs one per request),
BENCH_PORT (8077), BENCH_ONLY (only the endpoints whose label contains it), BENCH_WORKER (1; 0
runs no job worker), GUNICORN_WORKERS (gunicorn.conf.py's default: 2 × cores + 1).
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_jwt_extended import create_access_token  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from bench.common import BOOST, load_waiting_users, machine, recreate_database  # noqa: E402
from config import ProductionConfig, normalise_database_url  # noqa: E402
from titan import create_app  # noqa: E402
from titan.auth.users import create_admin  # noqa: E402
from titan.calculator.models import Operation  # noqa: E402
from titan.demo import load_demo_data  # noqa: E402
from titan.extensions import db, redis_store  # noqa: E402
from titan.members import ranking  # noqa: E402
from titan.members.models import User  # noqa: E402

DATABASE_URL = normalise_database_url(
    os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/titan_bench_http")
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
REDIS_KEY_PREFIX = "titan-bench-http:"
USERS = int(os.environ.get("BENCH_USERS", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARM_UP = int(os.environ.get("BENCH_WARM_UP", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
CODE_USERS = int(os.environ.get("BENCH_CODE_USERS", "40000"))
PORT = int(os.environ.get("BENCH_PORT", "8077"))
ONLY = os.environ.get("BENCH_ONLY", "")
RUN_WORKER = os.environ.get("BENCH_WORKER", "1") == "1"
BASE = f"http://127.0.0.1:{PORT}"
FLOOR_BASE = f"http://127.0.0.1:{PORT + 1}"
WRK_SCRIPTS = ROOT / "bench" / "wrk"
RESULTS = ROOT / "bench" / "results"
BENCH_EMAIL = "bench-calculator@example.com"
MEMORY_LIMIT_MB = 200
P99_LIMIT_MS = 50
CODE_OWNER_EVERY = 20  # every 20th user of the first half owns an active referral code
REFERRALS = 100  # the first waiting user referred the next 100
RECORDS = 1000  # calculator records of the last waiting user
LEDGER_USERS, LEDGER_RECORDS = 1000, 100  # the rest of the ledger: 100 records each of the first 1,000 users
TOKEN_LIFETIME = timedelta(hours=12)
WORKER_NICE = 10  # as deploy/titan-worker.service
JOBS_DRAIN_TIMEOUT = 300  # seconds the worker may take for the jobs a run left
DUE_JOBS = (
    "SELECT count(*) FROM procrastinate_jobs"
    " WHERE status IN ('todo', 'doing') AND (scheduled_at IS NULL OR scheduled_at <= now())"
)


@dataclass(frozen=True)
class Scenario:
    label: str
    script: str
    path: str
    target: float | None  # the least ratio to /healthz (docs/contract.md §7); None: no target
    token: str | None = None  # whose access token the script sends (WRK_TOKEN)
    creates_codes: bool = False  # the code-creating users' codes are deleted before each run
    floor: bool = False  # served by bench/join_floor.py, not Titan: shown for comparison, no targets


HEALTHZ = Scenario("GET /healthz", "get.lua", "/healthz", None)
SCENARIOS = [
    Scenario("GET /api/chart/", "get.lua", "/api/chart/?period=10y", 0.85),
    Scenario("GET /api/stats/", "get.lua", "/api/stats/", 0.85),
    Scenario("GET /api/user/{code}/", "user_by_code.lua", "/", 0.6),
    Scenario("GET /api/v1/records", "get_authenticated.lua", "/api/v1/records", 0.25, token="records"),
    Scenario("GET /api/v1/referral-codes/lookup", "lookup_by_email.lua", "/", 0.5),
    Scenario(
        "GET /api/v1/referrals/{referrer_id}",
        "get_authenticated.lua",
        "/api/v1/referrals/{referrer_id}",
        0.3,
        token="referrer",
    ),
    Scenario("POST /api/v1/referral-codes", "create_code.lua", "/", 0.15, creates_codes=True),
    Scenario("POST /api/join/", "join.lua", "/", 0.25),
    Scenario("POST /api/join/{code}/", "join_with_code.lua", "/", 0.2),
    Scenario("POST /api/join/ (floor: bench/join_floor.py)", "join.lua", "/", None, floor=True),
    Scenario("POST /api/v1/records", "records.lua", "/", None, token="calculator"),
]


@dataclass
class BenchData:
    """What the wrk scripts need: files of codes, emails and tokens, and who is who."""

    files: dict  # WRK_* variable -> path
    tokens: dict  # Scenario.token -> access token
    referrer_id: int
    code_users: range  # user ids whose codes are deleted before each code-creating run
    operation_id: int


def environment():
    return {
        **os.environ,
        "TITAN_ENV": "production",
        "SECRET_KEY": "bench-" + "s" * 40,
        "JWT_SECRET_KEY": "bench-" + "j" * 40,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": REDIS_KEY_PREFIX,
        "RATELIMIT_ENABLED": "0",
        "LOG_LEVEL": "WARNING",
        "SESSION_COOKIE_SECURE": "0",
        "MAIL_BACKEND": "console",
        "JOBS_MODE": "queue",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        # As behind deploy/nginx.conf: the joins' scripts send X-Forwarded-For (bench/wrk/joining.lua).
        "TRUSTED_PROXY_COUNT": "1",
    }


# --- data --------------------------------------------------------------------------------------

# The bench's users are ids first+1 .. first+USERS (bench.common.load_waiting_users).
SHAPE = [
    # Active referral codes (10 characters: never an 8-character invite code) for every 20th user of the first half.
    """INSERT INTO referral_codes (owner_id, code, expires_at, status, created_at)
       SELECT i, 'R' || lpad(upper(to_hex(i)), 9, '0'), now() + interval '1 year', 'active', now()
       FROM generate_series(:first + 1, :first + :users / 2) AS i WHERE (i - :first) % :every = 0""",
    # The first user referred the next REFERRALS users.
    """UPDATE users SET referred_by_id = :first + 1, referral_state = 'counted'
       WHERE id BETWEEN :first + 2 AND :first + 1 + :referrals""",
    """UPDATE users SET referral_count = :referrals, waitlist_boost = :boost * :referrals, last_referral_at = now()
       WHERE id = :first + 1""",
    # The last user's calculator records, the newest last.
    """INSERT INTO records (user_id, operation_id, amount, user_balance, operation_response, created_at)
       SELECT :first + :users, :operation, 1, 100000 - i, (i + 2)::text, now() - (:records - i) * interval '1 minute'
       FROM generate_series(1, :records) AS i""",
    # The rest of the ledger.
    """INSERT INTO records (user_id, operation_id, amount, user_balance, operation_response, created_at)
       SELECT :first + 1 + i / :ledger_records, :operation, 1, 100000, '3', now() - i * interval '1 second'
       FROM generate_series(0, :ledger_users * :ledger_records - 1) AS i""",
    "ANALYZE users",
    "ANALYZE referral_codes",
    "ANALYZE records",
]


def clear_redis():
    """Forget whatever an earlier bench left under the bench's prefix (cached codes, the mirror)."""
    client = redis_store.client
    keys = list(client.scan_iter(match=REDIS_KEY_PREFIX + "*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def prepare_data(workdir):
    recreate_database(DATABASE_URL)
    env = environment()
    app = create_app(
        ProductionConfig,
        SQLALCHEMY_DATABASE_URI=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        REDIS_KEY_PREFIX=REDIS_KEY_PREFIX,
        SECRET_KEY=env["SECRET_KEY"],
        JWT_SECRET_KEY=env["JWT_SECRET_KEY"],
        JWT_ACCESS_TOKEN_EXPIRES=TOKEN_LIFETIME,
        DATABASE_STATEMENT_TIMEOUT_MS=0,
    )
    with app.app_context():
        upgrade()
        for line in load_demo_data():
            print(f"  demo: {line}")
        first = db.session.scalar(select(db.func.max(User.id))) or 0
        seconds = load_waiting_users(first + USERS, first)
        print(f"  {USERS:,} waiting users loaded in {seconds:.1f}s")
        operation_id = db.session.scalar(select(Operation.id).where(Operation.type == "addition"))
        parameters = {
            "first": first,
            "users": USERS,
            "every": CODE_OWNER_EVERY,
            "referrals": REFERRALS,
            "boost": BOOST,
            "operation": operation_id,
            "records": RECORDS,
            "ledger_users": LEDGER_USERS,
            "ledger_records": LEDGER_RECORDS,
        }
        for statement in SHAPE:
            db.session.execute(text(statement), {k: v for k, v in parameters.items() if f":{k}" in statement})
        db.session.commit()
        clear_redis()
        ranking.rebuild()

        bench_user = create_admin(BENCH_EMAIL, "bench-" + secrets.token_hex(8))
        db.session.execute(text("UPDATE users SET balance = 1000000000 WHERE id = :id"), {"id": bench_user.id})
        db.session.commit()
        codes = db.session.scalars(select(User.invite_code).where(ranking.IS_WAITING)).all()
        emails = db.session.scalars(
            text(
                "SELECT u.email FROM users u JOIN referral_codes c ON c.owner_id = u.id"
                " WHERE c.status = 'active' ORDER BY u.id"
            )
        ).all()
        # The second half but its last user, who reads the records list.
        code_users = range(first + USERS // 2 + 1, min(first + USERS, first + USERS // 2 + 1 + CODE_USERS))
        tokens = {
            "calculator": create_access_token(identity=bench_user),
            "records": create_access_token(identity=str(first + USERS)),
            "referrer": create_access_token(identity=str(first + 1)),
        }
        code_tokens = [create_access_token(identity=str(user_id)) for user_id in code_users]
    print(
        f"  {len(emails):,} users own an active referral code; user {first + 1} referred {REFERRALS}; "
        f"user {first + USERS} has {RECORDS:,} records; {len(code_users):,} users create codes"
    )
    files = {"WRK_CODES": codes, "WRK_EMAILS": emails, "WRK_TOKENS": code_tokens}
    for name, lines in files.items():
        path = workdir / f"{name.lower()}.txt"
        path.write_text("\n".join(lines) + "\n")
        files[name] = str(path)
    return BenchData(files, tokens, first + 1, code_users, operation_id)


def delete_created_codes(engine, data):
    """Before each code-creating run: the users it signs in as hold no code, so each request is a 201."""
    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM referral_codes WHERE owner_id BETWEEN :low AND :high"),
            {"low": data.code_users.start, "high": data.code_users.stop - 1},
        )


# --- processes ---------------------------------------------------------------------------------


def start_gunicorn():
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT,
        env=environment(),
        start_new_session=True,
    )
    for _ in range(100):
        try:
            if requests.get(f"{BASE}/readyz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not become ready")


def start_floor():
    """The bare join handler (bench/join_floor.py) under the same gunicorn settings, beside Titan."""
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "bench.join_floor:app"],
        cwd=ROOT,
        env={**environment(), "GUNICORN_BIND": FLOOR_BASE.removeprefix("http://")},
        start_new_session=True,
    )
    for _ in range(100):
        try:
            requests.get(FLOOR_BASE, timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("the join floor's gunicorn did not start")


def start_worker():
    """The job worker, as deploy/titan-worker.service runs it (at a lower CPU priority than the web
    workers): joins queue their welcome mail for it.

    With the kernel's autogroup scheduling (Linux's default on desktops and these machines), `nice`
    only ranks processes within one session: the worker, in a session of its own, would get as much
    CPU as all the web workers together. Its session's autogroup is lowered as well, as the unit's
    CPUWeight does under systemd."""
    process = subprocess.Popen(
        ["nice", "-n", str(WORKER_NICE), str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "worker"],
        cwd=ROOT,
        env=environment(),
        start_new_session=True,
    )
    with contextlib.suppress(OSError):  # no autogroups (or not permitted): `nice` alone is the priority
        Path(f"/proc/{process.pid}/autogroup").write_text(str(WORKER_NICE))
    return process


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def worker_memory_mb(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = {}
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes[int(pid)] = int(line.split()[1]) / 1024
    return sizes


# --- runs --------------------------------------------------------------------------------------


def run_wrk(scenario, data, engine, duration):
    """One wrk run of `scenario`: its report.lua summary, with `rps` and `failed`."""
    if scenario.creates_codes:
        delete_created_codes(engine, data)
    env = {
        **os.environ,
        **data.files,
        "WRK_SCRIPTS": str(WRK_SCRIPTS),
        "WRK_THREADS": str(THREADS),
        # A fresh run id per run keeps the joined addresses unique across runs.
        "WRK_RUN_ID": secrets.token_hex(4),
        "WRK_OPERATION": str(data.operation_id),
    }
    if scenario.token:
        env["WRK_TOKEN"] = data.tokens[scenario.token]
    command = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{duration}s", "--timeout", "10s"]
    url = (FLOOR_BASE if scenario.floor else BASE) + scenario.path.format(referrer_id=data.referrer_id)
    result = subprocess.run(
        [*command, "-s", str(WRK_SCRIPTS / scenario.script), url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    summary["failed"] = summary["non2xx"] + summary["socket_errors"]
    return summary


def wait_for_jobs(engine):
    """Wait until the worker has done every job due (the joins' mails): the jobs it runs at its low
    priority while a run lasts take their CPU from that run, and a backlog left over would take it
    from the next one. Returns how many were left when the run ended and the seconds they took."""
    if not RUN_WORKER:
        return 0, 0.0
    started = time.monotonic()
    left = due = due_jobs(engine)
    while due:
        if time.monotonic() - started > JOBS_DRAIN_TIMEOUT:
            raise SystemExit(f"the worker left {due:,} jobs undone {JOBS_DRAIN_TIMEOUT}s after a run")
        time.sleep(0.25)
        due = due_jobs(engine)
    return left, time.monotonic() - started


def due_jobs(engine):
    with engine.connect() as connection:
        return connection.scalar(text(DUE_JOBS))


def measure(scenarios, data, engine):
    """Warm-ups, then ROUNDS rounds of (/healthz, endpoint) pairs; returns the runs by label."""
    warm_up_failed = 0
    if WARM_UP > 0:
        print(f"Warm-up: {WARM_UP}s of each endpoint (unmeasured)")
        for scenario in [HEALTHZ, *scenarios]:
            failed = run_wrk(scenario, data, engine, WARM_UP)["failed"]
            wait_for_jobs(engine)
            if failed:
                print(f"  {scenario.label}: {failed} requests failed in the warm-up")
            warm_up_failed += failed
    rounds = {scenario.label: [] for scenario in scenarios}
    for number in range(1, ROUNDS + 1):
        print(f"Round {number}/{ROUNDS}")
        for scenario in scenarios:
            healthz = run_wrk(HEALTHZ, data, engine, DURATION)
            endpoint = run_wrk(scenario, data, engine, DURATION)
            endpoint["jobs_left"], endpoint["drain_s"] = wait_for_jobs(engine)
            ratio = endpoint["rps"] / healthz["rps"]
            rounds[scenario.label].append({"healthz": healthz, "endpoint": endpoint, "ratio": ratio})
            failed = f", {endpoint['failed']} failed" if endpoint["failed"] else ""
            if scenario.creates_codes and endpoint["requests"] > len(data.code_users):
                failed += f" (more requests than the {len(data.code_users):,} code users: raise BENCH_CODE_USERS)"
            if endpoint["jobs_left"]:
                failed += (
                    f"; the worker did the {endpoint['jobs_left']:,} jobs left in {endpoint['drain_s']:.1f}s after"
                )
            print(
                f"  {scenario.label}: {endpoint['rps']:.0f} req/s{failed}"
                f" (/healthz just before: {healthz['rps']:.0f}) → {ratio:.2f}"
            )
    return rounds, warm_up_failed


def summarise(label, runs, ratios, target, floor=False):
    """One table row: medians over the runs, failures summed, the targets checked (`floor`: the
    bare join handler's row, which has none)."""
    row = {
        "endpoint": label,
        "rps": statistics.median(run["rps"] for run in runs),
        "rps_min": min(run["rps"] for run in runs),
        "rps_max": max(run["rps"] for run in runs),
        **{f"{p}_ms": statistics.median(run[f"{p}_us"] for run in runs) / 1000 for p in ("p50", "p95", "p99")},
        "failed": sum(run["failed"] for run in runs),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "target": target,
    }
    row["ratio_met"] = target is None or row["ratio"] >= target
    row["p99_met"] = row["p99_ms"] < P99_LIMIT_MS
    row["floor"] = floor
    return row


def settings():
    return {
        "users": USERS,
        "rounds": ROUNDS,
        "duration_s": DURATION,
        "warm_up_s": WARM_UP,
        "connections": CONNECTIONS,
        "threads": THREADS,
        "code_users": CODE_USERS,
        "only": ONLY or None,
        "job_worker": RUN_WORKER,
    }


def print_table(rows):
    columns = ["endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx", "ratio to /healthz", "spread", "target"]
    columns.append(f"p99 < {P99_LIMIT_MS} ms")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        healthz = row["endpoint"] == HEALTHZ.label
        spread = (
            f"{row['rps_min']:.0f}–{row['rps_max']:.0f} req/s"
            if healthz
            else f"{row['ratio_min']:.2f}–{row['ratio_max']:.2f}"
        )
        target = "" if row["target"] is None else f"≥ {row['target']} {'✓' if row['ratio_met'] else '✗'}"
        p99 = "" if row["floor"] else ("✓" if row["p99_met"] else "✗")
        latencies = " | ".join(f"{row[f'{p}_ms']:.1f}" for p in ("p50", "p95", "p99"))
        print(
            f"| {row['endpoint']} | {row['rps']:.0f} | {latencies} | {row['failed']} | {row['ratio']:.2f} | {spread}"
            f" | {target} | {p99} |"
        )


def write_results(result):
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(result["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    content = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    for name in (f"{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(content)
    return RESULTS / f"{stamp}.json"


def main():
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk (make bench installs it)")
    scenarios = [scenario for scenario in SCENARIOS if ONLY in scenario.label]
    if not scenarios:
        raise SystemExit(f"BENCH_ONLY={ONLY!r} matches no endpoint")
    host = machine()
    started_at = datetime.now(UTC).replace(microsecond=0)
    print(f"Preparing {DATABASE_URL.rsplit('/', 1)[1]} with {USERS:,} waiting users ...")
    workdir = Path(tempfile.mkdtemp(prefix="titan-bench-"))
    engine = create_engine(DATABASE_URL)
    gunicorn = worker = floor = None
    try:
        data = prepare_data(workdir)
        gunicorn = start_gunicorn()
        floor = start_floor() if any(scenario.floor for scenario in scenarios) else None
        worker = start_worker() if RUN_WORKER else None
        gunicorn_workers = len(worker_memory_mb(gunicorn.pid))
        print(
            f"{host['cores']} cores ({host['cpu']}), gunicorn {gunicorn_workers} workers; wrk {THREADS} threads, "
            f"{CONNECTIONS} connections; {ROUNDS} rounds of {DURATION}s per endpoint"
        )
        rounds, warm_up_failed = measure(scenarios, data, engine)
        memory = worker_memory_mb(gunicorn.pid)
    finally:
        for process in (worker, floor, gunicorn):
            if process is not None:
                stop(process)
        engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)

    healthz_runs = [pair["healthz"] for pairs in rounds.values() for pair in pairs]
    rows = [summarise(HEALTHZ.label, healthz_runs, [1.0], None)]
    for scenario in scenarios:
        pairs = rounds[scenario.label]
        runs, ratios = [pair["endpoint"] for pair in pairs], [pair["ratio"] for pair in pairs]
        rows.append(summarise(scenario.label, runs, ratios, scenario.target, scenario.floor))
    largest = max(memory.values())
    failed = sum(row["failed"] for row in rows) + warm_up_failed
    titan_rows = [row for row in rows if not row["floor"]]
    met = all(row["ratio_met"] and row["p99_met"] for row in titan_rows) and largest < MEMORY_LIMIT_MB

    print()
    print(
        f"{ROUNDS} rounds of {DURATION}s per endpoint (each after a /healthz run; {WARM_UP}s warm-up each), "
        f"{THREADS} wrk threads, {CONNECTIONS} connections, {USERS:,} waiting users; {host['cores']} cores "
        f"({host['cpu']}), {host['memory_gb']} GB, gunicorn {len(memory)} workers"
        f"{f' and the job worker (nice {WORKER_NICE})' if RUN_WORKER else ''}"
        ", PostgreSQL + Redis + wrk on the same machine"
    )
    print()
    print_table(rows)
    print()
    print(
        "Worker resident memory after the run (MB): "
        + ", ".join(f"{mb:.0f}" for mb in sorted(memory.values()))
        + f" (largest {largest:.0f}; target < {MEMORY_LIMIT_MB}) {'✓' if largest < MEMORY_LIMIT_MB else '✗'}"
    )
    if failed:
        print(f"{failed} requests failed" + (f" ({warm_up_failed} in warm-ups)" if warm_up_failed else ""))
    missed = [row["endpoint"] for row in titan_rows if not (row["ratio_met"] and row["p99_met"])]
    if missed:
        print("Missed: " + ", ".join(missed))

    result = {
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": host,
        "settings": {**settings(), "gunicorn_workers": len(memory)},
        "endpoints": rows,
        "rounds": {
            label: [{"ratio": p["ratio"], "healthz": p["healthz"], "endpoint": p["endpoint"]} for p in pairs]
            for label, pairs in rounds.items()
        },
        "warm_up_failed": warm_up_failed,
        "worker_memory_mb": sorted(round(mb, 1) for mb in memory.values()),
        "memory_limit_mb": MEMORY_LIMIT_MB,
        "p99_limit_ms": P99_LIMIT_MS,
        "failed_requests": failed,
        "met": met,
    }
    path = write_results(result)
    print(f"Results: {path.relative_to(ROOT)} (and bench/results/latest.json)")
    return 0 if met and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
