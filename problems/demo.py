"""Demo data of problem management (``manage.py seed_demo``): a problem in every state, a known
error with incidents waiting for it, a problem resolved together with its incidents, and a planted
recurring pattern of incidents that trend detection turns into a candidate. Idempotent: problems
and incidents are recognised by their short descriptions and never created twice."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from core.choices import TimelineKind
from core.models import Category, SupportGroup, User
from incidents import services as incident_services
from incidents.models import Incident
from problems import services
from problems.choices import Audience, ResolutionCode, State, TaskType
from problems.models import Problem, ProblemCandidate, ProblemIncident
from problems.roles import PROBLEM_MANAGER

# The recurring pattern trend detection should find: same category, similar words, no problem.
PATTERN = [
    ("External monitor stays black after waking the laptop", "alice"),
    ("Monitor on docking station black after wake from sleep", "bob"),
    ("Laptop wakes up but external monitor stays black", "carol"),
    ("External monitor black after sleep, docking station", "dave"),
    ("After sleep the external monitor stays black", "alice"),
]


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _category(base: dict, path: str) -> Category | None:
    return base.get("categories", {}).get(path) or Category.objects.filter(path=path).first()


def _incident(
    base: dict, *, caller: str, text: str, by: User, category=None, days_ago: float = 0, **extra
) -> Incident:
    existing = Incident.objects.filter(short_description=text).first()
    if existing is not None:
        return existing
    users = base["users"]
    incident = incident_services.create_incident(
        by=by,
        caller=users[caller],
        short_description=text,
        category=category,
        contact_channel="portal",
        **extra,
    )
    if days_ago:
        # Reported days ago: the creation is moved back (once, right after writing it), and the
        # SLA timers are replayed from the whole history at the end (see _replay_backdated).
        created = timezone.now() - timedelta(days=days_ago)
        Incident.objects.filter(pk=incident.pk).update(created_at=created)
        incident.timeline.filter(kind=TimelineKind.CREATED).update(created_at=created)
        BACKDATED.append(incident.pk)
    return incident


BACKDATED: list[int] = []


def _replay_backdated() -> None:
    """Timers of the backdated incidents as their history says, not as of the seeding."""
    from incidents.models import IncidentTimelineEntry
    from slm.models import SlaTimer
    from slm.replay import replay_incidents

    ids = list(BACKDATED)
    BACKDATED.clear()
    if not ids:
        return
    SlaTimer.objects.filter(incident_id__in=ids).delete()
    IncidentTimelineEntry.objects.filter(ticket_id__in=ids, kind=TimelineKind.SLA).delete()
    replay_incidents(ids)


def _problem(text: str, create) -> tuple[Problem, bool]:
    existing = Problem.objects.filter(short_description=text).first()
    if existing is not None:
        return existing, False
    return create(), True


# Problems as the desk met them: opened this many days ago, and the demo history's incidents that
# showed the problem (by short description, within the days before the problem was opened or
# since, while it was open; at most LINKS_PER_PROBLEM of them).
HISTORY = {
    "Intermittent Wi-Fi drops in building B": (6, ["Wi-Fi drops in meeting room Oslo"]),
    "Slow sign-in on Monday mornings": (17, []),
    "Calendar invitations arrive twice": (24, []),
    "Outlook hangs when opening shared mailboxes": (40, []),
    "VPN client disconnects after the laptop sleeps": (75, []),
    "Printer driver crashes after the Windows update": (120, ["Cannot print to PRN-204 from my laptop"]),
    "Keyboards failing on the third floor": (33, []),
}


LINKS_PER_PROBLEM = 8


def _history(users: dict) -> None:
    """Backdate the demo problems and link the history's incidents that showed them, so that the
    "open problems by age" and "incidents per problem" widgets have something to say."""
    now = timezone.now()
    links = []
    taken = set(ProblemIncident.objects.values_list("incident_id", flat=True))
    for problem in Problem.objects.filter(short_description__in=HISTORY):
        days, texts = HISTORY[problem.short_description]
        opened = now - timedelta(days=days, hours=3)
        Problem.objects.filter(pk=problem.pk).update(created_at=opened)
        first = problem.timeline.order_by("created_at", "id").first()
        if first is not None:
            problem.timeline.filter(pk=first.pk).update(created_at=opened)
        if not texts:
            continue
        end = problem.resolved_at or now
        incidents = (
            Incident.objects.filter(
                short_description__in=texts, created_at__gte=opened - timedelta(days=30), created_at__lt=end
            )
            .exclude(pk__in=taken)
            .exclude(state="cancelled")
            .order_by("created_at")
        )
        who = problem.assigned_to or users["agent"]
        incidents = list(incidents)
        step = max(1, len(incidents) // LINKS_PER_PROBLEM)
        for incident in incidents[::step][:LINKS_PER_PROBLEM]:
            linked = min(max(incident.created_at, opened) + timedelta(hours=2), now)
            links.append(ProblemIncident(problem=problem, incident=incident, linked_by=who, linked_at=linked))
            taken.add(incident.pk)
    ProblemIncident.objects.bulk_create(links)


def seed(base: dict, stdout=None) -> dict:
    BACKDATED.clear()
    users = base["users"]
    groups = base.get("groups") or {g.name: g for g in SupportGroup.objects.all()}
    agent, apps_agent, network, infra, incmgr = (
        users["agent"],
        users["apps"],
        users["network"],
        users["infra"],
        users["incmgr"],
    )
    # The incident manager also manages problems (may re-analyze closed ones).
    role, _created = Group.objects.get_or_create(name=PROBLEM_MANAGER)
    incmgr.groups.add(role)
    email = _category(base, "Software > E-mail")
    wifi = _category(base, "Network > Wi-Fi")
    vpn = _category(base, "Network > VPN")
    printer = _category(base, "Hardware > Printer")
    pc = _category(base, "Hardware > PC")
    software = _category(base, "Software > Application")
    made = []

    # new: reported, nobody assigned yet
    problem, new = _problem(
        "Intermittent Wi-Fi drops in building B",
        lambda: services.create_problem(
            by=agent,
            short_description="Intermittent Wi-Fi drops in building B",
            description="Users on floors 2-4 of building B lose Wi-Fi for a minute, a few times a day.",
            category=wifi,
            configuration_item="WLC-B-01",
            impact=2,
            urgency=2,
            assignment_group=groups.get("Network"),
        ),
    )
    made += [problem.number] if new else []

    # assess: assigned, being looked at
    problem, new = _problem(
        "Slow sign-in on Monday mornings",
        lambda: services.create_problem(
            by=agent,
            short_description="Slow sign-in on Monday mornings",
            description="Sign-in takes several minutes between 08:00 and 09:00 on Mondays.",
            category=software,
            impact=2,
            urgency=3,
            assignment_group=groups.get("Applications"),
            assigned_to=apps_agent,
        ),
    )
    made += [problem.number] if new else []

    # root cause analysis, with an investigation task
    problem, new = _problem(
        "Calendar invitations arrive twice",
        lambda: services.create_problem(
            by=agent,
            short_description="Calendar invitations arrive twice",
            description="Meeting invitations sent from phones are delivered twice to internal guests.",
            category=email,
            impact=3,
            urgency=3,
            assignment_group=groups.get("Applications"),
            assigned_to=apps_agent,
        ),
    )
    if new:
        services.transition_problem(problem, by=apps_agent, state=State.ROOT_CAUSE_ANALYSIS)
        services.create_task(
            problem,
            by=apps_agent,
            short_description="Compare message headers of duplicated invitations",
            task_type=TaskType.ROOT_CAUSE_ANALYSIS,
            assignment_group=groups.get("Applications"),
            assigned_to=apps_agent,
        )
        made.append(problem.number)

    # fix in progress + known error: incidents wait for it
    text = "Outlook hangs when opening shared mailboxes"
    problem, new = _problem(
        text,
        lambda: services.create_problem(
            by=incmgr,
            short_description=text,
            description="Outlook stops responding for minutes when a large shared mailbox is opened.",
            category=email,
            configuration_item="Outlook desktop client",
            impact=2,
            urgency=2,
            assignment_group=groups.get("Applications"),
            assigned_to=apps_agent,
        ),
    )
    if new:
        waiting = [
            _incident(base, caller=c, text=t, by=agent, category=email, days_ago=d)
            for c, t, d in [
                ("alice", "Outlook freezes when I open the Sales mailbox", 9),
                ("carol", "Outlook not responding with shared mailbox", 6),
                ("dave", "Outlook hänger sig när jag öppnar den delade brevlådan", 3),
            ]
        ]
        services.transition_problem(problem, by=apps_agent, state=State.ROOT_CAUSE_ANALYSIS)
        services.update_problem(
            problem,
            by=apps_agent,
            changes={
                "root_cause": "Cached Exchange mode downloads the whole shared mailbox when it is opened.",
                "workaround": (
                    "Open the shared mailbox in Outlook on the web (https://mail.example.com) until "
                    "the fixed client configuration is rolled out."
                ),
                "symptoms": "Outlook stops responding for several minutes after you open a shared mailbox.",
            },
        )
        services.link_incidents(problem, by=apps_agent, incidents=waiting, hold=True)
        services.transition_problem(problem, by=apps_agent, state=State.FIX_IN_PROGRESS)
        services.create_task(
            problem,
            by=apps_agent,
            short_description="Roll out the client setting that turns off caching of shared mailboxes",
            assignment_group=groups.get("Infrastructure"),
            assigned_to=infra,
        )
        # The knowledge manager publishes the known error article for everyone at once.
        services.mark_known_error(problem, by=users.get("kbmgr", apps_agent), audience=Audience.EVERYONE)
        made.append(problem.number)

    # resolved together with its incidents
    text = "VPN client disconnects after the laptop sleeps"
    problem, new = _problem(
        text,
        lambda: services.create_problem(
            by=agent,
            short_description=text,
            category=vpn,
            configuration_item="VPN client 5.2",
            impact=2,
            urgency=2,
            assignment_group=groups.get("Network"),
            assigned_to=network,
        ),
    )
    if new:
        linked = [
            _incident(base, caller=c, text=t, by=agent, category=vpn, days_ago=d)
            for c, t, d in [
                ("bob", "VPN drops every time I open the lid", 20),
                ("carol", "Have to reconnect VPN after lunch break", 18),
            ]
        ]
        services.link_incidents(problem, by=network, incidents=linked)
        services.transition_problem(problem, by=network, state=State.ROOT_CAUSE_ANALYSIS)
        services.update_problem(
            problem,
            by=network,
            changes={
                "root_cause": "VPN client 5.2 does not renew its session when the network adapter resumes.",
                "workaround": "Reconnect the VPN from the tray icon after waking the laptop.",
            },
        )
        services.transition_problem(problem, by=network, state=State.FIX_IN_PROGRESS)
        services.resolve_problem(
            problem,
            by=network,
            resolution_code=ResolutionCode.FIX_APPLIED,
            fix_description="VPN client 5.3, which renews the session on resume, is on all laptops.",
            resolve_incidents=True,
        )
        made.append(problem.number)

    # closed
    text = "Printer driver crashes after the Windows update"
    problem, new = _problem(
        text,
        lambda: services.create_problem(
            by=agent,
            short_description=text,
            category=printer,
            impact=3,
            urgency=2,
            assignment_group=groups.get("Infrastructure"),
            assigned_to=infra,
        ),
    )
    if new:
        services.transition_problem(problem, by=infra, state=State.ROOT_CAUSE_ANALYSIS)
        services.update_problem(
            problem,
            by=infra,
            changes={"root_cause": "The old universal driver is incompatible with the update."},
        )
        services.transition_problem(problem, by=infra, state=State.FIX_IN_PROGRESS)
        services.resolve_problem(
            problem,
            by=infra,
            resolution_code=ResolutionCode.FIX_APPLIED,
            fix_description="Driver 7.1 deployed through software distribution.",
            resolve_incidents=False,
        )
        services.close_problem(problem, by=infra)
        made.append(problem.number)

    # cancelled
    text = "Keyboards failing on the third floor"
    problem, new = _problem(
        text,
        lambda: services.create_problem(by=agent, short_description=text, category=pc, impact=3, urgency=3),
    )
    if new:
        services.cancel_problem(
            problem, by=agent, reason="Individual hardware faults with no common cause; handled as incidents."
        )
        made.append(problem.number)

    # The planted recurring pattern, spread over the last days, and one detection run.
    for index, (text, caller) in enumerate(PATTERN):
        _incident(base, caller=caller, text=text, by=agent, category=pc, days_ago=5 - index)
    _replay_backdated()
    if made:
        _history(users)
    result = services.detect_trends()
    candidates = ProblemCandidate.objects.filter(status="open").count()
    _say(
        stdout,
        f"Problems: {len(made)} created, {Problem.objects.count()} in all; "
        f"trend detection: {len(result.created)} new candidate(s), {candidates} open.",
    )
    return {"problems": {p.short_description: p for p in Problem.objects.all()}}
