"""SLA reports for the service level manager: compliance, resolution-time distribution, demand by
hour of week against service hours, the Service Review; each with a CSV export of the same data."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services as incidents
from slm import reports, services
from slm.models import Holiday, Service
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def resolve(incident, agent):
    incidents.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Done."
    )


@pytest.fixture
def history(clock, policy, desk, end_user, agent, category_tree):
    """Printing: one resolved in 2 h, one in 10 h (missed); VPN: one in 4 h."""
    printing = Service.objects.create(name="Printing", desk=desk)
    vpn = Service.objects.create(name="VPN", desk=desk)
    fast = make_incident(end_user, service=printing, category=category_tree["Printer"])
    slow = make_incident(end_user, service=printing, category=category_tree["Printer"])
    vpn_one = make_incident(end_user, service=vpn, category=category_tree["E-mail"])
    for i in (fast, slow, vpn_one):
        incidents.add_comment(i, by=agent, body="On it.", public=True)
    clock.advance(hours=2)
    resolve(fast, agent)
    clock.advance(hours=2)
    resolve(vpn_one, agent)
    clock.set(utc(2026, 3, 3, 9))  # Tuesday 10:00 local: 8 h + 2 h
    resolve(slow, agent)
    return {"printing": printing, "vpn": vpn}


PERIOD = {"start": "2026-03-01", "end": "2026-03-07"}


def test_agents_without_the_role_cannot_see_reports(client, agent):
    client.force_login(agent)
    assert client.get("/agent/slm/reports/").status_code == 403


def test_compliance_per_service(client, service_level_manager, history):
    client.force_login(service_level_manager)
    response = client.get("/agent/slm/reports/compliance/", {**PERIOD, "group_by": "service"})
    assert response.status_code == 200
    rows = {(r["group"], r["metric"]): r for r in response.context["rows"]}
    assert rows[("Printing", "resolution")]["completed"] == 2
    assert rows[("Printing", "resolution")]["breached"] == 1
    assert rows[("Printing", "resolution")]["compliance"] == 50.0
    assert rows[("VPN", "resolution")]["compliance"] == 100.0
    assert rows[("Printing", "response")]["met"] == 2
    exported = client.get(
        "/agent/slm/reports/compliance/", {**PERIOD, "group_by": "service", "format": "csv"}
    )
    assert exported["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode())))
    assert table[0][:3] == ["service", "metric", "completed"]
    assert ["Printing", "resolution", "2", "1", "1", "50.0", "0"] in table


def test_compliance_per_priority_and_category(service_level_manager, history):
    start, end = utc(2026, 3, 1), utc(2026, 3, 8)
    by_priority = reports.compliance(start, end, group_by="priority")
    assert {(r["group"], r["metric"], r["completed"]) for r in by_priority} >= {(5, "resolution", 3)}
    by_category = reports.compliance(start, end, group_by="category")
    assert ("Hardware > Printer", "resolution", 50.0) in {
        (r["group"], r["metric"], r["compliance"]) for r in by_category
    }


def test_resolution_time_distribution(client, service_level_manager, history, category_tree):
    client.force_login(service_level_manager)
    response = client.get("/agent/slm/reports/resolution-times/", PERIOD)
    assert response.status_code == 200
    rows = {r["category"]: r for r in response.context["rows"]}
    printer = rows["Hardware > Printer"]
    assert printer["n"] == 2
    assert printer["median"] == 6 * 3600  # between 2 h and 10 h
    assert printer["p90"] == pytest.approx(9.2 * 3600)
    assert printer["within_target"] == 50.0
    assert "90 % of Hardware &gt; Printer incidents resolved within 9 h 12 min" in response.content.decode()
    only_hardware = reports.resolution_times(
        utc(2026, 3, 1), utc(2026, 3, 8), category=category_tree["Hardware"]
    )
    assert [r["category"] for r in only_hardware] == ["Hardware > Printer"]
    exported = client.get("/agent/slm/reports/resolution-times/", {**PERIOD, "format": "csv"})
    assert "Hardware > Printer,2,21600,33120," in exported.content.decode()


def test_demand_by_hour_marks_service_hours_and_counts_after_hours(
    client, clock, service_level_manager, calendar, desk, end_user
):
    Holiday.objects.create(calendar=calendar, date=date(2026, 3, 4), name="Closed")
    for instant in (
        utc(2026, 3, 2, 8, 30),  # Mon 09:30 local: open
        utc(2026, 3, 2, 17, 0),  # Mon 18:00: closed
        utc(2026, 3, 3, 6, 59),  # Tue 07:59: closed
        utc(2026, 3, 4, 10),  # Wed 11:00 but a holiday: closed
        utc(2026, 3, 7, 10),  # Saturday: closed
    ):
        clock.set(instant)
        make_incident(end_user)
    client.force_login(service_level_manager)
    response = client.get("/agent/slm/reports/demand/", {**PERIOD, "calendar": calendar.pk})
    assert response.status_code == 200
    result = response.context["result"]
    assert result.total == 5 and result.outside == 4 and result.outside_percent == 80.0
    assert result.grid[0][9] == {"count": 1, "open_minutes": 60}
    assert result.grid[0][18] == {"count": 1, "open_minutes": 0}
    assert result.grid[5][11]["count"] == 1
    exported = client.get("/agent/slm/reports/demand/", {**PERIOD, "calendar": calendar.pk, "format": "csv"})
    lines = exported.content.decode().splitlines()
    assert len(lines) == 1 + 7 * 24 and "Monday,9,1,60" in lines


def test_demand_query_count_does_not_grow_with_tickets(
    clock, service_level_manager, calendar, desk, end_user
):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            reports.demand(utc(2026, 3, 1), utc(2026, 3, 8), calendar=calendar)
        return len(ctx.captured_queries)

    make_incident(end_user)
    first = count()
    for _ in range(5):
        clock.advance(hours=3)
        make_incident(end_user)
    assert count() == first


def test_service_review_is_printable_and_exports(client, clock, service_level_manager, history, agent):
    timer = history["printing"].incidents.order_by("id").last().sla_timers.get(metric="resolution")
    services.set_breach_reason(timer, by=agent, reason="Toner out of stock.")
    client.force_login(service_level_manager)
    params = {**PERIOD, "service": history["printing"].pk}
    response = client.get("/agent/slm/reports/service-review/", params)
    assert response.status_code == 200
    review = response.context["review"]
    assert review["current"]["created"] == 2 and review["current"]["resolved"] == 2
    assert review["previous"]["created"] == 0
    assert review["current"]["compliance"]["resolution"]["compliance"] == 50.0
    assert review["current"]["mttr_seconds"] == 6 * 3600
    # The slow one missed resolution and its caller-update interval (4 h without an update).
    assert sorted((v.timer.metric, v.timer.incident_id) for v in review["breaches"]) == [
        ("resolution", timer.incident_id),
        ("update", timer.incident_id),
    ]
    html = response.content.decode()
    # The print button works through static/js/itsm.js (no inline handler under the CSP).
    assert "Toner out of stock." in html and "data-print" in html and "2 h" in html
    exported = client.get("/agent/slm/reports/service-review/", {**params, "format": "csv"})
    text = exported.content.decode()
    assert "volume,created,2,0" in text and "Toner out of stock." in text


def test_bad_period_is_a_form_error_not_a_500(client, service_level_manager):
    client.force_login(service_level_manager)
    response = client.get("/agent/slm/reports/compliance/", {"start": "2026-03-09", "end": "2026-03-01"})
    assert response.status_code == 200
    assert "starts after it ends" in response.content.decode()
    garbage = client.get("/agent/slm/reports/demand/", {"start": "yesterday"})
    assert garbage.status_code == 200 and "Enter a valid date" in garbage.content.decode()
    missing = client.get("/agent/slm/reports/service-review/", {"start": "2026-03-01"})
    assert missing.status_code == 200 and "This field is required" in missing.content.decode()
