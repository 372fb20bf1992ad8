"""Celery tasks of service level management: thin, id-based and idempotent.

``sweep_timers`` (beat, every ``SLA_SWEEP_SECONDS``) is the correctness guarantee; ``check_timer``
ETA tasks only make a warning or breach land on the second instead of within the sweep period.
"""

from celery import shared_task
from django.conf import settings

from slm import services


@shared_task(name="slm.tasks.sweep_timers", acks_late=True)
def sweep_timers() -> dict:
    totals = services.sweep_timers()
    if getattr(settings, "SLA_ETA_TASKS", True):
        # Exact-time checks for what falls due before the next sweep.
        soon = services.due_soon(getattr(settings, "SLA_SWEEP_SECONDS", 60))
        services._enqueue_checks(soon)
        totals["scheduled"] = len(soon)
    return totals


@shared_task(name="slm.tasks.check_timer", acks_late=True)
def check_timer(timer_id: int) -> dict:
    """Check one timer now (a no-op unless its next check is due: duplicates are harmless)."""
    return services.sweep_timers(ids=[timer_id])


@shared_task(name="slm.tasks.recompute_timers", acks_late=True)
def recompute_timers_task(calendar_id: int | None = None, policy_id: int | None = None) -> int:
    from slm.models import BusinessCalendar, SlaPolicy

    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first() if calendar_id else None
    policy = SlaPolicy.objects.filter(pk=policy_id).first() if policy_id else None
    if calendar is None and policy is None:
        return 0
    return services.recompute_timers(calendar=calendar, policy=policy)


@shared_task(name="slm.tasks.load_public_holidays", acks_late=True)
def load_public_holidays() -> dict:
    """Keep this year's and the coming years' public holidays loaded in every calendar with a
    country (idempotent: a year is loaded once)."""
    return services.ensure_all_public_holidays()
