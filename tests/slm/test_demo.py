"""seed_demo's SLM part: services, calendars (05:00-18:00 Stockholm with Swedish holidays, 24x7,
HR), policies; idempotent; incidents created afterwards get realistic timers."""

from datetime import UTC, date, datetime, time

import pytest

from core import demo as core_demo
from slm import demo
from slm.models import BusinessCalendar, Service, SlaPolicy, SlaTimer
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def seed_twice():
    base = core_demo.seed()
    first = demo.seed(base)
    counts = (Service.objects.count(), BusinessCalendar.objects.count(), SlaPolicy.objects.count())
    again = demo.seed(core_demo.seed())
    assert counts == (Service.objects.count(), BusinessCalendar.objects.count(), SlaPolicy.objects.count())
    assert set(first["services"]) == set(again["services"])
    return base, again


def test_seed_is_idempotent_and_returns_services(clock):
    base, result = seed_twice()
    assert {"E-mail", "VPN", "Printing", "Payroll", "ERP", "Wi-Fi"} <= set(result["services"])
    office = BusinessCalendar.objects.get(name="Stockholm office 05:00–18:00")
    cal = office.to_calendar()
    assert cal.weekly[0] == ((time(5), time(18)),)
    assert cal.is_holiday(date(2026, 6, 19))  # Midsommarafton
    assert cal.is_holiday(date(2026, 12, 24)) and cal.is_holiday(date(2026, 4, 3))
    assert BusinessCalendar.objects.get(name="24×7").is_24x7


def test_demo_policies_give_realistic_timers(clock):
    base, result = seed_twice()
    alice = base["users"]["alice"]
    p1 = make_incident(
        alice, service=result["services"]["VPN"], impact=1, urgency=1, desk=base["desks"]["it"]
    )
    resolution = SlaTimer.objects.get(incident=p1, metric="resolution")
    assert resolution.policy.name == "IT critical (P1/P2) 24×7"
    assert resolution.due_at == datetime(2026, 3, 2, 12, tzinfo=UTC)  # 4 h around the clock
    password = make_incident(
        alice, category=base["categories"]["Access > Password"], desk=base["desks"]["it"]
    )
    assert SlaTimer.objects.get(incident=password, metric="resolution").target_seconds == 6 * 3600
    p3 = make_incident(alice, impact=2, urgency=2, desk=base["desks"]["it"])
    timer = SlaTimer.objects.get(incident=p3, metric="resolution")
    assert timer.target_seconds == 3 * 13 * 3600  # 3 business days of 05:00-18:00
    hr = make_incident(alice, desk=base["desks"]["hr"], service=result["services"]["Payroll"])
    assert SlaTimer.objects.get(incident=hr, metric="resolution").calendar.name == "HR office 08:00–16:30"
