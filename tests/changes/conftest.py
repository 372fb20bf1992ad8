"""Fixtures of the change tests: services, approver groups, approval rules and a template.

CAB members are taken from the fixed cast: change_manager, incident_manager and
other_group_agent; the requester in most tests is ``agent`` (who is in none of them).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from changes import services
from changes.choices import ApprovalPolicy, ChangeType, Risk, TemplateStatus
from changes.models import ApprovalRule, ChangeTemplate, ConfigurationItem, MaintenanceWindow
from core.models import SupportGroup
from slm.models import Service

LOW = {
    "user_impact": "none",
    "complexity": "low",
    "tested": "yes",
    "backout_plan": "yes",
    "experience": "routine",
}
MEDIUM = {**LOW, "user_impact": "many"}
HIGH = {**LOW, "user_impact": "many", "complexity": "high", "tested": "no"}

# A Sunday in winter (CET, UTC+1): 2030-01-06. Planned windows in tests are built around it.
SUNDAY = datetime(2030, 1, 6, tzinfo=UTC)


def at(day_offset: int = 0, hour: int = 1, minute: int = 0) -> datetime:
    """An instant relative to SUNDAY 00:00 UTC."""
    return SUNDAY + timedelta(days=day_offset, hours=hour, minutes=minute)


@pytest.fixture(autouse=True)
def _site_and_mail(settings):
    settings.SITE_URL = "http://testserver"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The cast's passwords are hashed for every test; a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def email_service(desk) -> Service:
    return Service.objects.create(name="E-mail", desk=desk)


@pytest.fixture
def erp_service(desk) -> Service:
    return Service.objects.create(name="ERP", desk=desk)


@pytest.fixture
def change_mgmt_group(desk, change_manager) -> SupportGroup:
    group = SupportGroup.objects.create(name="Change Management", desk=desk, line_level=3)
    group.members.add(change_manager)
    return group


@pytest.fixture
def cab_group(desk, change_manager, incident_manager, other_group_agent) -> SupportGroup:
    group = SupportGroup.objects.create(name="CAB", desk=desk, line_level=3)
    group.members.add(change_manager, incident_manager, other_group_agent)
    return group


@pytest.fixture
def ecab_group(desk, change_manager, incident_manager) -> SupportGroup:
    group = SupportGroup.objects.create(name="ECAB", desk=desk, line_level=3)
    group.members.add(change_manager, incident_manager)
    return group


def make_rule(name, groups, *, change_type="", risk="", policy=ApprovalPolicy.ALL, quorum=None, order=10):
    rule = ApprovalRule.objects.create(
        name=name, order=order, change_type=change_type, risk=risk, policy=policy, quorum=quorum
    )
    rule.groups.set(groups)
    return rule


@pytest.fixture
def approval_rules(change_mgmt_group, cab_group, ecab_group) -> dict[str, ApprovalRule]:
    return {
        "low": make_rule(
            "Low: change manager",
            [change_mgmt_group],
            change_type=ChangeType.NORMAL,
            risk=Risk.LOW,
            policy=ApprovalPolicy.ANY,
        ),
        "medium": make_rule(
            "Medium: CAB quorum",
            [cab_group],
            change_type=ChangeType.NORMAL,
            risk=Risk.MEDIUM,
            policy=ApprovalPolicy.QUORUM,
            quorum=2,
            order=20,
        ),
        "high": make_rule(
            "High: full CAB",
            [cab_group],
            change_type=ChangeType.NORMAL,
            risk=Risk.HIGH,
            policy=ApprovalPolicy.ALL,
            order=30,
        ),
        "emergency": make_rule(
            "Emergency: ECAB",
            [ecab_group],
            change_type=ChangeType.EMERGENCY,
            policy=ApprovalPolicy.ANY,
            order=40,
        ),
    }


@pytest.fixture
def template(change_manager, email_service, service_desk_group) -> ChangeTemplate:
    tpl = ChangeTemplate.objects.create(
        name="Deploy web frontend",
        slug="deploy-web-frontend",
        short_description="Deploy a tested build of the web frontend",
        implementation_plan="Rolling update by the pipeline.",
        backout_plan="Redeploy the previous tag.",
        assignment_group=service_desk_group,
        default_duration=timedelta(minutes=30),
        status=TemplateStatus.PROPOSED,
    )
    tpl.services.set([email_service])
    tpl.configuration_items.set(ConfigurationItem.for_names(["web01"]))
    services.approve_template(tpl, by=change_manager)
    return tpl


@pytest.fixture
def email_maintenance(email_service) -> MaintenanceWindow:
    """E-mail may change on Sundays 02:00-06:00 Stockholm time."""
    return MaintenanceWindow.objects.create(
        name="Sunday night",
        service=email_service,
        weekday=6,
        start_time=time(2),
        end_time=time(6),
        time_zone="Europe/Stockholm",
    )


def make_change(by, *, change_type=ChangeType.NORMAL, start=None, hours=1, services_=(), cis=(), **extra):
    start = start or at(0, 1)
    return services.create_change(
        by=by,
        change_type=change_type,
        short_description=extra.pop("short_description", "Upgrade the mail servers"),
        services=list(services_),
        configuration_items=list(cis),
        planned_start=start,
        planned_end=start + timedelta(hours=hours),
        implementation_plan=extra.pop("implementation_plan", "Do it step by step."),
        backout_plan=extra.pop("backout_plan", "Restore the snapshot."),
        **extra,
    )


def to_authorize(change, by, answers=LOW):
    """Normal change: New → Assess → risk → Authorize."""
    services.submit_for_assessment(change, by=by)
    services.assess_risk(change, by=by, answers=answers)
    services.request_approval(change, by=by)
    return change
