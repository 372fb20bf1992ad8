"""Demo data of the major-incident procedure (``manage.py seed_demo``): a default escalation
policy, default stakeholders and one active major incident on the E-mail service with child
incidents, a user who joined from the portal and status updates. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from incidents import major
from incidents.choices import MajorState
from incidents.models import (
    EscalationLevel,
    EscalationPolicy,
    Incident,
    MajorIncident,
    ServiceStakeholderDefault,
)
from slm.models import Service

TITLE = "E-mail cannot be sent or received"


def seed(base: dict, stdout=None) -> dict | None:
    users, groups, desks = base["users"], base["groups"], base["desks"]
    service, _ = Service.objects.get_or_create(
        name="E-mail", defaults={"desk": desks["it"], "description": "Exchange Online and the mail gateway."}
    )
    policy, created = EscalationPolicy.objects.get_or_create(
        name="Default major-incident escalation",
        defaults={"description": "Service desk, then 2nd line, then the on-call duty phone."},
    )
    if created:
        levels = [
            (timedelta(minutes=10), [users["incmgr"]], [groups["Service Desk"]], ""),
            (timedelta(minutes=15), [], [groups["Network"], groups["Applications"]], ""),
            (timedelta(minutes=30), [], [], "oncall@itsm.example"),
        ]
        for order, (delay, people, teams, address) in enumerate(levels, start=1):
            level = EscalationLevel.objects.create(
                policy=policy, order=order, delay=delay, oncall_address=address
            )
            level.users.set(people)
            level.groups.set(teams)
    ServiceStakeholderDefault.objects.get_or_create(service=service, address="cio@itsm.example")
    ServiceStakeholderDefault.objects.get_or_create(service=None, user=users["slmgr"])

    if Incident.objects.filter(short_description=TITLE, major_state__in=[MajorState.ACCEPTED]).exists():
        return None
    from incidents import services

    incident = services.create_incident(
        by=users["agent"],
        caller=users["alice"],
        short_description=TITLE,
        description="Outlook shows 'Disconnected'; the web client times out. Started 08:05.",
        desk=desks["it"],
        contact_channel="phone",
        service=service,
        impact=1,
        urgency=1,
        assignment_group=groups["Applications"],
    )
    major.propose_major(
        incident, by=users["agent"], reason="Nobody at Acme Logistics can send or receive mail."
    )
    major.accept_major(
        incident, by=users["incmgr"], public_title="E-mail outage", cadence=timedelta(minutes=30)
    )
    for caller, text in [
        (users["bob"], "No new mail since 8 o'clock"),
        (users["carol"], "Mail stuck in outbox"),
    ]:
        child = services.create_incident(
            by=users["agent2"], caller=caller, short_description=text, desk=desks["it"], service=service
        )
        major.link_child(incident, by=users["agent2"], child=child)
    record = MajorIncident.objects.get(incident=incident)
    major.join_as_affected(record, user=users["dave"])
    major.post_status_update(
        incident,
        by=users["incmgr"],
        body=(
            "We are aware that e-mail is unavailable and are working with the vendor. "
            "Next update within 30 minutes."
        ),
        public=True,
    )
    major.post_status_update(
        incident,
        by=users["incmgr"],
        body="Vendor suspects the mail gateway certificate expired.",
        public=False,
    )
    if stdout is not None:
        stdout.write(f"  major incident {incident.number} (E-mail outage) with 2 child incidents")
    return None
