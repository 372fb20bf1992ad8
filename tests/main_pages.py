"""The main agent and portal pages with believable data behind them, for the checks that go over
every page (untranslated strings under Swedish, axe-core accessibility, Content-Security-Policy).

``seed_main_pages(language)`` writes the data through the services, like the product does: a
desk, a "lead" agent who holds every agent role (so every agent page answers 200), an end user
with an incident, a problem, a change, a published article in each language and an accepted
major incident announced on the portal. It returns the pages to visit for each side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation

from core import roles
from core.models import Desk, Organization, SupportGroup
from tests.conftest import make_user


@dataclass
class MainPages:
    agent_username: str
    end_user_username: str
    agent: list[tuple[str, str]] = field(default_factory=list)  # (name, url)
    portal: list[tuple[str, str]] = field(default_factory=list)


def seed_main_pages(language: str = "en") -> MainPages:
    """Data written as its users would write it: texts the services store (timeline entries,
    version notes) are in ``language``, as they are when a user of that language acts."""
    with translation.override(language):
        return _seed(language)


def _seed(language: str) -> MainPages:
    from changes import services as change_services
    from changes.choices import ChangeState, ChangeType
    from changes.models import ChangeRequest
    from incidents import major
    from incidents import services as incident_services
    from knowledge import services as kb_services
    from knowledge.choices import Action
    from problems import services as problem_services
    from slm.models import BusinessCalendar, Service, SlaPolicy, SlaTarget

    for name in roles.AGENT_ROLES:
        Group.objects.get_or_create(name=name)
    desk = Desk.objects.create(name="IT Service Desk", slug="it-main", email="it-main@example.com")
    group = SupportGroup.objects.create(name="Service Desk", desk=desk, line_level=1, email="sd@example.com")
    lead = make_user(
        "lead",
        role_list=[
            roles.AGENT,
            roles.INCIDENT_MANAGER,
            roles.CHANGE_MANAGER,
            roles.SERVICE_LEVEL_MANAGER,
            roles.KNOWLEDGE_MANAGER,
            roles.PROBLEM_MANAGER,
        ],
        language=language,
    )
    group.members.add(lead)
    caller = make_user("anna", organization=Organization.objects.create(name="Acme"), language=language)
    service = Service.objects.create(name="Exchange", desk=desk)
    # Round-the-clock SLA so that every incident has timers (SLA panel, breaching list).
    calendar = BusinessCalendar.objects.create(name="24x7", time_zone="Europe/Stockholm", is_24x7=True)
    policy = SlaPolicy.objects.create(name="Standard", calendar=calendar)
    SlaTarget.objects.bulk_create(
        [
            SlaTarget(policy=policy, metric="response", priority=None, target_minutes=60),
            SlaTarget(policy=policy, metric="resolution", priority=None, target_minutes=480),
        ]
    )

    incident = incident_services.create_incident(
        by=caller,
        caller=caller,
        desk=desk,
        short_description="Printer on floor 3 does not print",
        description="Since the toner was changed.",
        contact_channel="portal",
        urgency=1,
        impact=2,  # P2
    )
    incident_services.create_incident(
        by=caller,
        caller=caller,
        desk=desk,
        short_description="Monitor flickers",
        urgency=2,
        impact=2,  # P3
    )
    incident_services.assign_incident(incident, by=lead, group=group, assignee=lead)
    outage = incident_services.create_incident(
        by=lead, caller=caller, desk=desk, short_description="E-mail is down for everyone", service=service
    )
    major.propose_major(outage, by=lead, reason="Nobody can send or receive e-mail.")
    major.accept_major(outage, by=lead, public_title="E-mail disruption")

    problem = problem_services.create_problem(
        by=lead, short_description="Mail delivery delayed for many users"
    )
    start = timezone.now() + timedelta(days=1)
    change = change_services.create_change(
        by=lead,
        change_type=ChangeType.NORMAL,
        short_description="Upgrade the mail servers",
        services=[service],
        configuration_items=[],
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        implementation_plan="Do it step by step.",
        backout_plan="Restore the snapshot.",
    )
    # Finished and in-review changes look different on the calendar: they must stay readable.
    for state, hours in ((ChangeState.REVIEW, 3), (ChangeState.CLOSED, 5)):
        other = change_services.create_change(
            by=lead,
            change_type=ChangeType.NORMAL,
            short_description=f"Patch the file servers ({state})",
            services=[],
            configuration_items=[],
            planned_start=start + timedelta(hours=hours),
            planned_end=start + timedelta(hours=hours + 1),
            implementation_plan="Patch.",
            backout_plan="Uninstall the patch.",
        )
        ChangeRequest.objects.filter(pk=other.pk).update(state=state)  # test data: a late life-cycle state
    articles = {}
    for lang, title in (("en", "Printer shows as offline"), ("sv", "Skrivaren visas som frånkopplad")):
        article = kb_services.create_article(
            by=lead, title=title, body=f"**{title}**: 1. 2. 3.", summary=title, language=lang
        )
        article = kb_services.perform_action(article, by=lead, action=Action.SUBMIT)
        articles[lang] = kb_services.perform_action(article, by=lead, action=Action.PUBLISH)

    pages = MainPages(agent_username="lead", end_user_username="anna")
    pages.agent = [
        ("agent home", reverse("agent-home")),
        ("incident queue", reverse("incidents:agent-queue") + "?view=open"),
        ("incident detail", reverse("incidents:agent-detail", args=[incident.number])),
        ("create incident", reverse("incidents:agent-create")),
        ("major incident board", reverse("major:board")),
        ("major incident detail", reverse("incidents:agent-detail", args=[outage.number])),
        ("problems", reverse("problems:queue")),
        ("problem detail", reverse("problems:detail", args=[problem.number])),
        ("changes", reverse("changes:queue")),
        ("change detail", reverse("changes:detail", args=[change.number])),
        ("change calendar", reverse("changes:calendar")),
        ("knowledge", reverse("kb-agent-list")),
        ("knowledge article", reverse("kb-agent-detail", args=[articles["en"].number])),
        ("SLM reports", reverse("slm:reports")),
        ("SLM breaching", reverse("slm:breaching")),
        ("SLM demand report", reverse("slm:report-demand") + "?start=&end="),
        ("SLM compliance report", reverse("slm:report-compliance") + "?start=&end="),
    ]
    pages.portal = [
        ("portal home", reverse("portal-home")),
        ("report form", reverse("incidents:portal-report")),
        ("my incidents", reverse("incidents:portal-list")),
        ("portal incident detail", reverse("incidents:portal-detail", args=[incident.number])),
        ("portal knowledge", reverse("kb-portal-home")),
        ("portal article", reverse("kb-portal-detail", args=[articles["en"].number])),
    ]
    return pages
