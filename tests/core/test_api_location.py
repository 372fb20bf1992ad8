"""``Location`` is always exactly ``str``: wsgiref (``make run``) refuses anything else with a 500."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from rest_framework.relations import Hyperlink
from rest_framework.response import Response

from core.api.location import plain_str, set_location

ROOT = Path(__file__).resolve().parents[2]


def test_every_kind_of_url_string_becomes_a_plain_str():
    lazy_url = lazy(lambda: "/api/v1/changes/CHG0001000/", str)()
    for value in (
        Hyperlink("http://testserver/api/v1/changes/CHG0001000/", obj=None),
        mark_safe("http://testserver/api/v1/changes/CHG0001000/"),
        lazy_url,
        "/plain/",
    ):
        text = plain_str(value)
        assert type(text) is str and text == str(value)
    response = set_location(Response(status=201), Hyperlink("http://testserver/x/", obj=None))
    assert type(response["Location"]) is str


def test_api_views_set_location_only_through_the_helper():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in ROOT.glob("*/api/*.py")
        if path != ROOT / "core" / "api" / "location.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"""\[\s*["']Location["']\s*\]\s*=""", line)
    ]
    assert offenders == []
