"""The approval reminder sweep: idempotent, once per period, only for pending approvals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes import services
from changes.choices import Decision
from changes.models import Approval
from changes.tasks import remind_pending_approvals
from notifications.models import Notification
from tests.changes.conftest import HIGH, make_change, to_authorize

pytestmark = pytest.mark.django_db


def reminders():
    return Notification.objects.filter(template="change_approval_request", context__reminder=True)


def test_waiting_approvers_are_reminded_once_per_period(agent, change_manager, approval_rules, settings):
    settings.CHANGE_APPROVAL_REMINDER_HOURS = 24
    change = to_authorize(make_change(agent), agent, HIGH)
    assert remind_pending_approvals() == 0  # nothing has waited a day yet
    Approval.objects.update(requested_at=timezone.now() - timedelta(hours=25))
    services.decide(change, by=change_manager, decision=Decision.APPROVE)

    assert remind_pending_approvals() == 2  # the two CAB members who have not decided
    assert {n.recipient.username for n in reminders()} == {"incident_manager", "other_group_agent"}
    row = reminders().first()
    assert row.context["approve_url"].startswith("http://testserver/agent/changes/approvals/")
    assert remind_pending_approvals() == 0  # already reminded in this period
    assert reminders().count() == 2


def test_reminders_can_be_switched_off(agent, approval_rules, settings):
    settings.CHANGE_APPROVAL_REMINDER_HOURS = 0
    to_authorize(make_change(agent), agent, HIGH)
    Approval.objects.update(requested_at=timezone.now() - timedelta(days=3))
    assert remind_pending_approvals() == 0
    assert not reminders().exists()


def test_reminder_link_and_first_link_share_one_use(client, agent, change_manager, approval_rules):
    from tests.changes.conftest import LOW

    change = to_authorize(make_change(agent), agent, LOW)
    first = Notification.objects.get(template="change_approval_request", recipient=change_manager)
    Approval.objects.update(requested_at=timezone.now() - timedelta(days=2))
    remind_pending_approvals()
    second = reminders().get(recipient=change_manager)
    first_url = first.context["approve_url"].removeprefix("http://testserver")
    second_url = second.context["approve_url"].removeprefix("http://testserver")
    client.force_login(change_manager)
    assert client.post(second_url, {"decision": "approve"}).status_code == 302
    # Both links carry the approval's one nonce: using one spends the other.
    assert client.post(first_url, {"decision": "approve"}).status_code == 410
    change.refresh_from_db()
    assert change.state == "scheduled"
