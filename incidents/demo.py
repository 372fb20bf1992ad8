"""Demo incidents: six months of service desk history, written in bulk. Idempotent.

About 3,000 incidents arrive as a service desk sees them (weekday office-hour peaks, a few in the
evening, fewer at weekends and on Swedish public holidays). Each one lives a plausible life:
routing or assignment by the first line, a first response, work notes, holds (awaiting the
caller, a vendor, a change, a problem), functional escalation to the second line, priority
changes, resolution, sometimes a rejected resolution and a reopening, closing by the caller or by
the auto-close rule seven days later, and a satisfaction rating. Response and resolution times
follow the priority, with a tail of slow ones, so that some targets are missed.

The life is simulated first and cut at the present: whatever would happen later has not happened
yet, so the incidents of the last days are still new, in progress or on hold, exactly as the
timeline says. Each incident row is derived from its own timeline (state, dates, counters,
rating). Rows are inserted in bulk (no services, so no outbox rows and no tasks: history sends no
mail), then the SLA engine replays the timelines (``slm.replay``) into timers, segments and the
service-level timeline entries, breaches included, without notifying anyone.

Deterministic: the random generator is seeded, and every instant is relative to the moment of
seeding. Resolved incidents that are not yet seven days old stay resolved, so the auto-close
sweep finds nothing to close when the worker starts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from core import bulk
from core.choices import TimelineKind
from core.models import Sequence, User
from incidents.choices import HoldReason, State
from incidents.models import Incident, IncidentTimelineEntry, RoutingRule
from incidents.rules import priority_for
from incidents.services import priority_matrix, system_user

DEMO_CALLERS = ("alice", "bob", "carol", "dave")
SEED = 20260601
HISTORY_DAYS = 182
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# When the desk's people work (the IT calendar's service hours are 05:00-18:00).
WORK_START, WORK_END = time(6), time(18)

# Routing rules: category -> group (first match wins).
ROUTING = [
    ("Printers to the Service Desk", 10, "Hardware > Printer", "Service Desk"),
    ("Network to the Network group", 20, "Network", "Network"),
    ("Payroll to Payroll", 30, "HR > Payroll", "Payroll"),
]

# The service of the catalog (slm.demo) an incident of a category is about, unless it names one.
SERVICE_OF_CATEGORY = {
    "Hardware > Printer": "Printing",
    "Hardware > PC": "Laptops and PCs",
    "Network > VPN": "VPN",
    "Network > Wi-Fi": "Wi-Fi",
    "Software > E-mail": "E-mail",
    "Access > Password": "Accounts and access",
    "Access > Permissions": "Accounts and access",
    "HR > Payroll": "Payroll",
    "HR > Onboarding": "Onboarding",
}

# Employees who report incidents besides the four demo end users (no password: they never
# sign in). first, last, language, organisation
EMPLOYEES = [
    (first, last, "sv" if index % 3 else "en", "Acme Logistics" if index % 5 < 3 else "Nordic Finance")
    for index, (first, last) in enumerate(
        zip(
            "Anna Erik Maria Lars Karin Per Eva Johan Lena Anders Sofia Mikael Emma Fredrik Ida Jonas "
            "Linnea Oskar Elin Gustav Maja Henrik Sara Viktor Frida Magnus Klara David Amanda Niklas "
            "Hanna Daniel Ebba Robert Julia Peter Alva Martin Wilma Tobias".split(),
            "Berg Lund Holm Nyberg Sjöberg Wallin Engström Ek Forsberg Lindgren Axelsson Hedlund "
            "Sandberg Björk Strand Falk Lindqvist Öberg Blom Hansson Nordin Larsson Nyström Åberg "
            "Hellström Lindholm Sundberg Jakobsson Bergström Dahl Mattsson Eklund Hermansson Söderberg "
            "Isaksson Lundin Fredriksson Gustafsson Persson Sundqvist".split(),
            strict=True,
        )
    )
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
    weight: int = 3  # how often it happens, relative to the others


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


REJECT_REASONS = ["It is still happening this morning.", "Worked for a day, now it is broken again."]
RATING_COMMENTS = {
    1: ["Took far too long, and nobody told me what was going on."],
    2: ["Solved in the end, but I had to chase it twice."],
    3: ["OK.", ""],
    4: ["", "Thanks!", "Quick help, thank you."],
    5: ["", "Great service, thank you!", "Fixed within minutes, impressive.", "Thanks for the quick help!"],
}

# Incidents per local weekday (Monday first), and the weight of each local hour of a weekday.
DAILY_MEAN = [26.0, 24.0, 23.0, 22.0, 18.0, 2.5, 2.0]
WEEKDAY_HOURS = [
    0.15, 0.1, 0.1, 0.1, 0.15, 0.4, 1.2, 3.0, 8.0, 10.0, 9.0, 7.5,
    5.0, 8.0, 8.5, 7.0, 5.0, 3.0, 1.5, 1.2, 1.0, 0.7, 0.4, 0.25,
]  # fmt: skip
WEEKEND_HOURS = [0.3] * 8 + [1.0, 1.5, 2.0, 2.0, 2.0, 2.0, 2.0, 1.5, 1.5, 1.2, 1.0, 1.0, 0.8, 0.6, 0.4, 0.3]
# Working minutes to the first response, and to a fix after it, by priority: (median, spread).
RESPONSE_MINUTES = {1: (5, 0.5), 2: (10, 0.5), 3: (20, 0.6), 4: (30, 0.7), 5: (45, 0.7)}
WORK_MINUTES = {1: (100, 0.5), 2: (200, 0.5), 3: (360, 0.9), 4: (600, 0.9), 5: (900, 0.9)}
HOLD_PLAN = [
    (HoldReason.AWAITING_CALLER, 0.6, (2 * 60, 3 * 24 * 60)),
    (HoldReason.AWAITING_VENDOR, 0.2, (24 * 60, 14 * 24 * 60)),
    (HoldReason.AWAITING_CHANGE, 0.1, (24 * 60, 7 * 24 * 60)),
    (HoldReason.AWAITING_PROBLEM, 0.1, (2 * 24 * 60, 21 * 24 * 60)),
]
# Second-line groups the first line escalates to, by category.
ESCALATE_TO = {
    "Hardware > PC": "Infrastructure",
    "Hardware > Printer": "Infrastructure",
    "Access > Permissions": "Applications",
    "Access > Password": "Applications",
}


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def seed(base: dict, stdout=None) -> dict | None:
    users = base["users"]
    rules = _routing_rules(base)
    callers = [users[name] for name in DEMO_CALLERS]
    existing = Incident.objects.filter(caller__in=callers)
    if existing.exists():
        _say(stdout, f"Demo incidents are in place ({Incident.objects.count()}); left as they are.")
        return {"routing_rules": rules}
    started = timezone.now()
    with transaction.atomic():
        callers += _employees(base)
        history = History(base, callers, now=started)
        count, timers = history.write()
    _say(
        stdout,
        f"Created {count} demo incidents over {HISTORY_DAYS} days with {timers} SLA timers replayed "
        f"from their history ({(timezone.now() - started).total_seconds():.1f} s; no mail sent).",
    )
    return {"routing_rules": rules}


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


def _employees(base: dict) -> list[User]:
    orgs = base["orgs"]
    wanted = {}
    for first, last, language, org in EMPLOYEES:
        username = f"{first}.{last}".lower().translate(str.maketrans("åäöé", "aaoe"))
        wanted[username] = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{orgs[org].email_domain}",
            language=language,
            organization=orgs[org],
            password=make_password(None),  # cannot sign in
        )
    present = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    User.objects.bulk_create([user for name, user in wanted.items() if name not in present])
    return list(User.objects.filter(username__in=wanted).order_by("username"))


# --- Time ---------------------------------------------------------------------------------------


def _local(at: datetime) -> datetime:
    return at.astimezone(STOCKHOLM)


def _at_local(day, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=STOCKHOLM).astimezone(UTC)


def _next_working(at: datetime) -> datetime:
    """``at`` if the desk is working then, else when it next starts working."""
    local = _local(at)
    for _ in range(10):
        if local.weekday() < 5:
            start = local.replace(hour=WORK_START.hour, minute=WORK_START.minute, second=0, microsecond=0)
            end = local.replace(hour=WORK_END.hour, minute=WORK_END.minute, second=0, microsecond=0)
            if local < start:
                return start.astimezone(UTC)
            if local < end:
                return local.astimezone(UTC)
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def _add_work(at: datetime, minutes: float) -> datetime:
    """``at`` plus ``minutes`` of the desk's working time (weekdays 06:00-18:00 in Stockholm)."""
    local = _local(_next_working(at))
    left = timedelta(minutes=minutes)
    while True:
        end = local.replace(hour=WORK_END.hour, minute=WORK_END.minute, second=0, microsecond=0)
        if left <= end - local:
            return (local + left).astimezone(UTC)
        left -= end - local
        local = _local(_next_working(end.astimezone(UTC)))


