"""`make bench`: a reproducible load test of Titan under gunicorn with PostgreSQL and Redis.

1. Recreates the database named by BENCH_DATABASE_URL, migrates it, loads the demo data and
   100,000 waiting users (set-based), and a bench user with credits for the calculator.
2. Starts gunicorn (gunicorn.conf.py, rate limits off, logging at WARNING) on a local port.
3. Drives each endpoint in turn with wrk (same connections, threads and duration for each, after
   an unmeasured warm-up of BENCH_WARM_UP seconds that fills caches and connection pools), with a
   /healthz run right before each one, and prints requests/s and p50/p95/p99 latency, and each
   endpoint's rate over the neighbouring /healthz rate (the /healthz row shows the median of those
   runs), against the targets of docs/contract.md §7.
4. Prints every gunicorn worker's resident memory after the whole run (target: < 200 MB).

Settings (environment): BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_USERS (100000),
BENCH_DURATION (seconds per endpoint, 15), BENCH_CONNECTIONS (16), BENCH_THREADS (2),
GUNICORN_WORKERS (gunicorn.conf.py's default: 2 × cores + 1).
"""

import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from bench.common import load_waiting_users, recreate_database  # noqa: E402
from config import ProductionConfig, normalise_database_url  # noqa: E402
from titan import create_app  # noqa: E402
from titan.calculator.models import Operation  # noqa: E402
from titan.demo import load_demo_data  # noqa: E402
from titan.extensions import db, redis_store  # noqa: E402
from titan.members import ranking  # noqa: E402
from titan.members.models import User  # noqa: E402

