"""Benchmark of the SLA sweep: 100,000 running timers, 10,000 of them due.

Usage (PostgreSQL; the database is created if missing and its SLM/incident rows are replaced):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm_slm_bench python benchmarks/slm_sweep.py

Prints how long one sweep takes that records every due warning and breach (timeline entries and
outbox rows included) and how long a sweep takes when nothing is due. Targets (DESIGN.md §4):
under 10 s and under 50 ms. Options: --timers N --due N.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm_slm_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
os.environ["DEBUG"] = "false"  # DEBUG logs every SQL statement: not what production pays
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ["CELERY_BROKER_URL"] = "memory://"  # no broker side effects from on-commit hooks
os.environ.setdefault("LOG_LEVEL", "WARNING")


def ensure_database(url: str) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)

    from core.models import Desk, SupportGroup, User
    from incidents.models import Incident, IncidentTimelineEntry
    from notifications.models import Notification
    from slm import services
    from slm.models import BusinessCalendar, CalendarHours, SlaPolicy, SlaTarget, SlaTimer, TimerSegment

    total, due = args.timers, args.due
    print(f"seeding {total:,} running timers ({due:,} due) …", flush=True)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE slm_timersegment, slm_slatimer, incidents_incidenttimelineentry, "
            "notifications_notification, incidents_attachment, incidents_incident CASCADE"
        )
    with transaction.atomic():
        duty, _ = User.objects.get_or_create(username="bench-duty", defaults={"email": "duty@bench.example"})
        manager, _ = User.objects.get_or_create(username="bench-mgr", defaults={"email": "mgr@bench.example"})
        agents = []
        for i in range(20):
            user, _ = User.objects.get_or_create(
                username=f"bench-agent{i}", defaults={"email": f"a{i}@bench.example"}
            )
            agents.append(user)
        caller, _ = User.objects.get_or_create(
            username="bench-caller", defaults={"email": "caller@bench.example"}
        )
        desk, _ = Desk.objects.get_or_create(
            slug="bench",
            defaults={"name": "Bench desk", "email": "bench@bench.example", "duty_manager": duty},
        )
        group, _ = SupportGroup.objects.get_or_create(
            name="Bench group", defaults={"desk": desk, "manager": manager}
        )
        office, created = BusinessCalendar.objects.get_or_create(name="Bench office 05-18")
        if created:
            CalendarHours.objects.bulk_create(
                [CalendarHours(calendar=office, weekday=d, start="05:00", end="18:00") for d in range(7)]
            )
        always, _ = BusinessCalendar.objects.get_or_create(name="Bench 24x7", defaults={"is_24x7": True})
        policies = {}
        for cal in (office, always):
            policy, created = SlaPolicy.objects.get_or_create(
                name=f"Bench {cal.name}", defaults={"calendar": cal, "desk": desk, "order": 1000}
            )
            if created:
                SlaTarget.objects.create(policy=policy, metric="resolution", target_minutes=8 * 60)
            policies[cal.pk] = policy

        now = datetime.now(UTC)
        incidents = [
            Incident(
                number=f"BEN{i:07d}",
                short_description=f"Bench incident {i}",
                caller=caller,
                opened_by=caller,
                desk=desk,
                priority=1 + i % 5,
                assignment_group=group,
                assigned_to=agents[i % len(agents)],
                state="in_progress",
                created_at=now - timedelta(days=5),
                updated_at=now,
            )
            for i in range(total)
        ]
        Incident.objects.bulk_create(incidents, batch_size=5000)
        ids = list(
            Incident.objects.filter(number__startswith="BEN").order_by("pk").values_list("pk", flat=True)
        )

        warnings = due * 3 // 10  # 30 % of the due timers reach their warning, 70 % breach
        timers = []
        for k, incident_id in enumerate(ids):
            if k < warnings:  # 24x7, started 7 h ago: 75 % passed, due in 1 h
                cal, started = always, now - timedelta(hours=7)
                warning_at, due_at = started + timedelta(hours=6), started + timedelta(hours=8)
                next_check = warning_at
            elif k < due:  # office hours, started 5 days ago: long breached
                cal, started = office, now - timedelta(days=5)
                warning_at = due_at = next_check = now - timedelta(days=4)  # exact values: the sweep replays
            else:  # not due: next check tomorrow
                cal, started = always, now - timedelta(hours=1)
                warning_at, due_at = (
                    started + timedelta(days=1, hours=6),
                    started + timedelta(days=1, hours=8),
                )
                next_check = warning_at
            timers.append(
                SlaTimer(
                    incident_id=incident_id,
                    kind="sla",
                    metric="resolution",
                    policy=policies[cal.pk],
                    calendar=cal,
                    priority=1 + k % 5,
                    target_seconds=8 * 3600 if k < due else 32 * 3600,
                    warn_percent=75,
                    state="running",
                    started_at=started,
                    due_at=due_at,
                    warning_at=warning_at,
                    next_check_at=next_check,
                )
            )
        SlaTimer.objects.bulk_create(timers, batch_size=5000)
        TimerSegment.objects.bulk_create(
            [TimerSegment(timer_id=t.pk, kind="running", start=t.started_at) for t in timers], batch_size=5000
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"seeded in {time.perf_counter() - t0:.1f} s", flush=True)

    def timed(label: str) -> dict:
        services._CALENDARS.clear()  # a cold cache, as in a fresh worker process
        start, cpu = time.perf_counter(), time.process_time()
        result = services.sweep_timers()
        soon = services.due_soon(60)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"{label}: {elapsed * 1000:,.1f} ms wall, {cpu * 1000:,.1f} ms Python CPU  {result}  "
            f"(ETA candidates: {len(soon)})",
            flush=True,
        )
        return {"seconds": elapsed, "cpu": cpu, **result}

    first = timed("sweep with due timers")
    empties = [timed("empty sweep")["seconds"] for _ in range(5)]
    print()
    print(f"running timers:            {SlaTimer.objects.filter(state__in=['running', 'paused']).count():,}")
    print(f"breached timers:           {SlaTimer.objects.filter(state='breached').count():,}")
    print(f"timeline entries written:  {IncidentTimelineEntry.objects.filter(kind='sla').count():,}")
    print(f"outbox rows written:       {Notification.objects.filter(template__startswith='sla_').count():,}")
    print(f"load average:              {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"one sweep, {due:,} due:    {first['seconds']:.2f} s (target < 10 s), "
        f"{first['cpu']:.2f} s of it Python CPU"
    )
    print(
        f"empty sweep (best of 5):   {min(empties) * 1000:.1f} ms, "
        f"worst {max(empties) * 1000:.1f} ms (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
