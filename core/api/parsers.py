"""Request body parsers with the limits Django applies to forms, for JSON bodies too.

DRF's parsers read the request stream directly, so ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (which Django
checks only in ``request.body`` and its own form parsing) never applied to JSON: any size was
read. And Python's ``json`` module answers a deeply nested document with ``RecursionError``,
which DRF does not catch (a 500). Both become a 4xx that says what is wrong.
"""

from __future__ import annotations

import codecs

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import QueryDict
from django.utils.translation import gettext
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.settings import api_settings
from rest_framework.utils import json

# Deeper than any document of this API; far below the interpreter's recursion limit.
MAX_JSON_DEPTH = 64


def read_limited(stream) -> bytes:
    """The whole body, refusing it (``RequestDataTooBig``, answered 413) past the upload limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if stream is None:
        return b""
    if limit is None:
        return stream.read()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestDataTooBig(f"Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE ({limit}).")
    return body


def _depth(text: str) -> int:
    """Maximum bracket nesting, ignoring brackets inside strings (a linear scan, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _nul_errors(data, prefix: str = "") -> dict[str, list[str]]:
    """``{field: [message]}`` for every string (key or value) that holds a NUL character."""
    errors: dict[str, list[str]] = {}
    message = gettext("NUL characters are not allowed.")
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = ((str(index), value) for index, value in enumerate(data))
    else:
        return errors
    for key, value in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            errors[name.replace("\x00", "\\0")] = [message]
        elif isinstance(value, dict | list):
            errors.update(_nul_errors(value, name))
    return errors


def refuse_nul(data):
    """PostgreSQL cannot store or compare text with NUL: refuse it with the field named, whatever
    the field (a user lookup would otherwise reach the database and fail there)."""
    if isinstance(data, QueryDict):
        errors = _nul_errors({key: "".join(values) for key, values in data.lists()})
    else:
        errors = _nul_errors(data)
    if errors:
        raise ValidationError(errors)
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a body size limit, a nesting limit and a limit on object members."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        body = read_limited(stream)
        try:
            text = codecs.decode(body, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(gettext("JSON parse error - %(error)s") % {"error": exc})
        # Only bodies with many brackets are scanned; the scan stops at the first level too deep.
        if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _depth(text) > MAX_JSON_DEPTH:
            raise ParseError(
                gettext("JSON is nested too deeply (more than %(depth)d levels).") % {"depth": MAX_JSON_DEPTH}
            )
        max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        members = 0

        def count_members(pairs):
            nonlocal members
            members += len(pairs)
            if max_fields is not None and members > max_fields:
                raise TooManyFieldsSent(f"The JSON body has more than {max_fields} members.")
            return dict(pairs)

        try:
            parse_constant = json.strict_constant if api_settings.STRICT_JSON else None
            data = json.loads(text, parse_constant=parse_constant, object_pairs_hook=count_members)
        except RecursionError:
            raise ParseError(gettext("JSON is nested too deeply."))
        except ValueError as exc:
            raise ParseError(gettext("JSON parse error - %(error)s") % {"error": exc})
        return refuse_nul(data)


class FormParser(parsers.FormParser):
    """DRF's form parser with the upload size limit (Django's field count limit applies as well)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        return refuse_nul(QueryDict(read_limited(stream), encoding=encoding))


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser; text fields with NUL are refused like in the other parsers."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        refuse_nul(result.data)
        return result
