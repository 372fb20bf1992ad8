"""A calendar with a country keeps this year's and next year's public holidays loaded by itself: when
it is saved and from a periodic task; each year once (a holiday deleted afterwards stays deleted),
and a calendar that fails does not stop the others."""

from datetime import date

import pytest
from django.utils import timezone

from core.models import SweepFailure
from itsm.celery import app
from slm import services
from slm.models import BusinessCalendar
from slm.tasks import load_public_holidays

pytestmark = pytest.mark.django_db


def test_saving_a_calendar_with_a_country_loads_this_and_next_year(
    django_capture_on_commit_callbacks, settings
):
    this_year = timezone.localdate().year
    with django_capture_on_commit_callbacks(execute=True):
        calendar = BusinessCalendar.objects.create(name="Stockholm office", holiday_country="SE")
    dates = set(calendar.holidays.values_list("date", flat=True))
    assert date(this_year, 12, 25) in dates and date(this_year + 1, 12, 25) in dates
    assert date(this_year + 2, 12, 25) not in dates
    calendar.refresh_from_db()
    assert calendar.public_holiday_years == [f"SE:{this_year}", f"SE:{this_year + 1}"]


def test_admin_save_loads_the_holidays(client, admin, django_capture_on_commit_callbacks):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/slm/businesscalendar/add/",
            {
                "name": "Oslo office",
                "time_zone": "Europe/Oslo",
                "holiday_country": "no",
                "is_active": "on",
                "hours-TOTAL_FORMS": "0",
                "hours-INITIAL_FORMS": "0",
                "holidays-TOTAL_FORMS": "0",
                "holidays-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    calendar = BusinessCalendar.objects.get(name="Oslo office")
    assert calendar.holiday_country == "NO"
    assert calendar.holidays.filter(date=date(timezone.localdate().year, 5, 17)).exists()  # Constitution Day


def test_the_periodic_task_loads_the_coming_year_once(settings):
    calendar = BusinessCalendar.objects.create(name="Stockholm office", holiday_country="SE")
    BusinessCalendar.objects.create(name="No country")
    BusinessCalendar.objects.create(name="Always", holiday_country="SE", is_24x7=True)
    assert services.ensure_all_public_holidays(today=date(2030, 6, 1)) == {
        "calendars": 1,
        "added": len(calendar.holidays.all()),
        "failed": 0,
    }
    assert calendar.holidays.filter(date=date(2031, 1, 1)).exists()
    # Idempotent, and a holiday the administrator deleted stays deleted.
    calendar.holidays.filter(date=date(2030, 12, 24)).delete()
    count = calendar.holidays.count()
    assert services.ensure_all_public_holidays(today=date(2030, 12, 31))["added"] == 0
    assert calendar.holidays.count() == count
    # A new year: only the year after it is loaded.
    added = services.ensure_all_public_holidays(today=date(2031, 1, 1))["added"]
    assert added > 10
    assert calendar.holidays.filter(date=date(2032, 12, 25)).exists()
    assert not calendar.holidays.filter(date=date(2030, 12, 24)).exists()
    calendar.refresh_from_db()
    assert calendar.public_holiday_years == ["SE:2030", "SE:2031", "SE:2032"]


def test_a_calendar_that_fails_is_set_aside_and_the_others_are_loaded():
    good = BusinessCalendar.objects.create(name="Stockholm office", holiday_country="SE")
    # A country code written past the validation (a shell, an old row).
    bad = BusinessCalendar.objects.create(name="Old office")
    BusinessCalendar.objects.filter(pk=bad.pk).update(holiday_country="ZZ")
    totals = services.ensure_all_public_holidays(today=date(2030, 6, 1))
    assert totals["failed"] == 1 and totals["calendars"] == 1
    assert good.holidays.filter(date=date(2030, 6, 6)).exists()  # Swedish National Day
    failure = SweepFailure.objects.get(sweep="slm.public_holidays")
    assert failure.object_id == bad.pk and "ZZ" in failure.error


def test_the_task_is_on_the_beat_schedule():
    entry = app.conf.beat_schedule["slm-load-public-holidays"]
    assert entry["task"] == load_public_holidays.name == "slm.tasks.load_public_holidays"
