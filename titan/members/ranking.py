"""Waitlist positions, and the Redis mirror that answers look-ups by invite code.

A waiting user's key is `(id - waitlist_boost, id)` with `waitlist_boost = BOOST * referral_count`,
kept in the users table (the source of truth, with an expression index over waiting users). When
Redis is configured, the waitlist is mirrored there:

- `rank`: a sorted set of waiting users (score = the key, member = the zero-padded id, so Redis
  breaks equal scores by id exactly as the database does); ZRANK answers a position in O(log n)
  however long the list is;
- `codes`: invite code -> user id, `referrals`: user id -> referral count, `pending`: user id ->
  referrals waiting for the friend's confirmation, `admitted`: the set of admitted users,
  `confirmed`: the set of users whose address is confirmed, and `total`: everyone who joined;
- `ready`: set once the mirror is whole.

Changes are mirrored after each commit. A look-up by invite code is then one Redis round trip
(a Lua script) and no database query. Without Redis, or when Redis is unreachable, or when the
mirror lacks a user, the database answers. The mirror is rebuilt from the database when it is
missing (a Redis restart) and by `flask --app wsgi waitlist rebuild-ranking`.
"""

import functools
import logging
from typing import NamedTuple

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from titan.common.redis_fallback import unless_redis_fails
from titan.common.transactions import commit
from titan.extensions import db, redis_store
from titan.members.models import REFERRAL_PENDING, WAITLIST_ADMITTED, WAITLIST_WAITING, MilestoneReward, User

log = logging.getLogger(__name__)
MEMBER_WIDTH = 12
REBUILD_BATCH = 10_000
REBUILD_LOCK_SECONDS = 300
MIRRORED = ("rank", "codes", "referrals", "admitted", "pending", "confirmed")

# The position key, as the database orders and indexes it (see ix_users_waitlist_position).
POSITION_KEY = User.id - User.waitlist_boost
IS_WAITING = User.waitlist_status == WAITLIST_WAITING

# KEYS: ready, codes, rank, referrals, admitted, total, pending, confirmed; ARGV: invite code.
# Answers {0} when not built, {1} for an unknown code, else
# {1, id, rank, referrals, admitted, total, pending, confirmed}.
LOOKUP_SCRIPT = f"""
if redis.call('EXISTS', KEYS[1]) == 0 then return {{0}} end
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return {{1}} end
local member = string.rep('0', {MEMBER_WIDTH} - #id) .. id
return {{1, id, redis.call('ZRANK', KEYS[3], member), redis.call('HGET', KEYS[4], id),
        redis.call('SISMEMBER', KEYS[5], id), redis.call('GET', KEYS[6]), redis.call('HGET', KEYS[7], id),
        redis.call('SISMEMBER', KEYS[8], id)}}
"""
LOOKUP_KEYS = ("ready", "codes", "rank", "referrals", "admitted", "total", "pending", "confirmed")

# KEYS: ready, rank, codes, referrals, total; ARGV: member, score, invite code, id, referral count.
# Adds a new waiting user; answers {ready, rank, total}.
JOIN_SCRIPT = """
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5])
local total = redis.call('INCR', KEYS[5])
return {redis.call('EXISTS', KEYS[1]), redis.call('ZRANK', KEYS[2], ARGV[1]), total}
"""
JOIN_KEYS = ("ready", "rank", "codes", "referrals", "total")


class Standing(NamedTuple):
    position: int | None
    total: int


class MirroredUser(NamedTuple):
    """What the mirror knows of a user found by invite code."""

    id: int
    referral_count: int
    pending_referrals: int
    email_confirmed: bool
    waitlist_status: str
    standing: Standing


def in_position_order(statement):
    return statement.where(IS_WAITING).order_by(POSITION_KEY, User.id)


def member(user_id):
    return str(user_id).zfill(MEMBER_WIDTH)


KEY_NAMES = ("ready", "total", "lock", *MIRRORED)


@functools.cache
def keys_for(prefix):
    return {name: f"{prefix}waitlist:{name}" for name in KEY_NAMES}


def keys():
    """The mirror's Redis keys, under this app's `REDIS_KEY_PREFIX`."""
    return keys_for(current_app.config["REDIS_KEY_PREFIX"])


def database_position(user):
    key = user.id - user.waitlist_boost
    ahead = db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(IS_WAITING, or_(key > POSITION_KEY, and_(key == POSITION_KEY, User.id < user.id)))
    )
    return ahead + 1


def database_total():
    return db.session.scalar(select(func.count()).select_from(User).where(User.waitlist_status.is_not(None)))


