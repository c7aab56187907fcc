"""The floor under a join on this machine: `POST /api/join/` as a bare Flask handler that does only
what a join cannot do without, with nothing of Titan's around it.

`make bench` serves it beside Titan (gunicorn.conf.py, on BENCH_PORT + 1) and measures it like any
endpoint, right after a run of Titan's `/healthz`: its ratio is the most any join could reach here,
with the job worker running as it does for Titan's joins.

What it does, one round trip each: the user's INSERT (the same columns as a join writes, the
invite code checked against referral codes), the welcome mail's job row (procrastinate's own
function, in the same transaction: Titan's worker sends that mail), COMMIT, and the Redis mirror's
join script (Titan's, which answers the position). What it leaves out, and Titan does: parsing and
validating the address (email-validator, disposable domains), the fraud signals' columns, the ORM,
flask-smorest's schemas, the session cookie, webhooks, the code look-up cache, request ids, logging
and security headers. A duplicate address answers 400; nothing else is checked.
"""

import json
import os
import secrets
from datetime import UTC, datetime

import psycopg2
import redis
from flask import Flask, jsonify, request

from titan.common.codes import generate_code
from titan.members import ranking

INSERT_USER = """
INSERT INTO users (email, email_identity, invite_code, waitlist_status, joined_waitlist_at, balance, created_at)
SELECT %(email)s, %(email)s, %(code)s, 'waiting', %(now)s, 2500, %(now)s
WHERE NOT EXISTS (SELECT 1 FROM referral_codes WHERE code = %(code)s)
ON CONFLICT DO NOTHING
RETURNING id, invite_code
"""
DEFER_WELCOME = """
SELECT unnest(procrastinate_defer_jobs_v1(
  ARRAY[ROW('titan', 'mail.welcome', 0, NULL, NULL, %s::jsonb, NULL)]::procrastinate_job_to_defer_v1[]))
"""

app = Flask(__name__)
# One connection of each per gunicorn worker, made on its first request (after the fork).
connections = {}


def database():
    if "database" not in connections:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg2://", "postgresql://")
        connections["database"] = psycopg2.connect(url)
        connections["redis"] = redis.Redis.from_url(os.environ["REDIS_URL"])
        connections["join"] = connections["redis"].register_script(ranking.JOIN_SCRIPT)
    return connections["database"]


@app.post("/api/join/")
def join():
    connection = database()
    email = request.get_json()["email"].strip().lower()
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(INSERT_USER, {"email": email, "code": generate_code(), "now": now})
        row = cursor.fetchone()
        if row is None:
            connection.rollback()
            return jsonify(email=["This field must be unique."]), 400
        user_id, code = row
        base_url = request.host_url.rstrip("/")
        job = {"payload": {"user_id": user_id}, "request_id": secrets.token_hex(8), "base_url": base_url}
        cursor.execute(DEFER_WELCOME, (json.dumps(job),))
    connection.commit()
    names = ranking.keys_for(os.environ["REDIS_KEY_PREFIX"])
    _, rank, total = connections["join"](
        keys=[names[name] for name in ranking.JOIN_KEYS], args=[ranking.member(user_id), user_id, code, user_id, 0]
    )
    data = {
        "referral_count": 0,
        "referral_code": code,
        "wait_list_position": rank + 1,
        "total_registered": total,
        "referral_url": f"{base_url}/r/{code}",
    }
    return jsonify(data), 201
