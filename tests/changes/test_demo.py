"""seed_demo adds the change catalog, approval rules, a freeze window and changes in every state."""

import io

import pytest
from django.core.management import call_command

from changes.choices import ChangeState, TemplateStatus
from changes.models import ApprovalRule, ChangeRequest, ChangeTemplate, FreezeWindow, MaintenanceWindow
from core.models import SupportGroup

pytestmark = pytest.mark.django_db


def test_seed_demo_has_changes_in_every_state_and_is_idempotent(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    states = set(ChangeRequest.objects.values_list("state", flat=True))
    assert states == set(ChangeState.values)
    assert set(ChangeRequest.objects.values_list("change_type", flat=True)) == {
        "standard",
        "normal",
        "emergency",
    }
    assert ChangeTemplate.objects.filter(status=TemplateStatus.APPROVED).count() == 3
    assert ChangeTemplate.objects.filter(needs_review=True).exists()  # a backed-out standard change
    assert ApprovalRule.objects.count() == 4
    assert FreezeWindow.objects.filter(name="Quarter-end freeze").exists()
    assert MaintenanceWindow.objects.count() == 3
    cab = SupportGroup.objects.get(name="CAB")
    assert set(cab.members.values_list("username", flat=True)) == {"chgmgr", "infra", "incmgr", "network"}
    assert SupportGroup.objects.filter(name="ECAB").exists()
    # The freeze example is overridden, the rejected one is back in New with its reasons.
    assert ChangeRequest.objects.exclude(schedule_override_reason="").count() == 1
    assert ChangeRequest.objects.filter(state="new", approval_status="rejected").count() == 1

    counts = (ChangeRequest.objects.count(), ApprovalRule.objects.count(), ChangeTemplate.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (
        ChangeRequest.objects.count(),
        ApprovalRule.objects.count(),
        ChangeTemplate.objects.count(),
    ) == counts