def standing(user):
    """The place of `user` (anything with id, waitlist_status and waitlist_boost) among waiting
    users (None if not waiting) and the total registered: one Redis round trip when the mirror is
    ready, else from the database."""
    waiting = user.waitlist_status == WAITLIST_WAITING
    client = redis_store.client
    if client is not None:
        with unless_redis_fails("waitlist ranking"):
            names = keys()
            pipe = client.pipeline(transaction=False)
            pipe.exists(names["ready"])
            pipe.zrank(names["rank"], member(user.id))
            pipe.get(names["total"])
            ready, rank, total = pipe.execute()
            if not ready:
                rebuild(client)
            elif not waiting:
                return Standing(None, int(total or 0))
            elif rank is not None:
                return Standing(rank + 1, int(total or 0))
            else:
                # Most often a job reading a member who just joined, before the request that added
                # them has mirrored them (it does so right after its commit); else a lost entry.
                # Either way the entry is added here (NX: a newer score stays), and Redis answers.
                log.info("user %s not in the ranking set yet; adding", user.id)
                pipe = client.pipeline(transaction=False)
                pipe.zadd(names["rank"], {member(user.id): user.id - user.waitlist_boost}, nx=True)
                pipe.zrank(names["rank"], member(user.id))
                pipe.get(names["total"])
                _, rank, total = pipe.execute()
                return Standing(rank + 1, int(total or 0))
    return Standing(database_position(user) if waiting else None, database_total())


def look_up_invite_code(code):
    """The mirrored user with this invite code, or None (then the database answers: no Redis, the
    mirror not ready, an unknown code, or a user the mirror lost)."""
    client = redis_store.client
    if client is None:
        return None
    answer = None
    with unless_redis_fails("invite code look-up"):
        names = keys()
        answer = redis_store.script(LOOKUP_SCRIPT)(keys=[names[name] for name in LOOKUP_KEYS], args=[code])
        if not answer[0]:
            rebuild(client)
    if answer is None or len(answer) < 8:
        return None
    _, user_id, rank, referrals, admitted, total, pending, confirmed = answer
    if rank is None and not admitted:
        return None
    status = WAITLIST_WAITING if rank is not None else WAITLIST_ADMITTED
    position = None if rank is None else rank + 1
    return MirroredUser(
        int(user_id),
        int(referrals or 0),
        int(pending or 0),
        bool(confirmed),
        status,
        Standing(position, int(total or 0)),
    )


def total_registered():
    client = redis_store.client
    if client is not None:
        with unless_redis_fails("waitlist total"):
            names = keys()
            ready, total = client.pipeline(transaction=False).exists(names["ready"]).get(names["total"]).execute()
            if ready and total is not None:
                return int(total)
    return database_total()


def mirror(operation):
    """Mirror a committed change into Redis; returns the pipeline's answers, or None if Redis is
    not there or failed (logged: a rebuild heals it).

    Writes go ahead even before the mirror is built: a rebuild replaces it whole.
    """
    client = redis_store.client
    if client is None:
        return None
    with unless_redis_fails("waitlist mirror update (run `flask waitlist rebuild-ranking`)"):
        pipe = client.pipeline(transaction=False)
        operation(pipe, keys())
        return pipe.execute()
    return None


def record_joined(user):
    """Mirror a new waiting user; returns their standing (read in the same round trip)."""
    client = redis_store.client
    answer = None
    if client is not None:
        with unless_redis_fails("waitlist mirror update (run `flask waitlist rebuild-ranking`)"):
            names = keys()
            answer = redis_store.script(JOIN_SCRIPT)(
                keys=[names[name] for name in JOIN_KEYS],
                args=[member(user.id), user.id - user.waitlist_boost, user.invite_code, user.id, user.referral_count],
            )
    if answer is None or not answer[0]:
        return standing(user)
    return Standing(answer[1] + 1, answer[2])


def record_referral(referrer_id, boost, *, was_pending):
    """A referral counted: the referrer moves up (and has one pending referral fewer, if it waited)."""

    def count(pipe, names):
        pipe.zadd(names["rank"], {member(referrer_id): -boost}, xx=True, incr=True)
        pipe.hincrby(names["referrals"], referrer_id, 1)
        if was_pending:
            pipe.hincrby(names["pending"], referrer_id, -1)

    mirror(count)


def record_referral_voided(referrer_id, boost):
    """A counted referral was voided: the referrer falls back (never below no boost at all)."""

    def take_back(pipe, names):
        pipe.zadd(names["rank"], {member(referrer_id): boost}, xx=True, incr=True)
        pipe.hincrby(names["referrals"], referrer_id, -1)

    mirror(take_back)


