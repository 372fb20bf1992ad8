"""Celery tasks of the major-incident procedure: thin, id-based, idempotent.

Imported from ``IncidentsConfig.ready()`` (Celery autodiscovers only ``<app>.tasks``). The beat
entry ``incidents-major-sweep`` runs ``incidents.major.sweep`` every MAJOR_SWEEP_SECONDS: that
sweep alone is correct; ETA tasks per escalation step only add promptness.
"""

from celery import shared_task

from incidents import major


@shared_task(name="incidents.major.sweep")
def sweep_major_incidents() -> dict:
    return major.sweep()


@shared_task(name="incidents.major.process_step", acks_late=True)
def process_escalation_step(step_id: int) -> bool:
    """Notify one escalation step if it is due and still pending (a duplicate does nothing)."""
    return major.notify_step(step_id)


@shared_task(name="incidents.major.remind", acks_late=True)
def remind_cadence(major_id: int) -> bool:
    return major.remind_cadence(major_id)
