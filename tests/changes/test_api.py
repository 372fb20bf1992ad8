"""The change API: CRUD by number, state actions, approvals, conflicts, calendar, templates."""

from datetime import UTC, datetime, timedelta

import pytest

from changes import services
from changes.choices import ApprovalState, ChangeState, Decision
from changes.models import ChangeRequest, ChangeTimelineEntry, FreezeWindow
from notifications.models import Notification
from tests.changes.conftest import HIGH, LOW, at, make_change, to_authorize

pytestmark = pytest.mark.django_db
S = ChangeState


def iso(dt) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def instant(text: str) -> datetime:
    """API datetimes are ISO 8601 with an offset (the server's display zone): compare instants."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_end_users_cannot_use_the_change_api(as_user, end_user, agent):
    change = make_change(agent)
    client = as_user(end_user)
    assert client.get("/api/v1/changes/").status_code == 403
    assert client.get(f"/api/v1/changes/{change.number}/").status_code == 403
    assert (
        client.post("/api/v1/changes/", {"change_type": "normal", "short_description": "x"}).status_code
        == 403
    )
    assert ChangeRequest.objects.count() == 1


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/v1/changes/").status_code == 401


def test_create_normal_change(as_user, agent, email_service, service_desk_group):
    response = as_user(agent).post(
        "/api/v1/changes/",
        {
            "change_type": "normal",
            "short_description": "Upgrade Exchange",
            "services": [email_service.pk],
            "configuration_items": ["MX01", "mx01", "mx02"],
            "assignment_group": service_desk_group.pk,
            "planned_start": "2030-01-06T02:00:00+01:00",
            "planned_end": "2030-01-06T04:00:00+01:00",
            "implementation_plan": "Patch node by node.",
            "backout_plan": "Restore snapshots.",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("CHG") and body["state"] == "new"
    assert response["Location"].endswith(f"/api/v1/changes/{body['number']}/")
    assert response["ETag"] == '"1"'
    assert body["configuration_items"] == ["MX01", "mx02"]
    assert instant(body["planned_start"]) == datetime(2030, 1, 6, 1, tzinfo=UTC)
    assert body["services"] == [{"id": email_service.pk, "display": "E-mail"}]
    assert body["requester"]["username"] == "agent"
    change = ChangeRequest.objects.get(number=body["number"])
    assert change.opened_by == agent
    assert ChangeTimelineEntry.objects.filter(ticket=change, kind="created").count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"short_description": "x"}, "change_type"),
        ({"change_type": "normal"}, "short_description"),
        ({"change_type": "weekly", "short_description": "x"}, "change_type"),
        ({"change_type": "standard", "short_description": "x"}, "template"),
        ({"change_type": "normal", "short_description": "x", "services": [999]}, "services"),
        (
            {
                "change_type": "normal",
                "short_description": "x",
                "planned_start": "2030-01-06T04:00:00Z",
                "planned_end": "2030-01-06T02:00:00Z",
            },
            "planned_end",
        ),
        (
            {"change_type": "normal", "short_description": "x", "planned_start": "2030-01-06T04:00:00Z"},
            "planned_end",
        ),
        ({"change_type": "normal", "short_description": "x", "planned_start": "tomorrow"}, "planned_start"),
        ({"template": "no-such-template"}, "template"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(as_user, agent, payload, field):
    response = as_user(agent).post("/api/v1/changes/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert ChangeRequest.objects.count() == 0


def test_retrieve_by_number_with_etag_and_404(as_user, agent):
    change = make_change(agent)
    client = as_user(agent)
    response = client.get(f"/api/v1/changes/{change.number}/")
    assert response.status_code == 200
    assert response.json()["number"] == change.number
    assert response["ETag"] == f'"{change.version}"'
    assert client.get("/api/v1/changes/CHG9999999/").status_code == 404


def test_patch_with_if_match(as_user, agent):
    change = make_change(agent)
    client = as_user(agent)
    etag = client.get(f"/api/v1/changes/{change.number}/")["ETag"]
    response = client.patch(
        f"/api/v1/changes/{change.number}/",
        {"description": "More detail."},
        HTTP_IF_MATCH=etag,
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["description"] == "More detail."
    assert response["ETag"] != etag
    stale = client.patch(
        f"/api/v1/changes/{change.number}/", {"description": "Overwrite"}, HTTP_IF_MATCH=etag, format="json"
    )
    assert stale.status_code == 412
    change.refresh_from_db()
    assert change.description == "More detail."


def test_patch_of_a_field_the_state_does_not_allow_is_a_400(as_user, agent, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    response = as_user(agent).patch(
        f"/api/v1/changes/{change.number}/",
        {"planned_start": iso(at(3, 1)), "planned_end": iso(at(3, 2))},
        format="json",
    )
    assert response.status_code == 400
    assert "planned_start" in response.json()


def test_delete_draft_only(as_user, agent):
    draft = make_change(agent)
    client = as_user(agent)
    assert client.delete(f"/api/v1/changes/{draft.number}/").status_code == 204
    assert not ChangeRequest.objects.filter(pk=draft.pk).exists()
    other = make_change(agent)
    services.submit_for_assessment(other, by=agent)
    response = client.delete(f"/api/v1/changes/{other.number}/")
    assert response.status_code == 400
    assert "state" in response.json()


def test_normal_change_through_the_api(as_user, agent, change_manager, approval_rules):
    change = make_change(agent)
    client = as_user(agent)
    url = f"/api/v1/changes/{change.number}/"
    assert client.post(url + "assess/").json()["state"] == "assess"
    risk = client.post(url + "risk/", {**HIGH, "override_risk": "medium"}, format="json")
    assert risk.status_code == 400 and "override_reason" in risk.json()
    risk = client.post(url + "risk/", LOW, format="json")
    assert risk.status_code == 200 and risk.json()["risk"] == "low"
    # Scheduling before approval is refused.
    early = client.post(url + "schedule/")
    assert early.status_code == 400
    response = client.post(url + "request-approval/")
    assert response.status_code == 200 and response.json()["state"] == "authorize"
    early = client.post(url + "schedule/")
    assert early.status_code == 400 and "approval" in early.json()

    approvals = client.get(url + "approvals/").json()
    assert approvals["approval_status"] == "requested"
    assert [(a["approver"]["username"], a["state"]) for a in approvals["approvals"]] == [
        ("change_manager", "requested")
    ]
    # The requester is no approver.
    assert client.post(url + "approvals/", {"decision": "approve"}).status_code == 403

    manager = as_user(change_manager)
    no_reason = manager.post(url + "approvals/", {"decision": "reject"})
    assert no_reason.status_code == 400 and "comment" in no_reason.json()
    decided = manager.post(url + "approvals/", {"decision": "approve", "comment": "OK"})
    assert decided.status_code == 200
    assert decided.json()["state"] == "scheduled" and decided.json()["approvals"][0]["state"] == "approved"

    assert client.post(url + "start/").json()["state"] == "implement"
    done = client.post(url + "close/", {"outcome": "successful"})
    assert done.status_code == 200 and done.json()["state"] == "review"
    no_review = client.post(url + "close/", {})
    assert no_review.status_code == 400 and "review_notes" in no_review.json()
    closed = client.post(url + "close/", {"review_notes": "Fine."})
    assert closed.json()["state"] == "closed"
    change.refresh_from_db()
    assert change.state == S.CLOSED and change.review_notes == "Fine."
    entry = ChangeTimelineEntry.objects.get(ticket=change, data__event="decision")
    assert entry.data["via"] == "api"


def test_cancel_and_revert_need_reasons(as_user, agent, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    client = as_user(agent)
    url = f"/api/v1/changes/{change.number}/"
    assert "reason" in client.post(url + "revert/", {}).json()
    assert client.post(url + "revert/", {"reason": "Replan"}).json()["state"] == "new"
    assert client.post(url + "cancel/", {"reason": "Dropped"}).json()["state"] == "cancelled"
    assert not change.approvals.filter(state=ApprovalState.REQUESTED).exists()


def test_invalid_transition_is_a_400_naming_state(as_user, agent):
    change = make_change(agent)
    response = as_user(agent).post(f"/api/v1/changes/{change.number}/start/")
    assert response.status_code == 400
    assert "state" in response.json()


def test_override_through_the_api_is_for_change_managers(as_user, agent, change_manager, approval_rules):
    FreezeWindow.objects.create(name="Freeze", start=at(0, 0), end=at(1, 0))
    change = make_change(agent)
    url = f"/api/v1/changes/{change.number}/"
    conflicts = as_user(agent).get(url + "conflicts/").json()
    assert [(c["kind"], c["blocking"]) for c in conflicts] == [("freeze", True)]
    assert "Freeze" in conflicts[0]["message"]
    assert as_user(agent).post(url + "override/", {"override_reason": "x"}).status_code == 403
    response = as_user(change_manager).post(url + "override/", {"override_reason": "Needed now."})
    assert response.status_code == 200
    assert response.json()["schedule_override"]["reason"] == "Needed now."
    assert response.json()["schedule_override"]["applies"] is True


def test_list_filters(as_user, agent, email_service, erp_service, template):
    email_change = make_change(agent, services_=[email_service], cis=["DB01"], short_description="Mail patch")
    make_change(agent, services_=[erp_service], short_description="ERP patch")
    standard = services.create_from_template(template, by=agent)
    client = as_user(agent)

    def numbers(query):
        return {row["number"] for row in client.get("/api/v1/changes/" + query).json()["results"]}

    assert numbers(f"?service={email_service.pk}") == {email_change.number, standard.number}
    assert numbers("?configuration_item=db01") == {email_change.number}
    assert numbers("?change_type=standard") == {standard.number}
    assert numbers("?state=scheduled") == {standard.number}
    assert numbers("?q=mail%20patch") == {email_change.number}
    assert numbers(f"?q={standard.number}") == {standard.number}
    assert numbers("?template=deploy-web-frontend") == {standard.number}
    assert client.get("/api/v1/changes/?service=abc").status_code == 400


def test_list_has_a_constant_number_of_queries(
    as_user, agent, email_service, erp_service, django_assert_num_queries
):
    client = as_user(agent)
    for i in range(3):
        make_change(agent, services_=[email_service, erp_service], cis=[f"ci{i}", "shared"])
    with django_assert_num_queries(5) as few:
        assert len(client.get("/api/v1/changes/").json()["results"]) == 3
    for i in range(12):
        make_change(agent, services_=[email_service], cis=[f"more{i}"])
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/changes/").json()["results"]) == 15


def test_calendar_returns_changes_maintenance_and_freezes(as_user, agent, email_service, email_maintenance):
    inside = make_change(agent, start=at(0, 1), hours=2, services_=[email_service], cis=["mx01"])
    # 02:00-06:00 UTC: past the end of the 01:00-05:00 UTC (02:00-06:00 CET) window.
    overlapping = make_change(agent, start=at(0, 2), hours=4, services_=[email_service], cis=["MX01"])
    make_change(agent, start=at(20, 1), services_=[email_service])  # outside the range
    freeze = FreezeWindow.objects.create(name="Freeze", start=at(3, 0), end=at(4, 0))
    body = as_user(agent).get("/api/v1/changes/calendar/?from=2030-01-06&to=2030-01-13").json()
    assert instant(body["start"]) == at(0, 0) and instant(body["end"]) == at(7, 0)
    assert [c["number"] for c in body["changes"]] == [inside.number, overlapping.number]
    second = body["changes"][1]
    assert {c["kind"] for c in second["conflicts"]} == {
        "overlap_service",
        "overlap_ci",
        "outside_maintenance",
    }
    assert [
        (m["service"]["display"], instant(m["start"]), instant(m["end"])) for m in body["maintenance_windows"]
    ] == [("E-mail", at(0, 1), at(0, 5))]
    assert [f["id"] for f in body["freeze_windows"]] == [freeze.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "from"),
        ("?from=2030-01-06", "to"),
        ("?from=yesterday&to=2030-01-06", "from"),
        ("?from=2030-01-06&to=2030-01-05", "to"),
        ("?from=2030-01-01&to=2032-01-01", "to"),
        ("?from=2030-02-30&to=2030-03-05", "from"),
        ("?from=2030-01-01&to=2030-01-05&service=x", "service"),
    ],
)
def test_calendar_bad_range_is_a_400(as_user, agent, query, field):
    response = as_user(agent).get("/api/v1/changes/calendar/" + query)
    assert response.status_code == 400
    assert field in response.json()


def test_calendar_accepts_datetimes_with_offsets(as_user, agent):
    change = make_change(agent, start=at(0, 1))
    client = as_user(agent)
    # 02:30 Stockholm = 01:30 UTC: the range starts inside the change's window.
    body = client.get(
        "/api/v1/changes/calendar/?from=2030-01-06T02:30:00%2B01:00&to=2030-01-06T03:00:00%2B01:00"
    ).json()
    assert [c["number"] for c in body["changes"]] == [change.number]
    body = client.get(
        "/api/v1/changes/calendar/?from=2030-01-06T03:00:00%2B01:00&to=2030-01-06T04:00:00%2B01:00"
    ).json()
    assert body["changes"] == []


def test_calendar_query_count_does_not_grow(
    as_user, agent, email_service, email_maintenance, django_assert_num_queries
):
    client = as_user(agent)
    make_change(agent, start=at(0, 1), services_=[email_service], cis=["a"])
    FreezeWindow.objects.create(name="F0", start=at(1, 0), end=at(2, 0))
    with django_assert_num_queries(11) as few:
        client.get("/api/v1/changes/calendar/?from=2030-01-01&to=2030-02-01")
    for day in range(10):
        make_change(agent, start=at(day, 1), services_=[email_service], cis=["a", f"b{day}"])
    FreezeWindow.objects.create(name="F", start=at(1, 0), end=at(2, 0))
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/api/v1/changes/calendar/?from=2030-01-01&to=2030-02-01")


def test_templates_catalog(as_user, agent, change_manager, template):
    client = as_user(agent)
    listing = client.get("/api/v1/changes/templates/").json()
    assert [t["slug"] for t in listing["results"]] == ["deploy-web-frontend"]
    by_slug = client.get("/api/v1/changes/templates/deploy-web-frontend/")
    by_id = client.get(f"/api/v1/changes/templates/{template.pk}/")
    assert by_slug.status_code == by_id.status_code == 200
    assert by_slug.json()["default_duration_minutes"] == 30
    assert client.get("/api/v1/changes/templates/nope/").status_code == 404
    assert client.post(f"/api/v1/changes/templates/{template.slug}/approve/").status_code == 403
    assert (
        as_user(change_manager).post(f"/api/v1/changes/templates/{template.slug}/approve/").status_code == 200
    )


def test_work_notes(as_user, agent):
    change = make_change(agent)
    client = as_user(agent)
    assert client.post(f"/api/v1/changes/{change.number}/work-notes/", {"body": ""}).status_code == 400
    assert (
        client.post(
            f"/api/v1/changes/{change.number}/work-notes/", {"body": "Called the vendor."}
        ).status_code
        == 201
    )
    assert ChangeTimelineEntry.objects.filter(
        ticket=change, kind="work_note", body="Called the vendor."
    ).exists()


def test_api_decision_notifies_requester_once(as_user, agent, change_manager, approval_rules):
    change = to_authorize(make_change(agent), agent, LOW)
    as_user(change_manager).post(
        f"/api/v1/changes/{change.number}/approvals/", {"decision": Decision.APPROVE}
    )
    assert Notification.objects.filter(template="change_approved", recipient=agent).count() == 1
    assert (change.planned_end - change.planned_start) == timedelta(hours=1)


def test_overridden_freeze_no_longer_blocks(as_user, agent, change_manager):
    FreezeWindow.objects.create(name="Freeze", start=at(0, 0), end=at(1, 0))
    change = make_change(agent)
    services.override_schedule(change, by=change_manager, reason="Agreed.")
    conflicts = as_user(agent).get(f"/api/v1/changes/{change.number}/conflicts/").json()
    assert [(c["kind"], c["blocking"]) for c in conflicts] == [("freeze", False)]
    calendar = as_user(agent).get("/api/v1/changes/calendar/?from=2030-01-06&to=2030-01-07").json()
    assert [(c["kind"], c["blocking"]) for c in calendar["changes"][0]["conflicts"]] == [("freeze", False)]