# --- One incident's life ------------------------------------------------------------------------


@dataclass
class Event:
    at: datetime
    kind: str
    author: User | None
    public: bool = False
    body: str = ""
    data: dict = field(default_factory=dict)


class History:
    """The desk's last months: arrivals, lives, the rows derived from them."""

    def __init__(self, base: dict, callers: list[User], *, now: datetime):
        self.base, self.callers, self.now = base, callers, now
        self.rng = random.Random(SEED)
        self.matrix = priority_matrix()
        self.services = base.get("services", {})
        self.system = system_user()
        self.auto_close_days = settings.INCIDENT_AUTO_CLOSE_DAYS or 7
        self.members = {
            name: sorted((u for u in group.members.all() if u.is_active), key=lambda u: u.username)
            for name, group in base["groups"].items()
        }
        weights = [s.weight for s in SCENARIOS]
        self.pick_scenario = lambda: self.rng.choices(SCENARIOS, weights)[0]

    # Arrivals ----------------------------------------------------------------------------------

    def arrivals(self) -> list[datetime]:
        import holidays as holiday_lib

        today = _local(self.now).date()
        first = today - timedelta(days=HISTORY_DAYS)
        closed = holiday_lib.country_holidays("SE", years=range(first.year, today.year + 1))
        moments = []
        for offset in range(HISTORY_DAYS + 1):
            day = first + timedelta(days=offset)
            quiet = day.weekday() >= 5 or day in closed or (day.month, day.day) in ((12, 24), (12, 31))
            mean = DAILY_MEAN[day.weekday()] if not quiet else 2.0
            if day.month == 7:
                mean *= 0.6  # the Swedish summer holiday
            count = max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
            hours = WEEKEND_HOURS if quiet else WEEKDAY_HOURS
            for _ in range(count):
                hour = self.rng.choices(range(24), hours)[0]
                at = _at_local(day, hour, self.rng.randrange(60)) + timedelta(seconds=self.rng.randrange(60))
                if at < self.now - timedelta(minutes=3):
                    moments.append(at)
        return sorted(moments)

    # Lives -------------------------------------------------------------------------------------

    def agent_of(self, group: str) -> User:
        people = self.members[group]
        # The demo logins "agent" and "agent2" carry most of the first line.
        weights = [3 if u.username in ("agent", "agent2") else 1 for u in people]
        return self.rng.choices(people, weights)[0]

    def minutes(self, table: dict, priority: int, *, factor: float = 1.0) -> float:
        median, sigma = table[priority]
        value = median * factor * math.exp(self.rng.gauss(0, sigma))
        if self.rng.random() < 0.05:
            value *= self.rng.uniform(3, 6)  # the slow tail: lost in a queue, waiting for someone
        return max(1.0, value)

    def after(self, at: datetime, minutes: float, priority: int) -> datetime:
        """Critical work goes on around the clock; the rest in working hours."""
        if priority <= 2:
            return at + timedelta(minutes=minutes)
        return _add_work(at, minutes)

    def life(self, created: datetime) -> tuple[dict, list[Event]]:
        rng, scenario = self.rng, self.pick_scenario()
        caller = rng.choice(self.callers)
        group = self.base["groups"][scenario.group]
        impact, urgency = scenario.impact, scenario.urgency
        if rng.random() < 0.12:
            urgency = max(1, urgency - 1)
        if rng.random() < 0.01:
            impact, urgency = 1, 1  # a bad day
        priority = priority_for(impact, urgency, self.matrix)
        channel = rng.choices(["portal", "email", "phone", "walk_in"], [50, 25, 22, 3])[0]
        first_line = "HR Service Desk" if group.desk.slug == "hr" else "Service Desk"
        opener = caller if channel in ("portal", "email") else self.agent_of(first_line)
        routed = next((g for _n, _o, c, g in ROUTING if scenario.category.startswith(c)), None)
        service = scenario.service or SERVICE_OF_CATEGORY.get(scenario.category, "")
        row = {
            "short_description": scenario.short,
            "description": scenario.description,
            "caller": caller,
            "opened_by": opener,
            "desk": group.desk,
            "contact_channel": channel,
            "service": self.services.get(service),
            "category": self.base["categories"][scenario.category],
            "impact": impact,
            "urgency": urgency,
            "priority": priority,
            "assignment_group": self.base["groups"][routed] if routed else None,
            "created_at": created,
        }
        events = [
            Event(
                created,
                TimelineKind.CREATED,
                opener,
                public=True,
                data={"channel": channel, "priority": priority, "routed_to": routed},
            )
        ]
        state = State.NEW

        def move(at, new, by, *, body="", **data):
            nonlocal state
            public = new in (State.RESOLVED, State.CLOSED, State.CANCELLED) or state == State.RESOLVED
            events.append(
                Event(at, TimelineKind.STATE_CHANGE, by, public, body, {"state": [state, new], **data})
            )
            state = new

        if rng.random() < 0.035:  # a duplicate, or solved by the caller before anyone looked
            at = _add_work(created, rng.uniform(5, 120))
            move(at, State.CANCELLED, self.agent_of(first_line), body=rng.choice(CANCEL_REASONS))
            return row, events

        # The routed group, or the scenario's group (the first line triages), takes it and answers.
        owner = routed or scenario.group
        agent = self.agent_of(owner)
        t = self.after(created, self.minutes(RESPONSE_MINUTES, priority), priority)
        events.append(
            Event(
                t,
                TimelineKind.ASSIGNMENT,
                agent,
                data={
                    "assignment_group": [routed, owner],
                    "assigned_to": [None, str(agent)],
                    "functional_escalation": routed is not None and routed != owner,
                },
            )
        )
        move(t, State.IN_PROGRESS, agent)
        t += timedelta(seconds=rng.randint(20, 600))
        events.append(Event(t, TimelineKind.COMMENT, agent, True, rng.choice(AGENT_COMMENTS)))

        # Escalation to the second line now and then.
        second = ESCALATE_TO.get(scenario.category)
        if second and owner == scenario.group and rng.random() < 0.15:
            t = self.after(t, rng.uniform(20, 240), priority)
            new_agent = self.agent_of(second)
            events.append(
                Event(
                    t,
                    TimelineKind.ASSIGNMENT,
                    agent,
                    body="Needs the second line.",
                    data={
                        "assignment_group": [owner, second],
                        "assigned_to": [str(agent), str(new_agent)],
                        "functional_escalation": True,
                    },
                )
            )
            owner, agent = second, new_agent

        if rng.random() < 0.05 and urgency > 1:  # the caller's deadline moved closer
            t = self.after(t, rng.uniform(10, 180), priority)
            new_priority = priority_for(impact, urgency - 1, self.matrix)
            events.append(
                Event(
                    t,
                    TimelineKind.FIELD_CHANGE,
                    agent,
                    data={"urgency": [urgency, urgency - 1], "priority": [priority, new_priority]},
                )
            )
            urgency, priority = urgency - 1, new_priority

        work = self.minutes(WORK_MINUTES, priority, factor=0.25 if "Password" in scenario.category else 1.0)
        done = self.after(t, work, priority)
        if rng.random() < 0.5:
            note = t + (done - t) * rng.uniform(0.1, 0.6)
            events.append(Event(note, TimelineKind.WORK_NOTE, agent, False, rng.choice(WORK_NOTES)))
        if rng.random() < 0.3:
            reply = t + (done - t) * rng.uniform(0.1, 0.5)
            events.append(Event(reply, TimelineKind.COMMENT, caller, True, rng.choice(CALLER_REPLIES)))
        # The caller hears from the desk now and then while it takes long.
        for step in range(1, int((done - t) / timedelta(days=1)) + 1):
            if rng.random() < 0.7:
                at = t + timedelta(days=step, hours=rng.uniform(-3, 3))
                at = at if priority <= 2 else _next_working(at)
                if at < done:
                    events.append(Event(at, TimelineKind.COMMENT, agent, True, rng.choice(AGENT_COMMENTS)))

        if rng.random() < 0.22:  # waiting for someone
            reason, _weight, (low, high) = rng.choices(HOLD_PLAN, [w for _r, w, _s in HOLD_PLAN])[0]
            hold_at = t + (done - t) * rng.uniform(0.2, 0.7)
            wait = timedelta(minutes=math.exp(rng.uniform(math.log(low), math.log(high))))
            move(hold_at, State.ON_HOLD, agent, hold_reason=reason)
            if reason == HoldReason.AWAITING_CALLER:
                events.append(Event(hold_at, TimelineKind.COMMENT, agent, True, HOLD_COMMENTS[reason]))
                back = hold_at + wait
                events.append(Event(back, TimelineKind.COMMENT, caller, True, rng.choice(CALLER_REPLIES)))
                move(back, State.IN_PROGRESS, caller, body="The caller replied.")
            else:
                events.append(Event(hold_at, TimelineKind.WORK_NOTE, agent, False, HOLD_COMMENTS[reason]))
                back = hold_at + wait
                move(back, State.IN_PROGRESS, agent)
            # The rest of the work after the wait; a caller's reply during the wait would have
            # ended it, so replies of the caller fall outside it.
            done = self.after(back, (done - hold_at) / timedelta(minutes=1), priority)
            events = [
                e
                for e in events
                if not (e.kind == TimelineKind.COMMENT and e.author == caller and hold_at < e.at < back)
            ]

        code = rng.choices(["solution_provided", "workaround_provided", "user_error"], [8, 1, 1])[0]
        events.sort(key=lambda e: e.at)
        move(done, State.RESOLVED, agent, body=scenario.resolution, resolution_code=code)
        if rng.random() < 0.06:  # the caller rejects the resolution
            back = done + timedelta(hours=rng.uniform(2, 40))
            reason = rng.choice(REJECT_REASONS)
            move(back, State.IN_PROGRESS, caller, body=reason)
            events.append(Event(back, TimelineKind.COMMENT, caller, True, reason))
            note = self.after(back, rng.uniform(10, 120), priority)
            events.append(Event(note, TimelineKind.WORK_NOTE, agent, False, rng.choice(WORK_NOTES)))
            done = self.after(note, self.minutes(WORK_MINUTES, priority, factor=0.5), priority)
            move(done, State.RESOLVED, agent, body=scenario.resolution, resolution_code="solution_provided")
        if rng.random() < 0.55:  # the caller confirms
            closed = done + timedelta(hours=rng.uniform(0.3, 70))
            move(closed, State.CLOSED, caller)
            if rng.random() < 0.6:
                score = rng.choices([1, 2, 3, 4, 5], [3, 4, 10, 30, 53])[0]
                comment = rng.choice(RATING_COMMENTS[score])
                at = closed + timedelta(minutes=rng.uniform(0.5, 30))
                events.append(Event(at, TimelineKind.RATING, caller, True, comment, {"score": score}))
        else:
            days = self.auto_close_days
            body = f"Closed automatically {days} days after resolution."
            move(
                done + timedelta(days=days, minutes=rng.uniform(0, 15)), State.CLOSED, self.system, body=body
            )
        return row, events

    # Rows --------------------------------------------------------------------------------------

    def derive(self, row: dict, events: list[Event]) -> Incident:
        """The incident as its timeline says it is now."""
        incident = Incident(**row, state=State.NEW, version=len(events))
        caller_id = row["caller"].pk
        agent_ids = self.agent_ids
        for e in events:
            if e.kind == TimelineKind.ASSIGNMENT:
                old_group, group = e.data["assignment_group"]
                incident.assignment_group = self.base["groups"][group]
                incident.assigned_to = self.by_name[e.data["assigned_to"][1]]
                if old_group and old_group != group:
                    incident.reassignment_count += 1
            elif e.kind == TimelineKind.COMMENT and e.public and e.author.pk in agent_ids:
                if e.author.pk != caller_id and incident.first_response_at is None:
                    incident.first_response_at = e.at
            elif e.kind == TimelineKind.FIELD_CHANGE:
                incident.urgency = e.data["urgency"][1]
                incident.priority = e.data["priority"][1]
            elif e.kind == TimelineKind.RATING:
                incident.satisfaction, incident.satisfaction_comment = e.data["score"], e.body
            elif e.kind == TimelineKind.STATE_CHANGE:
                old, new = e.data["state"]
                incident.state = new
                incident.hold_reason = e.data.get("hold_reason", "") if new == State.ON_HOLD else ""
                if new == State.RESOLVED:
                    incident.resolved_at, incident.resolved_by = e.at, e.author
                    incident.resolution_code, incident.resolution_notes = e.data["resolution_code"], e.body
                elif new == State.CANCELLED:
                    incident.closed_at, incident.resolution_notes = e.at, e.body
                elif new == State.CLOSED:
                    incident.closed_at = e.at
                elif old == State.RESOLVED:
                    incident.reopen_count += 1
                    incident.last_reopened_at = e.at
                    incident.resolved_at = incident.resolved_by = None
                    incident.resolution_code = incident.resolution_notes = ""
        incident.updated_at = events[-1].at
        return incident

    def write(self) -> tuple[int, int]:
        from slm.replay import replay_incidents

        people = [u for g in self.members.values() for u in g]
        self.by_name = {str(u): u for u in people}
        self.agent_ids = {u.pk for u in people}
        cutoff = self.now - timedelta(minutes=2)
        lives = []
        for created in self.arrivals():
            row, events = self.life(created)
            events = sorted((e for e in events if e.at <= cutoff), key=lambda e: e.at)
            lives.append((self.derive(row, events), events))
        numbers = _allocate("INC", len(lives))
        for (incident, _events), number in zip(lives, numbers, strict=True):
            incident.number = number
        bulk.insert([incident for incident, _events in lives])
        bulk.insert_values(
            IncidentTimelineEntry,
            ("ticket_id", "kind", "is_public", "author_id", "body", "data", "created_at"),
            [
                (incident.pk, e.kind, e.public, e.author.pk if e.author else None, e.body, e.data, e.at)
                for incident, events in lives
                for e in events
            ],
        )
        timers = replay_incidents([incident.pk for incident, _events in lives], now=self.now)
        return len(lives), timers


def _allocate(prefix: str, count: int) -> list[str]:
    """``count`` ticket numbers in increasing order, in one statement."""
    if connection.vendor == "postgresql":
        from core.numbering import _sequence_name, next_value

        next_value(prefix)  # makes sure the sequence exists
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [_sequence_name(prefix), count])
            values = sorted(row[0] for row in cursor.fetchall())
    else:
        from core.numbering import next_value

        first = next_value(prefix)
        Sequence.objects.filter(name=prefix).update(last_value=first + count - 1)
        values = list(range(first, first + count))
    return [f"{prefix}{value:07d}" for value in values]
