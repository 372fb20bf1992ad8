"""Agent pages: queue, detail with approvals and risk, forms, calendar, CAB view, catalog."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes import services
from changes.choices import ChangeState, Decision, TemplateStatus
from changes.models import ChangeRequest, ChangeTemplate, ChangeTimelineEntry, FreezeWindow
from tests.changes.conftest import HIGH, LOW, at, make_change, to_authorize

pytestmark = pytest.mark.django_db
S = ChangeState


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def test_end_users_cannot_open_change_pages(signed_in, end_user, agent):
    change = make_change(agent)
    client = signed_in(end_user)
    for url in ["/agent/changes/", change.get_absolute_url(), "/agent/change-calendar/", "/agent/cab/"]:
        assert client.get(url).status_code == 403, url


def test_queue_lists_open_changes_with_constant_queries(
    signed_in, agent, email_service, django_assert_num_queries
):
    client = signed_in(agent)
    for i in range(3):
        make_change(agent, services_=[email_service], short_description=f"Change {i}")
    closed = make_change(agent, short_description="Old one")
    services.cancel_change(closed, by=agent, reason="Dropped")
    with django_assert_num_queries(7) as few:
        response = client.get("/agent/changes/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Change 0" in html and "Old one" not in html
    for i in range(20):
        make_change(agent, short_description=f"More {i}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/agent/changes/")
    assert "Page 1 of 1 · 23 changes" in response.content.decode()
    assert "Old one" in client.get("/agent/changes/?scope=").content.decode()


def test_queue_scope_mine(signed_in, agent, other_group_agent):
    make_change(agent, short_description="Agent's change")
    make_change(other_group_agent, short_description="Network change")
    html = signed_in(agent).get("/agent/changes/?scope=mine").content.decode()
    assert "Agent&#x27;s change" in html and "Network change" not in html


def test_detail_shows_risk_approvals_and_conflicts(
    signed_in, agent, change_manager, email_service, email_maintenance, approval_rules
):
    other = make_change(
        agent, start=at(0, 1), services_=[email_service], cis=["mx01"], short_description="Other"
    )
    change = to_authorize(
        make_change(agent, start=at(0, 1), services_=[email_service], cis=["MX01"]), agent, LOW
    )
    html = signed_in(agent).get(change.get_absolute_url()).content.decode()
    assert change.number in html
    assert "Risk: Low" in html
    assert "Low: change manager" in html and "Change Manager" in html
    # One item, whatever the case it is typed in; shown as first spelled.
    assert f"Overlaps {other.number} on the configuration item mx01" in html
    assert "Submit decision" not in html  # the requester has nothing to decide
    manager_html = signed_in(change_manager).get(change.get_absolute_url()).content.decode()
    assert "Submit decision" in manager_html


def test_detail_of_unknown_change_is_404(signed_in, agent):
    assert signed_in(agent).get("/agent/changes/CHG0000001/").status_code == 404


def test_create_form_reads_times_in_the_users_time_zone(signed_in, agent, email_service):
    client = signed_in(agent)  # Europe/Stockholm
    assert client.get("/agent/changes/new/").status_code == 200
    response = client.post(
        "/agent/changes/new/",
        {
            "change_type": "normal",
            "short_description": "Upgrade mail",
            "services": [email_service.pk],
            "configuration_items": "mx01, MX02",
            "impact": "2",
            "planned_start": "2030-01-06T02:00",
            "planned_end": "2030-01-06T04:00",
            "implementation_plan": "Steps",
            "backout_plan": "Undo",
        },
    )
    change = ChangeRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == change.get_absolute_url()
    assert change.planned_start == datetime(2030, 1, 6, 1, tzinfo=UTC)
    assert change.requester == agent and change.impact == 2
    assert sorted(ci.name for ci in change.configuration_items.all()) == ["MX02", "mx01"]


def test_create_form_errors_name_the_field(signed_in, agent):
    response = signed_in(agent).post(
        "/agent/changes/new/",
        {
            "change_type": "normal",
            "short_description": "",
            "impact": "3",
            "planned_start": "2030-01-06T04:00",
            "planned_end": "2030-01-06T02:00",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "short_description" in form.errors and "planned_end" in form.errors
    assert not ChangeRequest.objects.exists()


def test_edit_refuses_a_stale_form(signed_in, agent):
    change = make_change(agent)
    client = signed_in(agent)
    page = client.get(f"/agent/changes/{change.number}/edit/")
    assert page.status_code == 200
    data = {
        **{k: v for k, v in page.context["form"].initial.items() if v is not None},
        "short_description": "Renamed",
        "services": [],
        "planned_start": "2030-01-06T02:00",
        "planned_end": "2030-01-06T03:00",
    }
    services.update_change(change, by=agent, description="Someone else was faster.")
    response = client.post(f"/agent/changes/{change.number}/edit/", data)
    assert response.status_code == 400
    assert "Someone else changed" in response.content.decode()
    change.refresh_from_db()
    assert change.short_description != "Renamed"
    data["version"] = change.version
    assert client.post(f"/agent/changes/{change.number}/edit/", data).status_code == 302
    change.refresh_from_db()
    assert change.short_description == "Renamed"


def test_actions_from_the_detail_page(signed_in, agent, change_manager, approval_rules):
    change = make_change(agent)
    client = signed_in(agent)
    base = f"/agent/changes/{change.number}/"
    assert client.post(base + "assess/").status_code == 302
    bad_risk = client.post(base + "risk/", {**LOW, "override_risk": "high"})
    assert bad_risk.status_code == 400
    assert "Give the reason for overriding" in bad_risk.content.decode()
    assert client.post(base + "risk/", HIGH).status_code == 302
    change.refresh_from_db()
    assert change.risk == "high"
    assert client.post(base + "request-approval/").status_code == 302
    change.refresh_from_db()
    assert change.state == S.AUTHORIZE
    assert client.post(base + "note/", {"body": "Vendor informed."}).status_code == 302
    assert ChangeTimelineEntry.objects.filter(ticket=change, kind="work_note").exists()
    assert client.post(base + "fly/").status_code == 404


def test_plain_action_errors_are_shown_on_the_page(signed_in, agent, approval_rules):
    change = services.create_change(by=agent, change_type="normal", short_description="No plans")
    services.submit_for_assessment(change, by=agent)
    response = signed_in(agent).post(f"/agent/changes/{change.number}/request-approval/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Describe how the change will be backed out" in html
    assert "Assess the risk" not in html or "Backout plan" in html


def test_approver_decides_on_the_detail_page(signed_in, agent, change_manager, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    client = signed_in(change_manager)
    missing = client.post(f"/agent/changes/{change.number}/decide/", {"decision": "reject"})
    assert missing.status_code == 400
    response = client.post(
        f"/agent/changes/{change.number}/decide/", {"decision": "approve", "comment": "Go"}
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.state == S.SCHEDULED


def test_non_approver_decision_is_refused(signed_in, agent, other_group_agent, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    response = signed_in(other_group_agent).post(
        f"/agent/changes/{change.number}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.state == S.AUTHORIZE


def test_override_form_for_change_managers(signed_in, agent, change_manager):
    FreezeWindow.objects.create(name="Freeze", start=at(0, 0), end=at(1, 0))
    change = make_change(agent)
    agent_html = signed_in(agent).get(change.get_absolute_url()).content.decode()
    assert "Blocked: a change manager must override" in agent_html
    assert "Record override" not in agent_html
    client = signed_in(change_manager)
    assert "Record override" in client.get(change.get_absolute_url()).content.decode()
    assert (
        client.post(f"/agent/changes/{change.number}/override/", {"override_reason": ""}).status_code == 400
    )
    assert (
        client.post(f"/agent/changes/{change.number}/override/", {"override_reason": "Needed"}).status_code
        == 302
    )
    html = client.get(change.get_absolute_url()).content.decode()
    assert "Overridden by Change Manager" in html
    assert "): blocked." not in html and "In the freeze window “Freeze”" in html


def test_standard_change_from_the_catalog(signed_in, agent, template):
    client = signed_in(agent)
    catalog = client.get("/agent/changes/templates/").content.decode()
    assert template.name in catalog
    assert client.get(f"/agent/changes/templates/{template.slug}/").status_code == 200
    response = client.post(
        f"/agent/changes/templates/{template.slug}/", {"planned_start": "2030-01-06T02:00"}
    )
    change = ChangeRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == change.get_absolute_url()
    assert change.state == S.SCHEDULED and change.template == template
    assert change.planned_start == datetime(2030, 1, 6, 1, tzinfo=UTC)


def test_catalog_approval_by_change_managers(signed_in, agent, change_manager, email_service):
    proposed = ChangeTemplate.objects.create(
        name="Add DNS record",
        slug="add-dns",
        short_description="DNS",
        implementation_plan="a",
        backout_plan="b",
    )
    assert "Add DNS record" not in signed_in(agent).get("/agent/changes/templates/").content.decode()
    assert signed_in(agent).get("/agent/changes/templates/add-dns/").status_code == 404
    assert signed_in(agent).post("/agent/changes/templates/add-dns/approve/").status_code == 403
    client = signed_in(change_manager)
    assert "Approve template" in client.get("/agent/changes/templates/").content.decode()
    assert client.post("/agent/changes/templates/add-dns/approve/").status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == TemplateStatus.APPROVED and proposed.approved_by == change_manager


def test_month_calendar_shows_changes_windows_freezes_and_conflicts(
    signed_in, agent, email_service, email_maintenance
):
    first = make_change(agent, start=at(0, 1), services_=[email_service], cis=["db01"])
    second = make_change(agent, start=at(0, 1), services_=[email_service], cis=["DB01"])
    calm = make_change(agent, start=at(14, 1), services_=[email_service], cis=["other"])
    FreezeWindow.objects.create(name="Quarter close", start=at(20, 0), end=at(22, 0))
    response = signed_in(agent).get("/agent/change-calendar/?view=month&date=2030-01-15")
    html = response.content.decode()
    assert response.status_code == 200
    assert "January 2030" in html
    assert first.number in html and second.number in html and calm.number in html
    assert "Quarter close" in html
    assert "E-mail 02:00–06:00" in html  # the Sunday window in the viewer's time zone
    assert html.count("cal-conflict") >= 2
    assert f"Overlaps {second.number} on the configuration item db01" in html
    assert "Outside the maintenance windows" not in html
    entries = {e.change.number: e for e in response.context["calendar"].changes}
    assert not entries[calm.number].has_conflicts
    assert entries[first.number].has_conflicts


def test_week_calendar_in_the_viewers_time_zone(signed_in, agent, other_group_agent):
    # 23:30 UTC on Saturday is 00:30 on Sunday in Stockholm.
    change = make_change(agent, start=datetime(2030, 1, 5, 23, 30, tzinfo=UTC))
    other_group_agent.time_zone = "America/New_York"
    other_group_agent.save(update_fields=["time_zone"])
    stockholm = signed_in(agent).get("/agent/change-calendar/?view=week&date=2030-01-06")
    days = {d["date"].isoformat(): d for d in stockholm.context["days"]}
    assert [e.change.number for e in days["2030-01-06"]["changes"]] == [change.number]
    assert days["2030-01-05"]["changes"] == []
    assert "00:30–01:30" in stockholm.content.decode()
    new_york = signed_in(other_group_agent).get("/agent/change-calendar/?view=week&date=2030-01-05")
    days = {d["date"].isoformat(): d for d in new_york.context["days"]}
    assert [e.change.number for e in days["2030-01-05"]["changes"]] == [change.number]
    assert "18:30–19:30" in new_york.content.decode()


def test_calendar_filter_by_service_and_bad_input(signed_in, agent, email_service, erp_service):
    mail = make_change(agent, start=at(0, 1), services_=[email_service])
    erp = make_change(agent, start=at(0, 1), services_=[erp_service])
    client = signed_in(agent)
    html = client.get(f"/agent/change-calendar/?date=2030-01-06&service={email_service.pk}").content.decode()
    assert mail.number in html and erp.number not in html
    assert client.get("/agent/change-calendar/?date=garbage&view=nonsense").status_code == 200


def test_cab_view_lists_changes_for_the_users_groups_and_decides(
    signed_in, agent, change_manager, incident_manager, approval_rules
):
    high = to_authorize(make_change(agent, short_description="Core switch"), agent, HIGH)
    low = to_authorize(make_change(agent, short_description="Small tweak"), agent, LOW)
    html = signed_in(incident_manager).get("/agent/cab/").content.decode()
    assert high.number in html  # CAB member
    assert low.number not in html  # low risk goes to Change Management only
    manager_html = signed_in(change_manager).get("/agent/cab/").content.decode()
    assert high.number in manager_html and low.number in manager_html
    assert signed_in(agent).get("/agent/cab/").context["rows"] == []

    client = signed_in(incident_manager)
    response = client.post(f"/agent/changes/{high.number}/decide/", {"decision": "approve", "next": "cab"})
    assert response.status_code == 302 and response["Location"] == "/agent/cab/"
    assert high.approvals.get(approver=incident_manager).state == "approved"
    # Decided: still listed for the group (others must decide), but no longer "mine".
    rows = client.get("/agent/cab/").context["rows"]
    assert [(r["change"].number, r["mine"]) for r in rows] == [(high.number, False)]
    bad = client.post(f"/agent/changes/{high.number}/decide/", {"decision": "reject", "next": "cab"})
    assert bad.status_code == 302  # form error shown as a message on the CAB page
    services.decide(high, by=change_manager, decision=Decision.REJECT, comment="No")
    assert client.get("/agent/cab/").context["rows"] == []


def test_pages_in_swedish(signed_in, other_group_agent, agent, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    client = signed_in(other_group_agent)  # Swedish
    calendar = client.get("/agent/change-calendar/").content.decode()
    assert "Förändringskalender" in calendar
    detail = client.get(change.get_absolute_url()).content.decode()
    assert "Godkännanden" in detail and "Återställningsplan" in detail and "Godkännande" in detail


def test_list_pages_use_a_constant_number_of_queries(
    signed_in,
    agent,
    change_manager,
    email_service,
    email_maintenance,
    template,
    approval_rules,
    django_assert_num_queries,
):
    client = signed_in(change_manager)

    def add_some(n):
        for i in range(n):
            to_authorize(
                make_change(agent, start=at(i % 7, 1), services_=[email_service], cis=[f"ci{i}", "shared"]),
                agent,
                LOW,
            )
            services.create_from_template(template, by=agent, planned_start=at(i % 7, 2))
        FreezeWindow.objects.create(name=f"Freeze {n}", start=at(20, 0), end=at(21, 0))

    add_some(1)
    urls = [
        "/agent/cab/",
        "/agent/change-calendar/?date=2030-01-06",
        "/agent/change-calendar/?view=week&date=2030-01-06",
        "/agent/changes/templates/",
        "/agent/changes/?scope=",
    ]
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    add_some(6)
    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_bad_queue_filters_do_not_break_the_page(signed_in, agent):
    response = signed_in(agent).get("/agent/changes/?service=abc&state=nope&page=999&sort=evil")
    assert response.status_code == 200


def test_swedish_calendar_legend_and_weekdays(signed_in, other_group_agent):
    html = signed_in(other_group_agent).get("/agent/change-calendar/?date=2030-01-06").content.decode()
    assert '<span class="legend-item cal-change">Förändring</span>' in html
    assert ">mån</th>" in html and ">sön</th>" in html
