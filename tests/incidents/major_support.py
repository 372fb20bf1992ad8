"""Helpers for the major-incident tests: a service, an escalation policy, a major incident."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents import major
from incidents.models import EscalationLevel, EscalationPolicy, MajorIncident
from notifications.models import Notification
from slm.models import Service
from tests.incidents.factories import make_incident


def make_service(name: str = "E-mail", desk=None) -> Service:
    return Service.objects.get_or_create(name=name, defaults={"desk": desk})[0]


def make_policy(*levels, service=None, name: str = "Default") -> EscalationPolicy:
    """``levels``: (delay, users, groups, on-call address) per level, level 1 first."""
    policy = EscalationPolicy.objects.create(name=name, service=service)
    for order, (delay, users, groups, address) in enumerate(levels, start=1):
        level = EscalationLevel.objects.create(
            policy=policy, order=order, delay=delay, oncall_address=address or ""
        )
        level.users.set(users)
        level.groups.set(groups)
    return policy


def three_level_policy(
    first, second, *, delays=(600, 600, 600), service=None, name: str = ""
) -> EscalationPolicy:
    return make_policy(
        (timedelta(seconds=delays[0]), [first], [], ""),
        (timedelta(seconds=delays[1]), [second], [], ""),
        (timedelta(seconds=delays[2]), [], [], "oncall@example.com"),
        service=service,
        name=name or (f"{service} policy" if service else "Default"),
    )


def accepted_major(caller, *, proposer, manager, service=None, **kwargs) -> MajorIncident:
    incident = make_incident(caller, short_description="E-mail is down for everyone", service=service)
    major.propose_major(incident, by=proposer, reason="Nobody can send or receive e-mail.")
    return major.accept_major(incident, by=manager, **kwargs)


def outbox(template: str | None = None):
    rows = Notification.objects.order_by("id")
    if template:
        rows = rows.filter(template=template)
    return rows


def addresses(template: str) -> list[str]:
    return sorted(outbox(template).values_list("address", flat=True))


@pytest.fixture
def fast_passwords(settings):
    """The cast's passwords hashed cheaply: these modules create many users per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
