"""Every sweep isolates a row it cannot process: the escalation sweep and the outbox sweep log the
row, record it (Django admin: Sweep failures), set it aside for a back-off and carry on with the
others. The bad row is made by hand in PostgreSQL: a trigger that refuses to update it."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.models import SweepFailure
from incidents import major
from incidents.major_choices import StepState
from incidents.models import EscalationStep
from notifications import services as outbox_services
from notifications.models import Notification, Status
from notifications.services import Recipient, notify
from tests.incidents.major_support import accepted_major, make_service, three_level_policy
from tests.services import require

pytestmark = pytest.mark.django_db


@contextmanager
def row_refuses_updates(model, pk: int):
    """A PostgreSQL trigger that fails every UPDATE of one row (rolled back with the test)."""
    require(connection.vendor == "postgresql", "needs DATABASE_URL pointing at PostgreSQL")
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_row() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'row % is corrupt', OLD.id; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            f'CREATE TRIGGER test_refuse_row BEFORE UPDATE ON "{table}" FOR EACH ROW '
            f"WHEN (OLD.id = {int(pk)}) EXECUTE FUNCTION test_refuse_row()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TRIGGER test_refuse_row ON "{table}"')
            cursor.execute("DROP FUNCTION test_refuse_row()")


def test_escalation_sweep_sets_a_failing_step_aside_and_pages_the_others(
    desk, end_user, agent, other_group_agent, incident_manager
):
    first = make_service("E-mail", desk)
    second = make_service("VPN", desk)
    three_level_policy(agent, other_group_agent, service=first, name="E-mail policy")
    three_level_policy(agent, other_group_agent, service=second, name="VPN policy")
    bad = accepted_major(end_user, proposer=agent, manager=incident_manager, service=first)
    good = accepted_major(end_user, proposer=agent, manager=incident_manager, service=second)
    bad_step, good_step = bad.steps.get(order=2), good.steps.get(order=2)
    later = timezone.now() + timedelta(seconds=601)

    with row_refuses_updates(EscalationStep, bad_step.pk):
        assert major.sweep_due_steps(now=later) == 1
        good_step.refresh_from_db()
        assert good_step.state == StepState.NOTIFIED
        bad_step.refresh_from_db()
        assert bad_step.state == StepState.PENDING
        failure = SweepFailure.objects.get(sweep="incidents.major.steps")
        assert failure.object_id == bad_step.pk and "is corrupt" in failure.error
        # Set aside: the next sweeps leave it out instead of failing on it first every time.
        assert bad_step.pk not in major.due_step_ids(now=later)
        assert major.sweep_due_steps(now=later) == 0
        assert SweepFailure.objects.get(pk=failure.pk).attempts == 1

    # Repaired (and the back-off over): the step is paged and the failure forgotten.
    SweepFailure.objects.filter(pk=failure.pk).update(skip_until=timezone.now())
    assert major.sweep_due_steps(now=later) == 1
    bad_step.refresh_from_db()
    assert bad_step.state == StepState.NOTIFIED
    assert not SweepFailure.objects.exists()


def test_outbox_sweep_sets_a_failing_row_aside_and_delivers_the_others(mailoutbox):
    rows = [
        notify(
            template="generic",
            to=Recipient(address=f"user{i}@example.com"),
            context={"subject": f"Note {i}", "body": "The printer works again."},
            dedupe_key=f"test:{i}",
        )
        for i in range(3)
    ]
    bad = rows[0]
    with row_refuses_updates(Notification, bad.pk):
        counts = outbox_services.deliver_due()
        assert counts["sent"] == 2 and counts["error"] == 1
        assert sorted(m.to[0] for m in mailoutbox) == ["user1@example.com", "user2@example.com"]
        failure = SweepFailure.objects.get(sweep="notifications.deliver_due")
        assert failure.object_id == bad.pk and "is corrupt" in failure.error
        assert bad.pk not in outbox_services.due_ids()
        assert outbox_services.deliver_due()["error"] == 0  # not retried within the back-off
    SweepFailure.objects.filter(pk=failure.pk).update(skip_until=timezone.now())
    assert outbox_services.deliver_due()["sent"] == 1
    bad.refresh_from_db()
    assert bad.status == Status.SENT
    assert len(mailoutbox) == 3
    assert not SweepFailure.objects.exists()
