"""The ``Location`` header of a created object, as exactly ``str``.

WSGI (PEP 3333) wants native strings for header values, and wsgiref (the development server of
``make run`` and Django's live test server) checks ``type(value) is str``. A ``Hyperlink`` from
DRF's ``HyperlinkedIdentityField``, a ``SafeString`` or a lazy translation is a ``str`` subclass
or proxy: Django's test client accepts it, but the real server answered 500 after the object had
been written, so a retrying client created it twice. Every API view sets ``Location`` through
:func:`set_location`.
"""

from __future__ import annotations

from django.http import HttpResponseBase


def plain_str(value) -> str:
    """``value`` as an object of exactly type ``str`` (lazy strings resolved, subclasses copied)."""
    text = str(value)
    return text if type(text) is str else str.__str__(text)


def set_location(response: HttpResponseBase, url) -> HttpResponseBase:
    """Set ``Location`` to ``url`` (absolute, e.g. the serializer's ``url``); returns the response."""
    response["Location"] = plain_str(url)
    return response
