"""In the browser: an agent finds the breaching-soonest queue in the menu; the service level
manager reads the reports, exports CSV and opens the printable Service Review."""

from datetime import timedelta

import pytest

from incidents.models import Incident
from slm.models import Service, SlaTimer, TimerSegment
from tests.browser.conftest import sign_in
from tests.incidents.factories import make_incident
from tests.slm.conftest import make_policy, office_hours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def overdue(desk, end_user, agent, service_desk_group):
    from slm.models import BusinessCalendar

    always = BusinessCalendar.objects.create(name="Around the clock", is_24x7=True)
    make_policy("Browser SLA", always, {("resolution", None): 60, ("response", None): 30})
    printing = Service.objects.create(name="Printing", desk=desk, calendar=office_hours("Office"))
    incident = make_incident(
        end_user, service=printing, assignment_group=service_desk_group, assigned_to=agent
    )
    # Two hours ago: the resolution target (1 h) is an hour overdue.
    shift = timedelta(hours=2)
    for timer in SlaTimer.objects.filter(incident=incident):
        TimerSegment.objects.filter(timer=timer).update(start=timer.started_at - shift)
        SlaTimer.objects.filter(pk=timer.pk).update(
            started_at=timer.started_at - shift, due_at=timer.due_at - shift, next_check_at=timer.started_at
        )
    Incident.objects.filter(pk=incident.pk).update(created_at=incident.created_at - shift)
    from slm import services

    services.sweep_timers()
    return incident


def test_agent_sees_overdue_incident_first_in_breaching_queue(new_page, agent, overdue):
    page = new_page()
    sign_in(page, "agent", "pw-agent")
    page.get_by_role("link", name="Breaching soon").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Breaching soon").is_visible()
    row = page.locator("#breaching tbody tr").first
    assert overdue.number in row.inner_text()
    assert "1 h 30 min overdue" in row.inner_text()  # the response target (30 min)


def test_service_level_manager_reads_reports(new_page, service_level_manager, overdue):
    page = new_page()
    sign_in(page, "service_level_manager", "pw-service_level_manager")
    page.get_by_role("link", name="SLA reports").click()
    page.get_by_role("link", name="Service Review per service (printable)").click()
    page.get_by_label("Service").select_option(label="Printing")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Service Review: Printing").is_visible()
    assert overdue.number in page.locator("#review-breaches").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename.startswith("service-review-")
    page.goto("/agent/slm/reports/demand/")
    assert page.locator("#demand-total").inner_text() == "1"
