"""End to end on the real stack: a Celery worker on Redis delivers the approval request over SMTP;
the link in the received e-mail decides the change once, for that approver only."""

import re

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from django.db import transaction

from changes.choices import ApprovalState, ChangeState
from changes.models import Approval
from notifications.models import Notification, Status
from tests.changes.conftest import LOW, make_change, to_authorize
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


def test_approver_decides_from_the_delivered_email_once(
    client, agent, change_manager, incident_manager, approval_rules
):
    require_postgres_and_redis()
    broker = redis_url()
    flush_redis(broker)
    port = free_port()
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_TIMEOUT": "3",
        "SITE_URL": "http://testserver",
    }
    try:
        with celery_worker(broker_url=broker, extra_env=env, name="chg") as (_process, log_path):
            with transaction.atomic():
                change = to_authorize(make_change(agent), agent, LOW)
            wait_for(
                lambda: Notification.objects.filter(
                    template="change_approval_request", status=Status.SENT
                ).exists(),
                timeout=60,
                message=f"the approval e-mail to be sent (worker log: {log_path})",
            )
    finally:
        controller.stop()

    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message["To"] == "change_manager@example.com"
    assert message["Subject"] == f"Approval needed for {change.number}: {change.short_description}"
    body = message.get_payload(decode=True).decode()
    path = re.search(r"http://testserver(/agent/changes/approvals/\S+/)", body).group(1)

    client.force_login(incident_manager)
    assert client.post(path, {"decision": "approve"}).status_code == 403
    client.force_login(change_manager)
    assert client.post(path, {"decision": "approve", "comment": "From my inbox."}).status_code == 302
    assert client.post(path, {"decision": "approve"}).status_code == 410
    change.refresh_from_db()
    assert change.state == ChangeState.SCHEDULED
    assert Approval.objects.get(change=change).state == ApprovalState.APPROVED