DATABASE_URL = normalise_database_url(
    os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/titan_bench_http")
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
USERS = int(os.environ.get("BENCH_USERS", "100000"))
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WARM_UP = int(os.environ.get("BENCH_WARM_UP", "2"))
PORT = int(os.environ.get("BENCH_PORT", "8077"))
BASE = f"http://127.0.0.1:{PORT}"
WRK_SCRIPTS = ROOT / "bench" / "wrk"
BENCH_EMAIL = "bench-calculator@example.com"
BENCH_PASSWORD = "bench-" + secrets.token_hex(8)
MEMORY_LIMIT_MB = 200

HEALTHZ = "GET /healthz"
# (label, wrk script, path, target ratio to /healthz)
SCENARIOS = [
    (HEALTHZ, "get.lua", "/healthz", None),
    ("GET /api/chart/", "get.lua", "/api/chart/?period=10y", 0.6),
    ("GET /api/stats/", "get.lua", "/api/stats/", 0.6),
    ("GET /api/user/{code}/", "user_by_code.lua", "/", 0.3),
    ("POST /api/join/", "join.lua", "/", 0.15),
    ("POST /api/v1/records", "records.lua", "/", None),
]


def environment():
    return {
        **os.environ,
        "TITAN_ENV": "production",
        "SECRET_KEY": "bench-" + "s" * 40,
        "JWT_SECRET_KEY": "bench-" + "j" * 40,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": "titan-bench-http:",
        "RATELIMIT_ENABLED": "0",
        "LOG_LEVEL": "WARNING",
        "SESSION_COOKIE_SECURE": "0",
        "MAIL_BACKEND": "console",
        "JOBS_MODE": "queue",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    }


def prepare_data():
    recreate_database(DATABASE_URL)
    env = environment()
    overrides = {
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": env["REDIS_KEY_PREFIX"],
        "SECRET_KEY": env["SECRET_KEY"],
        "JWT_SECRET_KEY": env["JWT_SECRET_KEY"],
        "DATABASE_STATEMENT_TIMEOUT_MS": 0,
    }
    app = create_app(ProductionConfig, **overrides)
    with app.app_context():
        upgrade()
        for line in load_demo_data():
            print(f"  demo: {line}")
        first_id = db.session.scalar(select(db.func.max(User.id))) or 0
        seconds = load_waiting_users(first_id + USERS, first_id)
        print(f"  {USERS:,} waiting users loaded in {seconds:.1f}s")
        redis_store.client.delete(*ranking.keys().values())
        ranking.rebuild()
        codes = db.session.scalars(select(User.invite_code).where(ranking.IS_WAITING)).all()
        from titan.auth.users import create_admin

        bench_user = create_admin(BENCH_EMAIL, BENCH_PASSWORD)
        db.session.execute(text("UPDATE users SET balance = 1000000000 WHERE id = :id"), {"id": bench_user.id})
        db.session.commit()
        addition = db.session.scalar(select(Operation.id).where(Operation.type == "addition"))
    codes_file = Path(tempfile.mkstemp(prefix="titan-bench-codes-", suffix=".txt")[1])
    codes_file.write_text("\n".join(codes) + "\n")
    return codes_file, addition


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
    process.terminate()
    raise SystemExit("gunicorn did not become ready")


def start_worker():
    """The job worker, as deploy/titan-worker.service runs it (at a lower CPU priority than the web
    workers): joins queue their welcome mail for it."""
    return subprocess.Popen(
        ["nice", "-n", "10", str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "worker"],
        cwd=ROOT,
        env=environment(),
        start_new_session=True,
    )


def run_wrk(script, path, extra_env, duration=DURATION):
    # A fresh run id per wrk run keeps the joined addresses unique across runs.
    env = {**os.environ, "WRK_SCRIPTS": str(WRK_SCRIPTS), "WRK_RUN_ID": secrets.token_hex(4), **extra_env}
    result = subprocess.run(
        [
            "wrk",
            "-t",
            str(THREADS),
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_SCRIPTS / script),
            BASE + path,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    return summary


def measure(script, path, scenario_env):
    # A short unmeasured run first: every worker connected, caches filled (steady state).
    run_wrk(script, path, scenario_env, duration=WARM_UP)
    return run_wrk(script, path, scenario_env)


def worker_memory_mb(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = {}
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes[int(pid)] = int(line.split()[1]) / 1024
    return sizes


def main():
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk (make bench installs it)")
    print(f"Preparing {DATABASE_URL.rsplit('/', 1)[1]} with {USERS:,} waiting users ...")
    codes_file, addition = prepare_data()
    gunicorn = start_gunicorn()
    worker = start_worker() if os.environ.get("BENCH_WORKER", "1") == "1" else None
    try:
        token = requests.post(
            f"{BASE}/api/v1/auth/token", data={"username": BENCH_EMAIL, "password": BENCH_PASSWORD}, timeout=5
        ).json()["access_token"]
        scenario_env = {
            "WRK_CODES": str(codes_file),
            "WRK_TOKEN": token,
            "WRK_OPERATION": str(addition),
        }
        results, paired_healthz = {}, {}
        only = os.environ.get("BENCH_ONLY")
        for label, script, path, _target in SCENARIOS[1:]:
            if only and only not in label:
                continue
            # /healthz right before each endpoint: each ratio compares two neighbouring runs.
            paired_healthz[label] = measure("get.lua", "/healthz", scenario_env)
            results[label] = measure(script, path, scenario_env)
            rps, healthz_rps = results[label]["rps"], paired_healthz[label]["rps"]
            print(f"  {label}: {rps:.0f} req/s (/healthz just before: {healthz_rps:.0f})")
        healthz_runs = sorted(paired_healthz.values(), key=lambda run: run["rps"])
        results[HEALTHZ] = healthz_runs[len(healthz_runs) // 2]
        memory = worker_memory_mb(gunicorn.pid)
    finally:
        for process in (worker, gunicorn):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        codes_file.unlink(missing_ok=True)

    cpu = platform.processor() or platform.machine()
    print()
    print(
        f"{THREADS} wrk threads, {CONNECTIONS} connections, {DURATION}s per endpoint, {USERS:,} waiting users; "
        f"{os.cpu_count()} cores ({cpu}), gunicorn {len(memory)} workers, PostgreSQL + Redis on the same machine"
    )
    print()
    print("| endpoint | req/s | p50 ms | p95 ms | p99 ms | non-2xx | ratio to /healthz | target |")
    print("|---|---|---|---|---|---|---|---|")
    met = True
    for label, _script, _path, target in SCENARIOS:
        if label not in results:
            continue
        r = results[label]
        ratio = 1.0 if label == HEALTHZ else r["rps"] / paired_healthz[label]["rps"]
        verdict = "" if target is None else (f"≥ {target} ✓" if ratio >= target else f"≥ {target} ✗")
        met &= target is None or ratio >= target
        latencies = " | ".join(f"{r[key] / 1000:.1f}" for key in ("p50_us", "p95_us", "p99_us"))
        print(
            f"| {label} | {r['rps']:.0f} | {latencies} | {r['non2xx'] + r['socket_errors']} | {ratio:.2f} | {verdict} |"
        )
    print()
    largest = max(memory.values())
    print(
        "Worker resident memory after the run (MB): "
        + ", ".join(f"{mb:.0f}" for mb in sorted(memory.values()))
        + f" (largest {largest:.0f}; target < {MEMORY_LIMIT_MB})"
    )
    met &= largest < MEMORY_LIMIT_MB
    errors = sum(r["non2xx"] + r["socket_errors"] for r in results.values())
    if errors:
        print(f"{errors} requests failed")
    return 0 if met and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
