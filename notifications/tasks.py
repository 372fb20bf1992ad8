"""Celery tasks of the outbox: thin, id-based and idempotent (the claim makes them so)."""

from celery import shared_task

from notifications import services
from notifications.models import Notification


@shared_task(name="notifications.tasks.deliver_notification", acks_late=True)
def deliver_notification(notification_id: int) -> str:
    outcome = services.deliver(notification_id)
    if outcome == "retry":
        # Promptness only: the periodic sweep would pick the row up at next_attempt_at anyway.
        attempts = (
            Notification.objects.filter(pk=notification_id).values_list("attempts", flat=True).first() or 1
        )
        deliver_notification.apply_async((notification_id,), countdown=services.backoff_seconds(attempts))
    return outcome


@shared_task(name="notifications.tasks.deliver_due_notifications")
def deliver_due_notifications() -> int:
    """Deliver every row that is due (new, to be retried, or claimed by a worker that died);
    a row that raises is set aside and the others are delivered (see ``services.deliver_due``)."""
    return services.deliver_due()["sent"]
