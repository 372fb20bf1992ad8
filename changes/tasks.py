"""Celery tasks of change enablement: thin, id-free sweeps that call the services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from changes import services


@shared_task(name="changes.tasks.remind_pending_approvals")
def remind_pending_approvals() -> int:
    """Remind approvers of approvals waiting longer than CHANGE_APPROVAL_REMINDER_HOURS.

    Idempotent: each row is claimed with a conditional UPDATE and the outbox dedupes per day.
    """
    hours = settings.CHANGE_APPROVAL_REMINDER_HOURS
    if not hours:
        return 0
    return services.remind_pending_approvals(older_than=timedelta(hours=hours))
