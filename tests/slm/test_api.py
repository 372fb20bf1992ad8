"""/api/v1/slm/services|calendars|policies/: agents read, service level managers write; errors name
the field; lists are constant in queries; the incident timer serializer shows live figures."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from slm import services
from slm.api.serializers import IncidentTimerSerializer
from slm.models import BusinessCalendar, Service, SlaPolicy, SlaTimer
from tests.incidents.factories import make_incident
from tests.slm.conftest import make_policy, office_hours

pytestmark = pytest.mark.django_db


def test_end_user_cannot_read_slm_api(as_user, end_user, calendar):
    assert as_user(end_user).get("/api/v1/slm/calendars/").status_code == 403


def test_agent_reads_but_cannot_write(as_user, agent, policy, desk):
    client = as_user(agent)
    response = client.get("/api/v1/slm/policies/")
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert item["name"] == "Standard"
    assert {"metric": "resolution", "priority": 1, "target_minutes": 240} in item["targets"]
    assert client.post("/api/v1/slm/services/", {"name": "VPN"}).status_code == 403
    assert not Service.objects.filter(name="VPN").exists()


def test_service_level_manager_creates_calendar_with_hours_and_holidays(as_user, service_level_manager):
    response = as_user(service_level_manager).post(
        "/api/v1/slm/calendars/",
        {
            "name": "Stockholm 05-18",
            "time_zone": "Europe/Stockholm",
            "hours": [{"weekday": d, "start": "05:00", "end": "18:00"} for d in range(5)],
            "holidays": [{"date": "2026-12-24", "name": "Julafton", "recurring": True}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    calendar = BusinessCalendar.objects.get(name="Stockholm 05-18")
    assert calendar.hours.count() == 5
    assert calendar.to_calendar().is_holiday(__import__("datetime").date(2030, 12, 24))


def test_bad_calendar_input_is_a_400_naming_the_field(as_user, service_level_manager):
    client = as_user(service_level_manager)
    bad_zone = client.post(
        "/api/v1/slm/calendars/", {"name": "X", "time_zone": "Mars/Olympus"}, format="json"
    )
    assert bad_zone.status_code == 400 and "time_zone" in bad_zone.json()
    overlap = client.post(
        "/api/v1/slm/calendars/",
        {
            "name": "Y",
            "hours": [
                {"weekday": 0, "start": "08:00", "end": "12:00"},
                {"weekday": 0, "start": "11:00", "end": "13:00"},
            ],
        },
        format="json",
    )
    assert overlap.status_code == 400 and "hours" in overlap.json()
    assert not BusinessCalendar.objects.filter(name__in=["X", "Y"]).exists()


def test_policy_write_validates_and_replaces_targets(as_user, service_level_manager, calendar, network_group):
    client = as_user(service_level_manager)
    payload = {
        "name": "Network OLA",
        "kind": "ola",
        "calendar": calendar.pk,
        "targets": [{"metric": "resolution", "priority": None, "target_minutes": 120}],
    }
    missing_group = client.post("/api/v1/slm/policies/", payload, format="json")
    assert missing_group.status_code == 400 and "support_group" in missing_group.json()
    created = client.post(
        "/api/v1/slm/policies/", {**payload, "support_group": network_group.pk}, format="json"
    )
    assert created.status_code == 201, created.json()
    policy = SlaPolicy.objects.get(name="Network OLA")
    patched = client.patch(
        f"/api/v1/slm/policies/{policy.pk}/",
        {"targets": [{"metric": "response", "priority": 1, "target_minutes": 15}], "priorities": [1, 2]},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    policy.refresh_from_db()
    assert list(policy.targets.values_list("metric", "priority", "target_minutes")) == [("response", 1, 15)]
    assert policy.priorities == [1, 2]
    duplicate = client.patch(
        f"/api/v1/slm/policies/{policy.pk}/",
        {"targets": [{"metric": "response", "priority": 1, "target_minutes": 15}] * 2},
        format="json",
    )
    assert duplicate.status_code == 400 and "targets" in duplicate.json()


def test_calendar_in_use_cannot_be_deleted(as_user, service_level_manager, policy, calendar):
    response = as_user(service_level_manager).delete(f"/api/v1/slm/calendars/{calendar.pk}/")
    assert response.status_code == 409
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()


def test_lists_are_constant_in_queries(as_user, agent, desk):
    client = as_user(agent)

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    office_hours("A")
    make_policy("P1", BusinessCalendar.objects.get(name="A"), {("resolution", None): 60})
    before = {
        p: count(p) for p in ("/api/v1/slm/calendars/", "/api/v1/slm/policies/", "/api/v1/slm/services/")
    }
    for i in range(5):
        cal = office_hours(f"C{i}")
        make_policy(f"Q{i}", cal, {("resolution", None): 60, ("response", 2): 10})
        Service.objects.create(name=f"S{i}", desk=desk)
    after = {p: count(p) for p in before}
    assert before == after


def test_incident_timer_serializer_gives_live_figures_in_constant_queries(clock, policy, desk, end_user):
    for _ in range(2):
        make_incident(end_user)
    clock.advance(hours=2)

    def serialize():
        with CaptureQueriesContext(connection) as ctx:
            data = [
                IncidentTimerSerializer(i.sla_timers.all(), many=True).data
                for i in Incident.objects.prefetch_related(services.timers_prefetch())
            ]
        return data, len(ctx.captured_queries)

    data, queries = serialize()
    for _ in range(3):
        make_incident(end_user)
    more, more_queries = serialize()
    assert queries == more_queries
    resolution = next(t for t in data[0] if t["metric"] == "resolution")
    assert resolution["target_seconds"] == 8 * 3600
    assert resolution["elapsed_seconds"] == 2 * 3600
    assert resolution["remaining_seconds"] == 6 * 3600
    assert (
        resolution["state"] == "running" and resolution["breached"] is False and resolution["paused"] is False
    )
    assert resolution["due_at"] == "2026-03-02T17:00:00+01:00"  # 16:00 UTC
    response = next(t for t in data[0] if t["metric"] == "response")
    assert response["breached"] is True  # 2 h of a 1 h target, before the sweep has run
    assert SlaTimer.objects.filter(state="breached").count() == 0
