"""Rate limits that every web process shares: counters in Django's default cache, per client address or per key.

``CACHES`` (``CACHE_URL``) is Redis in production and a directory under ``var/`` locally, so N processes enforce
one limit together instead of N limits of their own. The API's per-key throttle (``accounts.throttling``) and its
failed-authentication limit (``accounts.authentication``) count here; the admin's login lockout is django-axes,
which counts in the database and asks ``client_ip`` for the address. When the cache cannot be reached the
limits let requests through and log a warning (``fail_open``) rather than answer every request with an error.
"""

import contextlib
import functools
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What an unreachable shared cache raises (Redis stopped or restarting, the cache directory unwritable).
CACHE_UNAVAILABLE_ERRORS = (RedisError, OSError)


def fail_open(default):
    """A limit whose counters cannot be reached lets the request through (and says so in the log): a cache outage
    must not turn into an API outage. The data written by the request is as safe as ever; only the limit
    pauses until the cache is back."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except CACHE_UNAVAILABLE_ERRORS as error:
                logger.warning("Rate limit %s not enforced: the shared cache is unreachable (%s).", self.scope, error)
                return default

        return wrapper

    return decorate


BUCKETS_PER_PERIOD = 60
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or, behind ``TRUSTED_PROXY_COUNT`` proxies, the address the outermost
    trusted proxy appended to ``X-Forwarded-For`` (the same rule as DRF's ``NUM_PROXIES``). Entries a client put in
    the header itself are never used: they are to the left of the ones the trusted proxies added."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded_for:
        addresses = [address.strip() for address in forwarded_for.split(",") if address.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote_addr


def parse_rate(rate: str) -> tuple[int, int]:
    """``"20/minute"`` → ``(20, 60)``: DRF's rate syntax, ``N/second|minute|hour|day`` (first letter counts)."""
    count, _, period = rate.partition("/")
    try:
        return int(count), PERIODS[period.strip()[:1].lower()]
    except (KeyError, ValueError) as error:
        raise ValueError(f"A rate is 'N/second|minute|hour|day', not {rate!r}.") from error


@dataclass(frozen=True)
class RateWindow:
    """At most ``limit`` events in any ``period`` seconds for each identity, counted in the shared cache.

    The period is cut into 60 buckets with one counter each (``cache.add`` + ``cache.incr``, which Redis does
    atomically, so concurrent processes never admit more than the limit between them). The last 60 buckets and
    the current one are summed, which covers at least the last ``period`` seconds: no span of ``period`` seconds
    ever holds more than ``limit`` admitted events. A refused client is told when the oldest buckets leave the
    window, at most ``period`` + 1/60 of it later.
    """

    scope: str
    limit: int
    period: float

    @classmethod
    def from_rate(cls, scope: str, rate: str) -> "RateWindow":
        limit, period = parse_rate(rate)
        return cls(scope, limit, period)

    @property
    def _bucket_seconds(self) -> float:
        return self.period / BUCKETS_PER_PERIOD

    @property
    def _ttl(self) -> int:
        return math.ceil(self.period + 2 * self._bucket_seconds)

    def _index(self, now: float) -> int:
        return math.floor(now / self._bucket_seconds)

    def _key(self, ident, index: int) -> str:
        return f"rate:{self.scope}:{ident}:{index}"

    def _counts(self, ident, now: float) -> list[tuple[int, int]]:
        """(bucket index, count) of the buckets in the window, oldest first."""
        current = self._index(now)
        keys = {self._key(ident, index): index for index in range(current - BUCKETS_PER_PERIOD, current + 1)}
        return sorted((keys[key], count) for key, count in cache.get_many(list(keys)).items())

    @fail_open(0)
    def count(self, ident, now: float | None = None) -> int:
        """Events counted for ``ident`` in the window now."""
        return sum(count for _, count in self._counts(ident, time.time() if now is None else now))

    @fail_open(0.0)
    def wait(self, ident, now: float | None = None) -> float:
        """Seconds until one more event for ``ident`` fits in the window; 0 when it fits now."""
        now = time.time() if now is None else now
        counts = self._counts(ident, now)
        total = sum(count for _, count in counts)
        if total < self.limit:
            return 0.0
        # Buckets leave oldest first: bucket i is out of the window once the current bucket is i + 61.
        for index, count in counts:
            total -= count
            if total < self.limit:
                return max((index + BUCKETS_PER_PERIOD + 1) * self._bucket_seconds - now, 0.0)
        return self.period  # unreachable: with every bucket gone the total is 0

    @fail_open("")
    def hit(self, ident, now: float | None = None) -> str:
        """Count one event for ``ident``; return the key of the bucket it went into."""
        key = self._key(ident, self._index(time.time() if now is None else now))
        if not cache.add(key, 1, self._ttl):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, self._ttl)
            cache.touch(key, self._ttl)  # backends other than Redis reset the timeout on incr
        return key

    @fail_open(0.0)
    def admit(self, ident, now: float | None = None) -> float:
        """Count one event for ``ident`` if it fits: return 0, or the seconds to wait (and count nothing)."""
        now = time.time() if now is None else now
        key = self.hit(ident, now)
        if self.count(ident, now) <= self.limit:
            return 0.0
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing left to take back
            cache.decr(key)
        return max(self.wait(ident, now), 1e-3)
