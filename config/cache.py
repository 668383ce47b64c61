"""Django's Redis cache with one client per connection pool.

Django's `RedisCacheClient` builds a new `redis.Redis` for every cache call; building one fills its
table of ~340 response callbacks (about 0.15 ms), which every API request paid twice (its key's
resolution, its rate limit). A `redis.Redis` is safe to share: it takes a connection from its pool
for each command. The pools are Django's own, one per server, per cache instance (per thread).
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
