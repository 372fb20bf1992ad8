"""Django admin of SLM: every model's pages open; calendars load public holidays through an
action with a form; policies edit priorities and hold reasons as checkboxes; timers are read-only."""

from datetime import date

import pytest

from slm.models import SlaPolicy, SlaTimer
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["service", "businesscalendar", "slapolicy", "slatimer", "timersegment"])
def test_admin_lists_and_forms_open(client, admin, model, policy, desk, end_user, clock):
    make_incident(end_user)
    client.force_login(admin)
    assert client.get(f"/admin/slm/{model}/").status_code == 200
    add = client.get(f"/admin/slm/{model}/add/")
    assert add.status_code == (403 if model in ("slatimer", "timersegment") else 200)


def test_load_public_holidays_action(client, admin, calendar):
    client.force_login(admin)
    url = "/admin/slm/businesscalendar/"
    form = client.post(url, {"action": "load_public_holidays", "_selected_action": [calendar.pk]})
    assert form.status_code == 200 and b"Load holidays" in form.content
    done = client.post(
        url,
        {"action": "load_public_holidays", "_selected_action": [calendar.pk], "apply": "1", "country": "SE",
         "year": "2027"},
    )  # fmt: skip
    assert done.status_code == 302
    assert calendar.holidays.filter(date=date(2027, 12, 25)).exists()


def test_policy_form_stores_checkbox_lists(client, admin, calendar):
    client.force_login(admin)
    response = client.post(
        "/admin/slm/slapolicy/add/",
        {
            "name": "Critical",
            "kind": "sla",
            "order": "5",
            "is_active": "on",
            "applies_to_major": "any",
            "calendar": calendar.pk,
            "warn_percent": "80",
            "priorities": ["1", "2"],
            "pause_hold_reasons": ["awaiting_caller", "awaiting_vendor"],
            "duty_manager_priorities": ["1"],
            "notify_assignee": "on",
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "0",
            "targets-0-metric": "resolution",
            "targets-0-priority": "1",
            "targets-0-target_minutes": "240",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get(name="Critical")
    assert policy.priorities == [1, 2]
    assert policy.pause_hold_reasons == ["awaiting_caller", "awaiting_vendor"]
    assert policy.targets.get().target_minutes == 240


def test_timer_is_read_only_in_admin(client, admin, policy, desk, end_user, clock):
    timer = SlaTimer.objects.filter(incident=make_incident(end_user)).first()
    client.force_login(admin)
    page = client.get(f"/admin/slm/slatimer/{timer.pk}/change/")
    assert page.status_code == 200
    assert b'name="state"' not in page.content
