"""Scheduling against the calendar: freeze windows block normal changes unless a change manager
overrides with a reason (recorded); other conflicts are shown, not blocking."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from changes import services
from changes.choices import ChangeState, ChangeType, ConflictKind, Decision
from changes.models import ChangeTimelineEntry, FreezeWindow
from tests.changes.conftest import LOW, at, make_change, to_authorize

pytestmark = pytest.mark.django_db
S = ChangeState


@pytest.fixture
def freeze(db) -> FreezeWindow:
    """Sunday 00:00 - Monday 00:00 UTC: every service."""
    return FreezeWindow.objects.create(name="Year-end close", start=at(0, 0), end=at(1, 0))


def test_normal_change_in_a_freeze_window_is_blocked(agent, freeze, approval_rules):
    change = make_change(agent, start=at(0, 1))
    services.submit_for_assessment(change, by=agent)
    services.assess_risk(change, by=agent, answers=LOW)
    with pytest.raises(ValidationError) as excinfo:
        services.request_approval(change, by=agent)
    assert excinfo.value.message_dict["planned_start"][0].startswith(
        "The planned window falls in a freeze window (Year-end close)"
    )
    change.refresh_from_db()
    assert change.state == S.ASSESS and not change.approvals.exists()


def test_only_a_change_manager_can_override_and_only_with_a_reason(
    agent, change_manager, freeze, approval_rules
):
    change = make_change(agent, start=at(0, 1))
    with pytest.raises(PermissionDenied):
        services.override_schedule(change, by=agent, reason="Please")
    with pytest.raises(ValidationError) as excinfo:
        services.override_schedule(change, by=change_manager, reason="  ")
    assert "override_reason" in excinfo.value.message_dict
    change.refresh_from_db()
    assert change.schedule_override_at is None


def test_override_is_recorded_and_lets_the_change_be_scheduled(
    agent, change_manager, incident_manager, freeze, change_mgmt_group, approval_rules
):
    change_mgmt_group.members.add(incident_manager)
    change = make_change(agent, start=at(0, 1))
    services.override_schedule(change, by=change_manager, reason="Security fix cannot wait for January.")
    change.refresh_from_db()
    assert change.schedule_override_by == change_manager
    assert change.schedule_override_reason == "Security fix cannot wait for January."
    assert (change.schedule_override_start, change.schedule_override_end) == (
        change.planned_start,
        change.planned_end,
    )
    entry = ChangeTimelineEntry.objects.get(ticket=change, data__event="schedule_override")
    assert entry.author == change_manager
    assert [c["kind"] for c in entry.data["conflicts"]] == ["freeze"]
    assert entry.data["conflicts"][0]["freeze_name"] == "Year-end close"

    to_authorize(change, agent, LOW)
    services.decide(change, by=incident_manager, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.SCHEDULED
    scheduled = ChangeTimelineEntry.objects.get(ticket=change, data__state=["authorize", "scheduled"])
    assert scheduled.data["conflicts"][0]["blocking"] is True  # shown, and overridden


def test_override_applies_only_to_the_window_it_was_given_for(agent, change_manager, freeze, approval_rules):
    change = make_change(agent, start=at(1, 1))  # Monday: outside the freeze
    to_authorize(change, agent, LOW)
    services.decide(change, by=change_manager, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.SCHEDULED
    # Moving a scheduled normal change into the freeze is blocked like scheduling it there.
    with pytest.raises(ValidationError) as excinfo:
        services.update_change(change, by=agent, planned_start=at(0, 2), planned_end=at(0, 3))
    assert "planned_start" in excinfo.value.message_dict
    change.refresh_from_db()
    assert change.planned_start == at(1, 1)


def test_schedule_with_override_reason_records_it(
    agent, change_manager, incident_manager, freeze, approval_rules
):
    change = make_change(agent, start=at(2, 1))
    to_authorize(change, agent, LOW)
    # The freeze is extended after approval was requested: approval cannot schedule the change.
    FreezeWindow.objects.filter(pk=freeze.pk).update(end=at(3, 0))
    services.decide(change, by=change_manager, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.AUTHORIZE and change.approval_status == "approved"
    assert ChangeTimelineEntry.objects.filter(ticket=change, data__event="schedule_blocked").exists()
    with pytest.raises(ValidationError):
        services.schedule_change(change, by=agent)
    with pytest.raises(PermissionDenied):
        services.schedule_change(change, by=agent, override_reason="I say so")
    services.schedule_change(change, by=change_manager, override_reason="Agreed with Finance.")
    change.refresh_from_db()
    assert change.state == S.SCHEDULED
    assert change.schedule_override_reason == "Agreed with Finance."


def test_emergency_change_in_a_freeze_is_warned_not_blocked(agent, change_manager, freeze, approval_rules):
    change = make_change(agent, change_type=ChangeType.EMERGENCY, start=at(0, 1))
    services.request_approval(change, by=agent)
    services.decide(change, by=change_manager, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.SCHEDULED
    conflicts = services.find_conflicts(change)
    assert [(c.kind, c.blocking) for c in conflicts] == [(ConflictKind.FREEZE, False)]


def test_standard_change_in_a_freeze_is_scheduled_with_the_warning(agent, template, freeze):
    change = services.create_from_template(template, by=agent, planned_start=at(0, 1))
    change.refresh_from_db()
    assert change.state == S.SCHEDULED
    entry = ChangeTimelineEntry.objects.get(ticket=change, data__state=["new", "scheduled"])
    assert [c["kind"] for c in entry.data["conflicts"]] == ["freeze"]


def test_freeze_for_other_services_does_not_block(agent, erp_service, email_service, approval_rules):
    erp_freeze = FreezeWindow.objects.create(name="ERP close", start=at(0, 0), end=at(1, 0))
    erp_freeze.services.set([erp_service])
    change = make_change(agent, start=at(0, 1), services_=[email_service])
    to_authorize(change, agent, LOW)
    assert change.state == S.AUTHORIZE


def test_inactive_freeze_is_ignored(agent, freeze, approval_rules):
    FreezeWindow.objects.filter(pk=freeze.pk).update(is_active=False)
    change = to_authorize(make_change(agent, start=at(0, 1)), agent, LOW)
    assert change.state == S.AUTHORIZE


def test_find_conflicts_reports_maintenance_and_overlaps_from_the_database(
    agent, email_service, erp_service, email_maintenance
):
    first = make_change(agent, start=at(0, 1), hours=2, services_=[email_service], cis=["MX01"])
    # Tuesday: outside the Sunday-night window; overlapping nothing.
    assert [
        c.kind for c in services.find_conflicts(make_change(agent, start=at(2, 1), services_=[email_service]))
    ] == [ConflictKind.OUTSIDE_MAINTENANCE]
    second = make_change(agent, start=at(0, 2), hours=1, services_=[erp_service], cis=["mx01"])
    found = services.find_conflicts(second)
    assert [(c.kind, c.change_number, c.ci) for c in found] == [
        (ConflictKind.OVERLAP_CI, first.number, "MX01")
    ]
    # A cancelled change no longer conflicts.
    services.cancel_change(first, by=agent, reason="Merged into the other one.")
    assert services.find_conflicts(second) == []


def test_find_conflicts_for_a_candidate_window(agent, email_service):
    existing = make_change(agent, start=at(0, 1), hours=2, services_=[email_service])
    found = services.find_conflicts(
        planned_start=at(0, 2), planned_end=at(0, 2) + timedelta(minutes=30), service_ids=[email_service.pk]
    )
    assert [(c.kind, c.change_number, c.service_name) for c in found] == [
        (ConflictKind.OVERLAP_SERVICE, existing.number, "E-mail")
    ]


def test_find_conflicts_uses_a_constant_number_of_queries(
    agent, email_service, erp_service, email_maintenance, django_assert_max_num_queries
):
    target = make_change(agent, start=at(0, 1), services_=[email_service, erp_service], cis=["a", "b"])
    for i in range(6):
        make_change(agent, start=at(0, 1), services_=[email_service, erp_service], cis=["a", f"x{i}"])
    FreezeWindow.objects.create(name="F1", start=at(0, 0), end=at(1, 0))
    FreezeWindow.objects.create(name="F2", start=at(0, 0), end=at(1, 0))
    with django_assert_max_num_queries(9):
        found = services.find_conflicts(target)
    assert len([c for c in found if c.kind == ConflictKind.OVERLAP_SERVICE]) == 12
    assert len([c for c in found if c.kind == ConflictKind.FREEZE]) == 2