def record_boost(user_id, places):
    """A waiting member moved `places` ahead (a milestone's reward)."""
    mirror(lambda pipe, names: pipe.zadd(names["rank"], {member(user_id): -places}, xx=True, incr=True))


def record_pending_referral(referrer_id, change=1):
    mirror(lambda pipe, names: pipe.hincrby(names["pending"], referrer_id, change))


def record_confirmed(user_id):
    mirror(lambda pipe, names: pipe.sadd(names["confirmed"], user_id))


def record_removed(users):
    """Members who left the waitlist (deleted their data, or never confirmed and were pruned):
    `users` are (id, invite code) pairs."""

    def remove(pipe, names):
        pipe.zrem(names["rank"], *[member(user_id) for user_id, _ in users])
        pipe.hdel(names["codes"], *[code for _, code in users])
        for name in ("referrals", "pending"):
            pipe.hdel(names[name], *[user_id for user_id, _ in users])
        for name in ("admitted", "confirmed"):
            pipe.srem(names[name], *[user_id for user_id, _ in users])
        pipe.decrby(names["total"], len(users))

    if users:
        mirror(remove)


def record_admitted(user_ids):
    def admit(pipe, names):
        pipe.zrem(names["rank"], *[member(user_id) for user_id in user_ids])
        pipe.sadd(names["admitted"], *user_ids)

    if user_ids:
        mirror(admit)


def rebuild(client=None):
    """Rebuild the mirror from the database; returns the number of waiting users.

    Built under temporary keys and swapped in with RENAME, so readers never see half of it.
    """
    client = client or redis_store.client
    if client is None:
        return None
    names = keys()
    if not client.set(names["lock"], "1", nx=True, ex=REBUILD_LOCK_SECONDS):
        return None  # another worker is rebuilding; readers use the database meanwhile
    try:
        building = {name: names[name] + ":building" for name in MIRRORED}
        # UNLINK frees big keys in the background; DEL (or RENAME over a key) would block Redis.
        client.unlink(*building.values())
        waiting = 0
        rows = db.session.execute(
            select(
                User.id,
                User.invite_code,
                User.referral_count,
                User.waitlist_status,
                POSITION_KEY,
                User.email_confirmed_at.is_not(None),
            )
            .where(User.waitlist_status.is_not(None), User.is_active.is_(True))
            .execution_options(yield_per=REBUILD_BATCH)
        )
        for batch in rows.partitions():
            pipe = client.pipeline(transaction=False)
            pipe.hset(building["codes"], mapping={row.invite_code: row.id for row in batch})
            pipe.hset(building["referrals"], mapping={row.id: row.referral_count for row in batch})
            ranked = {member(row.id): row[4] for row in batch if row.waitlist_status == WAITLIST_WAITING}
            admitted = [row.id for row in batch if row.waitlist_status == WAITLIST_ADMITTED]
            confirmed = [row.id for row in batch if row[5]]
            if ranked:
                pipe.zadd(building["rank"], ranked)
            if admitted:
                pipe.sadd(building["admitted"], *admitted)
            if confirmed:
                pipe.sadd(building["confirmed"], *confirmed)
            pipe.execute()
            waiting += len(ranked)
        pending = db.session.execute(
            select(User.referred_by_id, func.count())
            .where(User.referral_state == REFERRAL_PENDING)
            .group_by(User.referred_by_id)
            .execution_options(yield_per=REBUILD_BATCH)
        )
        for batch in pending.partitions():
            client.hset(building["pending"], mapping=dict(batch))
        pipe = client.pipeline()
        for name in MIRRORED:
            pipe.unlink(names[name])
        for name, temporary in building.items():
            if client.exists(temporary):
                pipe.rename(temporary, names[name])
        pipe.set(names["total"], database_total())
        pipe.set(names["ready"], "1")
        pipe.execute()
        return waiting
    finally:
        client.delete(names["lock"])


def recompute_boosts(boost):
    """Set every boost from the referral counts with `boost` (after WAITLIST_REFERRAL_BOOST changed),
    plus the places milestones gave."""
    skipped = (
        select(func.coalesce(func.sum(MilestoneReward.places), 0))
        .where(MilestoneReward.user_id == User.id)
        .scalar_subquery()
    )
    target = boost * User.referral_count + skipped
    changed = db.session.execute(
        update(User)
        .where(User.waitlist_boost != target)
        .values(waitlist_boost=target)
        .execution_options(synchronize_session=False)
    ).rowcount
    commit()
    return changed
