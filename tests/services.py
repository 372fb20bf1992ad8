"""Real services for integration tests: PostgreSQL, Redis, a Celery worker, an SMTP server.

On a machine without them the tests that need them are skipped with the reason; under CI=true
they fail instead, so CI always runs them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test, but: {reason}")
    pytest.skip(reason)


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL")


def redis_available() -> bool:
    url = redis_url()
    if not url:
        return False
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return False
    return True


def require_postgres_and_redis() -> None:
    require(connection.vendor == "postgresql", "needs DATABASE_URL pointing at PostgreSQL")
    require(redis_available(), "needs REDIS_URL pointing at a running Redis")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The URL of the test database pytest-django created, for worker subprocesses."""
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@contextmanager
def celery_worker(
    *,
    broker_url: str,
    extra_env: dict | None = None,
    beat: bool = False,
    name: str = "w1",
    make_var_dir: bool = True,
):
    """Run a real Celery worker (optionally with beat) against the test database and ``broker_url``.

    ``make_var_dir=False`` starts it without its ``ITSM_VAR_DIR`` (the product must create it)."""
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "ITSM_VAR_DIR": str(ROOT / "var" / f"test-{name}-{os.getpid()}"),
        "LOG_PLAIN": "true",
        **(extra_env or {}),
    }
    env.pop("PYTEST_VERSION", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "itsm",
        "worker",
        "--loglevel",
        "INFO",
        "--pool",
        "solo",
        "--hostname",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if beat:
        if make_var_dir:
            Path(env["ITSM_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
        cmd += ["--beat", "--schedule", str(Path(env["ITSM_VAR_DIR"]) / "beat-schedule")]
    log_path = ROOT / "var" / f"worker-{name}-{os.getpid()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process, log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
