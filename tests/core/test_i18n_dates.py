"""One unambiguous date-time format per language, on pages and in e-mails.

English: "8 Dec 2026, 14:05" and "8 Dec 2026"; Swedish: "2026-12-08 14:05" and "2026-12-08".
Never "12/08/2026", "p.m." or an English month name inside a Swedish date.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from core.dates import format_date, format_datetime, iso

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MOMENT = dt.datetime(2026, 12, 8, 13, 5, tzinfo=dt.UTC)  # 14:05 in Stockholm
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("language", "date_time", "date"),
    [("en", "8 Dec 2026, 14:05", "8 Dec 2026"), ("sv", "2026-12-08 14:05", "2026-12-08")],
)
def test_one_format_per_language(language, date_time, date):
    with translation.override(language), timezone.override(STOCKHOLM):
        assert format_datetime(MOMENT) == date_time
        assert format_date(MOMENT.date()) == date
        # Every named Django format gives the same text: a stray |date:"SHORT_..." cannot differ.
        rendered = Template(
            '{{ m|when }}|{{ m|date:"DATETIME_FORMAT" }}|{{ m|date:"SHORT_DATETIME_FORMAT" }}'
            '|{{ d|day }}|{{ d|date:"DATE_FORMAT" }}|{{ d|date:"SHORT_DATE_FORMAT" }}'
        ).render(Context({"m": MOMENT, "d": MOMENT.date()}))
    assert rendered.split("|") == [date_time] * 3 + [date] * 3


def test_iso_text_from_a_payload_keeps_its_zone_and_takes_the_readers_language():
    """E-mail payloads carry ISO text in the recipient's zone; the template formats it at delivery."""
    text = iso(MOMENT, "America/New_York")
    assert text == "2026-12-08T08:05:00-05:00"
    with translation.override("sv"), timezone.override(STOCKHOLM):
        assert Template("{{ t|when }}").render(Context({"t": text})) == "2026-12-08 08:05"
    with translation.override("en"):
        assert Template("{{ t|when }}").render(Context({"t": text})) == "8 Dec 2026, 08:05"
        assert Template("{{ t|day }}").render(Context({"t": "2026-03-01"})) == "1 Mar 2026"


def test_an_explicit_zone_wins():
    with translation.override("en"):
        assert Template("{{ m|when:'Asia/Tokyo' }}").render(Context({"m": MOMENT})) == "8 Dec 2026, 22:05"


def test_no_template_hard_codes_a_date_format():
    """Pages and e-mails go through |when, |day, |clock; only machine-readable 'c' and names stay."""
    allowed = {"c", "l", "j", "YEAR_MONTH_FORMAT", "MONTH_DAY_FORMAT"}
    offenders = []
    for path in (ROOT / "templates").rglob("*"):
        if not path.is_file():
            continue
        for match in re.finditer(r"\|(?:date|time):[\"']([^\"']*)[\"']", path.read_text(encoding="utf-8")):
            if match.group(1) not in allowed:
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db
def test_sla_breach_email_shows_the_due_time_in_the_recipients_language():
    from notifications.models import Notification
    from notifications.services import render

    payload = {
        "number": "INC0001042",
        "short_description": "Printer",
        "priority": 2,
        "metric": "resolution",
        "target_minutes": 240,
        "policy": "IT standard",
        "due_at": iso(MOMENT, STOCKHOLM),
        "time_zone": "Europe/Stockholm",
    }
    bodies = {}
    for language in ("en", "sv"):
        note = Notification(
            template="sla_breach", address="a@example.com", language=language, context=payload
        )
        subject, body, _html = render(note)
        bodies[language] = body
    assert "8 Dec 2026, 14:05" in bodies["en"]
    assert "2026-12-08 14:05" in bodies["sv"] and "Lösningstid" in bodies["sv"]
    assert "Dec" not in bodies["sv"]
