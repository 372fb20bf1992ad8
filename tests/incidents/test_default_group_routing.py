"""Every desk has a default first-line group: a new incident that no routing rule matches lands in
that group's "My groups, unassigned" queue, whatever the channel (API, portal, agent form)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import SupportGroup
from incidents.models import Incident, RoutingRule
from slm.models import Service, SlaTimer
from tests.incidents.api_support import API
from tests.slm.conftest import make_policy, office_hours

pytestmark = pytest.mark.django_db

QUEUE = reverse("incidents:agent-queue")


@pytest.fixture
def desk_with_default(desk, service_desk_group):
    desk.default_group = service_desk_group
    desk.full_clean()
    desk.save(update_fields=["default_group"])
    return desk


@pytest.fixture
def accounts(desk):
    return Service.objects.create(name="Accounts and access", desk=desk)


@pytest.fixture
def printers_to_network(category_tree, network_group):
    return RoutingRule.objects.create(
        name="Printers to Network",
        order=10,
        category=category_tree["Printer"],
        assignment_group=network_group,
    )


def unassigned_queue(client, member) -> str:
    client.force_login(member)
    response = client.get(QUEUE, {"view": "group_unassigned"})
    assert response.status_code == 200
    return response.content.decode()


def test_api_incident_no_rule_matches_goes_to_the_desks_default_group(
    as_user, client, end_user, agent, desk_with_default, service_desk_group, accounts, printers_to_network
):
    response = as_user(end_user).post(
        API, {"short_description": "Cannot sign in", "service": accounts.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(number=response.json()["number"])
    assert incident.category is None
    assert incident.assignment_group == service_desk_group and incident.assigned_to is None
    created = incident.timeline.get(kind="created")
    assert created.data["routed_to"] == "Service Desk"
    assert incident.number in unassigned_queue(client, agent)


def test_portal_incident_no_rule_matches_goes_to_the_desks_default_group(
    client, end_user, agent, desk_with_default, service_desk_group, accounts, printers_to_network
):
    client.force_login(end_user)
    response = client.post(
        reverse("incidents:portal-report"),
        {"short_description": "Cannot sign in", "urgency": 3, "service": accounts.pk},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_portal_url()
    assert incident.assignment_group == service_desk_group
    assert incident.number in unassigned_queue(client, agent)


def test_agent_form_without_a_group_uses_the_default_group(
    client, agent, end_user, desk_with_default, service_desk_group, accounts
):
    client.force_login(agent)
    response = client.post(
        reverse("incidents:agent-create"),
        {
            "caller": end_user.username,
            "contact_channel": "phone",
            "short_description": "Locked out",
            "impact": 3,
            "urgency": 3,
            "service": accounts.pk,
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert incident.assignment_group == service_desk_group and incident.assigned_to is None


def test_a_matching_rule_still_wins(
    as_user, end_user, desk_with_default, network_group, category_tree, printers_to_network
):
    response = as_user(end_user).post(
        API, {"short_description": "Jammed", "category": category_tree["Printer"].pk}, format="json"
    )
    assert response.status_code == 201
    assert Incident.objects.get().assignment_group == network_group


def test_the_default_groups_ola_starts_on_an_unrouted_incident(
    as_user, end_user, desk_with_default, service_desk_group, accounts
):
    calendar = office_hours()
    make_policy("Standard", calendar, {("resolution", None): 8 * 60})
    make_policy(
        "Service Desk OLA", calendar, {("resolution", None): 120, ("response", None): 30}, kind="ola",
        support_group=service_desk_group,
    )  # fmt: skip
    response = as_user(end_user).post(
        API, {"short_description": "Cannot sign in", "service": accounts.pk}, format="json"
    )
    assert response.status_code == 201
    incident = Incident.objects.get()
    olas = SlaTimer.objects.filter(incident=incident, kind="ola")
    assert {(t.metric, t.support_group_id, t.state) for t in olas} == {
        ("response", service_desk_group.pk, "running"),
        ("resolution", service_desk_group.pk, "running"),
    }


def test_inactive_default_group_receives_nothing(as_user, end_user, desk_with_default, service_desk_group):
    SupportGroup.objects.filter(pk=service_desk_group.pk).update(is_active=False)
    response = as_user(end_user).post(API, {"short_description": "Cannot sign in"}, format="json")
    assert response.status_code == 201
    assert Incident.objects.get().assignment_group is None


def test_default_group_must_be_an_active_group_of_the_desk(desk, other_desk):
    payroll = SupportGroup.objects.create(name="Payroll", desk=other_desk)
    desk.default_group = payroll
    with pytest.raises(ValidationError) as caught:
        desk.full_clean()
    assert "default_group" in caught.value.message_dict


def test_admin_offers_only_the_desks_groups(client, admin, desk, other_desk, service_desk_group):
    SupportGroup.objects.create(name="Payroll", desk=other_desk)
    client.force_login(admin)
    change = reverse("admin:core_desk_change", args=[desk.pk])
    html = client.get(change).content.decode()
    assert ">Service Desk</option>" in html and ">Payroll</option>" not in html


def test_demo_desks_have_their_first_line_group_as_default():
    from core import demo

    base = demo.seed()
    assert base["desks"]["it"].default_group == base["groups"]["Service Desk"]
    assert base["desks"]["hr"].default_group == base["groups"]["HR Service Desk"]
    demo.seed()  # idempotent
    base["desks"]["it"].refresh_from_db()
    assert base["desks"]["it"].default_group == base["groups"]["Service Desk"]
