"""When the database cannot be reached: /readyz says which check failed without the driver's text
(host, port), the API answers a JSON 503 and pages a friendly 503, in the reader's language.

The product runs in its own process (a real WSGI server) whose DATABASE_URL points at a closed port
on this machine; the shared PostgreSQL server is left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager

from tests.services import ROOT, free_port, wait_for

SERVER = """
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

from itsm.wsgi import application


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", int(sys.argv[1]), application, handler_class=Quiet).serve_forever()
"""


@contextmanager
def server_without_database(tmp_path):
    port, closed_port = free_port(), free_port()  # nothing listens on closed_port
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "REDIS_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "itsm.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port}/itsm",
            "CELERY_BROKER_URL": "memory://",
            "SECRET_KEY": "x" * 50,
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "ITSM_VAR_DIR": str(tmp_path / "var"),
            "LOG_PLAIN": "true",
        }
    )
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for(lambda: _answers(port), timeout=60, message=f"the WSGI server ({tmp_path / 'server.log'})")
        yield port, closed_port, tmp_path / "server.log"
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def _answers(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
    return True


def get(port: int, path: str, **headers) -> tuple[int, dict, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_database_down(tmp_path):
    with server_without_database(tmp_path) as (port, closed_port, log_path):
        # Readiness: which check failed, and nothing of the driver's message.
        status, _headers, body = get(port, "/readyz")
        assert status == 503
        assert json.loads(body)["checks"]["database"] == "unavailable"
        assert str(closed_port) not in body and "127.0.0.1" not in body and "connect" not in body.lower()

        # The API: a JSON 503 that says to try again.
        status, headers, body = get(port, "/api/v1/incidents/", Authorization="Token 0123456789abcdef")
        assert status == 503
        assert headers["Content-Type"] == "application/json"
        assert headers["Retry-After"] == "30"
        assert json.loads(body) == {
            "detail": "The service is temporarily unavailable. Please try again in a moment."
        }

        # A page of a signed-in user (the session is in the database): a friendly page.
        status, headers, body = get(
            port, "/agent/incidents/", Cookie="sessionid=0123456789abcdefghijklmnopqrstuv"
        )
        assert status == 503
        assert headers["Content-Type"].startswith("text/html")
        assert "<h1>Temporarily unavailable</h1>" in body
        assert "If you were saving something, it was not saved." in body
        assert str(closed_port) not in body

        # In Swedish for a Swedish reader.
        status, _headers, body = get(
            port, "/agent/incidents/", Cookie="sessionid=0123456789abcdefghijklmnopqrstuv; django_language=sv"
        )
        assert status == 503
        assert "<h1>Tillfälligt otillgänglig</h1>" in body

        # The details are in the log for the operator.
        assert str(closed_port) in log_path.read_text()
