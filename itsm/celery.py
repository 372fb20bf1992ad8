"""The Celery application: configured from Django settings (``CELERY_*``), JSON only.

Every periodic task records a heartbeat through the task signals below (see
:mod:`core.heartbeats`), so a beat that is not running is reported by ``/readyz`` and on the
admin home page.
"""

import os
from pathlib import Path

from celery import Celery, signals
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")

app = Celery("itsm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _task_name(sender=None, task=None) -> str | None:
    task = task or sender
    return getattr(task, "name", None)


@signals.task_prerun.connect(dispatch_uid="itsm.heartbeat.prerun")
def _heartbeat_started(sender=None, task=None, **kwargs) -> None:
    from core import heartbeats

    heartbeats.task_started(_task_name(sender, task))


@signals.task_success.connect(dispatch_uid="itsm.heartbeat.success")
def _heartbeat_succeeded(sender=None, **kwargs) -> None:
    from core import heartbeats

    heartbeats.task_succeeded(_task_name(sender))


@signals.task_failure.connect(dispatch_uid="itsm.heartbeat.failure")
def _heartbeat_failed(sender=None, exception=None, **kwargs) -> None:
    from core import heartbeats

    heartbeats.task_failed(_task_name(sender), exception)


@signals.beat_init.connect(dispatch_uid="itsm.beat.init")
def _beat_started(sender=None, **kwargs) -> None:
    """Beat (standalone or embedded with ``worker -B``) registers the tasks it will run."""
    from core import heartbeats

    try:
        heartbeats.register_schedule()
    except Exception:  # the database may still be starting; readyz registers them too
        import logging

        logging.getLogger(__name__).warning("could not register the beat schedule", exc_info=True)


class Scheduler(PersistentScheduler):
    """The default beat scheduler, creating the folder of its schedule file first.

    Without the folder (``ITSM_VAR_DIR`` missing, or a ``--schedule`` path in a fresh volume) the
    shelve file cannot be opened and beat dies at start while ``worker -B`` keeps running.
    """

    def _open_schedule(self):
        Path(self.schedule_filename).resolve().parent.mkdir(parents=True, exist_ok=True)
        return super()._open_schedule()
