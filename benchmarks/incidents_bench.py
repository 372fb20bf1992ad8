"""Incident benchmark: seed N incidents into PostgreSQL, then time the list and detail pages and
the API, and the rate of incident creation through the API.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm_bench \\
    REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python benchmarks/incidents_bench.py --n 100000

Server time is measured in-process with Django's test client: the whole request through the
middleware, view, serializer or template and the database, without a network or a WSGI server.
Settings are the production ones (DEBUG off, manifest static files, persistent connections).

Seeding is bulk (``bulk_create`` of incidents and their timeline rows, numbers from the INC
sequence) and is reused when the database already holds N incidents. The seeded rows look like a
service desk's two years: ~90% closed or cancelled, the rest open or resolved, spread over the
groups, categories and 2,000 callers.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("STATIC_ROOT", str(ROOT / "var" / "bench-static"))
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The benchmark measures server time, not the API's per-user rate limits.
for _scope in ("READ", "WRITE", "CREATE", "ANON"):
    os.environ.setdefault(f"API_THROTTLE_{_scope}", "off")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import close_old_connections, connection, transaction  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from core import demo as core_demo  # noqa: E402
from core.choices import TimelineKind  # noqa: E402
from core.models import Category, Organization, SupportGroup, User  # noqa: E402
from incidents.choices import OPEN_STATES, HoldReason, State  # noqa: E402
from incidents.filtersets import IncidentFilterSet  # noqa: E402
from incidents.models import Incident, IncidentTimelineEntry  # noqa: E402
from incidents.rules import DEFAULT_PRIORITY_MATRIX  # noqa: E402

CALLERS = 2000
BATCH = 5000
# Final states of a service desk's two years of incidents.
STATE_WEIGHTS = {
    State.CLOSED: 86,
    State.CANCELLED: 4,
    State.RESOLVED: 2,
    State.IN_PROGRESS: 4,
    State.ON_HOLD: 2,
    State.NEW: 2,
}
QUEUE_TEMPLATE = Template(
    """<table>{% for i in rows %}<tr><td>{{ i.number }}</td><td>{{ i.short_description }}</td>
