from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.models import Notification, Status
from notifications.services import Recipient, notify
from notifications.tasks import deliver_due_notifications

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFY_RETRY_BASE_SECONDS = 10


def _notify(user, key="incident:1:created", **kwargs):
    return notify(
        template="generic",
        to=user,
        context={"subject": "Ticket INC0001000 received", "body": "We are on it."},
        dedupe_key=key,
        thread="INC0001000",
        **kwargs,
    )


def test_same_event_twice_creates_one_notification(end_user):
    first = _notify(end_user)
    second = _notify(end_user)
    assert first.pk == second.pk
    assert Notification.objects.count() == 1


def test_row_is_written_in_the_event_transaction(end_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(end_user)
        raise RuntimeError("the domain change failed")
    assert Notification.objects.count() == 0


def test_delivery_is_queued_after_commit(end_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = _notify(end_user)
    assert len(callbacks) == 1
    assert row.status == Status.PENDING


def test_deliver_sends_once_with_thread_headers(end_user):
    row = _notify(end_user)
    assert services.deliver(row.pk) == "sent"
    assert services.deliver(row.pk) == "skipped"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["end_user@example.com"]
    assert message.subject == "Ticket INC0001000 received"
    assert message.extra_headers["References"].startswith("<inc0001000@")
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1 and row.sent_at is not None


def test_failure_is_retried_with_backoff_then_delivered(end_user, settings):
    row = _notify(end_user)
    settings.EMAIL_BACKEND = "tests.notifications.failing_backend.FailingBackend"
    assert services.deliver(row.pk) == "retry"
    row.refresh_from_db()
    assert row.status == Status.PENDING and row.attempts == 1
    assert "SMTP down" in row.last_error
    wait = (row.next_attempt_at - timezone.now()).total_seconds()
    assert 8 < wait <= 10
    # Not due yet: the sweep leaves it alone.
    assert deliver_due_notifications() == 0
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert services.deliver(row.pk) == "retry"
    row.refresh_from_db()
    assert 18 < (row.next_attempt_at - timezone.now()).total_seconds() <= 20  # doubled
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert deliver_due_notifications() == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 3
    assert len(mail.outbox) == 1


def test_gives_up_after_max_attempts(end_user, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "tests.notifications.failing_backend.FailingBackend"
    row = _notify(end_user)
    services.deliver(row.pk)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert services.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == Status.FAILED


def test_claim_is_exclusive_and_a_dead_workers_claim_expires(end_user):
    row = _notify(end_user)
    assert services.claim(row.pk) is True
    assert services.claim(row.pk) is False  # a second worker does not get it
    Notification.objects.filter(pk=row.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert row.pk in services.due_ids()
    assert deliver_due_notifications() == 1
    assert len(mail.outbox) == 1


def test_rendered_in_recipients_language(other_end_user):
    row = notify(template="generic", to=other_end_user, context={"subject": "s", "body": "b"}, dedupe_key="k")
    assert row.language == "sv"


def test_bare_address_recipient_and_empty_address(end_user):
    row = notify(template="generic", to=Recipient(address="oncall@example.com"), context={}, dedupe_key="x")
    assert row.recipient is None and row.address == "oncall@example.com"
    end_user.email = ""
    assert notify(template="generic", to=end_user, context={}, dedupe_key="y") is None


def test_notify_many_sends_each_address_once(end_user, agent):
    rows = services.notify_many(
        template="generic", recipients=[end_user, agent, end_user], context={}, dedupe_key="event:1"
    )
    assert len(rows) == 2
    again = services.notify_many(
        template="generic", recipients=[end_user, agent], context={}, dedupe_key="event:1"
    )
    assert {r.pk for r in again} == {r.pk for r in rows}
    assert Notification.objects.count() == 2


def test_text_mail_is_not_html_escaped(end_user):
    row = notify(
        template="generic",
        to=end_user,
        context={"subject": "R&D <printer>", "body": 'Tom & Jerry\'s "PC"'},
        dedupe_key="escape",
    )
    subject, text, _html = services.render(row)
    assert subject == "R&D <printer>"
    assert 'Tom & Jerry\'s "PC"' in text
