"""Repair calendars saved before opening hours were validated: spans of one weekday that repeat or
overlap are merged into their union (what such a calendar can only have meant), so that the SLA
engine, which refuses overlapping spans, can use the calendar again."""

from datetime import time

from django.db import migrations
from django.db.models import F
from django.utils import timezone


def _minutes(value: time, *, is_end: bool) -> int:
    if is_end and value == time(0):
        return 24 * 60
    return value.hour * 60 + value.minute + value.second / 60


def merge_overlaps(apps, schema_editor):
    CalendarHours = apps.get_model("slm", "CalendarHours")
    BusinessCalendar = apps.get_model("slm", "BusinessCalendar")
    rows: dict[tuple[int, int], list] = {}
    for row in CalendarHours.objects.order_by("calendar_id", "weekday", "start", "id"):
        rows.setdefault((row.calendar_id, row.weekday), []).append(row)
    changed = set()
    for (calendar_id, _weekday), spans in rows.items():
        spans.sort(key=lambda r: (_minutes(r.start, is_end=False), -_minutes(r.end, is_end=True)))
        keep = None
        for row in spans:
            if keep is not None and _minutes(row.start, is_end=False) < _minutes(keep.end, is_end=True):
                if _minutes(row.end, is_end=True) > _minutes(keep.end, is_end=True):
                    keep.end = row.end
                    keep.save(update_fields=["end"])
                row.delete()
                changed.add(calendar_id)
            else:
                keep = row
    if changed:
        BusinessCalendar.objects.filter(pk__in=changed).update(
            version=F("version") + 1, changed_at=timezone.now()
        )


class Migration(migrations.Migration):
    dependencies = [("slm", "0003_calendar_public_holiday_years")]

    operations = [migrations.RunPython(merge_overlaps, migrations.RunPython.noop)]
