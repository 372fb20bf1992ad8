"""Isolating a failing row in a periodic sweep: log it, mark it, carry on with the others.

Every sweep (SLA timers, outbox, major-incident escalation, auto-close) processes rows one claim
at a time; a row that raises must not roll back the rest nor stay first in every batch. A sweep
wraps the work of one row in :func:`isolated` (a savepoint), leaves out the rows that
:func:`skipped_ids` names, and the record in :class:`core.models.SweepFailure` says why. The
back-off doubles per failure (``SWEEP_FAILURE_RETRY_SECONDS``, capped at
``SWEEP_FAILURE_RETRY_MAX_SECONDS``); a success removes the record.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.db.models import F
from django.utils import timezone

log = logging.getLogger(__name__)


def retry_delay(attempts: int) -> timedelta:
    base = getattr(settings, "SWEEP_FAILURE_RETRY_SECONDS", 300)
    cap = getattr(settings, "SWEEP_FAILURE_RETRY_MAX_SECONDS", 3600)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def skipped_ids(sweep: str, now: datetime | None = None) -> models.QuerySet:
    """Ids of rows this sweep leaves aside for now (use as ``.exclude(pk__in=...)``)."""
    from core.models import SweepFailure

    return SweepFailure.objects.filter(sweep=sweep, skip_until__gt=now or timezone.now()).values("object_id")


def record_failure(sweep: str, obj_model: str, object_id: int, exc: BaseException) -> datetime:
    """Note that ``object_id`` failed in ``sweep``; returns when it is tried again."""
    from core.models import SweepFailure

    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    log.error(
        "sweep %s: %s %s failed, skipped for now",
        sweep,
        obj_model,
        object_id,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"sweep": sweep, "model": obj_model, "object_id": object_id},
    )
    try:
        with transaction.atomic():
            row = SweepFailure.objects.select_for_update().filter(sweep=sweep, object_id=object_id).first()
            if row is None:
                until = now + retry_delay(1)
                SweepFailure.objects.create(
                    sweep=sweep, model=obj_model, object_id=object_id, error=error, skip_until=until
                )
                return until
            until = now + retry_delay(row.attempts + 1)
            SweepFailure.objects.filter(pk=row.pk).update(
                attempts=F("attempts") + 1, error=error, failed_at=now, skip_until=until
            )
            return until
    except DatabaseError:  # the failure itself cannot be recorded: the log line above stays
        log.warning("could not record the sweep failure of %s %s", obj_model, object_id, exc_info=True)
        return now + retry_delay(1)


def clear_failures(sweep: str, object_ids) -> None:
    """A row that failed before went through: forget its failure."""
    from core.models import SweepFailure

    ids = list(object_ids)
    if ids:
        SweepFailure.objects.filter(sweep=sweep, object_id__in=ids).delete()


@contextmanager
def isolated(sweep: str, obj_model: str, object_id: int, *, failed: list | None = None):
    """Run one row's work in a savepoint; on an error roll back only that row, record it, go on.

    ``failed`` (a list) collects the ids that failed, for callers that want to count them.
    """
    try:
        with transaction.atomic():
            yield
    except Exception as exc:
        record_failure(sweep, obj_model, object_id, exc)
        if failed is not None:
            failed.append(object_id)


class RowGuard:
    """One sweep run: leaves aside the rows set aside before, isolates each row, and forgets the
    failures of rows that went through this time.

    ::

        guard = RowGuard("incidents.auto_close", "incidents.Incident")
        for pk in guard.exclude(candidates).values_list("pk", flat=True):
            with guard.row(pk):
                close(pk)
        guard.finish()
    """

    def __init__(self, sweep: str, obj_model: str) -> None:
        self.sweep, self.obj_model = sweep, obj_model
        self.ok: list[int] = []
        self.failed: list[int] = []

    def exclude(self, qs: models.QuerySet, field: str = "pk") -> models.QuerySet:
        return qs.exclude(**{f"{field}__in": skipped_ids(self.sweep)})

    @contextmanager
    def row(self, object_id: int, *, atomic: bool = True):
        """``atomic=False`` for work that commits its own steps (the outbox claims a row and
        commits the claim before it sends: a transaction around the send would hide the claim).
        Inside an outer transaction a savepoint is used all the same, or one failed statement
        would break the outer transaction."""
        own = atomic or transaction.get_connection().in_atomic_block
        try:
            with transaction.atomic() if own else nullcontext():
                yield
        except Exception as exc:
            record_failure(self.sweep, self.obj_model, object_id, exc)
            self.failed.append(object_id)
        else:
            self.ok.append(object_id)

    def finish(self) -> None:
        try:
            clear_failures(self.sweep, self.ok)
        except DatabaseError:
            log.warning("could not clear the sweep failures of %s", self.sweep, exc_info=True)
