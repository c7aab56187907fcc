"""Waitlist positions.

A waiting user's key is `(id - waitlist_boost, id)` with `waitlist_boost = BOOST * referral_count`,
kept in the users table (the source of truth, with an expression index over waiting users) and,
when Redis is configured, mirrored in a Redis sorted set whose ZRANK answers a position in
O(log n) however long the list is. Members are zero-padded ids, so Redis breaks equal scores by id
exactly as the database key does.

Without Redis, the position is an index range count in the database. If Redis is unreachable,
or a waiting user is missing from the set, the database answers; the set is rebuilt from the
database when it is missing (a Redis restart) and by `flask --app wsgi waitlist rebuild-ranking`.
"""

import logging

from redis.exceptions import RedisError
from sqlalchemy import and_, func, or_, select, update

from titan.auth.models import WAITLIST_WAITING, User
from titan.extensions import db, redis_store

log = logging.getLogger(__name__)
MEMBER_WIDTH = 12
REBUILD_BATCH = 10_000
REBUILD_LOCK_SECONDS = 300


# The position key, as the database orders and indexes it (see ix_users_waitlist_position).
POSITION_KEY = User.id - User.waitlist_boost
IS_WAITING = User.waitlist_status == WAITLIST_WAITING


def in_position_order(statement):
    return statement.where(IS_WAITING).order_by(POSITION_KEY, User.id)


def member(user_id):
    return str(user_id).zfill(MEMBER_WIDTH)


def keys():
    return {
        "rank": redis_store.key("waitlist", "rank"),
        "total": redis_store.key("waitlist", "total"),
        "ready": redis_store.key("waitlist", "ready"),
        "lock": redis_store.key("waitlist", "rebuild-lock"),
    }


def database_position(user):
    key = user.id - user.waitlist_boost
    ahead = db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(IS_WAITING, or_(POSITION_KEY < key, and_(POSITION_KEY == key, User.id < user.id)))
    )
    return ahead + 1


def database_total():
    return db.session.scalar(select(func.count()).select_from(User).where(User.waitlist_status.is_not(None)))


def standing(user):
    """(1-based place among waiting users or None, total registered) in one Redis round trip."""
    client = redis_store.client
    if client is not None:
        names = keys()
        try:
            pipe = client.pipeline(transaction=False)
            pipe.exists(names["ready"])
            pipe.zrank(names["rank"], member(user.id))
            pipe.get(names["total"])
            ready, rank, total = pipe.execute()
            waiting = user.waitlist_status == WAITLIST_WAITING
            if not ready:
                rebuild(client)
            elif not waiting:
                return None, int(total or 0)
            elif rank is not None:
                return rank + 1, int(total or 0)
            else:
                log.warning("user %s missing from the ranking set; re-adding", user.id)
                client.zadd(names["rank"], {member(user.id): user.id - user.waitlist_boost})
        except RedisError as error:
            log.warning("waitlist ranking falls back to the database: %s", error.__class__.__name__)
    position = database_position(user) if user.waitlist_status == WAITLIST_WAITING else None
    return position, database_total()


def total_registered():
    client = redis_store.client
    if client is not None:
        names = keys()
        try:
            ready, total = client.pipeline(transaction=False).exists(names["ready"]).get(names["total"]).execute()
            if ready and total is not None:
                return int(total)
        except RedisError as error:
            log.warning("waitlist total falls back to the database: %s", error.__class__.__name__)
    return database_total()


def _write(operation):
    """Mirror a committed change into Redis; a failure is logged (a rebuild heals it).

    Writes go ahead even before the set is built: a rebuild replaces the set and the total whole.
    """
    client = redis_store.client
    if client is None:
        return
    try:
        operation(client)
    except RedisError as error:
        log.warning("waitlist ranking update failed (run `flask waitlist rebuild-ranking`): %s", error)


def record_joined(user):
    def add(client):
        pipe = client.pipeline()
        pipe.zadd(keys()["rank"], {member(user.id): user.id - user.waitlist_boost})
        pipe.incr(keys()["total"])
        pipe.execute()

    _write(add)


def record_referral(referrer_id, boost):
    _write(lambda client: client.zadd(keys()["rank"], {member(referrer_id): -boost}, xx=True, incr=True))


def record_admitted(user_ids):
    if user_ids:
        _write(lambda client: client.zrem(keys()["rank"], *[member(user_id) for user_id in user_ids]))


def rebuild(client=None):
    """Rebuild the sorted set and total from the database; returns the number of waiting users.

    Built under a temporary key and swapped in with RENAME, so readers never see half a set.
    """
    client = client or redis_store.client
    if client is None:
        return None
    names = keys()
    if not client.set(names["lock"], "1", nx=True, ex=REBUILD_LOCK_SECONDS):
        return None  # another worker is rebuilding; readers use the database meanwhile
    try:
        building = names["rank"] + ":building"
        client.delete(building)
        count = 0
        rows = db.session.execute(select(User.id, POSITION_KEY).where(IS_WAITING).execution_options(yield_per=REBUILD_BATCH))
        for batch in rows.partitions():
            client.zadd(building, {member(user_id): rank for user_id, rank in batch})
            count += len(batch)
        pipe = client.pipeline()
        if count:
            pipe.rename(building, names["rank"])
        else:
            pipe.delete(names["rank"])
        pipe.set(names["total"], database_total())
        pipe.set(names["ready"], "1")
        pipe.execute()
        return count
    finally:
        client.delete(names["lock"])


def recompute_boosts(boost):
    """Set every boost from the referral counts with `boost` (after WAITLIST_REFERRAL_BOOST changed)."""
    target = boost * User.referral_count
    changed = db.session.execute(
        update(User).where(User.waitlist_boost != target).values(waitlist_boost=target).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return changed
