"""Linking incidents to problems, from either side and in bulk: timeline on both, one problem per
incident, holding incidents awaiting the problem and resuming them on unlink."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services as incident_services
from incidents.choices import HoldReason
from incidents.choices import State as IncidentState
from problems import services
from problems.choices import State
from problems.models import ProblemIncident
from tests.incidents.factories import make_incident
from tests.problems.conftest import make_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(desk, end_user, other_end_user):
    return [
        make_incident(end_user, short_description="Mail stuck in outbox"),
        make_incident(other_end_user, short_description="Mail delayed by an hour"),
        make_incident(end_user, short_description="Cannot send mail"),
    ]


def test_link_writes_timeline_on_problem_and_each_incident(agent, incidents):
    problem = make_problem(agent)
    result = services.link_incidents(problem, by=agent, incidents=incidents)
    assert sorted(result.linked) == sorted(i.number for i in incidents)
    assert ProblemIncident.objects.filter(problem=problem).count() == 3
    entry = problem.timeline.get(kind="link")
    assert sorted(entry.data["linked"]) == sorted(i.number for i in incidents)
    for incident in incidents:
        note = incident.timeline.get(kind="link")
        assert note.data == {"problem": problem.number, "action": "linked"}
        assert note.is_public is False  # callers never see problem work
        assert incident.problem_link.problem == problem


def test_linking_again_is_reported_not_duplicated(agent, incidents):
    problem = make_problem(agent)
    services.link_incidents(problem, by=agent, incidents=incidents[:1])
    result = services.link_incidents(problem, by=agent, incidents=incidents[:2])
    assert result.already == [incidents[0].number]
    assert result.linked == [incidents[1].number]
    assert incidents[0].timeline.filter(kind="link").count() == 1


def test_incident_linked_elsewhere_is_refused_with_the_reason(agent, incidents):
    first, second = make_problem(agent), make_problem(agent, short_description="Other")
    services.link_incidents(first, by=agent, incidents=incidents[:1])
    result = services.link_incidents(second, by=agent, incidents=incidents[:2])
    assert result.refused == {incidents[0].number: f"already linked to {first.number}"}
    assert result.linked == [incidents[1].number]
    assert ProblemIncident.objects.get(incident=incidents[0]).problem == first


def test_closed_problem_accepts_no_links(agent, incidents):
    problem = make_problem(agent)
    services.cancel_problem(problem, by=agent, reason="Logged in error")
    with pytest.raises(ValidationError) as info:
        services.link_incidents(problem, by=agent, incidents=incidents)
    assert "incidents" in info.value.message_dict
    assert ProblemIncident.objects.count() == 0


def test_hold_puts_open_incidents_on_hold_awaiting_the_problem(agent, incidents):
    problem = make_problem(agent)
    incident_services.resolve_incident(
        incidents[2], by=agent, resolution_code="solution_provided", resolution_notes="Fixed"
    )
    result = services.link_incidents(problem, by=agent, incidents=incidents, hold=True)
    assert sorted(result.held) == sorted([incidents[0].number, incidents[1].number])
    for incident in incidents[:2]:
        incident.refresh_from_db()
        assert (incident.state, incident.hold_reason) == (IncidentState.ON_HOLD, HoldReason.AWAITING_PROBLEM)
    incidents[2].refresh_from_db()
    assert incidents[2].state == IncidentState.RESOLVED


def test_unlink_records_both_sides_and_resumes_a_waiting_incident(agent, incidents):
    problem = make_problem(agent)
    services.link_incidents(problem, by=agent, incidents=incidents[:1], hold=True)
    services.unlink_incident(problem, by=agent, incident=incidents[0], reason="Different cause")
    incident = incidents[0]
    incident.refresh_from_db()
    assert incident.state == IncidentState.IN_PROGRESS and incident.hold_reason == ""
    assert not ProblemIncident.objects.filter(incident=incident).exists()
    assert incident.timeline.filter(kind="link", data__action="unlinked").count() == 1
    assert problem.timeline.filter(kind="link", data__unlinked=[incident.number]).count() == 1


def test_unlink_of_an_incident_that_is_not_linked_is_a_field_error(agent, incidents):
    with pytest.raises(ValidationError) as info:
        services.unlink_incident(make_problem(agent), by=agent, incident=incidents[0])
    assert "incident" in info.value.message_dict


def test_create_problem_with_incidents_links_them(agent, incidents):
    problem = make_problem(agent, incidents=incidents[:2])
    assert problem.incident_links.count() == 2
    assert problem.state == State.NEW


def test_communicate_workaround_comments_once_per_incident(agent, incidents):
    from notifications.models import Notification

    problem = make_problem(agent, workaround="Restart Outlook in safe mode")
    services.link_incidents(problem, by=agent, incidents=incidents)
    first = services.communicate_workaround(problem, by=agent)
    again = services.communicate_workaround(problem, by=agent)
    assert sorted(first) == sorted(i.number for i in incidents) and again == []
    for incident in incidents:
        comments = incident.timeline.filter(kind="comment", is_public=True)
        assert comments.count() == 1 and "Restart Outlook" in comments.get().body
    assert Notification.objects.filter(template="incident_comment").count() == 3
    services.update_problem(problem, by=agent, changes={"workaround": "Use webmail"})
    assert sorted(services.communicate_workaround(problem, by=agent)) == sorted(i.number for i in incidents)
