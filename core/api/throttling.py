"""API throttles: every caller has a rate, answered with 429, ``Retry-After`` and a JSON error.

Scopes (rates in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, from the ``API_THROTTLE_*``
environment variables; ``off`` disables one):

- ``anon``: requests without credentials, per client address (only public endpoints get that far).
- ``user_read``: GET/HEAD/OPTIONS per user.
- ``user_write``: every other method per user.
- ``user_create``: POSTs that create something (the views marked ``@idempotent``), per user; they
  count as writes too. An end user's token cannot file incidents without limit.

The counters live in the cache named by ``settings.API_THROTTLE_CACHE``: Redis when ``REDIS_URL``
is set, otherwise a file cache under the var folder, so every web process counts together.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from core.api.idempotency import is_idempotent


class _SharedCacheRates:
    """Rates read when the request comes (settings may change under tests), counted in the shared cache."""

    @property
    def cache(self):
        return caches[settings.API_THROTTLE_CACHE]

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_SharedCacheRates, AnonRateThrottle):
    scope = "anon"


class _UserThrottle(_SharedCacheRates, SimpleRateThrottle):
    def applies(self, request, view) -> bool:
        raise NotImplementedError

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated or not self.applies(request, view):
            return None  # not counted by this scope
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class UserReadThrottle(_UserThrottle):
    scope = "user_read"

    def applies(self, request, view) -> bool:
        return request.method in SAFE_METHODS


class UserWriteThrottle(_UserThrottle):
    scope = "user_write"

    def applies(self, request, view) -> bool:
        return request.method not in SAFE_METHODS


class UserCreateThrottle(_UserThrottle):
    scope = "user_create"

    def applies(self, request, view) -> bool:
        if request.method != "POST":
            return False
        action = getattr(view, "action", None)
        handler = getattr(view, action, None) if action else getattr(view, "post", None)
        return is_idempotent(handler)
