"""Demo incidents: about 200 realistic tickets of the last 60 days, in every state. Idempotent.

Every incident is written through ``incidents.services`` (numbers, priority, routing, timeline,
outbox rows), exactly like a real one. Afterwards its timestamps are **backdated** with direct
UPDATEs (``created_at``, the timeline entries, ``resolved_at`` …), so that queues, ages and
reports look lived-in. Timeline entries are append-only for the product; the demo rewrites their
``created_at`` only, once, right after writing them.

Notifications: the demo's outbox rows are kept (they show what each event sends) but marked
*cancelled* with a note, so that the first ``make run`` does not deliver some 900 mails to
the demo people's made-up addresses (``var/mail/`` in the embedded set-up). Anything that happens
after seeding is delivered normally.

Resolved demo incidents were resolved within the last few days, so the auto-close sweep does not
close a batch of them as soon as the worker starts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.choices import TimelineKind
from incidents import services
from incidents.choices import HoldReason, State
from incidents.models import Incident, IncidentTimelineEntry, RoutingRule
from notifications.models import Notification, Status

DEMO_CALLERS = ("alice", "bob", "carol", "dave")
SEED = 20260601

# Routing rules: category -> group (first match wins).
ROUTING = [
    ("Printers to the Service Desk", 10, "Hardware > Printer", "Service Desk"),
    ("Network to the Network group", 20, "Network", "Network"),
    ("Payroll to Payroll", 30, "HR > Payroll", "Payroll"),
]


@dataclass(frozen=True)
class Scenario:
    category: str
    group: str
    short: str
    description: str
    impact: int = 3
    urgency: int = 3
    service: str = ""
    resolution: str = "Fixed."


SCENARIOS = [
    Scenario(
        "Hardware > Printer",
        "Service Desk",
        "Printer on floor 3 shows a paper jam but is empty",
        "The display says 'Jam in tray 2'. I opened every tray, there is no paper stuck.",
        urgency=2,
        resolution="Removed a torn label from the fuser unit and reset the jam sensor.",
    ),
    Scenario(
        "Hardware > Printer",
        "Service Desk",
        "Cannot print to PRN-204 from my laptop",
        "Jobs stay in the queue with status 'Error - Printing'. Colleagues can print.",
        resolution="Re-installed the print driver; the old one was pushed by a broken package.",
    ),
    Scenario(
        "Hardware > Printer",
        "Service Desk",
        "Finance printer prints blank pages",
        "Every page comes out empty since this morning. Toner shows 60%.",
        impact=2,
        resolution="Replaced the imaging drum (vendor part delivered on site).",
    ),
    Scenario(
        "Hardware > PC",
        "Service Desk",
        "Laptop does not boot after the Windows update",
        "It shows the logo and restarts in a loop. I need it for a customer meeting at 14:00.",
        urgency=1,
        resolution="Rolled back the cumulative update from the recovery console; update deferred.",
    ),
    Scenario(
        "Hardware > PC",
        "Service Desk",
        "Blue screen when I connect the docking station",
        "Stop code DRIVER_IRQL_NOT_LESS_OR_EQUAL, every time the USB-C dock is plugged in.",
        resolution="Updated the dock firmware and the Thunderbolt driver.",
    ),
    Scenario(
        "Hardware > PC",
        "Service Desk",
        "External monitor flickers",
        "The second screen goes black for a second every few minutes.",
        resolution="Replaced the DisplayPort cable.",
    ),
    Scenario(
        "Hardware > Server",
        "Infrastructure",
        "File server FS02 is very slow",
        "Opening files on the S: drive takes a minute. Several colleagues have the same problem.",
        impact=2,
        urgency=2,
        resolution="A backup job ran during office hours; rescheduled it to 22:00 and cleared the queue.",
    ),
    Scenario(
        "Network > VPN",
        "Network",
        "VPN disconnects every ten minutes",
        "Working from home; the VPN client drops and reconnects all the time.",
        urgency=2,
        service="VPN",
        resolution="The client used an old gateway profile; pushed the current profile.",
    ),
    Scenario(
        "Network > VPN",
        "Network",
        "Cannot connect to the VPN from a hotel network",
        "Error 809 when connecting. Travelling until Friday.",
        service="VPN",
        resolution="The hotel blocks IPsec; enabled the SSL fallback for the user.",
    ),
    Scenario(
        "Network > VPN",
        "Network",
        "VPN certificate expired",
        "The client says my certificate expired yesterday.",
        urgency=2,
        service="VPN",
        resolution="Issued a new certificate and confirmed the connection with the caller.",
    ),
    Scenario(
        "Network > Wi-Fi",
        "Network",
        "Wi-Fi drops in meeting room Oslo",
        "Laptops lose the connection during video calls in that room.",
        impact=2,
        resolution="Replaced the failing access point AP-2-07.",
    ),
    Scenario(
        "Network > Wi-Fi",
        "Network",
        "Guest Wi-Fi login page does not load",
        "Visitors cannot get past the captive portal.",
        impact=2,
        urgency=2,
        resolution="Renewed the captive portal certificate.",
    ),
    Scenario(
        "Software > E-mail",
        "Applications",
        "Outlook keeps asking for my password",
        "The prompt comes back every few minutes even though the password is correct.",
        service="E-mail",
        resolution="Cleared cached credentials and re-created the Outlook profile.",
    ),
    Scenario(
        "Software > E-mail",
        "Applications",
        "Shared mailbox 'orders' disappeared from Outlook",
        "I could see it yesterday; today it is gone.",
        urgency=2,
        service="E-mail",
        resolution="Restored the mailbox permission removed by a group clean-up.",
    ),
    Scenario(
        "Software > E-mail",
        "Applications",
        "Mail to a customer domain bounces",
        "Every mail to @nordic.example comes back with 550 5.7.1.",
        impact=2,
        urgency=1,
        service="E-mail",
        resolution="Our SPF record lacked the new relay; DNS updated, mail flows again.",
    ),
    Scenario(
        "Software > Application",
        "Applications",
        "ERP order screen times out",
        "Saving an order takes two minutes and then fails with a timeout.",
        impact=2,
        urgency=1,
        service="ERP",
        resolution="Rebuilt a fragmented index on the order table; saves take a second again.",
    ),
    Scenario(
        "Software > Application",
        "Applications",
        "Expense app crashes when uploading a receipt",
        "The app closes as soon as I pick a photo.",
        resolution="Known bug in version 4.2; installed 4.2.1.",
    ),
    Scenario(
        "Software > Application",
        "Applications",
        "Teams does not find my camera",
        "The camera works in other apps but Teams shows 'no camera found'.",
        resolution="Reset the Teams cache and re-granted camera access in privacy settings.",
    ),
    Scenario(
        "Access > Password",
        "Service Desk",
        "Locked out after changing my password",
        "My account is locked since I changed the password this morning.",
        urgency=1,
        resolution="Unlocked the account; an old phone kept retrying the previous password.",
    ),
    Scenario(
        "Access > Password",
        "Service Desk",
        "Lost my MFA phone",
        "My phone was stolen; I cannot sign in without the authenticator.",
        urgency=1,
        resolution="Verified identity, revoked the old device and enrolled the new phone.",
    ),
    Scenario(
        "Access > Permissions",
        "Service Desk",
        "No access to the project share",
        "I joined project Atlas and need the P:\\Atlas folder.",
        resolution="Added the user to the Atlas group after the project manager approved.",
    ),
    Scenario(
        "Access > Permissions",
        "Service Desk",
        "SharePoint site says access denied",
        "The Sales site worked last week.",
        resolution="Re-added the user to the Sales members group.",
    ),
    Scenario(
        "HR > Payroll",
        "Payroll",
        "My payslip for last month is missing",
        "The payslip is not in the portal; colleagues have theirs.",
        urgency=2,
        service="Payroll",
        resolution="The payslip was filed under a duplicate employee record; merged the records.",
    ),
    Scenario(
        "HR > Payroll",
        "Payroll",
        "Wrong tax table on my salary",
        "The tax deducted is much higher than usual.",
        urgency=2,
        service="Payroll",
        resolution="Corrected the tax table; the difference is paid with the next salary.",
    ),
    Scenario(
        "HR > Payroll",
        "Payroll",
        "Overtime is missing from my payslip",
        "I reported 12 hours of overtime in March.",
        service="Payroll",
        resolution="The overtime was approved after the payroll cut-off; added to this month.",
    ),
    Scenario(
        "HR > Onboarding",
        "HR Service Desk",
        "New hire has no account on the first day",
        "Our new colleague started today and cannot sign in anywhere.",
        impact=2,
        urgency=1,
        resolution="The HR record had no start date; created the account and sent the credentials.",
    ),
]

AGENT_COMMENTS = [
    "Thanks for reporting this. We are looking into it.",
    "Could you send us a screenshot of the error message?",
    "We have pushed a fix to your computer; please restart it and let us know.",
    "A technician will come by your desk this afternoon.",
    "We can reproduce the problem and are working on it.",
]
WORK_NOTES = [
    "Checked the logs: the service restarted at 08:12, no errors before.",
    "Same symptom as last week's ticket; probably related.",
    "Remote session done, cache cleared. Waiting to see if it comes back.",
    "Asked the second line for advice in the team channel.",
    "Vendor support case opened, reference 4471-22.",
]
CALLER_REPLIES = [
    "It happened again just now.",
    "Thank you! I will try that.",
    "I have attached nothing new, but it is still the same.",
    "Yes, I restarted; no change.",
]
HOLD_COMMENTS = {
    HoldReason.AWAITING_CALLER: "Could you tell us the asset tag on the device (the sticker under it)?",
    HoldReason.AWAITING_VENDOR: "Waiting for the vendor to deliver a replacement part.",
    HoldReason.AWAITING_CHANGE: "A fix is scheduled in the next maintenance window.",
    HoldReason.AWAITING_PROBLEM: "Linked to an ongoing problem investigation.",
}
CANCEL_REASONS = [
    "Duplicate of an existing ticket.",
    "Raised by mistake; the caller solved it before we started.",
    "Not an incident: passed to the access request process.",
]
REJECT_REASONS = ["It is still happening this morning.", "Worked for a day, now it is broken again."]

# Final states, in the proportions of a service desk's last two months.
STATE_PLAN = (
    [State.NEW] * 15
    + [State.IN_PROGRESS] * 26
    + [State.ON_HOLD] * 12
    + [State.RESOLVED] * 15
    + [State.CLOSED] * 120
    + [State.CANCELLED] * 12
)
# Age in days of an incident ending in each state.
AGE_RANGE = {
    State.NEW: (0.02, 2.0),
    State.IN_PROGRESS: (0.1, 20.0),
    State.ON_HOLD: (1.0, 25.0),
    State.RESOLVED: (0.5, 4.0),
    State.CLOSED: (8.0, 60.0),
    State.CANCELLED: (0.5, 60.0),
}


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def seed(base: dict, stdout=None) -> dict | None:
    users = base["users"]
    callers = [users[name] for name in DEMO_CALLERS]
    rules = _routing_rules(base)
    existing = Incident.objects.filter(caller__in=callers)
    if existing.exists():
        _say(stdout, f"Demo incidents are in place ({existing.count()}); left as they are.")
        return {"incidents": list(existing.order_by("id")), "routing_rules": rules}

    rng = random.Random(SEED)
    last_notification = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    now = timezone.now()
    plan = [(state, rng.uniform(*AGE_RANGE[state])) for state in STATE_PLAN]
    plan.sort(key=lambda item: -item[1])  # oldest first, so numbers grow with the creation time
    holds = iter(list(HoldReason) * 5)
    reopen_every = 7
    incidents = []
    with transaction.atomic():
        for index, (state, age) in enumerate(plan):
            story = _Story(base, rng, now=now, age=age, hold=next(holds) if state == State.ON_HOLD else None)
            incidents.append(story.play(state, reopen=index % reopen_every == 3, index=index))
        quiet = Notification.objects.filter(pk__gt=last_notification, status=Status.PENDING).update(
            status=Status.CANCELLED, last_error="Demo data: not sent."
        )
    _say(
        stdout,
        f"Created {len(incidents)} demo incidents (backdated over 60 days; {quiet} demo mails not sent).",
    )
    return {"incidents": incidents, "routing_rules": rules}


def _routing_rules(base: dict) -> list[RoutingRule]:
    rules = []
    for name, order, category, group in ROUTING:
        rule, _created = RoutingRule.objects.get_or_create(
            name=name,
            defaults={
                "order": order,
                "category": base["categories"][category],
                "assignment_group": base["groups"][group],
            },
        )
        rules.append(rule)
    return rules


class _Story:
    """One incident's life, played through the services, then moved back in time."""

    def __init__(self, base: dict, rng: random.Random, *, now, age: float, hold):
        self.base, self.rng, self.now, self.age, self.hold = base, rng, now, age, hold
        self.scenario = rng.choice(SCENARIOS)
        self.caller = base["users"][rng.choice(DEMO_CALLERS)]
        self.group = base["groups"][self.scenario.group]
        members = [user for user in self.group.members.all() if user.is_active]
        self.agent = rng.choice(members)
        self.services = base.get("services", {})

    def play(self, state: str, *, reopen: bool, index: int) -> Incident:
        scenario, rng, caller, agent = self.scenario, self.rng, self.caller, self.agent
        channel = rng.choice(["portal", "portal", "email", "phone"])
        routed = any(scenario.category.startswith(category) for _name, _order, category, _group in ROUTING)
        incident = services.create_incident(
            by=caller if channel != "phone" else agent,
            caller=caller,
            short_description=scenario.short,
            description=scenario.description,
            desk=self.group.desk,
            contact_channel=channel,
            service=self.services.get(scenario.service) if scenario.service else None,
            category=self.base["categories"][scenario.category],
            impact=scenario.impact,
            urgency=scenario.urgency,
            assignment_group=None if routed else self.group,
        )
        if state == State.NEW:
            if rng.random() < 0.3:
                services.add_comment(incident, by=agent, body=rng.choice(WORK_NOTES), public=False)
            return self.backdate(incident, state)
        if state == State.CANCELLED and rng.random() < 0.5:
            services.cancel_incident(incident, by=agent, reason=rng.choice(CANCEL_REASONS))
            return self.backdate(incident, state)
        services.assign_incident(incident, by=agent, group=self.group, assignee=agent)
        services.add_comment(incident, by=agent, body=rng.choice(AGENT_COMMENTS), public=True)
        if rng.random() < 0.5:
            services.add_comment(incident, by=agent, body=rng.choice(WORK_NOTES), public=False)
        if rng.random() < 0.4:
            services.add_comment(incident, by=caller, body=rng.choice(CALLER_REPLIES), public=True)
        if state == State.IN_PROGRESS:
            return self.backdate(incident, state)
        if state == State.ON_HOLD:
            services.put_on_hold(incident, by=agent, hold_reason=self.hold, comment=HOLD_COMMENTS[self.hold])
            return self.backdate(incident, state)
        if state == State.CANCELLED:
            services.cancel_incident(incident, by=agent, reason=rng.choice(CANCEL_REASONS))
            return self.backdate(incident, state)
        code = rng.choice(["solution_provided"] * 4 + ["workaround_provided", "user_error"])
        services.resolve_incident(
            incident, by=agent, resolution_code=code, resolution_notes=scenario.resolution
        )
        if reopen:
            services.reject_resolution(incident, by=caller, reason=rng.choice(REJECT_REASONS))
            services.add_comment(incident, by=agent, body=rng.choice(WORK_NOTES), public=False)
            services.resolve_incident(
                incident, by=agent, resolution_code="solution_provided", resolution_notes=scenario.resolution
            )
        if state == State.CLOSED:
            if rng.random() < 0.6:
                services.accept_resolution(incident, by=caller)
                if rng.random() < 0.7:
                    services.rate_resolution(incident, by=caller, score=rng.choice([3, 4, 5, 5, 5]))
            else:
                days = settings.INCIDENT_AUTO_CLOSE_DAYS or 7
                services.transition_incident(
                    incident,
                    by=services.system_user(),
                    state=State.CLOSED,
                    comment=f"Closed automatically {days} days after resolution.",
                )
        return self.backdate(incident, state)

    def backdate(self, incident: Incident, state: str) -> Incident:
        """Spread the timeline from ``age`` days ago over a plausible working time."""
        start = self.now - timedelta(days=self.age)
        if state in (State.NEW, State.IN_PROGRESS, State.ON_HOLD):
            span = timedelta(days=self.age) * self.rng.uniform(0.1, 0.9)
        else:
            span = timedelta(hours=self.rng.uniform(0.5, min(self.age * 24 * 0.8, 96)))
        entries = list(incident.timeline.order_by("id"))
        last = max(len(entries) - 1, 1)
        for position, entry in enumerate(entries):
            entry.created_at = start + span * (position / last)
        if state == State.CLOSED and entries[-1].author and entries[-1].author.username == "system":
            # Closed by the sweep: N days after the (last) resolution.
            resolution = [e for e in entries if e.data.get("state", [None, None])[1] == State.RESOLVED][-1]
            entries[-1].created_at = min(
                resolution.created_at + timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS or 7),
                self.now - timedelta(minutes=5),
            )
        IncidentTimelineEntry.objects.bulk_update(entries, ["created_at"])

        def at(target: str):
            moves = [
                e for e in entries if e.kind == TimelineKind.STATE_CHANGE and e.data["state"][1] == target
            ]
            return moves[-1].created_at if moves else None

        public_agent = [
            e
            for e in entries
            if e.kind == TimelineKind.COMMENT and e.author_id not in (None, incident.caller_id)
        ]
        reopened = [
            e
            for e in entries
            if e.kind == TimelineKind.STATE_CHANGE and e.data["state"] == [State.RESOLVED, State.IN_PROGRESS]
        ]
        Incident.objects.filter(pk=incident.pk).update(
            created_at=start,
            updated_at=entries[-1].created_at,
            first_response_at=public_agent[0].created_at if public_agent else None,
            resolved_at=at(State.RESOLVED) if incident.resolved_at else None,
            closed_at=at(State.CLOSED) or at(State.CANCELLED) if incident.closed_at else None,
            last_reopened_at=reopened[-1].created_at if reopened else None,
        )
        incident.refresh_from_db()
        return incident
