"""Domain operations on incidents: numbers, priority, routing, assignment, states, comments,
concurrency, auto-close, scoping, and the timeline and outbox rows each one writes."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services
from incidents.choices import HoldReason, MajorState, State
from incidents.models import Incident, PriorityMatrixCell, RoutingRule
from notifications.models import Notification
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def templates_for(incident):
    return list(
        Notification.objects.filter(context__number=incident.number)
        .order_by("id")
        .values_list("template", "address")
    )


def test_create_gives_number_priority_timeline_and_acknowledgement(desk, end_user):
    incident = make_incident(end_user, impact=2, urgency=1)
    assert incident.number.startswith("INC") and len(incident.number) == 10
    assert incident.priority == 2
    assert incident.state == State.NEW
    assert incident.desk == desk
    assert [e.kind for e in incident.timeline.all()] == ["created"]
    assert templates_for(incident) == [("incident_created", "end_user@example.com")]


def test_admin_edited_matrix_cell_changes_priority(desk, end_user):
    PriorityMatrixCell.objects.filter(impact=3, urgency=3).update(priority=4)
    assert make_incident(end_user, impact=3, urgency=3).priority == 4


def test_bad_impact_is_a_field_error_and_nothing_is_written(desk, end_user):
    with pytest.raises(ValidationError) as info:
        make_incident(end_user, impact=7)
    assert "impact" in info.value.message_dict
    assert Incident.objects.count() == 0
    assert Notification.objects.count() == 0


def test_routing_rule_assigns_by_category_including_subcategories(
    desk, end_user, network_group, category_tree
):
    RoutingRule.objects.create(
        name="Hardware to network", category=category_tree["Hardware"], assignment_group=network_group
    )
    routed = make_incident(end_user, category=category_tree["Printer"])
    assert routed.assignment_group == network_group
    assert routed.timeline.get(kind="created").data["routed_to"] == "Network"
    not_routed = make_incident(end_user, category=category_tree["E-mail"])
    assert not_routed.assignment_group is None


def test_first_matching_rule_wins(desk, end_user, network_group, service_desk_group, category_tree):
    RoutingRule.objects.create(
        name="b", order=20, category=category_tree["Hardware"], assignment_group=network_group
    )
    RoutingRule.objects.create(
        name="a", order=10, category=category_tree["Printer"], assignment_group=service_desk_group
    )
    assert make_incident(end_user, category=category_tree["Printer"]).assignment_group == service_desk_group


def test_assignment_to_agent_starts_work_and_notifies_assignee(
    desk, end_user, agent, service_desk_group, incident_manager
):
    incident = make_incident(end_user)
    services.assign_incident(incident, by=incident_manager, group=service_desk_group, assignee=agent)
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS
    assert incident.reassignment_count == 0  # the first assignment is not a reassignment
    assert ("incident_assigned", "agent@example.com") in templates_for(incident)


def test_reassigning_to_another_group_is_a_functional_escalation(
    desk, end_user, agent, service_desk_group, network_group
):
    incident = make_incident(end_user, assignment_group=service_desk_group)
    services.assign_incident(incident, by=agent, group=network_group)
    incident.refresh_from_db()
    assert incident.reassignment_count == 1
    entry = incident.timeline.filter(kind="assignment").last()
    assert entry.data["functional_escalation"] is True
    assert entry.data["assignment_group"] == ["Service Desk", "Network"]
    assert ("incident_assigned", "net@example.com") in templates_for(incident)


def test_assignee_must_be_member_of_the_group(desk, end_user, agent, network_group):
    incident = make_incident(end_user)
    with pytest.raises(ValidationError) as info:
        services.assign_incident(incident, by=agent, group=network_group, assignee=agent)
    assert "assigned_to" in info.value.message_dict


def test_hierarchical_escalation_raises_level_and_tells_the_manager(
    desk, end_user, agent, service_desk_group, incident_manager
):
    incident = make_incident(end_user, assignment_group=service_desk_group)
    services.escalate_incident(incident, by=agent, reason="VIP caller, no progress")
    incident.refresh_from_db()
    assert incident.escalation_level == 1
    assert ("incident_escalated", "incident_manager@example.com") in templates_for(incident)


def test_first_public_agent_comment_is_the_first_response(desk, end_user, agent):
    incident = make_incident(end_user)
    services.add_comment(incident, by=agent, body="Internal: checking logs", public=False)
    incident.refresh_from_db()
    assert incident.first_response_at is None
    entry = services.add_comment(incident, by=agent, body="We are looking into it.", public=True)
    incident.refresh_from_db()
    assert incident.first_response_at == entry.created_at
    assert ("incident_comment", "end_user@example.com") in templates_for(incident)


def test_work_notes_never_reach_the_caller(desk, end_user, agent):
    incident = make_incident(end_user)
    services.add_comment(incident, by=agent, body="Secret root cause", public=False)
    assert templates_for(incident) == [("incident_created", "end_user@example.com")]
    contexts = Notification.objects.values_list("context", flat=True)
    assert not any("Secret" in str(context) for context in contexts)


def test_end_users_cannot_write_work_notes(desk, end_user):
    incident = make_incident(end_user)
    with pytest.raises(ValidationError) as info:
        services.add_comment(incident, by=end_user, body="x", public=False)
    assert "internal" in info.value.message_dict


def test_caller_reply_takes_incident_off_hold_awaiting_caller(desk, end_user, agent, service_desk_group):
    incident = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    services.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="Which printer?")
    incident.refresh_from_db()
    assert incident.state == State.ON_HOLD
    services.add_comment(incident, by=end_user, body="The one on floor 3", public=True)
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS and incident.hold_reason == ""
    assert ("incident_caller_replied", "agent@example.com") in templates_for(incident)


def test_caller_reply_does_not_release_other_hold_reasons(desk, end_user, agent):
    incident = make_incident(end_user)
    services.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_VENDOR)
    services.add_comment(incident, by=end_user, body="Any news?", public=True)
    incident.refresh_from_db()
    assert incident.state == State.ON_HOLD


def test_hold_awaiting_caller_needs_a_question(desk, end_user, agent):
    incident = make_incident(end_user)
    with pytest.raises(ValidationError) as info:
        services.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER)
    assert "comment" in info.value.message_dict


def test_resolve_needs_code_and_notes_and_leaves_nothing_half_written(desk, end_user, agent):
    incident = make_incident(end_user)
    with pytest.raises(ValidationError) as info:
        services.resolve_incident(
            incident, by=agent, resolution_code="solution_provided", resolution_notes=""
        )
    assert set(info.value.message_dict) == {"resolution_notes"}
    incident.refresh_from_db()
    assert incident.state == State.NEW and incident.resolved_at is None
    assert incident.timeline.count() == 1


def test_resolve_then_reject_reopens_and_counts(desk, end_user, agent):
    incident = make_incident(end_user)
    services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Replaced toner"
    )
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED and incident.resolved_by == agent
    assert ("incident_resolved", "end_user@example.com") in templates_for(incident)
    services.reject_resolution(incident, by=end_user, reason="Still not printing")
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS
    assert incident.reopen_count == 1 and incident.last_reopened_at is not None
    assert incident.resolved_at is None and incident.resolution_code == ""
    assert incident.timeline.filter(kind="comment", body="Still not printing", is_public=True).exists()


def test_accepting_the_resolution_closes(desk, end_user, agent):
    incident = make_incident(end_user)
    services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Done"
    )
    services.accept_resolution(incident, by=end_user)
    incident.refresh_from_db()
    assert incident.state == State.CLOSED and incident.closed_at is not None
    assert ("incident_closed", "end_user@example.com") in templates_for(incident)


def test_closed_incident_cannot_be_reopened(desk, end_user, agent):
    incident = make_incident(end_user)
    services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Done"
    )
    services.close_incident(incident, by=agent)
    with pytest.raises(ValidationError) as info:
        services.reopen_incident(incident, by=agent, reason="again")
    assert set(info.value.message_dict) == {"state"}
    incident.refresh_from_db()
    assert incident.state == State.CLOSED


def test_stale_edit_is_refused_and_not_applied(desk, end_user, agent):
    incident = make_incident(end_user)
    version = incident.version
    services.update_incident(incident, by=agent, changes={"urgency": 1}, expected_version=version)
    with pytest.raises(services.StaleIncidentError) as info:
        services.update_incident(
            incident, by=agent, changes={"short_description": "Mine"}, expected_version=version
        )
    assert incident.number in str(info.value)
    incident.refresh_from_db()
    assert incident.short_description == "Printer on floor 3 does not print"


def test_changing_urgency_recomputes_priority_and_records_it(desk, end_user, agent):
    incident = make_incident(end_user, impact=1, urgency=3)
    services.update_incident(incident, by=agent, changes={"urgency": 1})
    incident.refresh_from_db()
    assert incident.priority == 1
    change = incident.timeline.get(kind="field_change")
    assert change.data["priority"] == [3, 1] and change.data["urgency"] == [3, 1]


def test_auto_close_closes_only_old_resolved_non_major(desk, end_user, agent):
    old = make_incident(end_user)
    recent = make_incident(end_user)
    major = make_incident(end_user)
    for incident in (old, recent, major):
        services.resolve_incident(
            incident, by=agent, resolution_code="solution_provided", resolution_notes="ok"
        )
    Incident.objects.filter(pk__in=[old.pk, major.pk]).update(resolved_at=timezone.now() - timedelta(days=8))
    Incident.objects.filter(pk=major.pk).update(major_state=MajorState.RESOLVED)
    assert services.auto_close_due(days=7) == [old.number]
    assert services.auto_close_due(days=7) == []  # idempotent
    states = dict(Incident.objects.values_list("number", "state"))
    assert states == {old.number: "closed", recent.number: "resolved", major.number: "resolved"}


def test_scope_end_user_sees_only_own_or_shared_organisation(
    desk, end_user, other_end_user, agent, organization
):
    mine = make_incident(end_user)
    theirs = make_incident(other_end_user)
    assert list(Incident.objects.visible_to(end_user)) == [mine]
    assert list(Incident.objects.visible_to(other_end_user)) == [theirs]
    assert set(Incident.objects.visible_to(agent)) == {mine, theirs}
    colleague = end_user.__class__.objects.create_user("colleague", organization=organization)
    assert list(Incident.objects.visible_to(colleague)) == []
    organization.share_tickets = True
    organization.save()
    colleague = end_user.__class__.objects.get(pk=colleague.pk)
    assert list(Incident.objects.visible_to(colleague)) == [mine]


def test_timeline_is_append_only(desk, end_user):
    entry = make_incident(end_user).timeline.first()
    entry.body = "rewritten"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_parent_links_refuse_cycles_of_any_length(desk, end_user, agent):
    a, b, c = (make_incident(end_user, short_description=name) for name in "abc")
    services.link_parent(b, by=agent, parent=a)
    services.link_parent(c, by=agent, parent=b)
    with pytest.raises(ValidationError) as info:
        services.link_parent(a, by=agent, parent=c)  # a -> c -> b -> a
    assert "parent" in info.value.message_dict
    a.refresh_from_db()
    assert a.parent is None
    with pytest.raises(ValidationError):
        services.link_parent(a, by=agent, parent=a)
    services.link_parent(c, by=agent, parent=a)  # re-parenting without a cycle is fine
    c.refresh_from_db()
    assert c.parent == a


def test_caller_cannot_attach_to_a_closed_incident(desk, end_user, agent, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    incident = make_incident(end_user)
    services.cancel_incident(incident, by=agent, reason="Duplicate")
    with pytest.raises(ValidationError) as info:
        services.add_attachment(incident, by=end_user, upload=SimpleUploadedFile("late.txt", b"x"))
    assert "state" in info.value.message_dict
    assert not incident.attachments.exists()
    # Agents may still file documents on a finished incident.
    services.add_attachment(incident, by=agent, upload=SimpleUploadedFile("post-mortem.txt", b"x"))
    assert incident.attachments.count() == 1


def test_only_the_caller_rates_the_resolution_whatever_the_entry_point(desk, end_user, agent):
    from django.core.exceptions import PermissionDenied

    incident = make_incident(end_user)
    services.resolve_incident(incident, by=agent, resolution_code="solution_provided", resolution_notes="ok")
    with pytest.raises(PermissionDenied):
        services.rate_resolution(incident, by=agent, score=5)
    incident.refresh_from_db()
    assert incident.satisfaction is None
    services.rate_resolution(incident, by=end_user, score=4, comment="Quick")
    incident.refresh_from_db()
    assert (incident.satisfaction, incident.satisfaction_comment) == (4, "Quick")


def test_auto_close_skips_an_incident_it_cannot_close_and_closes_the_rest(desk, end_user, agent):
    from core.models import SweepFailure
    from incidents.signals import incident_event

    broken, fine = make_incident(end_user), make_incident(end_user)
    for incident in (broken, fine):
        services.resolve_incident(
            incident, by=agent, resolution_code="solution_provided", resolution_notes="ok"
        )
    Incident.objects.update(resolved_at=timezone.now() - timedelta(days=8))

    def fail_for_broken(sender, incident, event, **kwargs):
        if incident.pk == broken.pk and event == "state_changed":
            raise RuntimeError("receiver down")

    incident_event.connect(fail_for_broken, dispatch_uid="test-broken-receiver")
    try:
        assert services.auto_close_due(days=7) == [fine.number]
    finally:
        incident_event.disconnect(dispatch_uid="test-broken-receiver")
    states = dict(Incident.objects.values_list("number", "state"))
    assert states == {broken.number: "resolved", fine.number: "closed"}
    # Logged, recorded and set aside: the next runs leave it out until the back-off has passed.
    failure = SweepFailure.objects.get(sweep="incidents.auto_close", object_id=broken.pk)
    assert "receiver down" in failure.error
    assert services.auto_close_due(days=7) == []
    SweepFailure.objects.filter(pk=failure.pk).update(skip_until=timezone.now())
    assert services.auto_close_due(days=7) == [broken.number]  # retried after the back-off
    assert not SweepFailure.objects.exists()
