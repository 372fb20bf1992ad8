"""Row locks on PostgreSQL: the sweep never waits for (or deadlocks with) an incident operation;
it skips that incident's timers and takes them on the next run."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from incidents.models import Incident
from slm import services
from slm.models import SlaTimer
from tests.incidents.factories import make_incident
from tests.services import require

pytestmark = pytest.mark.django_db(transaction=True)


def test_sweep_skips_timers_of_an_incident_being_edited(clock, policy, desk, end_user, agent):
    require(connection.vendor == "postgresql", "row locks need PostgreSQL")
    busy = make_incident(end_user)
    free = make_incident(end_user)
    clock.set(datetime(2026, 3, 9, 8, tzinfo=UTC))  # a week later: everything is due
    locked, release = threading.Event(), threading.Event()

    def edit_in_progress():
        try:
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=edit_in_progress)
    thread.start()
    try:
        assert locked.wait(10)
        first = services.sweep_timers()  # returns at once: no waiting on the locked incident
        assert first["checked"] == SlaTimer.objects.filter(incident=free).count()
        assert SlaTimer.objects.filter(incident=busy, breached_at__isnull=True).count() == 3
    finally:
        release.set()
        thread.join()
    second = services.sweep_timers()
    assert second["checked"] == 3
    assert not SlaTimer.objects.filter(incident=busy, breached_at__isnull=True).exists()
