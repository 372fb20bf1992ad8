"""SLA events on the incident timeline read as sentences in the viewer's language, hidden behind a
"show service-level events" toggle on the agent page and never shown to the caller."""

import re

import pytest
from django.urls import reverse

from core.choices import TimelineKind
from incidents import services as incidents
from incidents.choices import HoldReason, ResolutionCode
from incidents.models import IncidentTimelineEntry
from slm import services
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db

RAW = ("Target seconds", "Timer:", "Kind:", "Cycle:", "target_seconds")


def page(client, incident, headers=None, **params):
    url = reverse("incidents:agent-detail", kwargs={"number": incident.number})
    return client.get(url, params, headers=headers)


def timeline_text(response) -> str:
    html = response.content.decode()
    block = html[html.index('id="timeline-block"') : html.index('id="timeline-end"')]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block))


@pytest.fixture
def lived(clock, policy, desk, end_user, agent, service_desk_group):
    """An incident on the 08:00-17:00 "Office hours" calendar that went through the whole life:
    first response, on hold awaiting the caller and back, a warning and a breach from the sweep."""
    incident = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    clock.advance(minutes=20)
    incidents.add_comment(incident, by=agent, body="Looking into it.", public=True)
    clock.advance(minutes=40)
    incidents.put_on_hold(
        incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="Which printer?"
    )
    clock.advance(hours=1)
    incidents.add_comment(incident, by=end_user, body="The one on floor 3.", public=True)
    clock.advance(hours=6)  # 7 of 8 business hours used: past the 75 % warning
    services.sweep_timers()
    clock.advance(hours=17)  # 10:00 the next day, 9 business hours used: breached
    services.sweep_timers()
    return incident


def test_agent_page_tells_sla_events_in_english(client, agent, lived):
    client.force_login(agent)
    text = timeline_text(page(client, lived, sla="1"))
    assert "Resolution target 8 business hours (Standard, Office hours) started." in text
    assert "First response target 1 business hour (Standard, Office hours) started." in text
    assert "First response target met after 20 min." in text
    assert "Resolution target paused (on hold: awaiting caller)." in text
    assert "Resolution target resumed." in text
    assert "Resolution target warning: 75 % of 8 business hours used." in text
    assert "Resolution target breached: 8 business hours used up." in text
    for raw in RAW:
        assert raw not in text


def test_agent_page_tells_sla_events_in_swedish(client, other_group_agent, lived):
    client.force_login(other_group_agent)  # language "sv"
    text = timeline_text(page(client, lived, sla="1"))
    assert "Mål för lösningstid 8 arbetstimmar (Standard, Office hours) har startat." in text
    assert "Mål för svarstid uppfyllt efter 20 min." in text
    assert "Mål för lösningstid pausat (väntande: väntar på anmälaren)." in text
    assert "Mål för lösningstid räknar igen." in text
    assert "Mål för lösningstid: varning, 75 % av 8 arbetstimmar har förbrukats." in text
    assert "Mål för lösningstid överskridet: 8 arbetstimmar har förbrukats." in text
    for english in ("started", "target", "business hours", *RAW):
        assert english not in text


def test_service_level_events_are_hidden_until_the_agent_asks(client, agent, lived):
    client.force_login(agent)
    count = lived.timeline.filter(kind=TimelineKind.SLA).count()
    hidden = page(client, lived)
    text = timeline_text(hidden)
    assert "Looking into it." in text  # the conversation is there...
    assert "Resolution target" not in text  # ...the service-level events are not
    assert f"Show service-level events ({count})" in text
    assert f'href="/agent/incidents/{lived.number}/?sla=1#timeline-block"' in hidden.content.decode()

    shown = timeline_text(page(client, lived, sla="1"))
    assert "Resolution target 8 business hours (Standard, Office hours) started." in shown
    assert "Hide service-level events" in shown
    assert shown.count("Service level") == count  # one tag per SLA entry


def test_the_toggle_swaps_the_timeline_alone_for_htmx(client, agent, lived):
    client.force_login(agent)
    response = page(client, lived, {"HX-Request": "true", "HX-Target": "timeline-block"}, sla="1")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="timeline-block">')
    assert "<html" not in html and "comment-form" not in html
    assert "Resolution target 8 business hours (Standard, Office hours) started." in html
    assert "HX-Request" in response["Vary"]


