"""Redis speeds Titan up but is never the only place an answer lives: when it is unreachable,
the caller answers from the database instead."""

import logging
from contextlib import contextmanager

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@contextmanager
def unless_redis_fails(what):
    """Run the block; if Redis fails inside it, log and carry on after it (where the database answers).

    with unless_redis_fails("waitlist ranking"):
        return answer_from_redis()
    return answer_from_database()
    """
    try:
        yield
    except RedisError as error:
        log.warning("%s: Redis unavailable, the database answers (%s)", what, error.__class__.__name__)
