"""The major-incident procedure's domain operations: decisions, escalation exactly once,
cadence reminders, communication scope, affected users, resolution with children, review."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import major, services
from incidents.choices import MajorState, State
from incidents.major_choices import StakeholderSource, StepState
from incidents.models import (
    EscalationStep,
    IncidentTimelineEntry,
    MajorAffectedUser,
    MajorIncident,
    ServiceStakeholderDefault,
)
from notifications.services import render
from tests.conftest import make_user
from tests.incidents.factories import make_incident
from tests.incidents.major_support import (  # noqa: F401 (fast_passwords is a fixture)
    accepted_major,
    addresses,
    fast_passwords,
    make_service,
    outbox,
    three_level_policy,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def major_actions(incident):
    return [
        (e.data.get("action"), str(e.author) if e.author_id else None)
        for e in IncidentTimelineEntry.objects.filter(ticket=incident, kind="major").order_by("id")
    ]


@pytest.fixture
def service(desk):
    return make_service("E-mail", desk)


@pytest.fixture
def policy(agent, other_group_agent, service):
    return three_level_policy(agent, other_group_agent, service=service)


def test_agent_proposes_with_reason_and_incident_managers_are_asked(desk, end_user, agent, incident_manager):
    incident = make_incident(end_user)
    record = major.propose_major(incident, by=agent, reason="Payroll is down for all of finance.")
    incident.refresh_from_db()
    assert incident.major_state == MajorState.PROPOSED
    assert incident.is_major is False
    assert record.proposed_by == agent and record.proposal_reason == "Payroll is down for all of finance."
    assert major_actions(incident) == [("proposed", "Agent")]
    entry = IncidentTimelineEntry.objects.get(ticket=incident, kind="major")
    assert entry.body == "Payroll is down for all of finance." and entry.is_public is False
    assert addresses("major_proposed") == ["incident_manager@example.com"]


def test_proposal_without_reason_is_a_field_error_and_nothing_changes(desk, end_user, agent):
    incident = make_incident(end_user)
    with pytest.raises(ValidationError) as info:
        major.propose_major(incident, by=agent, reason=" ")
    assert "reason" in info.value.message_dict
    incident.refresh_from_db()
    assert incident.major_state == MajorState.NONE
    assert not MajorIncident.objects.exists()


def test_only_an_incident_manager_accepts(desk, end_user, agent, other_group_agent, incident_manager):
    incident = make_incident(end_user)
    major.propose_major(incident, by=agent, reason="Everyone is affected.")
    with pytest.raises(ValidationError) as info:
        major.accept_major(incident, by=other_group_agent)
    assert "major_state" in info.value.message_dict
    incident.refresh_from_db()
    assert incident.major_state == MajorState.PROPOSED
    record = major.accept_major(incident, by=incident_manager)
    incident.refresh_from_db()
    assert incident.major_state == MajorState.ACCEPTED and incident.is_major
    assert record.owner == incident_manager and record.decided_by == incident_manager
    assert major_actions(incident) == [("proposed", "Agent"), ("accepted", "Incident Manager")]


def test_owner_must_be_an_incident_manager(desk, end_user, agent, incident_manager):
    incident = make_incident(end_user)
    major.propose_major(incident, by=agent, reason="Everyone is affected.")
    with pytest.raises(ValidationError) as info:
        major.accept_major(incident, by=incident_manager, owner=agent)
    assert "owner" in info.value.message_dict
    incident.refresh_from_db()
    assert incident.major_state == MajorState.PROPOSED


def test_rejected_proposal_can_be_proposed_again(desk, end_user, agent, incident_manager):
    incident = make_incident(end_user)
    major.propose_major(incident, by=agent, reason="Slow e-mail.")
    with pytest.raises(ValidationError) as info:
        major.reject_major(incident, by=incident_manager, reason="")
    assert "reason" in info.value.message_dict
    major.reject_major(incident, by=incident_manager, reason="Only one user is affected.")
    incident.refresh_from_db()
    assert incident.major_state == MajorState.REJECTED
    assert addresses("major_rejected") == ["agent@example.com"]
    major.propose_major(incident, by=agent, reason="Now the whole floor is affected.")
    incident.refresh_from_db()
    assert incident.major_state == MajorState.PROPOSED
    record = MajorIncident.objects.get(incident=incident)
    assert record.proposal_reason == "Now the whole floor is affected." and record.rejection_reason == ""
    assert major_actions(incident) == [
        ("proposed", "Agent"),
        ("rejected", "Incident Manager"),
        ("proposed", "Agent"),
    ]


def test_incident_manager_declares_directly(desk, end_user, incident_manager, agent):
    incident = make_incident(end_user)
    with pytest.raises(ValidationError):
        major.declare_major(incident, by=agent, reason="Data centre power loss.")
    record = major.declare_major(
        incident, by=incident_manager, reason="Data centre power loss.", cadence=timedelta(minutes=15)
    )
    incident.refresh_from_db()
    assert incident.major_state == MajorState.ACCEPTED
    assert record.proposed_by == incident_manager and record.cadence == timedelta(minutes=15)
    assert major_actions(incident) == [("declared", "Incident Manager")]


def test_acceptance_starts_owner_cadence_stakeholders_and_level_one_at_once(
    desk, end_user, agent, other_group_agent, incident_manager, service, policy, service_desk_group
):
    ServiceStakeholderDefault.objects.create(service=service, address="cio@example.com", language="sv")
    ServiceStakeholderDefault.objects.create(service=None, user=other_group_agent)
    ServiceStakeholderDefault.objects.create(service=make_service("VPN"), address="vpn-owner@example.com")
    before = timezone.now()
    record = accepted_major(
        end_user, proposer=agent, manager=incident_manager, service=service, cadence=timedelta(minutes=20)
    )
    assert record.accepted_at >= before
    assert record.next_update_due_at == record.accepted_at + timedelta(minutes=20)
    assert record.reminder_due_at == record.next_update_due_at
    assert record.escalation_policy == policy
    holders = {(str(h), h.source) for h in record.stakeholders.all()}
    assert holders == {
        ("cio@example.com", StakeholderSource.SERVICE_DEFAULT),
        ("Other Group Agent", StakeholderSource.SERVICE_DEFAULT),
    }
    steps = list(record.steps.order_by("order"))
    assert [(s.order, s.state) for s in steps] == [
        (1, StepState.NOTIFIED),
        (2, StepState.PENDING),
        (3, StepState.PENDING),
    ]
    assert steps[1].due_at == record.accepted_at + timedelta(seconds=600)
    record.refresh_from_db()
    assert record.escalation_level == 1
    assert addresses("major_escalation") == ["agent@example.com"]
    assert "/major/ack/" in outbox("major_escalation").get().context["ack_url"]
    # Stakeholders, the resolver group (none here) and the proposer hear about it.
    assert addresses("major_accepted") == [
        "agent@example.com",
        "cio@example.com",
        "other_group_agent@example.com",
    ]


def test_next_level_is_notified_after_the_wait_exactly_once(
    desk, end_user, agent, other_group_agent, incident_manager, service, policy
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, service=service)
    assert major.sweep_due_steps(now=timezone.now() + timedelta(seconds=599)) == 0
    later = timezone.now() + timedelta(seconds=601)
    assert major.sweep_due_steps(now=later) == 1
    # The same sweep again, a duplicate ETA task and another worker all find nothing to do.
    assert major.sweep_due_steps(now=later) == 0
    step2 = record.steps.get(order=2)
    assert major.notify_step(step2.pk, now=later) is False
    assert addresses("major_escalation") == ["agent@example.com", "other_group_agent@example.com"]
    step2.refresh_from_db()
    assert step2.state == StepState.NOTIFIED and step2.recipients == ["other_group_agent@example.com"]
    # Level 3 waits the full delay of level 2 from the moment level 2 was notified.
    assert record.steps.get(order=3).due_at == later + timedelta(seconds=600)
    record.refresh_from_db()
    assert record.escalation_level == 2
    assert [a for a, _who in major_actions(record.incident)].count("escalated") == 2


def test_a_worker_dying_mid_step_leaves_the_step_pending_for_the_next_sweep(
    desk, end_user, agent, other_group_agent, incident_manager, service, policy, monkeypatch
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, service=service)
    later = timezone.now() + timedelta(seconds=601)
    step2 = record.steps.get(order=2)
    real_notify = major.notify

    def dies(**kwargs):
        raise RuntimeError("worker killed while sending")

    monkeypatch.setattr(major, "notify", dies)
    with pytest.raises(RuntimeError):
        major.notify_step(step2.pk, now=later)
    step2.refresh_from_db()
    assert step2.state == StepState.PENDING and step2.notified_at is None
    assert addresses("major_escalation") == ["agent@example.com"]
    monkeypatch.setattr(major, "notify", real_notify)
    assert major.sweep_due_steps(now=later) == 1
    assert addresses("major_escalation") == ["agent@example.com", "other_group_agent@example.com"]


def test_acknowledgement_stops_escalation_and_is_recorded_once(
    desk, end_user, agent, other_group_agent, incident_manager, service, policy
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, service=service)
    assert major.can_acknowledge(agent, record) is True
    assert major.can_acknowledge(other_group_agent, record) is False  # level 2 not paged yet
    assert major.acknowledge_major(record.incident, by=agent, via="web") is True
    assert major.acknowledge_major(record.incident, by=incident_manager, via="web") is False
    record.refresh_from_db()
    assert record.acknowledged_by == agent and record.acknowledged_at is not None
    assert set(record.steps.values_list("order", "state")) == {
        (1, StepState.NOTIFIED),
        (2, StepState.CANCELLED),
        (3, StepState.CANCELLED),
    }
    assert major.sweep_due_steps(now=timezone.now() + timedelta(hours=2)) == 0
    assert addresses("major_escalation") == ["agent@example.com"]
    assert addresses("major_acknowledged") == ["incident_manager@example.com"]
    assert ("acknowledged", "Agent") in major_actions(record.incident)


def test_signed_link_acknowledges_once_and_forged_links_are_refused(
    desk, end_user, agent, other_group_agent, incident_manager, service, policy
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, service=service)
    token = outbox("major_escalation").get().context["ack_url"].rstrip("/").rsplit("/", 1)[-1]
    with pytest.raises(ValidationError):
        major.acknowledge_with_token(token[:-2] + "xx")
    acked, done = major.acknowledge_with_token(token)
    assert done is True and acked.acknowledged_by == agent
    assert acked.acknowledged_via == "link:agent@example.com"
    _again, done = major.acknowledge_with_token(token)
    assert done is False
    assert (
        IncidentTimelineEntry.objects.filter(ticket=record.incident, data__action="acknowledged").count() == 1
    )


def test_on_call_address_acknowledges_through_its_link(
    desk, end_user, agent, other_group_agent, incident_manager, service, policy
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, service=service)
    far = timezone.now() + timedelta(hours=1)
    major.sweep_due_steps(now=far)
    major.sweep_due_steps(now=far + timedelta(hours=1))
    row = outbox("major_escalation").get(address="oncall@example.com")
    major.acknowledge_with_token(row.context["ack_url"].rstrip("/").rsplit("/", 1)[-1])
    record.refresh_from_db()
    assert record.acknowledged_by is None and record.acknowledged_via == "link:oncall@example.com"
    assert record.escalation_level == 3


def test_no_policy_means_no_escalation_steps(desk, end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    assert record.escalation_policy is None and not record.steps.exists()


def test_service_policy_wins_over_the_default(
    desk, end_user, agent, other_group_agent, incident_manager, service
):
    default = three_level_policy(agent, other_group_agent)
    own = three_level_policy(other_group_agent, agent, service=service)
    assert major.policy_for(service) == own
    assert major.policy_for(make_service("VPN")) == default
    assert major.policy_for(None) == default


def test_cadence_reminder_once_per_due_update_and_an_update_restarts_the_clock(
    desk, end_user, agent, incident_manager
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, cadence=timedelta(minutes=30))
    assert major.sweep_cadence(now=timezone.now() + timedelta(minutes=29)) == 0
    late = timezone.now() + timedelta(minutes=31)
    assert major.sweep_cadence(now=late) == 1
    assert major.sweep_cadence(now=late + timedelta(minutes=5)) == 0
    assert major.remind_cadence(record.pk, now=late) is False
    assert addresses("major_update_due") == ["incident_manager@example.com"]
    record.refresh_from_db()
    assert record.update_overdue(late) is True  # flagged on the board until an update is posted
    major.post_status_update(record.incident, by=incident_manager, body="Working on it.", public=True)
    record.refresh_from_db()
    assert record.update_overdue() is False
    assert record.next_update_due_at == record.last_update_at + timedelta(minutes=30)
    assert major.sweep_cadence(now=record.next_update_due_at + timedelta(seconds=1)) == 1
    assert outbox("major_update_due").count() == 2


def test_internal_updates_reach_stakeholders_only_never_end_users(
    desk, end_user, other_end_user, agent, incident_manager, organization
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    major.add_stakeholder(record.incident, by=incident_manager, address="cfo@example.com")
    child = make_incident(other_end_user, short_description="Cannot send mail")
    major.link_child(record.incident, by=agent, child=child)
    follower = make_user("follower", organization=organization)
    major.join_as_affected(record, user=follower)
    update = major.post_status_update(
        record.incident, by=incident_manager, body="Vendor suspects the storage array.", public=False
    )
    assert addresses("major_status_update") == ["cfo@example.com"]
    assert update.recipient_count == 1
    # Not on the caller's or the child's portal timeline either.
    assert not IncidentTimelineEntry.objects.filter(
        ticket__in=[record.incident, child], is_public=True, body__contains="storage"
    ).exists()
    major.post_status_update(record.incident, by=incident_manager, body="Mail flows again.", public=True)
    assert sorted(
        outbox("major_status_update").filter(context__public=True).values_list("address", flat=True)
    ) == [
        "cfo@example.com",
        "end_user@example.com",
        "follower@example.com",
        "other_end_user@example.com",
    ]
    assert IncidentTimelineEntry.objects.get(ticket=child, kind="major").body == "Mail flows again."


def test_status_update_is_rendered_in_each_recipients_language(
    desk, end_user, other_end_user, agent, incident_manager
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    major.link_child(record.incident, by=agent, child=make_incident(other_end_user))
    major.post_status_update(record.incident, by=incident_manager, body="Fixed soon.", public=True)
    english = render(outbox("major_status_update").get(address="end_user@example.com"))
    swedish = render(outbox("major_status_update").get(address="other_end_user@example.com"))
    assert english[0].startswith(f"[{record.incident.number}] Status update:")
    assert swedish[0].startswith(f"[{record.incident.number}] Lägesrapport:")
    assert "Fixed soon." in swedish[1]


def test_empty_update_is_refused_and_nothing_is_sent(desk, end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    with pytest.raises(ValidationError) as info:
        major.post_status_update(record.incident, by=incident_manager, body="  ", public=True)
    assert "body" in info.value.message_dict
    assert not outbox("major_status_update").exists()


def test_updates_need_an_accepted_major_incident(desk, end_user, agent, incident_manager):
    incident = make_incident(end_user)
    major.propose_major(incident, by=agent, reason="Big.")
    with pytest.raises(ValidationError):
        major.post_status_update(incident, by=incident_manager, body="Hello", public=True)


def test_joining_twice_counts_once_and_needs_an_announced_active_major(
    desk, end_user, other_end_user, agent, incident_manager
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    _row, created = major.join_as_affected(record, user=other_end_user)
    _row, again = major.join_as_affected(record, user=other_end_user)
    assert (created, again) == (True, False)
    assert MajorAffectedUser.objects.filter(major=record).count() == 1
    assert major.affected_counts([record]) == {record.pk: (0, 2)}
    hidden = accepted_major(other_end_user, proposer=agent, manager=incident_manager, show_banner=False)
    with pytest.raises(ValidationError):
        major.join_as_affected(hidden, user=end_user)


def test_stakeholder_needs_exactly_one_target_and_no_duplicates(desk, end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    major.add_stakeholder(record.incident, by=agent, user=incident_manager)
    with pytest.raises(ValidationError) as info:
        major.add_stakeholder(record.incident, by=agent, user=incident_manager)
    assert "stakeholder" in info.value.message_dict
    with pytest.raises(ValidationError):
        major.add_stakeholder(record.incident, by=agent)
    with pytest.raises(ValidationError) as info:
        major.add_stakeholder(record.incident, by=incident_manager, address="not-an-address")
    assert "address" in info.value.message_dict
    assert record.stakeholders.count() == 1


def test_link_child_rules(desk, end_user, other_end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    with pytest.raises(ValidationError):
        major.link_child(record.incident, by=agent, child=record.incident)
    closed = make_incident(other_end_user)
    services.cancel_incident(closed, by=agent, reason="Duplicate")
    with pytest.raises(ValidationError):
        major.link_child(record.incident, by=agent, child=closed)
    child = make_incident(other_end_user)
    major.link_child(record.incident, by=agent, child=child)
    child.refresh_from_db()
    assert child.parent == record.incident
    assert major.affected_counts([record]) == {record.pk: (1, 2)}


def test_resolving_with_children_resolves_them_notifies_callers_and_stops_the_procedure(
    desk, end_user, other_end_user, agent, other_group_agent, incident_manager, service, policy, organization
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, service=service)
    major.add_stakeholder(record.incident, by=incident_manager, address="cfo@example.com")
    child = make_incident(other_end_user)
    major.link_child(record.incident, by=agent, child=child)
    follower = make_user("follower", organization=organization)
    major.join_as_affected(record, user=follower)
    done = major.resolve_major_with_children(
        record.incident,
        by=incident_manager,
        resolution_code="solution_provided",
        resolution_notes="Array replaced.",
    )
    assert done == [child.number]
    record.refresh_from_db()
    child.refresh_from_db()
    assert record.incident.major_state == MajorState.RESOLVED and record.incident.state == State.RESOLVED
    assert child.state == State.RESOLVED and record.incident.number in child.resolution_notes
    assert (
        record.resolved_at is not None
        and record.next_update_due_at is None
        and record.reminder_due_at is None
    )
    assert set(record.steps.values_list("state", flat=True)) == {StepState.NOTIFIED, StepState.CANCELLED}
    assert addresses("incident_resolved") == ["end_user@example.com", "other_end_user@example.com"]
    assert addresses("major_resolved") == ["cfo@example.com", "follower@example.com"]
    assert major.sweep(now=timezone.now() + timedelta(days=1)) == {"steps": 0, "reminders": 0}


def test_resolving_through_the_ordinary_transition_also_stops_escalation(
    desk, end_user, agent, other_group_agent, incident_manager, service, policy
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, service=service)
    services.resolve_incident(
        record.incident,
        by=incident_manager,
        resolution_code="solution_provided",
        resolution_notes="Restarted.",
    )
    record.refresh_from_db()
    assert record.resolved_at is not None
    assert record.steps.filter(state=StepState.PENDING).count() == 0
    assert major.sweep(now=timezone.now() + timedelta(days=1)) == {"steps": 0, "reminders": 0}


def test_reopening_a_resolved_major_incident_makes_it_active_again(desk, end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    services.resolve_incident(
        record.incident, by=incident_manager, resolution_code="solution_provided", resolution_notes="x"
    )
    services.reopen_incident(record.incident, by=agent, reason="Mail is down again.")
    record.refresh_from_db()
    record.incident.refresh_from_db()
    assert record.incident.major_state == MajorState.ACCEPTED
    assert record.is_active and record.next_update_due_at is not None and record.resolved_at is None


def test_cancelling_stops_escalation_and_reminders(
    desk, end_user, agent, other_group_agent, incident_manager, service, policy
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, service=service)
    services.cancel_incident(record.incident, by=incident_manager, reason="False alarm.")
    assert major.sweep(now=timezone.now() + timedelta(days=1)) == {"steps": 0, "reminders": 0}
    assert not EscalationStep.objects.filter(state=StepState.PENDING).exists()


def test_review_only_after_resolution_with_a_timeline_summary(desk, end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    with pytest.raises(ValidationError):
        major.record_review(record.incident, by=incident_manager, review=major.ReviewInput(root_cause="x"))
    major.post_status_update(record.incident, by=incident_manager, body="Investigating.", public=True)
    services.resolve_incident(
        record.incident, by=incident_manager, resolution_code="solution_provided", resolution_notes="x"
    )
    review = major.record_review(
        record.incident,
        by=incident_manager,
        review=major.ReviewInput(
            root_cause="Disk firmware bug.", actions="- Patch firmware\n- Add alerting\n"
        ),
    )
    assert review.action_list == ["Patch firmware", "Add alerting"]
    assert "Accepted as major incident" in review.timeline_summary
    assert "Status update: Investigating." in review.timeline_summary
    again = major.record_review(
        record.incident, by=agent, review=major.ReviewInput(root_cause="Firmware.", timeline_summary="Edited")
    )
    assert again.pk == review.pk and again.timeline_summary == "Edited" and again.updated_by == agent
