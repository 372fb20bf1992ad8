"""Resolving a problem resolves its linked open incidents in one step, each caller notified exactly
once (also when the request is retried); without the cascade, incidents awaiting the problem resume."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services as incident_services
from incidents.choices import HoldReason
from incidents.choices import State as IncidentState
from notifications.models import Notification
from problems import services
from problems.choices import State
from tests.incidents.factories import make_incident
from tests.problems.conftest import make_problem
from tests.problems.test_services import walk_to_fix

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(agent, desk, end_user, other_end_user):
    problem = walk_to_fix(make_problem(agent), agent)
    open_new = make_incident(end_user, short_description="Mail stuck")
    waiting = make_incident(other_end_user, short_description="Mail delayed")
    in_progress = make_incident(end_user, short_description="Mail bounced")
    already_resolved = make_incident(other_end_user, short_description="Mail slow")
    incident_services.resolve_incident(
        already_resolved, by=agent, resolution_code="workaround_provided", resolution_notes="Restarted"
    )
    incident_services.transition_incident(in_progress, by=agent, state=IncidentState.IN_PROGRESS)
    services.link_incidents(problem, by=agent, incidents=[open_new, waiting, in_progress, already_resolved])
    incident_services.put_on_hold(waiting, by=agent, hold_reason=HoldReason.AWAITING_PROBLEM)
    return problem, [open_new, waiting, in_progress], already_resolved


def resolved_notifications():
    return sorted(
        Notification.objects.filter(template="incident_resolved").values_list("context__number", "address")
    )


def test_cascade_resolves_each_open_incident_and_notifies_each_caller_once(agent, linked):
    problem, open_incidents, already_resolved = linked
    before = resolved_notifications()
    result = services.resolve_problem(
        problem,
        by=agent,
        resolution_code="fix_applied",
        fix_description="Relay certificate renewed",
        resolve_incidents=True,
    )
    assert sorted(result.resolved) == sorted(i.number for i in open_incidents)
    problem.refresh_from_db()
    assert problem.state == State.RESOLVED
    for incident in open_incidents:
        incident.refresh_from_db()
        assert incident.state == IncidentState.RESOLVED
        assert incident.resolution_code == "resolved_by_problem"
        assert (
            problem.number in incident.resolution_notes
            and "Relay certificate renewed" in incident.resolution_notes
        )
    already_resolved.refresh_from_db()
    assert already_resolved.resolution_code == "workaround_provided"  # untouched
    new = sorted(set(resolved_notifications()) - set(before))
    assert new == sorted((i.number, i.caller.email) for i in open_incidents)
    assert problem.timeline.get(kind="link", data__has_key="incidents_resolved").data[
        "incidents_resolved"
    ] == sorted(result.resolved)


def test_retrying_the_resolution_notifies_nobody_twice(agent, linked):
    problem, open_incidents, _resolved = linked
    kwargs = {
        "by": agent,
        "resolution_code": "fix_applied",
        "fix_description": "Renewed",
        "resolve_incidents": True,
    }
    services.resolve_problem(problem, **kwargs)
    count = Notification.objects.count()
    state_entries = problem.timeline.filter(kind="state_change").count()
    again = services.resolve_problem(problem, **kwargs)
    assert again.resolved == [] and again.resumed == []
    assert Notification.objects.count() == count
    assert problem.timeline.filter(kind="state_change").count() == state_entries
    for incident in open_incidents:
        assert (
            Notification.objects.filter(template="incident_resolved", context__number=incident.number).count()
            == 1
        )


def test_retry_resolves_an_incident_linked_after_the_resolution(agent, linked, end_user):
    problem, _open, _resolved = linked
    kwargs = {
        "by": agent,
        "resolution_code": "fix_applied",
        "fix_description": "Renewed",
        "resolve_incidents": True,
    }
    services.resolve_problem(problem, **kwargs)
    late = make_incident(end_user, short_description="Mail stuck again")
    services.link_incidents(problem, by=agent, incidents=[late])
    again = services.resolve_problem(problem, **kwargs)
    assert again.resolved == [late.number]
    assert Notification.objects.filter(template="incident_resolved", context__number=late.number).count() == 1


def test_without_cascade_only_waiting_incidents_resume(agent, linked):
    problem, (open_new, waiting, in_progress), _resolved = linked
    result = services.resolve_problem(
        problem, by=agent, resolution_code="fix_applied", fix_description="Renewed", resolve_incidents=False
    )
    assert result.resolved == [] and result.resumed == [waiting.number]
    waiting.refresh_from_db()
    open_new.refresh_from_db()
    assert waiting.state == IncidentState.IN_PROGRESS and waiting.hold_reason == ""
    assert open_new.state == IncidentState.NEW
    assert not Notification.objects.filter(
        template="incident_resolved", context__number=open_new.number
    ).exists()
    entry = waiting.timeline.filter(kind="state_change").last()
    assert entry.data["state"] == ["on_hold", "in_progress"] and problem.number in entry.body


def test_failed_resolution_writes_nothing(agent, linked):
    problem, open_incidents, _resolved = linked
    count = Notification.objects.count()
    with pytest.raises(ValidationError) as info:
        services.resolve_problem(
            problem, by=agent, resolution_code="fix_applied", fix_description=" ", resolve_incidents=True
        )
    assert "fix_description" in info.value.message_dict
    problem.refresh_from_db()
    assert problem.state == State.FIX_IN_PROGRESS
    assert Notification.objects.count() == count
    for incident in open_incidents:
        incident.refresh_from_db()
        assert incident.state != IncidentState.RESOLVED


def test_cancelling_resumes_incidents_awaiting_the_problem(agent, linked):
    problem, (_new, waiting, _in_progress), _resolved = linked
    services.cancel_problem(problem, by=agent, reason="Duplicate effort")
    waiting.refresh_from_db()
    assert waiting.state == IncidentState.IN_PROGRESS


def test_assignee_hears_when_someone_else_resolves(agent, incident_manager, service_desk_group, linked):
    problem, _open, _resolved = linked
    services.assign_problem(problem, by=incident_manager, group=service_desk_group, assignee=incident_manager)
    services.resolve_problem(
        problem, by=agent, resolution_code="fix_applied", fix_description="x", resolve_incidents=False
    )
    rows = Notification.objects.filter(template="problem_resolved")
    assert list(rows.values_list("address", flat=True)) == ["incident_manager@example.com"]
