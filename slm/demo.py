"""Demo service catalog, calendars and SLA policies (runs before the incidents demo). Idempotent.

* "Stockholm office 05:00–18:00": weekdays, Europe/Stockholm, Swedish public holidays of this year
  and next (``holidays`` package) plus the de facto closed days (Midsummer Eve, Christmas Eve,
  New Year's Eve).
* "24×7": for P1/P2 and major incidents.
* "HR office 08:00–16:30": the HR desk's own hours.

Incidents created later through the incident operations get their timers from the engine; those
already present without timers (an earlier run, imported data) are rebuilt from their history.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from django.utils import timezone

from slm.models import BusinessCalendar, CalendarHours, Holiday, Service, SlaPolicy, SlaTarget

H = 60  # minutes
OFFICE_DAY = 13 * H  # 05:00-18:00
HR_DAY = 8 * H + 30  # 08:00-16:30

SERVICES = [
    # name, desk, owner, group, criticality, calendar key, description
    (
        "E-mail",
        "it",
        "apps",
        "Applications",
        2,
        "office",
        "Exchange mailboxes, shared mailboxes and calendars.",
    ),
    ("VPN", "it", "network", "Network", 2, "office", "Remote access for employees and consultants."),
    (
        "Printing",
        "it",
        "infra",
        "Infrastructure",
        4,
        "office",
        "Office printers, scanners and follow-me printing.",
    ),
    ("Wi-Fi", "it", "network", "Network", 3, "office", "Office wireless networks (staff and guest)."),
    ("ERP", "it", "apps", "Applications", 1, "office", "Finance, purchasing and logistics system."),
    ("Laptops and PCs", "it", "infra", "Service Desk", 3, "office", "Employee computers and accessories."),
    (
        "Accounts and access",
        "it",
        "agent",
        "Service Desk",
        2,
        "office",
        "Sign-in, passwords and permissions.",
    ),
    ("Payroll", "hr", "slmgr", "Payroll", 1, "hr", "Salaries, expenses and tax statements."),
    (
        "Onboarding",
        "hr",
        "hragent",
        "HR Service Desk",
        3,
        "hr",
        "New starters: contracts, equipment, access.",
    ),
]


def _calendar(
    name: str, *, tz="Europe/Stockholm", hours=None, always=False, country="", description=""
) -> BusinessCalendar:
    calendar, created = BusinessCalendar.objects.get_or_create(
        name=name,
        defaults={"time_zone": tz, "is_24x7": always, "holiday_country": country, "description": description},
    )
    if created and hours:
        start, end = hours
        CalendarHours.objects.bulk_create(
            [CalendarHours(calendar=calendar, weekday=d, start=start, end=end) for d in range(5)]
        )
    return calendar


def _swedish_holidays(calendar: BusinessCalendar, years: list[int]) -> None:
    from slm import services

    for year in years:
        services.load_public_holidays(calendar, country="SE", year=year)
    # Days that Swedish offices close although they are not public holidays.
    extras = [(date(2000, 12, 24), "Julafton"), (date(2000, 12, 31), "Nyårsafton")]
    for day, name in extras:
        Holiday.objects.get_or_create(calendar=calendar, date=day, defaults={"name": name, "recurring": True})
    for year in years:
        eve = date(year, 6, 19)
        while eve.weekday() != 4:  # Midsummer Eve: the Friday between 19 and 25 June
            eve += timedelta(days=1)
        Holiday.objects.get_or_create(calendar=calendar, date=eve, defaults={"name": "Midsommarafton"})


def _policy(name: str, *, calendar, targets: dict, order: int, **fields) -> SlaPolicy:
    policy, created = SlaPolicy.objects.get_or_create(
        name=name, defaults={"calendar": calendar, "order": order, **fields}
    )
    if created:
        SlaTarget.objects.bulk_create(
            [
                SlaTarget(policy=policy, metric=metric, priority=priority, target_minutes=minutes)
                for (metric, priority), minutes in targets.items()
            ]
        )
    return policy


def seed(base: dict, stdout=None) -> dict:
    users, desks, groups, categories = base["users"], base["desks"], base["groups"], base["categories"]
    this_year = timezone.localdate().year

    office = _calendar(
        "Stockholm office 05:00–18:00",
        hours=(time(5), time(18)),
        country="SE",
        description="IT service desk opening hours, Swedish public holidays closed.",
    )
    # Last year too: the demo incidents' history reaches back six months.
    _swedish_holidays(office, [this_year - 1, this_year, this_year + 1])
    always = _calendar("24×7", always=True, description="Every hour of every day (P1/P2, major incidents).")
    hr = _calendar(
        "HR office 08:00–16:30",
        hours=(time(8), time(16, 30)),
        country="SE",
        description="HR service desk opening hours.",
    )
    _swedish_holidays(hr, [this_year - 1, this_year, this_year + 1])
    calendars = {"office": office, "24x7": always, "hr": hr}

    services = {}
    for name, desk, owner, group, criticality, cal, description in SERVICES:
        services[name], _ = Service.objects.update_or_create(
            name=name,
            defaults={
                "desk": desks[desk],
                "owner": users[owner],
                "support_group": groups[group],
                "criticality": criticality,
                "calendar": calendars[cal],
                "description": description,
            },
        )

    policies = {
        "major": _policy(
            "Major incidents 24×7",
            calendar=always,
            order=10,
            applies_to_major="yes",
            description="Accepted major incidents: short targets, around the clock.",
            targets={("response", None): 10, ("resolution", None): 2 * H, ("update", None): 30},
        ),
        "password": _policy(
            "Password reset",
            calendar=office,
            order=20,
            desk=desks["it"],
            category=categories["Access > Password"],
            priorities=[3, 4, 5],
            description="Password resets are resolved within 6 business hours.",
            targets={("response", None): 30, ("resolution", None): 6 * H, ("update", None): 3 * H},
        ),
        "hr": _policy(
            "HR service desk",
            calendar=hr,
            order=30,
            desk=desks["hr"],
            description="HR desk on its own calendar.",
            targets={
                ("response", None): 4 * H,
                ("resolution", None): 3 * HR_DAY,
                ("update", None): 2 * HR_DAY,
                ("response", 1): 30,
                ("resolution", 1): HR_DAY,
                ("response", 2): 1 * H,
                ("resolution", 2): 2 * HR_DAY,
            },
        ),
        "critical": _policy(
            "IT critical (P1/P2) 24×7",
            calendar=always,
            order=40,
            desk=desks["it"],
            priorities=[1, 2],
            description="P1: response 15 min, resolution 4 h; P2: 30 min and 8 h; around the clock.",
            targets={
                ("response", 1): 15,
                ("resolution", 1): 4 * H,
                ("update", 1): 1 * H,
                ("response", 2): 30,
                ("resolution", 2): 8 * H,
                ("update", 2): 2 * H,
            },
        ),
        "standard": _policy(
            "IT standard (P3–P5)",
            calendar=office,
            order=50,
            desk=desks["it"],
            description="P3: response 2 h, resolution 3 business days; P4/P5 longer; office hours.",
            targets={
                ("response", 3): 2 * H,
                ("resolution", 3): 3 * OFFICE_DAY,
                ("update", 3): OFFICE_DAY,
                ("response", 4): 4 * H,
                ("resolution", 4): 5 * OFFICE_DAY,
                ("update", 4): 2 * OFFICE_DAY,
                ("response", 5): 8 * H,
                ("resolution", 5): 10 * OFFICE_DAY,
                ("update", 5): 3 * OFFICE_DAY,
            },
        ),
        "network_ola": _policy(
            "Network OLA",
            calendar=office,
            order=10,
            kind="ola",
            support_group=groups["Network"],
            description="2nd line network: take the ticket within 1 h, hand back or resolve within 1 day.",
            targets={("response", None): 1 * H, ("resolution", None): OFFICE_DAY},
        ),
    }

    # Incidents that exist without timers (created before this app's receiver ran) get them from
    # their history.
    from incidents.models import Incident
    from slm.replay import replay_incidents

    missing = list(Incident.objects.filter(sla_timers__isnull=True).values_list("pk", flat=True))
    replay_incidents(missing, timeline=False)
    rebuilt = len(missing)
    if stdout is not None:
        stdout.write(
            f"SLM: {len(services)} services, {len(calendars)} calendars, {len(policies)} policies"
            + (f", timers rebuilt for {rebuilt} incidents" if rebuilt else "")
        )
    return {"services": services, "calendars": calendars, "policies": policies}
