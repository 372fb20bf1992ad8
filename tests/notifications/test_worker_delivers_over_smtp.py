"""A real Celery worker, against Redis, delivers an outbox e-mail to a real SMTP server on loopback.

SMTP is down at first: the delivery fails and is retried with back-off; once the server is up the
message arrives exactly once.
"""

import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from django.db import transaction

from notifications.models import Notification, Status
from notifications.services import notify
from tests.services import (
    celery_worker,
    flush_redis,
    free_port,
    redis_url,
    require_postgres_and_redis,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class Collector(MessageHandler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def test_worker_retries_until_smtp_is_up_and_delivers_once(end_user):
    require_postgres_and_redis()
    broker = redis_url()
    flush_redis(broker)
    port = free_port()
    env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_TIMEOUT": "3",
        "NOTIFY_RETRY_BASE_SECONDS": "1",
        "NOTIFY_RETRY_MAX_SECONDS": "2",
        "NOTIFY_SWEEP_SECONDS": "2",
    }
    with celery_worker(broker_url=broker, extra_env=env, beat=True) as (_process, log_path):
        # The delivery task is enqueued on commit; the worker reads the same (test) database.
        with transaction.atomic():
            row = notify(
                template="generic",
                to=end_user,
                context={"subject": "Your ticket INC0001000", "body": "Received."},
                dedupe_key="it:smtp-down-then-up",
                thread="INC0001000",
            )
            # The same event again (a retried request) must not double the message.
            notify(template="generic", to=end_user, context={}, dedupe_key="it:smtp-down-then-up")

        # SMTP is down: wait until at least one attempt failed.
        wait_for(
            lambda: Notification.objects.filter(pk=row.pk, attempts__gte=1, status=Status.PENDING).exists(),
            timeout=60,
            message=f"a failed first attempt (worker log: {log_path})",
        )
        handler = Collector()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            wait_for(
                lambda: Notification.objects.filter(pk=row.pk, status=Status.SENT).exists(),
                timeout=60,
                message=f"delivery after SMTP came up (worker log: {log_path})",
            )
            time.sleep(3)  # duplicate tasks (retry + sweep) would have arrived by now
        finally:
            controller.stop()

    row.refresh_from_db()
    assert row.attempts >= 2
    assert Notification.objects.count() == 1
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message["To"] == "end_user@example.com"
    assert message["Subject"] == "Your ticket INC0001000"
    assert message["Message-ID"] == row.message_id
