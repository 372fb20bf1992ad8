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


def test_reports_show_meaningful_figures_on_the_first_run(client):
    """After `make run`'s seed_demo the service level manager's pages show a lived-in desk, not
    "median 0 min, 100 % compliance" (the timers come from the history, not the seeding)."""
    import io

    from django.core.management import call_command

    from core.models import User
    from slm.models import Service

    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(username="slmgr"))

    rows = client.get("/agent/slm/reports/compliance/", {"group_by": "priority"}).context["rows"]
    resolution = [r for r in rows if r["metric"] == "resolution" and r["completed"]]
    assert sum(r["completed"] for r in resolution) > 200  # the last 30 days
    assert any(r["compliance"] < 100 for r in resolution)
    assert all(r["compliance"] > 50 for r in resolution if r["completed"] >= 20)

    times = client.get("/agent/slm/reports/resolution-times/").context["rows"]
    busy = [r for r in times if r["n"] >= 10]
    assert len(busy) >= 5
    assert all(r["median"] > 15 * 60 and r["p90"] > r["median"] for r in busy)
    assert any(r["within_target"] < 100 for r in busy)

    demand = client.get("/agent/slm/reports/demand/").context["result"]
    assert demand.total > 300 and 0 < demand.outside_percent < 25
    assert demand.grid[0][9]["count"] > demand.grid[0][21]["count"]  # Monday 09:00 vs 21:00

    vpn = Service.objects.get(name="VPN")
    review = client.get("/agent/slm/reports/service-review/", {"service": vpn.pk}).context["review"]
    assert review["current"]["created"] > 10 and review["previous"]["created"] > 10
    assert review["current"]["mttr_seconds"] > 0

    client.force_login(User.objects.get(username="agent"))
    breaching = client.get("/agent/slm/breaching/")
    assert breaching.status_code == 200 and len(breaching.context["rows"]) >= 20
    overdue = [r for r in breaching.context["rows"] if r["soonest"] and r["soonest"].overdue]
    assert overdue  # open incidents past their target, as every desk has
