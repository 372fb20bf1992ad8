"""seed_demo writes history: no mail is queued for it, neither as outbox rows pending delivery nor
as Celery task messages, while an incident reported after seeding is notified as usual."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from core.models import User
from incidents import services as incidents
from notifications import services as outbox
from notifications.models import Notification, Status
from tests.services import flush_redis, redis_url, require_postgres_and_redis


def _report_after_seeding():
    alice = User.objects.get(username="alice")
    return incidents.create_incident(
        by=alice, caller=alice, short_description="My screen flickers since this morning"
    )


@pytest.mark.django_db
def test_seed_demo_queues_no_mail_for_the_past_and_a_new_incident_still_notifies(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = io.StringIO()
    with django_capture_on_commit_callbacks() as queued:
        call_command("seed_demo", stdout=out)
    assert queued == []  # no delivery task, no SLA check, no escalation page for the past
    assert not Notification.objects.filter(status__in=[Status.PENDING, Status.SENDING]).exists()
    assert Notification.objects.filter(status=Status.CANCELLED, last_error="Demo history: not sent.").exists()
    assert "Demo history sends no mail" in out.getvalue()

    with django_capture_on_commit_callbacks() as queued:
        incident = _report_after_seeding()
    assert queued  # the delivery task of the acknowledgement (and its like)
    row = Notification.objects.get(template="incident_created", context__number=incident.number)
    assert row.status == Status.PENDING
    assert outbox.deliver(row.pk) == "sent"
    assert [m.to for m in mail.outbox] == [["alice@acme.example"]]

    # Seeding again is quiet as well.
    with django_capture_on_commit_callbacks() as queued:
        call_command("seed_demo", stdout=io.StringIO())
    assert queued == []


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_after_seed_demo_the_broker_holds_no_task_and_the_first_new_mail_is_next():
    """Through the real broker (Redis): what `make run`'s worker finds when it starts."""
    require_postgres_and_redis()
    import redis

    broker = redis.Redis.from_url(redis_url())
    flush_redis(redis_url())
    call_command("seed_demo", stdout=io.StringIO())
    assert broker.llen("celery") == 0
    assert not Notification.objects.filter(status__in=[Status.PENDING, Status.SENDING]).exists()
    incident = _report_after_seeding()
    messages = [m.decode() for m in broker.lrange("celery", 0, -1)]
    assert messages and all("deliver_notification" in m for m in messages)
    assert Notification.objects.filter(context__number=incident.number, status=Status.PENDING).exists()
    flush_redis(redis_url())
