"""The incident demo data: realistic, in every state, backdated, quiet and idempotent.

One test, because seeding 200 incidents through the services is the expensive part.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from core import demo as core_demo
from incidents import demo
from incidents.choices import HoldReason, State
from incidents.models import Incident, IncidentTimelineEntry, RoutingRule
from notifications.models import Notification, Status

pytestmark = pytest.mark.django_db


def test_demo_incidents_are_realistic_backdated_quiet_and_idempotent():
    base = core_demo.seed()
    first = demo.seed(base)
    now = timezone.now()

    # Realistic: every state, every hold reason, reopened ones, comments, notes, ratings.
    count = Incident.objects.count()
    assert 150 <= count <= 250 and len(first["incidents"]) == count
    assert {incident.state for incident in first["incidents"]} == set(State.values)
    on_hold = Incident.objects.filter(state=State.ON_HOLD)
    assert set(on_hold.values_list("hold_reason", flat=True)) == set(HoldReason.values)
    assert Incident.objects.filter(reopen_count__gt=0).count() >= 5
    assert Incident.objects.values("category").distinct().count() >= 10
    assert Incident.objects.values("assignment_group").distinct().count() >= 5
    assert IncidentTimelineEntry.objects.filter(kind="work_note").exists()
    assert IncidentTimelineEntry.objects.filter(
        kind="comment", author__username__in=demo.DEMO_CALLERS
    ).exists()
    assert Incident.objects.filter(satisfaction__isnull=False).exists()

    # Backdated over 60 days, consistently.
    oldest = Incident.objects.order_by("created_at").first().created_at
    assert now - timedelta(days=61) < oldest < now - timedelta(days=45)
    assert not Incident.objects.filter(updated_at__lt=F("created_at")).exists()
    assert not Incident.objects.filter(resolved_at__lt=F("created_at")).exists()
    assert not Incident.objects.filter(closed_at__lt=F("resolved_at")).exists()
    assert not IncidentTimelineEntry.objects.filter(created_at__lt=F("ticket__created_at")).exists()
    assert not IncidentTimelineEntry.objects.filter(created_at__gt=now).exists()
    numbers = list(Incident.objects.order_by("created_at").values_list("number", flat=True))
    assert numbers == sorted(numbers)  # numbers grow with the creation time, as they would have
    # Nothing for the auto-close sweep to close the moment the worker starts.
    cutoff = now - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    assert not Incident.objects.filter(state=State.RESOLVED, resolved_at__lte=cutoff).exists()

    # Quiet: the outbox rows exist but are not delivered.
    rows = Notification.objects.filter(context__number__startswith="INC")
    assert rows.count() > 200
    assert set(rows.values_list("status", flat=True)) == {Status.CANCELLED}

    # Routing rules, applied to the demo's unassigned printer tickets.
    rules = {
        rule.name: (rule.category.path, rule.assignment_group.name) for rule in RoutingRule.objects.all()
    }
    assert rules == {
        "Printers to the Service Desk": ("Hardware > Printer", "Service Desk"),
        "Network to the Network group": ("Network", "Network"),
        "Payroll to Payroll": ("HR > Payroll", "Payroll"),
    }
    routed = IncidentTimelineEntry.objects.filter(kind="created").exclude(data__routed_to=None)
    assert set(routed.values_list("data__routed_to", flat=True)) <= {"Service Desk", "Network", "Payroll"}
    assert routed.exists()

    # Idempotent: a second run adds nothing and hands back the same incidents.
    entries, notifications = IncidentTimelineEntry.objects.count(), Notification.objects.count()
    again = demo.seed(base)
    assert Incident.objects.count() == count and len(again["incidents"]) == count
    assert (IncidentTimelineEntry.objects.count(), Notification.objects.count()) == (entries, notifications)
    assert RoutingRule.objects.count() == 3
