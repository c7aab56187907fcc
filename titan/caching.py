"""The cache backend for Redis: a Redis outage is a cache miss, never a failed request."""

import logging

from flask_caching.backends.rediscache import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ResilientRedisCache(RedisCache):
    """flask-caching's RedisCache; while Redis is unreachable every call answers "not cached"."""

    def _safely(self, fallback, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except RedisError as error:
            log.warning("cache skipped, Redis unavailable: %s", error.__class__.__name__)
            return fallback

    def get(self, key):
        return self._safely(None, super().get, key)

    def get_many(self, *keys):
        return self._safely([None] * len(keys), super().get_many, *keys)

    def has(self, key):
        return self._safely(False, super().has, key)

    def set(self, key, value, timeout=None):
        return self._safely(False, super().set, key, value, timeout)

    def add(self, key, value, timeout=None):
        return self._safely(False, super().add, key, value, timeout)

    def set_many(self, mapping, timeout=None):
        return self._safely([], super().set_many, mapping, timeout)

    def delete(self, key):
        return self._safely(False, super().delete, key)

    def delete_many(self, *keys):
        """One DEL (cachelib's own asks EXISTS of each key afterwards: a round trip per key)."""
        if not keys:
            return []
        deleted = self._safely(None, self._write_client.delete, *(self._get_prefix() + key for key in keys))
        return [] if deleted is None else list(keys)

    def clear(self):
        return self._safely(False, super().clear)

    def inc(self, key, delta=1):
        return self._safely(None, super().inc, key, delta)

    def dec(self, key, delta=1):
        return self._safely(None, super().dec, key, delta)
