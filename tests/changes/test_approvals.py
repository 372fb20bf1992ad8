"""Approval rules and decisions: which groups approve, all/any/quorum, rejection, notifications."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from changes import services
from changes.choices import ApprovalPolicy, ApprovalState, ApprovalStatus, ChangeState, Decision
from changes.models import ChangeTimelineEntry
from notifications.models import Notification
from tests.changes.conftest import HIGH, LOW, MEDIUM, make_change, make_rule, to_authorize

pytestmark = pytest.mark.django_db
S = ChangeState


def approvers(change) -> set[str]:
    return set(
        change.approvals.filter(requirement__round=change.approval_round).values_list(
            "approver__username", flat=True
        )
    )


def test_low_risk_goes_to_the_change_manager_only(agent, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    assert approvers(change) == {"change_manager"}
    assert [r.name for r in change.requirements.all()] == ["Low: change manager"]


def test_high_risk_goes_to_the_full_cab(agent, approval_rules):
    change = to_authorize(make_change(agent), agent, HIGH)
    assert approvers(change) == {"change_manager", "incident_manager", "other_group_agent"}
    requirement = change.requirements.get()
    assert requirement.policy == ApprovalPolicy.ALL and requirement.round == 1


def test_every_matching_rule_is_a_requirement(agent, approval_rules, change_mgmt_group):
    make_rule("Every normal change: change manager", [change_mgmt_group], change_type="normal", policy="any")
    change = to_authorize(make_change(agent), agent, HIGH)
    assert sorted(r.name for r in change.requirements.all()) == [
        "Every normal change: change manager",
        "High: full CAB",
    ]


def test_requester_never_approves_their_own_change(change_manager, incident_manager, approval_rules):
    change = to_authorize(make_change(incident_manager), incident_manager, HIGH)
    assert "incident_manager" not in approvers(change)
    with pytest.raises(PermissionDenied):
        services.decide(change, by=incident_manager, decision=Decision.APPROVE)


def test_rule_without_enough_approvers_is_a_clear_error(change_manager, approval_rules):
    # The change manager is the only member of Change Management and cannot approve their own change.
    change = make_change(change_manager)
    services.submit_for_assessment(change, by=change_manager)
    services.assess_risk(change, by=change_manager, answers=LOW)
    with pytest.raises(ValidationError) as excinfo:
        services.request_approval(change, by=change_manager)
    assert "approval" in excinfo.value.message_dict
    change.refresh_from_db()
    assert change.state == S.ASSESS and not change.approvals.exists() and change.approval_round == 0


def test_no_matching_rule_is_a_clear_error(agent, change_mgmt_group):
    make_rule("Only high", [change_mgmt_group], change_type="normal", risk="high")
    change = make_change(agent)
    services.submit_for_assessment(change, by=agent)
    services.assess_risk(change, by=agent, answers=LOW)
    with pytest.raises(ValidationError) as excinfo:
        services.request_approval(change, by=agent)
    assert "No approval rule" in str(excinfo.value)


def test_policy_all_needs_every_approver(
    agent, change_manager, incident_manager, other_group_agent, approval_rules
):
    change = to_authorize(make_change(agent), agent, HIGH)
    services.decide(change, by=change_manager, decision=Decision.APPROVE)
    services.decide(change, by=incident_manager, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.AUTHORIZE and change.approval_status == ApprovalStatus.REQUESTED
    services.decide(change, by=other_group_agent, decision=Decision.APPROVE, comment="OK")
    change.refresh_from_db()
    assert change.state == S.SCHEDULED and change.approval_status == ApprovalStatus.APPROVED
    assert change.requirements.get().outcome == ApprovalStatus.APPROVED
    assert Notification.objects.filter(template="change_approved", recipient=agent).count() == 1


def test_policy_all_one_rejection_sends_the_change_back_to_new_with_reasons(
    agent, change_manager, incident_manager, other_group_agent, approval_rules
):
    change = to_authorize(make_change(agent), agent, HIGH)
    services.decide(change, by=change_manager, decision=Decision.APPROVE)
    services.decide(change, by=incident_manager, decision=Decision.REJECT, comment="No rollback test.")
    change.refresh_from_db()
    assert change.state == S.NEW
    assert change.approval_status == ApprovalStatus.REJECTED
    # The approver who did not answer no longer needs to.
    assert change.approvals.get(approver=other_group_agent).state == ApprovalState.NOT_REQUIRED
    back = ChangeTimelineEntry.objects.filter(ticket=change, data__state=["authorize", "new"]).get()
    assert "No rollback test." in back.body
    rejected = Notification.objects.get(template="change_rejected", recipient=agent)
    assert rejected.context["reasons"] == [{"approver": "Incident Manager", "comment": "No rollback test."}]
    with pytest.raises(PermissionDenied):  # the round is over
        services.decide(change, by=other_group_agent, decision=Decision.APPROVE)


def test_policy_any_first_approval_decides(
    agent, change_manager, incident_manager, change_mgmt_group, approval_rules
):
    change_mgmt_group.members.add(incident_manager)
    change = to_authorize(make_change(agent), agent, LOW)
    assert approvers(change) == {"change_manager", "incident_manager"}
    services.decide(change, by=incident_manager, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.SCHEDULED
    assert change.approvals.get(approver=change_manager).state == ApprovalState.NOT_REQUIRED


def test_policy_any_first_rejection_decides(
    agent, change_manager, incident_manager, change_mgmt_group, approval_rules
):
    change_mgmt_group.members.add(incident_manager)
    change = to_authorize(make_change(agent), agent, LOW)
    services.decide(change, by=change_manager, decision=Decision.REJECT, comment="Wrong week.")
    change.refresh_from_db()
    assert change.state == S.NEW and change.approval_status == ApprovalStatus.REJECTED


def test_policy_quorum_two_of_three(
    agent, change_manager, incident_manager, other_group_agent, approval_rules
):
    change = to_authorize(make_change(agent), agent, MEDIUM)
    services.decide(change, by=change_manager, decision=Decision.REJECT, comment="Too close to month end.")
    change.refresh_from_db()
    assert change.state == S.AUTHORIZE  # 2 approvals are still possible
    services.decide(change, by=incident_manager, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.AUTHORIZE
    services.decide(change, by=other_group_agent, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.SCHEDULED and change.approval_status == ApprovalStatus.APPROVED


def test_policy_quorum_rejected_when_out_of_reach(agent, change_manager, incident_manager, approval_rules):
    change = to_authorize(make_change(agent), agent, MEDIUM)
    services.decide(change, by=change_manager, decision=Decision.REJECT, comment="No.")
    services.decide(change, by=incident_manager, decision=Decision.REJECT, comment="Also no.")
    change.refresh_from_db()
    assert change.state == S.NEW and change.approval_status == ApprovalStatus.REJECTED


def test_rejection_needs_a_comment(agent, change_manager, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    with pytest.raises(ValidationError) as excinfo:
        services.decide(change, by=change_manager, decision=Decision.REJECT, comment="  ")
    assert "comment" in excinfo.value.message_dict
    assert change.approvals.get().state == ApprovalState.REQUESTED


def test_someone_who_is_not_an_approver_cannot_decide(agent, other_group_agent, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    with pytest.raises(PermissionDenied):
        services.decide(change, by=other_group_agent, decision=Decision.APPROVE)
    with pytest.raises(PermissionDenied):
        services.decide(change, by=agent, decision=Decision.APPROVE)


def test_each_approver_is_notified_through_the_outbox(agent, approval_rules):
    change = to_authorize(make_change(agent), agent, HIGH)
    rows = Notification.objects.filter(template="change_approval_request").order_by("address")
    assert [row.recipient.username for row in rows] == [
        "change_manager",
        "incident_manager",
        "other_group_agent",
    ]
    row = rows[0]
    assert row.thread == change.number
    assert row.context["number"] == change.number
    assert row.context["approve_url"].startswith("http://testserver/agent/changes/approvals/")
    # Requesting again in the same round is impossible; a resend would dedupe anyway.
    with pytest.raises(ValidationError):
        services.request_approval(change, by=agent)
    assert Notification.objects.filter(template="change_approval_request").count() == 3


def test_approval_snapshot_is_not_changed_by_later_membership_changes(
    agent, cab_group, approval_rules, admin
):
    change = to_authorize(make_change(agent), agent, HIGH)
    cab_group.members.add(admin)
    assert "admin" not in approvers(change)


def test_new_round_after_rejection(agent, change_manager, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    services.decide(change, by=change_manager, decision=Decision.REJECT, comment="Add a test plan.")
    change.refresh_from_db()
    services.update_change(change, by=agent, test_plan="Log in and send a mail.")
    to_authorize(change, agent, LOW)
    assert change.approval_round == 2
    services.decide(change, by=change_manager, decision=Decision.APPROVE)
    change.refresh_from_db()
    assert change.state == S.SCHEDULED
    states = list(change.approvals.order_by("requirement__round").values_list("requirement__round", "state"))
    assert states == [(1, ApprovalState.REJECTED), (2, ApprovalState.APPROVED)]


def test_approval_request_is_rendered_in_the_approvers_language(agent, approval_rules):
    from notifications.services import render

    change = to_authorize(make_change(agent), agent, HIGH)
    swedish = Notification.objects.get(
        template="change_approval_request", recipient__username="other_group_agent"
    )
    english = Notification.objects.get(
        template="change_approval_request", recipient__username="change_manager"
    )
    subject, body, _html = render(swedish)
    assert subject == f"Godkännande behövs för {change.number}: {change.short_description}"
    assert "länken fungerar en gång" in body
    assert "2030-01-06 02:00" in body  # the Swedish date-time format (core.dates)
    subject, body, _html = render(english)
    assert subject == f"Approval needed for {change.number}: {change.short_description}"
    assert "the link works once, for you only" in body
    # The planned window in the recipient's time zone and language (core.dates).
    assert "6 Jan 2030, 02:00" in body and "(Europe/Stockholm)" in body
