"""The change lifecycle through the services, per type, with timeline and outbox rows."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from changes import services
from changes.choices import (
    ApprovalState,
    ApprovalStatus,
    ChangeState,
    ChangeType,
    Decision,
    Outcome,
    TemplateStatus,
)
from changes.models import ChangeRequest, ChangeTemplate, ChangeTimelineEntry
from core.choices import TimelineKind
from notifications.models import Notification
from tests.changes.conftest import HIGH, LOW, at, make_change, to_authorize

pytestmark = pytest.mark.django_db
S = ChangeState


def states_visited(change) -> list[str]:
    entries = ChangeTimelineEntry.objects.filter(ticket=change, kind=TimelineKind.STATE_CHANGE).order_by("id")
    return [entry.data["state"][1] for entry in entries]


def test_normal_change_full_lifecycle(agent, change_manager, approval_rules, email_service):
    change = make_change(agent, services_=[email_service])
    assert change.number.startswith("CHG") and len(change.number) == 10
    assert change.state == S.NEW and change.requester == agent
    to_authorize(change, agent)
    assert change.state == S.AUTHORIZE and change.approval_status == ApprovalStatus.REQUESTED

    services.decide(change, by=change_manager, decision=Decision.APPROVE, comment="Fine.")
    change.refresh_from_db()
    assert change.state == S.SCHEDULED and change.approval_status == ApprovalStatus.APPROVED

    services.start_change(change, by=agent)
    services.complete_change(change, by=agent, outcome=Outcome.SUCCESSFUL)
    assert change.state == S.REVIEW  # a normal change is always reviewed
    services.close_change(change, by=agent, review_notes="Went to plan.")

    change.refresh_from_db()
    assert change.state == S.CLOSED and change.closed_at is not None
    assert change.actual_start <= change.actual_end
    assert change.review_notes == "Went to plan."
    assert states_visited(change) == [S.ASSESS, S.AUTHORIZE, S.SCHEDULED, S.IMPLEMENT, S.REVIEW, S.CLOSED]
    assert ChangeTimelineEntry.objects.filter(ticket=change, kind=TimelineKind.CREATED).count() == 1


def test_normal_change_cannot_be_scheduled_before_approval(agent, approval_rules):
    change = make_change(agent)
    with pytest.raises(ValidationError) as excinfo:
        services.schedule_change(change, by=agent)
    assert "state" in excinfo.value.message_dict  # New → Scheduled is not a normal transition
    to_authorize(change, agent)
    with pytest.raises(ValidationError) as excinfo:
        services.schedule_change(change, by=agent)
    assert "approval" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        services.start_change(change, by=agent)
    change.refresh_from_db()
    assert change.state == S.AUTHORIZE
    assert S.SCHEDULED not in states_visited(change)


def test_normal_change_needs_assessment_plans_and_risk_before_approval(agent, approval_rules):
    change = services.create_change(by=agent, change_type=ChangeType.NORMAL, short_description="Tidy up")
    with pytest.raises(ValidationError) as excinfo:
        services.request_approval(change, by=agent)
    assert "state" in excinfo.value.message_dict  # must be assessed first
    services.submit_for_assessment(change, by=agent)
    with pytest.raises(ValidationError) as excinfo:
        services.request_approval(change, by=agent)
    assert set(excinfo.value.message_dict) == {"planned_start", "implementation_plan", "backout_plan"}
    services.update_change(
        change,
        by=agent,
        planned_start=at(0, 1),
        planned_end=at(0, 2),
        implementation_plan="Steps",
        backout_plan="Undo",
    )
    with pytest.raises(ValidationError) as excinfo:
        services.request_approval(change, by=agent)
    assert "risk" in excinfo.value.message_dict
    change.refresh_from_db()
    assert change.state == S.ASSESS and change.approval_round == 0
    assert not change.approvals.exists()


def test_standard_change_from_template_is_scheduled_and_never_authorized(agent, template):
    change = services.create_from_template(template, by=agent, planned_start=at(0, 1))
    change.refresh_from_db()
    assert change.change_type == ChangeType.STANDARD
    assert change.state == S.SCHEDULED
    assert change.approval_status == ApprovalStatus.NOT_REQUIRED
    assert change.planned_end - change.planned_start == timedelta(minutes=30)
    assert change.implementation_plan == template.implementation_plan
    assert [s.name for s in change.services.all()] == ["E-mail"]
    assert [ci.name for ci in change.configuration_items.all()] == ["web01"]
    services.start_change(change, by=agent)
    services.complete_change(change, by=agent, outcome=Outcome.SUCCESSFUL)
    change.refresh_from_db()
    assert change.state == S.CLOSED and change.outcome == Outcome.SUCCESSFUL
    assert states_visited(change) == [S.SCHEDULED, S.IMPLEMENT, S.CLOSED]
    assert not change.approvals.exists()


def test_standard_change_cannot_be_sent_for_approval_or_assessed(agent, template, approval_rules):
    change = services.create_from_template(template, by=agent)
    with pytest.raises(ValidationError):
        services.request_approval(change, by=agent)
    with pytest.raises(ValidationError):
        services.assess_risk(change, by=agent, answers=LOW)
    with pytest.raises(ValidationError):
        services.revert_to_new(change, by=agent, reason="no")
    with pytest.raises(ValidationError):
        services.create_change(by=agent, change_type=ChangeType.STANDARD, short_description="x")


def test_unapproved_template_cannot_be_used(agent, template, change_manager):
    services.retire_template(template, by=change_manager)
    with pytest.raises(ValidationError) as excinfo:
        services.create_from_template(template, by=agent)
    assert "template" in excinfo.value.message_dict
    assert not ChangeRequest.objects.exists()


def test_only_change_managers_approve_templates(agent, template):
    template.status = TemplateStatus.PROPOSED
    template.save(update_fields=["status"])
    with pytest.raises(PermissionDenied):
        services.approve_template(template, by=agent)
    template.refresh_from_db()
    assert template.status == TemplateStatus.PROPOSED


def test_failed_standard_change_goes_to_review_and_flags_its_template(agent, template, change_manager):
    change = services.create_from_template(template, by=agent)
    services.start_change(change, by=agent)
    with pytest.raises(ValidationError) as excinfo:
        services.complete_change(change, by=agent, outcome=Outcome.FAILED)
    assert "outcome_notes" in excinfo.value.message_dict
    services.complete_change(change, by=agent, outcome=Outcome.FAILED, notes="Health check failed.")
    change.refresh_from_db()
    assert change.state == S.REVIEW
    template.refresh_from_db()
    assert template.needs_review is True
    assert change.number in template.review_reason
    assert template.status == TemplateStatus.APPROVED  # still usable until a change manager retires it
    flagged = Notification.objects.get(template="change_template_flagged")
    assert flagged.recipient == change_manager
    assert flagged.context["template_name"] == template.name
    assert ChangeTimelineEntry.objects.filter(ticket=change, data__event="template_flagged").exists()
    # Re-approval after the review clears the flag.
    services.approve_template(template, by=change_manager)
    template.refresh_from_db()
    assert template.needs_review is False


def test_emergency_change_goes_to_ecab_and_may_be_approved_after_implementation(
    agent, change_manager, incident_manager, approval_rules
):
    change = make_change(agent, change_type=ChangeType.EMERGENCY)
    services.request_approval(change, by=agent)
    assert change.state == S.AUTHORIZE
    approvers = set(change.approvals.values_list("approver__username", flat=True))
    assert approvers == {"change_manager", "incident_manager"}  # the ECAB

    services.start_change(change, by=agent)
    change.refresh_from_db()
    assert change.state == S.IMPLEMENT and change.retrospective_approval is True
    services.complete_change(change, by=agent, outcome=Outcome.SUCCESSFUL)
    with pytest.raises(ValidationError) as excinfo:
        services.close_change(change, by=agent, review_notes="ok")
    assert "approval" in excinfo.value.message_dict

    services.decide(change, by=incident_manager, decision=Decision.APPROVE, comment="Justified.")
    change.refresh_from_db()
    assert change.state == S.REVIEW and change.approval_status == ApprovalStatus.APPROVED
    decided = change.approvals.get(approver=incident_manager)
    assert decided.retrospective is True and decided.state == ApprovalState.APPROVED
    assert change.approvals.get(approver=change_manager).state == ApprovalState.NOT_REQUIRED
    assert ChangeTimelineEntry.objects.filter(
        ticket=change, data__event="approved", data__retrospective=True
    ).exists()
    services.close_change(change, by=agent, review_notes="Patched in time.")
    change.refresh_from_db()
    assert change.state == S.CLOSED


def test_retrospective_rejection_keeps_the_emergency_change_and_tells_change_managers(
    agent, change_manager, incident_manager, approval_rules
):
    change = make_change(agent, change_type=ChangeType.EMERGENCY)
    services.request_approval(change, by=agent)
    services.start_change(change, by=agent)
    services.decide(change, by=incident_manager, decision=Decision.REJECT, comment="Not an emergency.")
    change.refresh_from_db()
    assert change.state == S.IMPLEMENT
    assert change.approval_status == ApprovalStatus.REJECTED
    rejected = Notification.objects.filter(template="change_rejected")
    assert {n.recipient.username for n in rejected} == {"agent", "change_manager"}
    assert all(n.context["retrospective"] for n in rejected)


def test_normal_change_cannot_start_from_authorize_like_an_emergency(agent, approval_rules):
    change = to_authorize(make_change(agent), agent)
    with pytest.raises(ValidationError):
        services.start_change(change, by=agent)


def test_cancel_needs_a_reason_withdraws_pending_approvals_and_is_final(agent, approval_rules):
    change = to_authorize(make_change(agent), agent)
    with pytest.raises(ValidationError):
        services.cancel_change(change, by=agent, reason=" ")
    services.cancel_change(change, by=agent, reason="Not needed any more.")
    change.refresh_from_db()
    assert change.state == S.CANCELLED and change.cancel_reason == "Not needed any more."
    assert not change.approvals.filter(state=ApprovalState.REQUESTED).exists()
    with pytest.raises(ValidationError):
        services.submit_for_assessment(change, by=agent)


def test_change_in_review_cannot_be_cancelled(agent, template):
    change = services.create_from_template(template, by=agent)
    services.start_change(change, by=agent)
    services.complete_change(change, by=agent, outcome=Outcome.BACKED_OUT, notes="Rolled back.")
    with pytest.raises(ValidationError):
        services.cancel_change(change, by=agent, reason="x")


def test_revert_to_new_voids_the_approval(agent, change_manager, approval_rules):
    change = to_authorize(make_change(agent), agent)
    services.decide(change, by=change_manager, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.SCHEDULED
    services.revert_to_new(change, by=agent, reason="Replanning.")
    change.refresh_from_db()
    assert change.state == S.NEW and change.approval_status == ApprovalStatus.NOT_REQUESTED
    # A new round is needed: assess, request, approve again.
    to_authorize(change, agent)
    assert change.approval_round == 2
    assert change.requirements.filter(round=2).count() == 1


def test_risk_override_needs_a_reason_and_is_recorded(agent, approval_rules):
    change = make_change(agent)
    services.submit_for_assessment(change, by=agent)
    with pytest.raises(ValidationError) as excinfo:
        services.assess_risk(change, by=agent, answers=LOW, override_risk="high")
    assert "override_reason" in excinfo.value.message_dict
    services.assess_risk(change, by=agent, answers=LOW, override_risk="high", override_reason="Payroll week.")
    change.refresh_from_db()
    assert (change.risk, change.risk_calculated) == ("high", "low")
    assert change.risk_override_reason == "Payroll week."
    assert change.risk_assessed_by == agent
    entry = ChangeTimelineEntry.objects.filter(ticket=change, kind=TimelineKind.FIELD_CHANGE).last()
    assert entry.data["risk"] == ["", "high"] and entry.data["risk_calculated"] == "low"
    assert "Payroll week." in entry.body


def test_incomplete_questionnaire_names_the_missing_answers(agent):
    change = make_change(agent)
    with pytest.raises(ValidationError) as excinfo:
        services.assess_risk(change, by=agent, answers={"user_impact": "many"})
    assert set(excinfo.value.message_dict) == {"complexity", "tested", "backout_plan", "experience"}
    change.refresh_from_db()
    assert change.risk == ""


def test_risk_is_locked_once_approval_is_requested(agent, approval_rules):
    change = to_authorize(make_change(agent), agent)
    with pytest.raises(ValidationError):
        services.assess_risk(change, by=agent, answers=HIGH)


def test_update_records_field_changes_and_refuses_stale_versions(agent, email_service, erp_service):
    change = make_change(agent, services_=[email_service], cis=["db01"])
    version = change.version
    services.update_change(
        change,
        by=agent,
        expected_version=version,
        short_description="Upgrade mail servers to v2",
        services=[erp_service],
        configuration_items=["DB01", "web02"],
    )
    change.refresh_from_db()
    assert change.short_description == "Upgrade mail servers to v2"
    assert change.version == version + 1
    entry = ChangeTimelineEntry.objects.filter(ticket=change, kind=TimelineKind.FIELD_CHANGE).last()
    assert entry.data["short_description"] == ["Upgrade the mail servers", "Upgrade mail servers to v2"]
    assert entry.data["configuration_items"] == [["db01"], ["db01", "web02"]]  # DB01 is db01
    with pytest.raises(services.StaleChange):
        services.update_change(change, by=agent, expected_version=version, description="late")


def test_type_is_editable_only_in_new_before_any_approval(agent, approval_rules):
    change = make_change(agent)
    services.update_change(change, by=agent, change_type=ChangeType.EMERGENCY)
    change.refresh_from_db()
    assert change.change_type == ChangeType.EMERGENCY
    services.request_approval(change, by=agent)
    services.revert_to_new(change, by=agent, reason="Not urgent after all.")
    with pytest.raises(ValidationError) as excinfo:
        services.update_change(change, by=agent, change_type=ChangeType.NORMAL)
    assert "change_type" in excinfo.value.message_dict


def test_planned_window_cannot_change_while_approvers_decide(agent, approval_rules):
    change = to_authorize(make_change(agent), agent)
    with pytest.raises(ValidationError) as excinfo:
        services.update_change(change, by=agent, planned_start=at(1, 1), planned_end=at(1, 2))
    assert "planned_start" in excinfo.value.message_dict


def test_end_before_start_is_refused(agent):
    with pytest.raises(ValidationError) as excinfo:
        services.create_change(
            by=agent,
            change_type=ChangeType.NORMAL,
            short_description="x",
            planned_start=at(0, 2),
            planned_end=at(0, 1),
        )
    assert "planned_end" in excinfo.value.message_dict
    assert not ChangeRequest.objects.exists()


def test_end_users_cannot_create_changes(end_user):
    with pytest.raises(PermissionDenied):
        services.create_change(by=end_user, change_type=ChangeType.NORMAL, short_description="x")


def test_delete_only_drafts(agent, approval_rules, template):
    draft = make_change(agent)
    services.delete_draft(draft, by=agent)
    assert not ChangeRequest.objects.filter(pk=draft.pk).exists()
    submitted = make_change(agent)
    services.submit_for_assessment(submitted, by=agent)
    with pytest.raises(ValidationError):
        services.delete_draft(submitted, by=agent)
    assert ChangeTemplate.objects.filter(pk=template.pk).exists()
