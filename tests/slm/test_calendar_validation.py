"""Opening hours of a calendar: one rule (no empty, repeated or overlapping spans on a weekday) for
the admin calendar form with its inline rows, the stand-alone opening-hours admin, the model and
the API; a country without known public holidays is refused by name."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from slm.models import BusinessCalendar, CalendarHours
from tests.slm.conftest import office_hours

pytestmark = pytest.mark.django_db


def calendar_form(name="Support hours", hours=(), initial=(), **fields):
    """POST data of the admin calendar form: ``hours`` new rows, ``initial`` (pk, weekday, start,
    end[, delete]) stored rows."""
    data = {
        "name": name,
        "time_zone": "Europe/Stockholm",
        "is_active": "on",
        "holidays-TOTAL_FORMS": "0",
        "holidays-INITIAL_FORMS": "0",
        "hours-TOTAL_FORMS": str(len(initial) + len(hours)),
        "hours-INITIAL_FORMS": str(len(initial)),
        **fields,
    }
    for i, (pk, weekday, start, end, *delete) in enumerate(initial):
        data.update({f"hours-{i}-id": str(pk), f"hours-{i}-weekday": str(weekday)})
        data.update({f"hours-{i}-start": start, f"hours-{i}-end": end})
        if delete:
            data[f"hours-{i}-DELETE"] = "on"
    for j, (weekday, start, end) in enumerate(hours, start=len(initial)):
        data.update({f"hours-{j}-weekday": str(weekday), f"hours-{j}-start": start, f"hours-{j}-end": end})
    return data


def test_admin_refuses_overlapping_spans_on_a_weekday(client, admin):
    client.force_login(admin)
    response = client.post(
        "/admin/slm/businesscalendar/add/",
        calendar_form(hours=[(0, "08:00", "17:00"), (0, "12:00", "18:00")]),
    )
    assert response.status_code == 200
    assert "Opening hours on Monday overlap: 08:00–17:00 and 12:00–18:00." in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="Support hours").exists()
    client.cookies["django_language"] = "sv"
    response = client.post(
        "/admin/slm/businesscalendar/add/",
        calendar_form(hours=[(0, "08:00", "17:00"), (0, "12:00", "18:00")]),
    )
    assert "Öppettiderna på måndag överlappar: 08:00–17:00 och 12:00–18:00." in response.content.decode()


def test_admin_refuses_the_same_span_twice(client, admin):
    client.force_login(admin)
    response = client.post(
        "/admin/slm/businesscalendar/add/",
        calendar_form(hours=[(2, "08:00", "17:00"), (2, "08:00", "17:00")]),
    )
    assert response.status_code == 200
    assert "Opening hours on Wednesday overlap: 08:00–17:00 and 08:00–17:00." in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="Support hours").exists()


def test_admin_accepts_touching_spans_and_a_span_moved_in_the_same_submission(client, admin):
    calendar = office_hours("Support hours", days=[0])
    row = calendar.hours.get()
    client.force_login(admin)
    # Monday 08:00–17:00 becomes 08:00–12:00, and 12:00–18:00 is added in the same form: the rows
    # are checked against each other, not against the stored 08:00–17:00.
    response = client.post(
        f"/admin/slm/businesscalendar/{calendar.pk}/change/",
        calendar_form(initial=[(row.pk, 0, "08:00", "12:00")], hours=[(0, "12:00", "18:00")]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(calendar.hours.values_list("start", "end")) == [(time(8), time(12)), (time(12), time(18))]


def test_admin_refuses_a_span_overlapping_a_stored_one_in_the_opening_hours_admin(client, admin):
    calendar = office_hours("Support hours", days=[0])
    client.force_login(admin)
    response = client.post(
        "/admin/slm/calendarhours/add/",
        {"calendar": calendar.pk, "weekday": "0", "start": "16:00", "end": "20:00"},
    )
    assert response.status_code == 200
    assert "Opening hours on Monday overlap: 08:00–17:00 and 16:00–20:00." in response.content.decode()
    assert calendar.hours.count() == 1


def test_model_validation_refuses_an_overlap_with_a_stored_span():
    calendar = office_hours("Support hours", days=[4])
    row = CalendarHours(calendar=calendar, weekday=4, start=time(7), end=time(9))
    with pytest.raises(ValidationError) as info:
        row.full_clean()
    assert info.value.message_dict == {
        "start": ["Opening hours on Friday overlap: 07:00–09:00 and 08:00–17:00."]
    }
    CalendarHours(
        calendar=calendar, weekday=4, start=time(17), end=time(0)
    ).full_clean()  # touching, to 24:00


def test_api_gives_the_same_message(as_user, service_level_manager):
    client = as_user(service_level_manager)
    response = client.post(
        "/api/v1/slm/calendars/",
        {
            "name": "Support hours",
            "time_zone": "Europe/Stockholm",
            "hours": [
                {"weekday": 0, "start": "08:00", "end": "17:00"},
                {"weekday": 0, "start": "16:00", "end": "18:00"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["hours"] == ["Opening hours on Monday overlap: 08:00–17:00 and 16:00–18:00."]


def test_admin_refuses_an_unknown_holiday_country(client, admin):
    client.force_login(admin)
    response = client.post("/admin/slm/businesscalendar/add/", calendar_form(holiday_country="XX"))
    assert response.status_code == 200
    assert "No public holidays are known for “XX”." in response.content.decode()
    assert not BusinessCalendar.objects.exists()
