"""The agent's incident page: fields, timeline (public vs internal), edit with optimistic
concurrency, comments and work notes, files, transitions, assignment, escalation, parent links."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.panels import _REGISTRY, register_panel
from incidents import services
from incidents.choices import State
from incidents.models import Attachment, Incident
from notifications.models import Notification
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def url(name, incident):
    return reverse(f"incidents:{name}", kwargs={"number": incident.number})


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def incident(desk, end_user):
    return make_incident(end_user, description="Since this morning, error 0x1F")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_detail_shows_fields_timeline_and_allowed_transitions(signed_in, incident):
    response = signed_in.get(url("agent-detail", incident))
    assert response.status_code == 200
    html = response.content.decode()
    assert incident.number in html and "Since this morning, error 0x1F" in html
    assert "end_user@example.com" in html
    targets = [t["target"] for t in response.context["transitions"]]
    assert targets == ["in_progress", "on_hold", "resolved", "cancelled"]
    assert "Assign to me" in html


def test_end_user_gets_403_on_every_agent_page(client, end_user, incident):
    client.force_login(end_user)
    for name in ("agent-detail",):
        assert client.get(url(name, incident)).status_code == 403
    for name in (
        "agent-edit",
        "agent-comment",
        "agent-attach",
        "agent-transition",
        "agent-assign",
        "agent-escalate",
        "agent-link",
    ):
        assert client.post(url(name, incident), {"body": "x"}).status_code == 403
    for name in ("agent-create", "agent-priority-preview", "agent-caller-search", "agent-assignee-options"):
        assert client.get(reverse(f"incidents:{name}")).status_code == 403
    assert client.post(reverse("incidents:agent-bulk"), {"numbers": [incident.number]}).status_code == 403
    assert incident.timeline.count() == 1


def test_unknown_number_is_404(signed_in, desk):
    assert signed_in.get("/agent/incidents/INC0000000/").status_code == 404


def test_work_note_and_public_comment_are_told_apart(signed_in, agent, incident):
    signed_in.post(url("agent-comment", incident), {"visibility": "work_note", "body": "Checked the spooler"})
    signed_in.post(url("agent-comment", incident), {"visibility": "public", "body": "We are on it"})
    entries = list(
        incident.timeline.filter(kind__in=["comment", "work_note"]).values_list("kind", "is_public")
    )
    assert entries == [("work_note", False), ("comment", True)]
    html = signed_in.get(url("agent-detail", incident)).content.decode()
    note = html.index("Checked the spooler")
    public = html.index("We are on it")
    assert (
        'class="internal kind-work_note"' in html[:note]
        and "Work note" in html[html.rindex("<li", 0, note) : note]
    )
    assert "Public comment" in html[html.rindex("<li", 0, public) : public]
    # Only the public comment was e-mailed to the caller.
    mails = Notification.objects.filter(template="incident_comment", context__number=incident.number)
    assert [m.context["body"] for m in mails] == ["We are on it"]


def test_comment_box_defaults_to_work_note(signed_in, incident):
    form = signed_in.get(url("agent-detail", incident)).context["comment_form"]
    assert form["visibility"].value() == "work_note"


def test_empty_comment_is_a_field_error(signed_in, incident):
    response = signed_in.post(url("agent-comment", incident), {"visibility": "public", "body": "  "})
    assert response.status_code == 400
    assert response.context["comment_form"].errors["body"] == ["Write a comment or attach a file."]
    assert "Comment: Write a comment or attach a file." in response.content.decode()
    assert incident.timeline.count() == 1


def test_comment_with_files_keeps_the_files_on_the_comment(signed_in, incident):
    upload = SimpleUploadedFile("trace.log", b"error 0x1F\n", content_type="text/plain")
    response = signed_in.post(
        url("agent-comment", incident),
        {"visibility": "work_note", "body": "Trace attached", "files": [upload]},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(incident=incident)
    assert attachment.is_public is False and attachment.timeline_entry.body == "Trace attached"
    html = signed_in.get(url("agent-detail", incident)).content.decode()
    assert reverse("incidents:attachment", args=[attachment.pk]) in html


def test_bad_upload_type_is_a_field_error_and_nothing_is_written(signed_in, incident):
    upload = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream")
    response = signed_in.post(
        url("agent-comment", incident), {"visibility": "public", "body": "see file", "files": [upload]}
    )
    assert response.status_code == 400
    assert "files" in response.context["comment_form"].errors
    assert "tool.exe" in response.context["comment_form"].errors["files"][0]
    assert incident.timeline.count() == 1 and not Attachment.objects.exists()


def test_attach_internal_file(signed_in, incident):
    upload = SimpleUploadedFile("notes.txt", b"internal", content_type="text/plain")
    response = signed_in.post(url("agent-attach", incident), {"files": [upload]})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.is_public is False
    entry = incident.timeline.get(kind="attachment")
    assert entry.is_public is False


def test_attach_without_file_names_the_field(signed_in, incident):
    response = signed_in.post(url("agent-attach", incident), {"public": "on"})
    assert response.status_code == 400
    assert "files" in response.context["attach_form"].errors


def test_edit_carries_the_version_and_recomputes_priority(signed_in, incident, desk):
    form = signed_in.get(url("agent-detail", incident)).context["edit_form"]
    assert form["version"].value() == incident.version
    data = {
        "short_description": "Printer broken",
        "description": incident.description,
        "impact": 1,
        "urgency": 1,
        "category": "",
        "service": "",
        "configuration_item": "PRN-3",
        "desk": desk.pk,
        "contact_channel": "phone",
        "version": incident.version,
    }
    response = signed_in.post(url("agent-edit", incident), data)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.priority == 1 and incident.configuration_item == "PRN-3"
    change = incident.timeline.get(kind="field_change")
    assert change.data["priority"] == [5, 1]
    html = signed_in.get(url("agent-detail", incident)).content.decode()
    assert "P5 - Planning" in html and "P1 - Critical" in html  # the change reads as labels


def test_stale_edit_is_refused_with_a_clear_message(signed_in, agent, incident, desk):
    old_version = incident.version
    services.update_incident(incident, by=agent, changes={"urgency": 2})  # someone else, meanwhile
    response = signed_in.post(
        url("agent-edit", incident),
        {
            "short_description": "My edit",
            "impact": 3,
            "urgency": 3,
            "desk": desk.pk,
            "contact_channel": "portal",
            "version": old_version,
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not saved: someone else changed this incident in the meantime." in html
    assert "Reload the incident" in html
    assert response.context["edit_form"]["short_description"].value() == "My edit"  # input kept
    incident.refresh_from_db()
    assert incident.short_description == "Printer on floor 3 does not print" and incident.urgency == 2


def test_edit_with_bad_values_names_the_fields(signed_in, incident):
    response = signed_in.post(
        url("agent-edit", incident),
        {
            "short_description": "",
            "impact": 9,
            "urgency": "x",
            "desk": 999,
            "contact_channel": "fax",
            "version": "abc",
        },
    )
    assert response.status_code == 400
    errors = response.context["edit_form"].errors
    assert {"short_description", "impact", "urgency", "desk", "contact_channel", "version"} <= set(errors)
    assert "Impact: Select a valid choice." in response.content.decode()


def test_resolve_needs_code_and_notes_named_in_the_form(signed_in, incident):
    response = signed_in.post(
        url("agent-transition", incident), {"target": "resolved", "version": incident.version}
    )
    assert response.status_code == 400
    bound = next(t for t in response.context["transitions"] if t["target"] == "resolved")
    assert bound["open"] and set(bound["form"].errors) == {"resolution_code", "resolution_notes"}
    incident.refresh_from_db()
    assert incident.state == State.NEW


def test_resolve_then_reopen_from_the_page(signed_in, incident):
    response = signed_in.post(
        url("agent-transition", incident),
        {
            "target": "resolved",
            "resolution_code": "solution_provided",
            "resolution_notes": "New toner",
            "version": incident.version,
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED and incident.resolution_notes == "New toner"
    no_reason = signed_in.post(
        url("agent-transition", incident), {"target": "in_progress", "version": incident.version}
    )
    assert no_reason.status_code == 400
    signed_in.post(
        url("agent-transition", incident),
        {"target": "in_progress", "reason": "Still jams", "version": incident.version},
    )
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS and incident.reopen_count == 1


def test_hold_awaiting_caller_needs_a_question(signed_in, incident):
    response = signed_in.post(
        url("agent-transition", incident),
        {"target": "on_hold", "hold_reason": "awaiting_caller", "version": incident.version},
    )
    assert response.status_code == 400
    bound = next(t for t in response.context["transitions"] if t["target"] == "on_hold")
    assert "comment" in bound["form"].errors
    signed_in.post(
        url("agent-transition", incident),
        {
            "target": "on_hold",
            "hold_reason": "awaiting_caller",
            "comment": "Which floor?",
            "version": incident.version,
        },
    )
    incident.refresh_from_db()
    assert incident.state == State.ON_HOLD
    assert incident.timeline.filter(kind="comment", body="Which floor?", is_public=True).exists()


def test_forbidden_or_stale_transition_is_refused_without_a_500(signed_in, agent, incident):
    response = signed_in.post(url("agent-transition", incident), {"target": "closed", "version": 1})
    assert response.status_code == 400
    response = signed_in.post(url("agent-transition", incident), {"target": "nonsense"})
    assert response.status_code == 400
    services.add_comment(incident, by=agent, body="bump", public=False)
    response = signed_in.post(url("agent-transition", incident), {"target": "in_progress", "version": 1})
    assert response.status_code == 409
    incident.refresh_from_db()
    assert incident.state == State.NEW


def test_assign_to_me(signed_in, agent, incident, service_desk_group):
    response = signed_in.post(url("agent-assign", incident), {"me": "1", "version": incident.version})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assigned_to == agent and incident.assignment_group == service_desk_group
    assert incident.state == State.IN_PROGRESS


def test_assign_to_me_twice_is_refused_as_stale(signed_in, client, agent, incident_manager, incident):
    version = incident.version
    services.assign_incident(
        incident,
        by=incident_manager,
        group=incident_manager.support_groups.first(),
        assignee=incident_manager,
    )
    response = signed_in.post(url("agent-assign", incident), {"me": "1", "version": version})
    assert response.status_code == 409
    incident.refresh_from_db()
    assert incident.assigned_to == incident_manager


def test_assign_form_checks_membership(signed_in, agent, incident, network_group, other_group_agent):
    response = signed_in.post(
        url("agent-assign", incident),
        {"assignment_group": network_group.pk, "assigned_to": agent.pk, "version": incident.version},
    )
    assert response.status_code == 400
    assert "assigned_to" in response.context["assign_form"].errors
    response = signed_in.post(
        url("agent-assign", incident),
        {
            "assignment_group": network_group.pk,
            "assigned_to": other_group_agent.pk,
            "note": "Switch issue",
            "version": incident.version,
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assigned_to == other_group_agent
    assert incident.timeline.get(kind="assignment").body == "Switch issue"


def test_assignee_options_follow_the_group(signed_in, network_group, other_group_agent, agent):
    html = signed_in.get(
        reverse("incidents:agent-assignee-options"), {"assignment_group": network_group.pk}
    ).content.decode()
    assert f'value="{other_group_agent.pk}"' in html and f'value="{agent.pk}"' not in html


def test_escalate_needs_a_reason_and_tells_the_manager(
    signed_in, incident, incident_manager, service_desk_group
):
    services.assign_incident(incident, by=incident_manager, group=service_desk_group)
    incident.refresh_from_db()
    response = signed_in.post(url("agent-escalate", incident), {"reason": "", "version": incident.version})
    assert response.status_code == 400 and "reason" in response.context["escalate_form"].errors
    response = signed_in.post(
        url("agent-escalate", incident), {"reason": "VIP, no progress", "version": incident.version}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.escalation_level == 1
    assert Notification.objects.filter(template="incident_escalated", address="incident_manager@example.com")


def test_link_parent_by_number_and_list_children(signed_in, end_user, incident):
    parent = make_incident(end_user, short_description="Floor 3 network outage")
    response = signed_in.post(url("agent-link", incident), {"parent": parent.number.lower()})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.parent == parent
    html = signed_in.get(url("agent-detail", parent)).content.decode()
    assert incident.number in html and "Child incidents" in html
    response = signed_in.post(url("agent-link", incident), {"parent": "INC0000000"})
    assert response.status_code == 400 and "parent" in response.context["link_form"].errors
    response = signed_in.post(url("agent-link", incident), {"parent": incident.number})
    assert response.status_code == 400 and "parent" in response.context["link_form"].errors
    response = signed_in.post(url("agent-link", incident), {"parent": ""})
    incident.refresh_from_db()
    assert incident.parent is None


def test_panel_slots_are_rendered(signed_in, incident):
    template = "notifications/generic/subject.txt"
    register_panel(
        "incident-agent", "test-main", template=template, context=lambda r, o: {"subject": "MAIN-PANEL"}
    )
    register_panel(
        "incident-agent-side",
        "test-side",
        template=template,
        context=lambda r, o: {"subject": f"SIDE-{o.number}"},
    )
    try:
        html = signed_in.get(url("agent-detail", incident)).content.decode()
    finally:
        _REGISTRY["incident-agent"].pop("test-main")
        _REGISTRY["incident-agent-side"].pop("test-side")
    assert "MAIN-PANEL" in html and f"SIDE-{incident.number}" in html


def test_closed_incident_offers_no_actions(signed_in, agent, incident):
    services.cancel_incident(incident, by=agent, reason="Duplicate of another call")
    response = signed_in.get(url("agent-detail", incident))
    assert response.context["transitions"] == [] and not response.context["can_edit"]
    assert "No further state changes" in response.content.decode()


def test_detail_page_query_count_does_not_grow_with_the_timeline(
    signed_in, agent, incident, django_assert_max_num_queries
):
    signed_in.get(url("agent-detail", incident))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        signed_in.get(url("agent-detail", incident))
    for index in range(20):
        services.add_comment(incident, by=agent, body=f"note {index}", public=bool(index % 2))
    with django_assert_max_num_queries(len(few)):
        signed_in.get(url("agent-detail", incident))
    assert Incident.objects.count() == 1