def test_rows_written_before_the_sentences_render_in_the_viewers_language(
    client, other_group_agent, desk, end_user
):
    incident = make_incident(end_user)
    # As the engine wrote them before: English text, no calendar, no warning percentage.
    old = {"timer": 948, "kind": "sla", "metric": "resolution", "cycle": 1, "policy": "IT standard"}
    IncidentTimelineEntry.objects.create(
        ticket=incident,
        kind=TimelineKind.SLA,
        body="Resolution target 4 h (IT standard, Stockholm office 05:00–18:00)",
        data={**old, "event": "started", "target_seconds": 14400},
    )
    IncidentTimelineEntry.objects.create(
        ticket=incident,
        kind=TimelineKind.SLA,
        body="Resolution target at 75 % (4 h, IT standard).",
        data={**old, "event": "warning", "target_seconds": 14400, "due_at": "2026-03-02T12:00:00+00:00"},
    )
    IncidentTimelineEntry.objects.create(
        ticket=incident,
        kind=TimelineKind.SLA,
        body="Breach reason: the caller was on leave",
        data={**old, "event": "breach_reason", "target_seconds": 14400},
    )
    client.force_login(other_group_agent)
    text = timeline_text(page(client, incident, sla="1"))
    assert "Mål för lösningstid 4 h (IT standard) har startat." in text
    assert "Mål för lösningstid: varning, större delen av 4 h har förbrukats." in text
    assert "Breach reason: the caller was on leave" in text  # its own text: the reason was not in the data
    for raw in RAW:
        assert raw not in text


def test_reopen_cancel_and_retarget_read_as_sentences(client, agent, clock, policy, desk, end_user):
    incident = make_incident(end_user)
    incidents.update_incident(incident, by=agent, changes={"impact": 1, "urgency": 1})  # P1: 4 h
    clock.advance(hours=1)
    incidents.resolve_incident(
        incident, by=agent, resolution_code=ResolutionCode.SOLUTION_PROVIDED, resolution_notes="Done."
    )
    clock.advance(hours=1)
    incidents.reopen_incident(incident, by=agent, reason="Still broken.")
    incidents.cancel_incident(incident, by=agent, reason="Duplicate.")
    client.force_login(agent)
    text = timeline_text(page(client, incident, sla="1"))
    assert (
        "Resolution target changed from 8 business hours (Standard) to 4 business hours (Standard); "
        "time used so far is kept." in text
    )
    assert "Resolution target met after 1 h." in text
    assert "Resolution target resumed: the incident was reopened." in text
    assert "Resolution target cancelled: the incident was cancelled." in text


def test_breach_reason_reads_as_a_sentence(client, agent, clock, policy, desk, end_user):
    incident = make_incident(end_user)
    clock.advance(hours=10)
    services.sweep_timers()
    timer = incident.sla_timers.get(metric="resolution")
    services.set_breach_reason(timer, by=agent, reason="Vendor part delayed")
    client.force_login(agent)
    text = timeline_text(page(client, incident, sla="1"))
    assert "Resolution target missed, reason given: Vendor part delayed" in text


def test_caller_never_sees_service_level_records(client, end_user, lived):
    # Even one marked public by mistake (say, in the admin) stays off the caller's page.
    IncidentTimelineEntry.objects.create(
        ticket=lived,
        kind=TimelineKind.SLA,
        is_public=True,
        body="Resolution target at 75 % (8 h, Standard).",
        data={"event": "warning", "timer": 1, "kind": "sla", "metric": "resolution", "target_seconds": 28800},
    )
    client.force_login(end_user)
    response = client.get(reverse("incidents:portal-detail", kwargs={"number": lived.number}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Which printer?" in html  # the caller's conversation is there
    for text in ("Resolution target", "Service level", "75 %", *RAW):
        assert text not in html


def test_agent_page_query_count_does_not_grow_with_sla_events(
    client, agent, clock, policy, desk, end_user, django_assert_max_num_queries
):
    incident = make_incident(end_user)
    client.force_login(agent)
    page(client, incident, sla="1")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        page(client, incident, sla="1")
    for _ in range(10):  # twenty more SLA entries: paused and resumed
        clock.advance(minutes=10)
        incidents.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="?")
        clock.advance(minutes=10)
        incidents.add_comment(incident, by=end_user, body="Here.", public=True)
    assert incident.timeline.filter(kind=TimelineKind.SLA).count() >= 23
    with django_assert_max_num_queries(len(few)):
        assert page(client, incident, sla="1").status_code == 200
