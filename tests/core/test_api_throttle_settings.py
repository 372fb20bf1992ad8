"""API throttle settings: rates from the environment, counted in a cache all processes share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from itsm.env import env_rate

ROOT = Path(__file__).resolve().parents[2]


def test_env_rate_reads_validates_and_turns_off(monkeypatch):
    monkeypatch.delenv("X_RATE", raising=False)
    assert env_rate("X_RATE", "30/min") == "30/min"
    monkeypatch.setenv("X_RATE", " 5/S ")
    assert env_rate("X_RATE", "30/min") == "5/s"
    monkeypatch.setenv("X_RATE", "off")
    assert env_rate("X_RATE", "30/min") is None
    for bad in ("30", "0/min", "ten/min", "30/fortnight"):
        monkeypatch.setenv("X_RATE", bad)
        with pytest.raises(ImproperlyConfigured, match="X_RATE"):
            env_rate("X_RATE", "30/min")


def _production_settings(**extra) -> dict:
    """CACHES, the throttle cache alias and the rates as a fresh, non-test process sees them."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTEST_VERSION", "PYTEST_CURRENT_TEST", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "itsm.settings", **extra})
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'caches': s.CACHES, 'alias': s.API_THROTTLE_CACHE, "
        "'classes': s.REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'], "
        "'rates': s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_throttles_count_in_a_cache_shared_by_all_processes(tmp_path):
    embedded = _production_settings(ITSM_VAR_DIR=str(tmp_path))
    backend = embedded["caches"][embedded["alias"]]["BACKEND"]
    # Not the per-process memory cache: a file cache under the var folder.
    assert backend == "django.core.cache.backends.filebased.FileBasedCache"
    assert embedded["caches"][embedded["alias"]]["LOCATION"].startswith(str(tmp_path))

    with_redis = _production_settings(REDIS_URL="redis://127.0.0.1:6379/9")
    assert (
        with_redis["caches"][with_redis["alias"]]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    )


def test_authenticated_users_have_rates_configurable_by_environment():
    defaults = _production_settings()
    assert {"core.api.throttling.UserCreateThrottle", "core.api.throttling.UserReadThrottle"} <= set(
        defaults["classes"]
    )
    assert defaults["rates"] == {
        "anon": "60/min",
        "user_read": "1200/min",
        "user_write": "120/min",
        "user_create": "30/min",
    }
    tuned = _production_settings(API_THROTTLE_CREATE="10/hour", API_THROTTLE_READ="off")
    assert tuned["rates"]["user_create"] == "10/hour" and tuned["rates"]["user_read"] is None


def test_anonymous_rate_keys_on_the_socket_address_not_a_forged_forwarded_for(rf):
    from rest_framework.request import Request

    from core.api.throttling import AnonThrottle

    first = Request(rf.get("/api/v1/", HTTP_X_FORWARDED_FOR="203.0.113.1", REMOTE_ADDR="198.51.100.7"))
    second = Request(rf.get("/api/v1/", HTTP_X_FORWARDED_FOR="203.0.113.2", REMOTE_ADDR="198.51.100.7"))
    # TRUSTED_PROXY_COUNT is 0 by default: a client that changes the header stays the same client.
    assert AnonThrottle().get_ident(first) == AnonThrottle().get_ident(second) == "198.51.100.7"
