"""An agent registers an incident on behalf of a caller, with a live priority preview."""

import pytest
from django.urls import reverse

from incidents.models import Incident, PriorityMatrixCell
from notifications.models import Notification

pytestmark = pytest.mark.django_db

CREATE = reverse("incidents:agent-create")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_form_defaults_to_phone_and_shows_priority(signed_in, desk):
    response = signed_in.get(CREATE)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["contact_channel"].value() == "phone"
    assert response.context["preview_priority"] == 5
    html = response.content.decode()
    assert 'hx-get="/agent/incidents/priority-preview/"' in html
    assert 'list="caller-options"' in html


def test_priority_preview_follows_the_admin_edited_matrix(signed_in, desk):
    preview = reverse("incidents:agent-priority-preview")
    assert "P2 - High" in signed_in.get(preview, {"impact": 1, "urgency": 2}).content.decode()
    PriorityMatrixCell.objects.filter(impact=1, urgency=2).update(priority=1)
    assert "P1 - Critical" in signed_in.get(preview, {"impact": 1, "urgency": 2}).content.decode()
    bad = signed_in.get(preview, {"impact": "x", "urgency": 9})
    assert bad.status_code == 200 and "Choose impact and urgency" in bad.content.decode()


def test_caller_search_matches_every_word(signed_in, end_user, other_end_user):
    html = signed_in.get(reverse("incidents:agent-caller-search"), {"caller": "end user"}).content.decode()
    assert 'value="end_user"' in html and 'value="other_end_user"' in html
    html = signed_in.get(reverse("incidents:agent-caller-search"), {"caller": "other_end"}).content.decode()
    assert 'value="other_end_user"' in html and 'value="end_user"' not in html
    assert signed_in.get(reverse("incidents:agent-caller-search"), {"caller": "e"}).content.strip() == b""


def test_register_on_behalf_of_a_caller(signed_in, agent, end_user, desk, service_desk_group):
    response = signed_in.post(
        CREATE,
        {
            "caller": "END_USER@example.com",
            "contact_channel": "phone",
            "short_description": "VPN drops",
            "description": "Every 10 minutes",
            "impact": 2,
            "urgency": 1,
            "assignment_group": service_desk_group.pk,
            "assigned_to": agent.pk,
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert incident.caller == end_user and incident.opened_by == agent
    assert incident.contact_channel == "phone" and incident.priority == 2
    assert incident.assigned_to == agent and incident.assignment_group == service_desk_group
    assert incident.timeline.filter(kind="created").exists()
    assert Notification.objects.filter(template="incident_created", address="end_user@example.com").exists()


def test_bad_input_names_the_fields_and_writes_nothing(signed_in, desk, network_group, agent):
    response = signed_in.post(
        CREATE,
        {
            "caller": "nobody",
            "contact_channel": "carrier-pigeon",
            "short_description": "",
            "impact": 0,
            "urgency": 4,
            "assignment_group": network_group.pk,
            "assigned_to": agent.pk,
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"caller", "contact_channel", "short_description", "impact", "urgency"} <= set(errors)
    assert "No active user has the user name or e-mail address “nobody”." in errors["caller"]
    assert Incident.objects.count() == 0


def test_assignee_outside_the_group_is_a_field_error(signed_in, desk, network_group, agent, end_user):
    response = signed_in.post(
        CREATE,
        {
            "caller": "end_user",
            "contact_channel": "phone",
            "short_description": "x",
            "impact": 3,
            "urgency": 3,
            "assignment_group": network_group.pk,
            "assigned_to": agent.pk,
        },
    )
    assert response.status_code == 400
    assert "assigned_to" in response.context["form"].errors
    assert Incident.objects.count() == 0 and Notification.objects.count() == 0
