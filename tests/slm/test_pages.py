"""Where people see timers: the agent incident panel, the caller's portal promise, the "breaching
soonest" queue, and the breach-reason form; plus the SLA notification e-mails."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from core.panels import render_panels
from incidents import services as incidents
from incidents.choices import HoldReason
from notifications.models import Notification
from notifications.services import render
from slm import services
from slm.models import SlaTimer
from tests.incidents.factories import make_incident
from tests.slm.conftest import make_policy

pytestmark = pytest.mark.django_db


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def panel(slot, user, incident):
    request = RequestFactory().get("/")
    request.user = user
    return "".join(render_panels(slot, request, incident))


def test_agent_panel_shows_each_timer_with_its_explanation(clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)
    clock.advance(minutes=30)
    incidents.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="Which one?")
    clock.advance(hours=1)
    html = panel("incident-agent-side", agent, incident)
    assert 'data-metric="resolution" data-state="paused"' in html
    assert "7 h 30 min left" in html
    assert "Standard" in html and "Office hours" in html and "Europe/Stockholm" in html
    assert "2 Mar 2026, 09:00" in html  # started, in the agent's time zone
    assert "2 Mar 2026, 09:30 – now" in html  # the pause
    assert "not while paused" in html
    assert 'data-metric="response" data-state="met"' in html


def test_end_user_never_sees_the_agent_panel(clock, policy, desk, end_user):
    incident = make_incident(end_user)
    assert panel("incident-agent-side", end_user, incident) == ""


def test_portal_shows_expected_resolution_in_the_callers_time_zone(clock, policy, desk, end_user, agent):
    end_user.time_zone = "America/New_York"
    end_user.save(update_fields=["time_zone"])
    incident = make_incident(end_user)
    html = panel("incident-portal", end_user, incident)
    assert "We aim to resolve this by 2 Mar 2026, 11:00." in html  # 17:00 Stockholm
    incidents.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="?")
    assert "waiting for your reply" in panel("incident-portal", end_user, incident)
    incidents.resolve_incident(incident, by=agent, resolution_code="solution_provided", resolution_notes="x")
    assert panel("incident-portal", end_user, incident) == ""


def test_breaching_page_orders_by_soonest_due_with_overdue_first(
    client, clock, calendar, desk, end_user, agent
):
    make_policy("Resolution only", calendar, {("resolution", None): 8 * 60})
    late = make_incident(end_user, short_description="late one")  # Mon 09:00: due Mon 17:00
    clock.advance(hours=2)
    soon = make_incident(end_user, short_description="soon one")  # Mon 11:00: due Tue 10:00
    paused = make_incident(end_user, short_description="paused one")
    incidents.put_on_hold(paused, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="?")
    clock.set(utc(2026, 3, 3, 8))  # Tue 09:00 local
    client.force_login(agent)
    response = client.get("/agent/slm/breaching/")
    assert response.status_code == 200
    rows = [r["incident"].number for r in response.context["rows"]]
    assert rows == [late.number, soon.number]  # paused timers are not due
    html = response.content.decode()
    assert "1 h overdue" in html and "1 h</span>" in html


def test_breaching_page_is_constant_in_queries(client, clock, policy, desk, end_user, agent):
    client.force_login(agent)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/agent/slm/breaching/").status_code == 200
        return len(ctx.captured_queries)

    make_incident(end_user)
    first = count()
    for _ in range(6):
        make_incident(end_user)
    assert count() == first


def test_end_user_gets_403_on_agent_pages(client, end_user):
    client.force_login(end_user)
    assert client.get("/agent/slm/breaching/").status_code == 403


def test_breach_reason_form(client, clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)
    clock.set(utc(2026, 3, 3, 9))
    services.sweep_timers()
    timer = SlaTimer.objects.get(incident=incident, metric="resolution")
    client.force_login(agent)
    empty = client.post(f"/agent/slm/timers/{timer.pk}/reason/", {"reason": ""})
    assert empty.status_code == 302
    timer.refresh_from_db()
    assert timer.breach_reason == ""
    client.post(f"/agent/slm/timers/{timer.pk}/reason/", {"reason": "Waiting for a spare part."})
    timer.refresh_from_db()
    assert timer.breach_reason == "Waiting for a spare part."


@pytest.mark.parametrize("language", ["en", "sv"])
def test_sla_notifications_render_in_the_recipients_language(clock, policy, desk, end_user, agent, language):
    agent.language = language
    agent.save(update_fields=["language"])
    incident = make_incident(end_user, assigned_to=agent, assignment_group=agent.support_groups.first())
    clock.set(utc(2026, 3, 3, 9))
    services.sweep_timers()
    row = Notification.objects.filter(
        template="sla_breach", address=agent.email, context__metric="resolution"
    ).get()
    subject, body, _html = render(row)
    assert incident.number in subject
    # The due time in the desk's zone, in the recipient's one date-time format (core.dates).
    stamp = "2026-03-02 17:00" if language == "sv" else "2 Mar 2026, 17:00"
    assert f"{stamp} (Europe/Stockholm)" in body
    if language == "sv":
        assert "Lösning" in subject or "lösning" in subject
    else:
        assert subject == f"[{incident.number}] SLA breached: Resolution target missed (P5)"


def test_queue_badges_partial_for_the_incident_queue(clock, policy, desk, end_user):
    from django.template.loader import render_to_string

    from incidents.models import Incident

    make_incident(end_user)
    clock.advance(hours=2)
    incident = Incident.objects.prefetch_related(services.timers_prefetch(active_only=True)).get()
    html = render_to_string("agent/slm/_queue_badges.html", {"incident": incident})
    assert "Response: 1 h overdue" in html and "Resolution: 6 h" in html


def test_with_next_due_sorts_a_queue_breaching_soonest(clock, policy, desk, end_user, agent):
    from django.db.models import F

    from incidents.models import Incident

    later = make_incident(end_user)  # P5: response due 10:00 local
    clock.advance(minutes=30)
    paused = make_incident(end_user)
    incidents.add_comment(paused, by=agent, body="?", public=True)
    incidents.put_on_hold(paused, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="?")
    sooner = make_incident(end_user, impact=1, urgency=1)  # P1: response due 09:45 local
    queue = services.with_next_due(Incident.objects.all()).order_by(F("next_due").asc(nulls_last=True), "-id")
    assert [i.number for i in queue] == [sooner.number, later.number, paused.number]
    assert queue[0].next_due == utc(2026, 3, 2, 8, 45)