<td>{{ i.caller }}</td><td>{{ i.get_priority_display }}</td><td>{{ i.get_state_display }}</td>
<td>{{ i.assignment_group|default:"" }}</td><td>{{ i.assigned_to|default:"" }}</td>
<td>{{ i.category|default:"" }}</td><td>{{ i.updated_at }}</td></tr>{% endfor %}</table>"""
)


def say(message: str) -> None:
    print(message, flush=True)


# --- seeding ------------------------------------------------------------------------------------


def numbers(count: int) -> list[str]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('itsm_number_inc') FROM generate_series(1, %s)", [count])
            return [f"INC{row[0]:07d}" for row in cursor.fetchall()]
    from core.numbering import next_number

    return [next_number("INC") for _ in range(count)]


def seed(n: int) -> None:
    existing = Incident.objects.count()
    if existing >= n:
        say(f"Reusing {existing} incidents already in the database.")
        return
    started = time.perf_counter()
    base = core_demo.seed()
    org = Organization.objects.get_or_create(name="Bench Corp", defaults={"share_tickets": False})[0]
    if User.objects.filter(username__startswith="bench-caller-").count() < CALLERS:
        User.objects.bulk_create(
            [
                User(
                    username=f"bench-caller-{i:05d}",
                    first_name=f"Caller{i}",
                    last_name="Bench",
                    email=f"caller{i}@bench.example",
                    organization=org,
                    password="!",
                )
                for i in range(CALLERS)
            ],
            ignore_conflicts=True,
        )
    callers = list(User.objects.filter(username__startswith="bench-caller-").values_list("pk", flat=True))
    groups = list(SupportGroup.objects.prefetch_related("members"))
    members = {group.pk: [user.pk for user in group.members.all()] for group in groups}
    categories = list(Category.objects.values_list("pk", flat=True))
    desks = {group.pk: group.desk_id for group in groups}
    agent = base["users"]["agent"].pk
    rng = random.Random(42)
    states, weights = zip(*STATE_WEIGHTS.items(), strict=True)
    now = timezone.now()
    todo = n - existing
    say(f"Seeding {todo} incidents (bulk)…")
    done = 0
    while done < todo:
        size = min(BATCH, todo - done)
        rows = []
        for number in numbers(size):
            state = rng.choices(states, weights)[0]
            impact, urgency = rng.choice([1, 2, 2, 3, 3, 3]), rng.choice([1, 2, 2, 3, 3, 3])
            group = rng.choice(groups)
            created = (
                now - timedelta(days=rng.uniform(0, 730))
                if state in (State.CLOSED, State.CANCELLED)
                else (now - timedelta(days=rng.uniform(0, 20)))
            )
            resolved = closed = None
            if state in (State.RESOLVED, State.CLOSED):
                resolved = created + timedelta(hours=rng.uniform(0.2, 72))
                if state == State.RESOLVED:
                    resolved = min(resolved, now - timedelta(minutes=1))
            if state == State.CLOSED:
                closed = resolved + timedelta(days=rng.uniform(0, 7))
            if state == State.CANCELLED:
                closed = created + timedelta(hours=rng.uniform(0.1, 24))
            assignee = None
            if state != State.NEW and members[group.pk]:
                assignee = rng.choice(members[group.pk])
            rows.append(
                Incident(
                    number=number,
                    short_description=rng.choice(
                        [
                            "Printer does not print",
                            "VPN drops",
                            "Outlook asks for password",
                            "Laptop slow",
                            "Cannot open shared folder",
                            "Payslip missing",
                            "Wi-Fi unstable",
                            "ERP times out",
                        ]
                    )
                    + f" ({number[-4:]})",
                    description="Seeded by benchmarks/incidents_bench.py",
                    caller_id=rng.choice(callers),
                    opened_by_id=agent,
                    desk_id=desks[group.pk],
                    contact_channel=rng.choice(["portal", "email", "phone", "api"]),
                    category_id=rng.choice(categories),
                    impact=impact,
                    urgency=urgency,
                    priority=DEFAULT_PRIORITY_MATRIX[(impact, urgency)],
                    state=state,
                    hold_reason=rng.choice(list(HoldReason.values)) if state == State.ON_HOLD else "",
                    assignment_group_id=group.pk if state != State.NEW or rng.random() < 0.5 else None,
                    assigned_to_id=assignee,
                    resolution_code="solution_provided" if resolved else "",
                    resolution_notes="Fixed" if resolved or state == State.CANCELLED else "",
                    resolved_by_id=assignee if resolved else None,
                    created_at=created,
                    updated_at=closed or resolved or created + timedelta(hours=rng.uniform(0, 8)),
                    resolved_at=resolved,
                    closed_at=closed,
                    version=rng.randint(1, 8),
                )
            )
        with transaction.atomic():
            created_rows = Incident.objects.bulk_create(rows)
            entries = []
            for incident in created_rows:
                entries.append(
                    IncidentTimelineEntry(
                        ticket=incident,
                        kind=TimelineKind.CREATED,
                        author_id=agent,
                        is_public=True,
                        data={"channel": incident.contact_channel, "priority": incident.priority},
                        created_at=incident.created_at,
                    )
                )
                if incident.assigned_to_id:
                    entries.append(
                        IncidentTimelineEntry(
                            ticket=incident,
                            kind=TimelineKind.COMMENT,
                            author_id=incident.assigned_to_id,
                            is_public=True,
                            body="We are looking into it.",
                            created_at=incident.created_at + timedelta(minutes=20),
                        )
                    )
                if incident.resolved_at:
                    entries.append(
                        IncidentTimelineEntry(
                            ticket=incident,
                            kind=TimelineKind.STATE_CHANGE,
                            author_id=incident.assigned_to_id,
                            is_public=True,
                            body="Fixed",
                            data={"state": ["in_progress", "resolved"]},
                            created_at=incident.resolved_at,
                        )
                    )
                if incident.closed_at:
                    entries.append(
                        IncidentTimelineEntry(
                            ticket=incident,
                            kind=TimelineKind.STATE_CHANGE,
                            is_public=True,
                            data={"state": ["resolved", incident.state]},
                            created_at=incident.closed_at,
                        )
                    )
            IncidentTimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
        done += size
        say(f"  {existing + done} incidents ({time.perf_counter() - started:.0f} s)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    say(f"Seeded in {time.perf_counter() - started:.0f} s.")


# --- measuring ----------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return p50 * 1000, p95 * 1000


class SqlTimer:
    """Wall time spent inside database calls (an execute wrapper), and their number."""

    def __init__(self):
        self.seconds, self.count = 0.0, 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def time_requests(name: str, make_request, requests: int, warmup: int = 10) -> None:
    """Wall time per request (p50/p95), with the median Python CPU time and database time."""
    for _ in range(warmup):
        make_request()
    samples, cpu, sql, queries = [], [], [], 0
    for _ in range(requests):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started, started_cpu = time.perf_counter(), time.process_time()
            make_request()
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        sql.append(timer.seconds)
        queries = timer.count
    p50, p95 = percentiles(samples)
    cpu_ms, sql_ms = statistics.median(cpu) * 1000, statistics.median(sql) * 1000
    say(
        f"  {name:<58} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms"
        f"   (median CPU {cpu_ms:5.1f} ms, SQL {sql_ms:5.1f} ms, {queries} queries)"
    )


def check(response, expected=200):
    if response.status_code != expected:
        raise SystemExit(
            f"{response.request['PATH_INFO']} answered {response.status_code}: {response.content[:300]!r}"
        )
    return response


def measure(requests: int) -> None:
    agent = User.objects.get(username="agent")
    token = Token.objects.get_or_create(user=agent)[0].key
    caller = User.objects.filter(username__startswith="bench-caller-", incidents__isnull=False).first()
    caller_token = Token.objects.get_or_create(user=caller)[0].key
    browser = Client()
    browser.force_login(agent)
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    portal_api = Client(HTTP_AUTHORIZATION=f"Token {caller_token}")
    sample = list(Incident.objects.order_by("?").values_list("number", flat=True)[:200])
    rng = random.Random(7)

    say(f"Server time over {requests} requests each (after 10 warm-up requests):")
    queue = browser.get("/agent/incidents/?view=open")
    if queue.status_code == 200:
        time_requests(
            "agent queue page GET /agent/incidents/?view=open",
            lambda: check(browser.get("/agent/incidents/?view=open")),
            requests,
        )
    else:
        say(f"  (GET /agent/incidents/?view=open answers {queue.status_code} here: timing its queryset)")

        def queue_queryset():
            data = {"state": [str(state) for state in OPEN_STATES]}
            from django.http import QueryDict

            query = QueryDict(mutable=True)
            query.setlist("state", data["state"])
            rows = IncidentFilterSet(query, queryset=Incident.objects.visible_to(agent)).qs.for_list()[:50]
            html = QUEUE_TEMPLATE.render(Context({"rows": rows}))
            assert html.count("<tr>") == 50

        time_requests("queue queryset: FilterSet(open).qs.for_list()[:50] rendered", queue_queryset, requests)
    open_filter = "state=new&state=in_progress&state=on_hold"
    time_requests(
        "API list GET /api/v1/incidents/ (50 newest)", lambda: check(api.get("/api/v1/incidents/")), requests
    )
    time_requests(
        f"API list ?{open_filter}", lambda: check(api.get(f"/api/v1/incidents/?{open_filter}")), requests
    )
    group = SupportGroup.objects.get(name="Network").pk
    time_requests(
        "API list ?assignment_group=<Network>&state=in_progress",
        lambda: check(api.get(f"/api/v1/incidents/?assignment_group={group}&state=in_progress")),
        requests,
    )
    time_requests(
        "API list ?ordering=priority,-updated_at&" + "state=…open",
        lambda: check(api.get(f"/api/v1/incidents/?ordering=priority,-updated_at&{open_filter}")),
        requests,
    )
    time_requests(
        "API list as an end user (own incidents)",
        lambda: check(portal_api.get("/api/v1/incidents/")),
        requests,
    )
    time_requests(
        "agent detail page GET /agent/incidents/<number>/",
        lambda: check(browser.get(f"/agent/incidents/{rng.choice(sample)}/")),
        requests,
    )
    time_requests(
        "API detail GET /api/v1/incidents/<number>/",
        lambda: check(api.get(f"/api/v1/incidents/{rng.choice(sample)}/")),
        requests,
    )


def create_rate(creates: int, threads: int) -> None:
    agent = User.objects.get(username="agent")
    token = Token.objects.get_or_create(user=agent)[0].key
    caller_ids = list(
        User.objects.filter(username__startswith="bench-caller-").values_list("pk", flat=True)[:200]
    )
    category = Category.objects.get(path="Hardware > Printer").pk

    def post(client: Client, i: int) -> None:
        check(
            client.post(
                "/api/v1/incidents/",
                {
                    "short_description": f"Benchmark incident {i}",
                    "caller": caller_ids[i % len(caller_ids)],
                    "category": category,
                    "impact": 2,
                    "urgency": 2,
                },
                content_type="application/json",
            ),
            201,
        )

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    for i in range(10):
        post(client, i)  # warm-up
    started = time.perf_counter()
    for i in range(creates):
        post(client, i)
    elapsed = time.perf_counter() - started
    rate, each = creates / elapsed, elapsed * 1000 / creates
    say(f"  {creates} sequential POST /api/v1/incidents/: {rate:6.1f} incidents/s ({each:.1f} ms each)")
    if threads < 2:
        return
    errors = []

    def worker(offset: int) -> None:
        try:
            own = Client(HTTP_AUTHORIZATION=f"Token {token}")
            for i in range(offset, creates, threads):
                post(own, i)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    pool = [threading.Thread(target=worker, args=(offset,)) for offset in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"thread failed: {errors[0]!r}")
    say(f"  {creates} POSTs over {threads} threads:             {creates / elapsed:6.1f} incidents/s")


def explain() -> None:
    """Plans of the list queries, for the record."""
    from django.http import QueryDict

    agent = User.objects.get(username="agent")
    query = QueryDict(mutable=True)
    query.setlist("state", [str(state) for state in OPEN_STATES])
    plans = {
        "queue / API list, open states, newest first": IncidentFilterSet(
            query, queryset=Incident.objects.visible_to(agent)
        )
        .qs.for_list()
        .order_by("-id")[:51],
        "API list, all, newest first": Incident.objects.for_list().order_by("-id")[:51],
        "API list, open, ordering=priority,-updated_at": IncidentFilterSet(
            query, queryset=Incident.objects.all()
        )
        .qs.for_list()
        .order_by("priority", "-updated_at", "-id")[:51],
        "end user list (caller)": Incident.objects.filter(caller__username="bench-caller-00001")
        .for_list()
        .order_by("-id")[:51],
    }
    for name, queryset in plans.items():
        say(f"\nEXPLAIN ANALYZE — {name}")
        say(queryset.explain(analyze=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="incidents to seed (default 100,000)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--creates", type=int, default=500, help="POSTs for the creation rate (default 500)")
    parser.add_argument("--threads", type=int, default=2, help="threads for the parallel creation rate")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the list queries")
    args = parser.parse_args()
    say(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    if connection.vendor != "postgresql":
        say("Note: not PostgreSQL; the figures mean little (set DATABASE_URL=postgres://…).")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    seed(args.n)
    say(
        f"Database: {Incident.objects.count()} incidents, "
        f"{IncidentTimelineEntry.objects.count()} timeline entries."
    )
    measure(args.requests)
    say("Creation rate through the API (routing, priority, timeline, outbox, on-commit enqueue):")
    create_rate(args.creates, args.threads)
    if args.explain:
        explain()
    say(f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
