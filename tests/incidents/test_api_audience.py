"""End users read through the API what the portal shows them, nothing more.

The end-user API response is compared field by field with the portal's page for the same
incident: every field is either an API handle, something the caller wrote on the report form, or
something the portal page shows. OLA timers, SLA policies, priority, the assignee and agents'
accounts stay with agents.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from core import roles
from incidents import services
from incidents.choices import HoldReason
from slm.models import BusinessCalendar, Service, SlaPolicy, SlaTarget
from tests.conftest import make_user
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db

API_HANDLES = {"id", "number", "url", "web_url", "version"}
REPORT_FORM_FIELDS = {"urgency"}  # the caller sets it on the portal's report form


def _shown(html: str, text: str) -> bool:
    return escape(text) in html


# For each field an end user reads: does the portal page show it? (body, html, incident) -> bool
PORTAL_SHOWS = {
    "short_description": lambda b, html, i: _shown(html, b["short_description"]),
    "description": lambda b, html, i: _shown(html, b["description"]),
    "caller": lambda b, html, i: _shown(html, b["caller"]["display"]),
    "service": lambda b, html, i: _shown(html, b["service"]["display"]),
    "category": lambda b, html, i: _shown(html, b["category"]["display"]),
    "state": lambda b, html, i: b["state"] == i.state and _shown(html, str(i.get_state_display())),
    "awaiting_caller": lambda b, html, i: b["awaiting_caller"] == ("Waiting for your answer" in html),
    "assignment_group": lambda b, html, i: _shown(html, b["assignment_group"]["display"]),
    "resolution_code": lambda b, html, i: (
        not b["resolution_code"] or _shown(html, str(i.get_resolution_code_display()))
    ),
    "resolution_notes": lambda b, html, i: not b["resolution_notes"] or _shown(html, b["resolution_notes"]),
    "resolved_by": lambda b, html, i: b["resolved_by"] is None or _shown(html, b["resolved_by"]["display"]),
    "resolved_at": lambda b, html, i: b["resolved_at"] is None or "resolution" in html,
    "satisfaction": lambda b, html, i: b["satisfaction"] is None or f"{b['satisfaction']} of 5" in html,
    "created_at": lambda b, html, i: "Reported" in html,
    "updated_at": lambda b, html, i: "Last update" in html,
    "expected_resolution": lambda b, html, i: (
        b["expected_resolution"] is None
        or (b["expected_resolution"]["paused"] and "waiting for your reply" in html)
        or (b["expected_resolution"]["late"] and "taking longer than we aim for" in html)
        or "We aim to resolve this by" in html
    ),
}


@pytest.fixture
def ops_agent(service_desk_group):
    user = make_user("kim.svensson.ops", role_list=[roles.AGENT], last_name="Svensson")
    service_desk_group.members.add(user)
    return user


@pytest.fixture
def agreements(desk, service_desk_group):
    """An SLA the caller is promised and an OLA between the desk and its group."""
    calendar = BusinessCalendar.objects.create(name="24x7 audience", time_zone="UTC", is_24x7=True)
    sla = SlaPolicy.objects.create(name="Gold SLA internal terms", order=1, calendar=calendar)
    SlaTarget.objects.create(policy=sla, metric="response", target_minutes=30)
    SlaTarget.objects.create(policy=sla, metric="resolution", target_minutes=480)
    ola = SlaPolicy.objects.create(
        name="Desk OLA internal terms",
        kind="ola",
        order=2,
        calendar=calendar,
        support_group=service_desk_group,
    )
    SlaTarget.objects.create(policy=ola, metric="resolution", target_minutes=240)
    return sla, ola


def _incident(state, *, end_user, agent, group, category_tree, desk):
    service = Service.objects.create(name="E-mail", desk=desk)
    incident = make_incident(
        end_user,
        short_description="Outlook asks for my password",
        description="Every ten minutes since the update.",
        service=service,
        category=category_tree["E-mail"],
    )
    services.assign_incident(incident, by=agent, group=group, assignee=agent)
    services.add_comment(incident, by=agent, body="Looking into it now.", public=True)
    if state == "on_hold":
        services.put_on_hold(
            incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="Which Outlook version?"
        )
    if state == "resolved":
        services.resolve_incident(
            incident,
            by=agent,
            resolution_code="solution_provided",
            resolution_notes="Reset the mail profile.",
        )
    incident.refresh_from_db()
    return incident


@pytest.mark.parametrize("state", ["in_progress", "on_hold", "resolved"])
def test_end_user_reads_through_the_api_what_the_portal_page_shows(
    state, as_user, end_user, ops_agent, service_desk_group, category_tree, desk, agreements
):
    incident = _incident(
        state,
        end_user=end_user,
        agent=ops_agent,
        group=service_desk_group,
        category_tree=category_tree,
        desk=desk,
    )
    assert incident.sla_timers.filter(kind="ola").exists()  # there is something to hide

    body = as_user(end_user).get(f"/api/v1/incidents/{incident.number}/").json()
    browser = Client()
    browser.force_login(end_user)
    page = browser.get(reverse("incidents:portal-detail", args=[incident.number]))
    assert page.status_code == 200
    html = page.content.decode()
    report_form = browser.get(reverse("incidents:portal-report")).content.decode()

    for field, value in body.items():
        if field in API_HANDLES:
            continue
        if field in REPORT_FORM_FIELDS:
            assert f'name="{field}"' in report_form, field
            continue
        assert field in PORTAL_SHOWS, (
            f"{field}={value!r} is in the end user's API response, not on the portal page"
        )
        assert PORTAL_SHOWS[field](body, html, incident), f"{field}={value!r} differs from the portal page"

    text = json.dumps(body)
    for internal in ("Desk OLA internal terms", "Gold SLA internal terms", "kim.svensson.ops", "username"):
        assert internal not in text
        assert internal not in html  # the portal hides them too
    assert {"timers", "priority", "impact", "assigned_to", "opened_by", "hold_reason"}.isdisjoint(body)

    # The same incident as the list shows it to the end user, and to an agent in full.
    listed = as_user(end_user).get("/api/v1/incidents/").json()["results"]
    assert [row for row in listed if row["number"] == incident.number] == [body]
    agent_body = as_user(ops_agent).get(f"/api/v1/incidents/{incident.number}/").json()
    assert {"timers", "priority", "assigned_to", "hold_reason"} <= set(agent_body)
    assert {timer["kind"] for timer in agent_body["timers"]} == {"sla", "ola"}


def test_end_user_sees_the_resolution_target_the_portal_promises(
    as_user, end_user, ops_agent, service_desk_group, category_tree, desk, agreements
):
    incident = _incident(
        "in_progress",
        end_user=end_user,
        agent=ops_agent,
        group=service_desk_group,
        category_tree=category_tree,
        desk=desk,
    )
    body = as_user(end_user).get(f"/api/v1/incidents/{incident.number}/").json()
    sla_resolution = incident.sla_timers.get(kind="sla", metric="resolution")
    assert body["expected_resolution"]["paused"] is False and body["expected_resolution"]["late"] is False
    assert body["expected_resolution"]["due_at"] == sla_resolution.due_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_end_user_create_answer_holds_only_end_user_fields(as_user, end_user, desk):
    response = as_user(end_user).post("/api/v1/incidents/", {"short_description": "VPN drops"}, format="json")
    assert response.status_code == 201
    assert set(response.json()) == API_HANDLES | REPORT_FORM_FIELDS | set(PORTAL_SHOWS)


def test_end_user_timeline_carries_only_the_details_the_portal_history_shows(
    as_user, end_user, ops_agent, service_desk_group, category_tree, desk, agreements
):
    incident = _incident(
        "resolved",
        end_user=end_user,
        agent=ops_agent,
        group=service_desk_group,
        category_tree=category_tree,
        desk=desk,
    )
    url = f"/api/v1/incidents/{incident.number}/timeline/"
    mine = {entry["kind"]: entry for entry in as_user(end_user).get(url).json()}
    theirs = {entry["kind"]: entry for entry in as_user(ops_agent).get(url).json()}
    # The created entry records channel, priority and routing for agents; the portal shows none of it.
    assert "priority" in theirs["created"]["data"]
    assert mine["created"]["data"] == {}
    # A public state change shows its changes, as the portal's history does.
    assert mine["state_change"]["data"] == theirs["state_change"]["data"]
    assert mine["state_change"]["data"]["state"][1] == "resolved"
    assert "kim.svensson.ops" not in json.dumps(mine)
