"""The incident demo history: six months of believable incidents, each row what its timeline says,
SLA timers replayed from that history, no mail, idempotent.

One test, because building the history is the expensive part.
"""

from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import F, Min
from django.utils import timezone

from core import demo as core_demo
from incidents import demo
from incidents.choices import State
from incidents.models import Incident, IncidentTimelineEntry, RoutingRule
from notifications.models import Notification
from slm import demo as slm_demo
from slm.models import SlaTimer

pytestmark = pytest.mark.django_db
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def test_demo_history_is_believable_consistent_replayed_quiet_and_idempotent():
    base = core_demo.seed()
    base.update(slm_demo.seed(base))
    before = timezone.now()
    demo.seed(base)
    now = timezone.now()
    incidents = Incident.objects.all()

    # Several months, a few thousand incidents, in every state, with the life of a service desk.
    count = incidents.count()
    assert 2000 <= count <= 4000
    oldest = incidents.aggregate(first=Min("created_at"))["first"]
    assert now - timedelta(days=demo.HISTORY_DAYS + 1) < oldest < now - timedelta(days=demo.HISTORY_DAYS - 5)
    assert set(incidents.values_list("state", flat=True)) == set(State.values)
    assert incidents.filter(reopen_count__gt=0).count() >= 50
    assert incidents.filter(reassignment_count__gt=0).count() >= 50
    assert incidents.values("assignment_group").distinct().count() >= 5
    assert incidents.values("service").distinct().count() >= 8
    assert (
        IncidentTimelineEntry.objects.filter(kind="state_change", data__hold_reason__isnull=False).count()
        > 200
    )
    ratings = list(incidents.exclude(satisfaction=None).values_list("satisfaction", flat=True))
    assert len(ratings) >= 300 and 3.5 <= sum(ratings) / len(ratings) <= 4.7
    assert {1, 5} <= set(ratings)

    # Opening hours: weekday office hours carry the load; nights and weekends are quiet.
    local = [c.astimezone(STOCKHOLM) for c in incidents.values_list("created_at", flat=True)]
    office = sum(1 for t in local if t.weekday() < 5 and 7 <= t.hour < 17)
    weekend = sum(1 for t in local if t.weekday() >= 5)
    night = sum(1 for t in local if t.hour < 6)
    assert office > 0.75 * count and weekend < 0.08 * count and night < 0.03 * count
    by_hour = Counter(t.hour for t in local if t.weekday() < 5)
    assert by_hour[9] > 5 * by_hour[20]

    # All in the past, consistent, numbered in order of creation.
    assert not IncidentTimelineEntry.objects.filter(created_at__gt=now).exists()
    assert not IncidentTimelineEntry.objects.filter(created_at__lt=F("ticket__created_at")).exists()
    assert not incidents.filter(updated_at__lt=F("created_at")).exists()
    assert not incidents.filter(first_response_at__lt=F("created_at")).exists()
    assert not incidents.filter(resolved_at__lt=F("created_at")).exists()
    assert not incidents.filter(closed_at__lt=F("resolved_at")).exists()
    numbers = list(incidents.order_by("created_at", "id").values_list("number", flat=True))
    assert numbers == sorted(numbers)
    # Each row is what its timeline says: the state of the last state change.
    last_state = {}
    for ticket_id, data in (
        IncidentTimelineEntry.objects.filter(kind="state_change")
        .order_by("created_at", "id")
        .values_list("ticket_id", "data")
    ):
        last_state[ticket_id] = data["state"][1]
    for pk, state in incidents.values_list("pk", "state"):
        assert last_state.get(pk, State.NEW) == state
    # Nothing for the auto-close sweep to close the moment the worker starts.
    cutoff = now - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    assert not incidents.filter(state=State.RESOLVED, resolved_at__lte=cutoff).exists()

    # Timers replayed from the history, not started at seeding time: real figures, real misses.
    timers = SlaTimer.objects.filter(kind="sla")
    assert not timers.filter(started_at__gte=before).exists()
    assert not incidents.filter(sla_timers=None).exists()
    assert (
        not timers.filter(metric="resolution", cycle=1).exclude(started_at=F("incident__created_at")).exists()
    )
    resolution = timers.filter(metric="resolution", state__in=["met", "breached"])
    breached = resolution.filter(state="breached").count()
    assert 0.04 < breached / resolution.count() < 0.25
    assert resolution.filter(elapsed_seconds=0).count() < 0.05 * resolution.count()
    assert timers.filter(metric="response", state="breached").exists()
    assert timers.filter(breached_at__gte=now - timedelta(days=7)).exists()  # breaches this week
    assert timers.filter(stopped_at=None, state="breached").exists()  # open and overdue
    events = set(IncidentTimelineEntry.objects.filter(kind="sla").values_list("data__event", flat=True))
    assert {"started", "met", "missed", "breach", "resumed"} <= events

    # Quiet: history sends nothing.
    assert not Notification.objects.exists()

    # Routing rules, and the routed history.
    rules = {
        rule.name: (rule.category.path, rule.assignment_group.name) for rule in RoutingRule.objects.all()
    }
    assert rules == {
        "Printers to the Service Desk": ("Hardware > Printer", "Service Desk"),
        "Network to the Network group": ("Network", "Network"),
        "Payroll to Payroll": ("HR > Payroll", "Payroll"),
    }
    routed = IncidentTimelineEntry.objects.filter(kind="created").exclude(data__routed_to=None)
    assert set(routed.values_list("data__routed_to", flat=True)) == {"Service Desk", "Network", "Payroll"}

    # Idempotent: a second run adds nothing.
    rows = (Incident.objects.count(), IncidentTimelineEntry.objects.count(), SlaTimer.objects.count())
    demo.seed(base)
    assert (Incident.objects.count(), IncidentTimelineEntry.objects.count(), SlaTimer.objects.count()) == rows
    assert RoutingRule.objects.count() == 3
