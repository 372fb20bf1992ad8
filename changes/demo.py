"""Demo data of change enablement: approver groups (CAB, ECAB, Change Management), services with
maintenance windows, a quarter-end freeze, the standard change catalog, approval rules, and
changes in every state driven through the real services (so timelines and approvals are
genuine). Idempotent: existing objects are kept, demo changes are recognised by their text."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from changes import services
from changes.choices import ApprovalPolicy, ChangeType, Decision, Outcome, Risk, TemplateStatus
from changes.models import ApprovalRule, ChangeRequest, ChangeTemplate, FreezeWindow, MaintenanceWindow
from core.choices import LineLevel
from core.models import SupportGroup

STOCKHOLM = ZoneInfo("Europe/Stockholm")

APPROVER_GROUPS = [
    # name, members
    ("Change Management", ["chgmgr", "incmgr"]),
    ("CAB", ["chgmgr", "infra", "incmgr", "network"]),
    ("ECAB", ["chgmgr", "incmgr"]),
]

SERVICES = [
    # name, criticality (1 critical … 4 low)
    ("E-mail", 2),
    ("VPN", 2),
    ("ERP", 1),
    ("Intranet", 3),
]

MAINTENANCE = [
    # service, name, weekday (Mon=0), start, end
    ("E-mail", "E-mail Sunday night", 6, time(2), time(6)),
    ("ERP", "ERP weekend window", 5, time(22), time(4)),
    ("VPN", "VPN Wednesday evening", 2, time(20), time(23)),
]

RULES = [
    # name, order, type, risk, groups, policy, quorum
    (
        "Low risk: change manager",
        10,
        ChangeType.NORMAL,
        Risk.LOW,
        ["Change Management"],
        ApprovalPolicy.ANY,
        None,
    ),
    ("Medium risk: CAB quorum", 20, ChangeType.NORMAL, Risk.MEDIUM, ["CAB"], ApprovalPolicy.QUORUM, 2),
    ("High risk: full CAB", 30, ChangeType.NORMAL, Risk.HIGH, ["CAB"], ApprovalPolicy.ALL, None),
    ("Emergency: ECAB", 40, ChangeType.EMERGENCY, "", ["ECAB"], ApprovalPolicy.ANY, None),
]

TEMPLATES = [
    {
        "slug": "restart-app-server",
        "name": "Restart application server",
        "short_description": "Restart an application server during its maintenance window",
        "services": ["Intranet"],
        "cis": ["app01"],
        "group": "Applications",
        "duration": timedelta(minutes=30),
        "implementation_plan": "Drain the node from the load balancer, restart the service, add it back.",
        "backout_plan": "Keep the node out of the pool and open an incident.",
        "status": TemplateStatus.APPROVED,
    },
    {
        "slug": "deploy-web-frontend",
        "name": "Deploy web frontend (pipeline)",
        "short_description": "Deploy a tested build of the web frontend",
        "services": ["Intranet"],
        "cis": ["web-frontend"],
        "group": "Applications",
        "duration": timedelta(minutes=20),
        "implementation_plan": "The CI/CD pipeline deploys the tagged build with a rolling update.",
        "backout_plan": "The pipeline redeploys the previous tag.",
        "status": TemplateStatus.APPROVED,
    },
    {
        "slug": "renew-tls-certificate",
        "name": "Renew TLS certificate",
        "short_description": "Renew and install a TLS certificate",
        "services": ["E-mail"],
        "cis": ["mail-gw01"],
        "group": "Infrastructure",
        "duration": timedelta(hours=1),
        "implementation_plan": "Install the renewed certificate and reload the proxy.",
        "backout_plan": "Restore the previous certificate from the vault and reload.",
        "status": TemplateStatus.APPROVED,
    },
    {
        "slug": "add-dns-record",
        "name": "Add internal DNS record",
        "short_description": "Add an A or CNAME record in the internal zone",
        "services": [],
        "cis": ["dns01"],
        "group": "Network",
        "duration": timedelta(minutes=15),
        "implementation_plan": "Add the record in the IPAM tool and verify resolution.",
        "backout_plan": "Delete the record.",
        "status": TemplateStatus.PROPOSED,
    },
]

LOW_RISK = {
    "user_impact": "some",
    "complexity": "low",
    "tested": "yes",
    "backout_plan": "yes",
    "experience": "routine",
}
MEDIUM_RISK = {**LOW_RISK, "user_impact": "many"}
HIGH_RISK = {**LOW_RISK, "user_impact": "many", "complexity": "high", "tested": "partially"}


def _next_local(weekday: int, at: time, *, weeks: int = 0) -> datetime:
    """The next given weekday and local time in Stockholm, at least a day ahead."""
    today = timezone.now().astimezone(STOCKHOLM).date() + timedelta(days=1)
    day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)
    return datetime.combine(day, at, tzinfo=STOCKHOLM)


def _quarter_end_freeze() -> tuple[datetime, datetime]:
    """The last four days of the current quarter, in UTC."""
    now = timezone.now()
    quarter_end_month = ((now.month - 1) // 3 + 1) * 3
    first_next = date(now.year + (quarter_end_month == 12), quarter_end_month % 12 + 1, 1)
    end = datetime.combine(first_next, time.min, tzinfo=UTC)
    return end - timedelta(days=4), end


def seed(base: dict, stdout=None) -> dict:
    from slm.models import Service

    users = base["users"]
    desk = base["desks"]["it"]
    groups = dict(base.get("groups", {}))
    for name, members in APPROVER_GROUPS:
        group, _created = SupportGroup.objects.get_or_create(
            name=name,
            defaults={
                "desk": desk,
                "line_level": LineLevel.THIRD,
                "manager": users["chgmgr"],
                "email": f"{name.lower().replace(' ', '-')}@itsm.example",
            },
        )
        group.members.add(*[users[m] for m in members])
        groups[name] = group

    known = dict(base.get("services", {}))
    service_map = {}
    for name, criticality in SERVICES:
        service = known.get(name)
        if service is None:
            service, _created = Service.objects.get_or_create(
                name=name, defaults={"desk": desk, "criticality": criticality}
            )
        service_map[name] = service

    for service_name, name, weekday, start, end in MAINTENANCE:
        MaintenanceWindow.objects.get_or_create(
            service=service_map[service_name],
            name=name,
            defaults={
                "weekday": weekday,
                "start_time": start,
                "end_time": end,
                "time_zone": "Europe/Stockholm",
            },
        )

    freeze_start, freeze_end = _quarter_end_freeze()
    freeze, _created = FreezeWindow.objects.update_or_create(
        name="Quarter-end freeze",
        defaults={
            "description": "Financial closing: no changes to production.",
            "start": freeze_start,
            "end": freeze_end,
        },
    )

    for name, order, change_type, risk, group_names, policy, quorum in RULES:
        rule, _created = ApprovalRule.objects.get_or_create(
            name=name,
            defaults={
                "order": order,
                "change_type": change_type,
                "risk": risk,
                "policy": policy,
                "quorum": quorum,
            },
        )
        rule.groups.add(*[groups[g] for g in group_names])

    templates = {}
    for spec in TEMPLATES:
        template, created = ChangeTemplate.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "short_description": spec["short_description"],
                "assignment_group": groups.get(spec["group"]),
                "default_duration": spec["duration"],
                "implementation_plan": spec["implementation_plan"],
                "backout_plan": spec["backout_plan"],
                "risk": Risk.LOW,
            },
        )
        if created:
            template.services.set([service_map[s] for s in spec["services"]])
            from changes.models import ConfigurationItem

            template.configuration_items.set(ConfigurationItem.for_names(spec["cis"]))
            if spec["status"] == TemplateStatus.APPROVED:
                services.approve_template(template, by=users["chgmgr"])
        templates[spec["slug"]] = template

    created_numbers = _seed_changes(users, groups, service_map, templates, freeze)
    if stdout is not None:
        stdout.write(
            f"Changes: {ChangeRequest.objects.count()} change requests "
            f"({len(created_numbers)} new), {len(templates)} templates, freeze “{freeze.name}”."
        )
    return {"services": {**known, **service_map}, "change_templates": templates, "groups": groups}


def _seed_changes(users, groups, service_map, templates, freeze) -> list[str]:
    created = []
    existing = set(ChangeRequest.objects.values_list("short_description", flat=True))
    chgmgr, infra, apps, network, incmgr = (
        users[n] for n in ("chgmgr", "infra", "apps", "network", "incmgr")
    )

    def normal(text, by, *, services_=(), cis=(), group="Infrastructure", start=None, hours=2, **extra):
        start = start or _next_local(6, time(2))
        if not extra.pop("in_freeze", False):
            # Demo changes other than the override example stay clear of the freeze window.
            step = timedelta(days=-7 if start < timezone.now() else 7)
            while start < freeze.end and freeze.start < start + timedelta(hours=hours):
                start += step
        return services.create_change(
            by=by,
            change_type=extra.pop("change_type", ChangeType.NORMAL),
            short_description=text,
            description=extra.pop("description", ""),
            justification=extra.pop("justification", "Keeps the service supported and secure."),
            services=[service_map[s] for s in services_],
            configuration_items=list(cis),
            assignment_group=groups.get(group),
            implementer=by,
            planned_start=start,
            planned_end=start + timedelta(hours=hours),
            implementation_plan="1. Announce the work.\n2. Carry out the change.\n3. Verify.",
            backout_plan="Restore the previous version from the snapshot taken in step 1.",
            test_plan="Smoke tests of the service.",
        )

    def want(text) -> bool:
        return text not in existing

    # New: a draft.
    text = "Upgrade PostgreSQL to 16 on db01"
    if want(text):
        change = normal(text, infra, services_=["ERP"], cis=["db01"], start=_next_local(5, time(23), weeks=1))
        created.append(change.number)

    # Assess: risk assessed high, not yet submitted for approval.
    text = "Replace the core switch in the server room"
    if want(text):
        change = normal(
            text,
            network,
            services_=["VPN", "E-mail"],
            cis=["core-sw01"],
            group="Network",
            start=_next_local(2, time(20), weeks=1),
            hours=3,
        )
        services.submit_for_assessment(change, by=network)
        services.assess_risk(change, by=chgmgr, answers=HIGH_RISK)
        created.append(change.number)

    # Authorize: medium risk, CAB quorum of 2, one approval so far.
    text = "Migrate mailboxes to the new e-mail cluster"
    if want(text):
        change = normal(text, apps, services_=["E-mail"], cis=["mail01", "mail02"], group="Applications")
        services.submit_for_assessment(change, by=apps)
        services.assess_risk(change, by=chgmgr, answers=MEDIUM_RISK)
        services.request_approval(change, by=apps)
        services.decide(change, by=infra, decision=Decision.APPROVE, comment="Plan and backout look good.")
        created.append(change.number)

    # Scheduled: low risk, approved by the change manager; overlaps the draft on db01 (conflict).
    text = "Apply security patches to the ERP database host"
    if want(text):
        change = normal(
            text, infra, services_=["ERP"], cis=["DB01"], start=_next_local(5, time(23), weeks=1), hours=3
        )
        services.submit_for_assessment(change, by=infra)
        services.assess_risk(change, by=infra, answers=LOW_RISK)
        services.request_approval(change, by=infra)
        services.decide(change, by=chgmgr, decision=Decision.APPROVE, comment="Routine patching.")
        created.append(change.number)

    # Scheduled in the quarter-end freeze, with the change manager's override recorded.
    text = "Extend ERP storage before the quarter close"
    if want(text):
        change = normal(
            text,
            infra,
            services_=["ERP"],
            cis=["san01"],
            start=freeze.start + timedelta(hours=20),
            in_freeze=True,
        )
        services.submit_for_assessment(change, by=infra)
        services.assess_risk(change, by=infra, answers=LOW_RISK)
        services.override_schedule(
            change, by=chgmgr, reason="Storage runs out before the close otherwise; agreed with Finance."
        )
        services.request_approval(change, by=infra)
        services.decide(change, by=incmgr, decision=Decision.APPROVE, comment="Accepted with the override.")
        created.append(change.number)

    # Rejected by the CAB and sent back to New with the reasons.
    text = "Decommission the legacy intranet without migration"
    if want(text):
        change = normal(text, apps, services_=["Intranet"], cis=["intranet-old"], group="Applications")
        services.submit_for_assessment(change, by=apps)
        services.assess_risk(change, by=apps, answers=HIGH_RISK)
        services.request_approval(change, by=apps)
        services.decide(
            change, by=network, decision=Decision.REJECT, comment="No migration plan for the content."
        )
        created.append(change.number)

    # Implement: a standard change from the catalog, started.
    text = "Restart app01 after the memory leak fix"
    if want(text):
        change = services.create_from_template(
            templates["restart-app-server"], by=apps, short_description=text
        )
        services.start_change(change, by=apps)
        created.append(change.number)

    # Closed: a pipeline deployment, closed successful.
    text = "Deploy web frontend 2.4.1"
    if want(text):
        change = services.create_from_template(
            templates["deploy-web-frontend"], by=apps, short_description=text
        )
        services.start_change(change, by=apps)
        services.complete_change(change, by=apps, outcome=Outcome.SUCCESSFUL)
        created.append(change.number)

    # Review: a standard change that was backed out, which flags its template for review.
    text = "Renew the mail gateway certificate"
    if want(text):
        change = services.create_from_template(
            templates["renew-tls-certificate"], by=infra, short_description=text
        )
        services.start_change(change, by=infra)
        services.complete_change(
            change,
            by=infra,
            outcome=Outcome.BACKED_OUT,
            notes="The new chain was incomplete; restored the old one.",
        )
        created.append(change.number)

    # Review: an emergency change implemented before the ECAB decided, approved retrospectively.
    text = "Emergency patch for the OpenSSL vulnerability"
    if want(text):
        change = normal(
            text,
            infra,
            change_type=ChangeType.EMERGENCY,
            services_=["VPN"],
            cis=["vpn-gw01"],
            start=timezone.now().replace(second=0, microsecond=0),
            hours=1,
        )
        services.assess_risk(change, by=infra, answers=MEDIUM_RISK)
        services.request_approval(change, by=infra)
        services.start_change(change, by=infra)
        services.decide(change, by=chgmgr, decision=Decision.APPROVE, comment="Approved retrospectively.")
        services.complete_change(change, by=infra, outcome=Outcome.SUCCESSFUL)
        created.append(change.number)

    # Closed: a normal change through its whole life, with its review.
    text = "Add a second VPN concentrator"
    if want(text):
        start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=1)
        change = normal(text, network, services_=["VPN"], cis=["vpn-gw02"], group="Network", start=start)
        services.submit_for_assessment(change, by=network)
        services.assess_risk(change, by=network, answers=LOW_RISK)
        services.request_approval(change, by=network)
        services.decide(change, by=chgmgr, decision=Decision.APPROVE)
        services.start_change(change, by=network)
        services.complete_change(change, by=network, outcome=Outcome.SUCCESSFUL)
        services.close_change(change, by=network, review_notes="Went to plan; failover tested afterwards.")
        created.append(change.number)

    # Cancelled.
    text = "Move the intranet to a new hosting provider"
    if want(text):
        change = normal(text, apps, services_=["Intranet"], cis=["intranet01"], group="Applications")
        services.cancel_change(change, by=apps, reason="Contract renewed with the current provider.")
        created.append(change.number)
    return created
