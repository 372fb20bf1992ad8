"""Idempotent demo data for trying the product: ``python manage.py seed_demo``.

The organisation comes first (core.demo); then each app's ``demo.seed(base, stdout)`` adds its
own data in dependency order. Running it again changes nothing that is already there.

Everything the demo writes is history: no mail goes out for it (see :func:`quiet_history`).
"""

import time
from contextlib import contextmanager
from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Max

from core import demo
from notifications.models import Notification, Status

# An entry is an app (its "<app>.demo" module) or a dotted module of its own.
APP_DEMOS = ["slm", "incidents", "incidents.major_demo", "knowledge", "problems", "changes"]

NOT_SENT = "Demo history: not sent."


class Quiet:
    cancelled = 0
    dropped = 0


@contextmanager
def quiet_history():
    """Run the demo's writes inside one transaction, and deliver nothing of them.

    The demo drives the real services, which write outbox rows and, after commit, queue Celery
    tasks: deliver a notification, check an SLA timer at its due time, page an escalation level,
    run trend detection. For the demo all of these are events of the past. Outbox rows written
    here are cancelled (kept, so that one can see what each event would have sent), and the task
    messages are never queued, so the worker starts with an empty queue and the first mail after
    ``make run`` goes out at once. Each dropped task only adds promptness: the periodic sweeps are
    the guarantee, and they find nothing of the past to do (history timers are replayed with their
    breaches marked, the outbox rows are cancelled); what falls due after start-up is notified
    normally. Recomputing running timers after a calendar or policy edit (``slm.hooks``) is kept:
    that is correctness, not mail.
    """
    quiet = Quiet()
    mark = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    with transaction.atomic():
        start = len(connection.run_on_commit)
        yield quiet
        quiet.cancelled = Notification.objects.filter(
            pk__gt=mark, status__in=[Status.PENDING, Status.SENDING]
        ).update(status=Status.CANCELLED, last_error=NOT_SENT, locked_until=None)
        queued = connection.run_on_commit[start:]
        kept = [item for item in queued if getattr(item[1], "_slm_key", None)]
        quiet.dropped = len(queued) - len(kept)
        connection.run_on_commit[start:] = kept


class Command(BaseCommand):
    help = "Create or refresh realistic demo data (idempotent; sends no mail for the demo's past)."

    def handle(self, *args, **options):
        started = time.monotonic()
        with quiet_history() as quiet:
            base = demo.seed(self.stdout)
            for app in APP_DEMOS:
                try:
                    name = app if "." in app else f"{app}.demo"
                    module = import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name != name:
                        raise
                    continue
                result = module.seed(base, stdout=self.stdout)
                if isinstance(result, dict):
                    base.update(result)
        self.stdout.write(
            f"Demo history sends no mail: {quiet.cancelled} notification(s) cancelled, "
            f"{quiet.dropped} background task(s) not queued ({time.monotonic() - started:.1f} s)."
        )
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Demo logins (password for all: demo):"))
        for username, first, last, roles, _language, org in demo.PEOPLE:
            what = ", ".join(roles) if roles else f"end user, {org}"
            self.stdout.write(f"  {username:<9} {first} {last} ({what})")
