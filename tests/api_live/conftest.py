"""API calls through a real WSGI server (Django's live server, i.e. wsgiref), not the test client.

The test client hands the response object back without ever serialising it to the wire, so it
cannot see what a real server refuses (wsgiref rejects a header value that is not exactly ``str``:
the change API answered 500 after writing the change). Every call here goes over a socket with
``http.client``.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class LiveResponse:
    status: int
    headers: dict[str, str]
    raw: bytes
    body: object = field(default=None)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class LiveClient:
    """A token-authenticated JSON client speaking HTTP to the live server."""

    def __init__(self, base_url: str, token: str | None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.token = token

    def request(self, method: str, path: str, body=None, headers: dict[str, str] | None = None, raw=None):
        sent = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Token {self.token}"
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=payload, headers=sent)
            answer = connection.getresponse()
            raw = answer.read()
            headers_ = {name.lower(): value for name, value in answer.getheaders()}
        finally:
            connection.close()
        response = LiveResponse(answer.status, headers_, raw)
        if raw and headers_.get("content-type", "").startswith("application/json"):
            response.body = json.loads(raw)
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body=body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.request("PATCH", path, body=body, **kwargs)

    def upload(self, path, *, filename: str, content: bytes, content_type: str, headers=None):
        """POST one file as multipart/form-data (field ``file``)."""
        boundary = "----itsm-live-test-boundary"
        raw = (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        sent = {**(headers or {}), "Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, headers=sent, raw=raw)


@pytest.fixture
def live(live_server, settings):
    """``live(user)``: a client of the live server authenticated with a real token of ``user``."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

    def client_for(user) -> LiveClient:
        token = Token.objects.get_or_create(user=user)[0].key if user is not None else None
        return LiveClient(live_server.url, token)

    client_for.url = live_server.url
    return client_for
