"""Administrators' edits of calendars and policies replay the running timers that use them.

Whatever writes the rows (admin, API, shell, a data migration), post_save/post_delete bump the
calendar's or policy's version and schedule one recompute per object after commit.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from slm.models import BusinessCalendar, CalendarHours, Holiday, SlaPolicy, SlaTarget, SlaTimer


def _already_scheduled(key: tuple) -> bool:
    # One recompute per object and transaction, however many inline rows an admin form saves.
    # (Reads Django's pending on-commit list; a rolled-back transaction discards it with it.)
    try:
        return any(getattr(func, "_slm_key", None) == key for _sids, func, *_rest in connection.run_on_commit)
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - defensive
        return False


def _schedule(*, calendar_id: int | None = None, policy_id: int | None = None) -> None:
    from slm.tasks import recompute_timers_task

    key = ("calendar", calendar_id) if calendar_id else ("policy", policy_id)
    if _already_scheduled(key):
        return
    timers = SlaTimer.objects.active()
    if not (
        timers.filter(calendar_id=calendar_id) if calendar_id else timers.filter(policy_id=policy_id)
    ).exists():
        return  # nothing counts on it yet

    def run() -> None:
        try:
            recompute_timers_task.delay(calendar_id=calendar_id, policy_id=policy_id)
        except Exception:  # no broker: do it now rather than never
            recompute_timers_task(calendar_id=calendar_id, policy_id=policy_id)

    run._slm_key = key
    transaction.on_commit(run)


def _bump(model, pk: int) -> None:
    from django.db.models import F
    from django.utils import timezone

    changes = {"version": F("version") + 1}
    if model is BusinessCalendar:
        changes["changed_at"] = timezone.now()
    model.objects.filter(pk=pk).update(**changes)


def calendar_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw:
        return
    calendar_id = instance.pk if isinstance(instance, BusinessCalendar) else instance.calendar_id
    if isinstance(instance, BusinessCalendar) and created:
        return
    if not BusinessCalendar.objects.filter(pk=calendar_id).exists():
        return  # the calendar itself is being deleted
    _bump(BusinessCalendar, calendar_id)
    _schedule(calendar_id=calendar_id)


def policy_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw:
        return
    policy_id = instance.pk if isinstance(instance, SlaPolicy) else instance.policy_id
    if isinstance(instance, SlaPolicy) and created:
        return
    if not SlaPolicy.objects.filter(pk=policy_id).exists():
        return
    _bump(SlaPolicy, policy_id)
    _schedule(policy_id=policy_id)


def calendar_country_saved(sender, instance, raw=False, **kwargs) -> None:
    """A calendar with a country gets this year's and the coming years' public holidays once the
    save is committed (idempotent; a failure is logged and left to the periodic task)."""
    if raw or not instance.holiday_country or instance.is_24x7:
        return
    calendar_id = instance.pk

    def load() -> None:
        import logging

        from slm import services

        calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
        if calendar is None:
            return
        try:
            services.ensure_public_holidays(calendar)
        except Exception:
            logging.getLogger(__name__).exception(
                "could not load public holidays of calendar %s", calendar_id
            )

    transaction.on_commit(load)


def connect() -> None:
    post_save.connect(
        calendar_country_saved, sender=BusinessCalendar, dispatch_uid="slm.calendar_country_saved"
    )
    for model in (BusinessCalendar, CalendarHours, Holiday):
        post_save.connect(calendar_saved, sender=model, dispatch_uid=f"slm.calendar_saved.{model.__name__}")
        post_delete.connect(
            calendar_saved, sender=model, dispatch_uid=f"slm.calendar_deleted.{model.__name__}"
        )
    for model in (SlaPolicy, SlaTarget):
        post_save.connect(policy_saved, sender=model, dispatch_uid=f"slm.policy_saved.{model.__name__}")
        post_delete.connect(policy_saved, sender=model, dispatch_uid=f"slm.policy_deleted.{model.__name__}")
