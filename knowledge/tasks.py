"""Celery tasks of the knowledge base: thin wrappers around the service functions."""

from celery import shared_task

from knowledge import services


@shared_task(name="knowledge.tasks.remind_review_due")
def remind_review_due() -> int:
    """Periodic sweep: remind owners of articles due for review (idempotent per review date)."""
    return services.remind_review_due()
