"""The e-mailed approval link: signed, single-use, only for the approver it was sent to."""

import re

import pytest
from django.core import signing
from django.urls import reverse

from changes import services
from changes.choices import ApprovalState, ApprovalStatus, ChangeState, Decision
from changes.models import Approval, ChangeTimelineEntry
from notifications.models import Notification
from notifications.services import render
from tests.changes.conftest import HIGH, LOW, make_change, to_authorize

pytestmark = pytest.mark.django_db


def emailed_link(user) -> str:
    """The decision link exactly as it appears in the e-mail the user receives."""
    row = Notification.objects.get(template="change_approval_request", recipient=user)
    _subject, body, _html = render(row)
    url = re.search(r"http://testserver(/agent/changes/approvals/\S+/)", body).group(1)
    return url


@pytest.fixture
def pending(agent, approval_rules):
    return to_authorize(make_change(agent), agent, LOW)


def test_emailed_link_works_once(client, pending, change_manager):
    url = emailed_link(change_manager)
    client.force_login(change_manager)
    page = client.get(url)
    assert page.status_code == 200
    assert pending.number in page.content.decode()
    # Showing the page does not consume the link (mail scanners prefetch links).
    assert client.get(url).status_code == 200

    response = client.post(url, {"decision": "approve", "comment": "Looks safe."})
    assert response.status_code == 302
    assert response["Location"] == pending.get_absolute_url()
    pending.refresh_from_db()
    assert pending.state == ChangeState.SCHEDULED
    approval = Approval.objects.get(change=pending, approver=change_manager)
    assert approval.state == ApprovalState.APPROVED and approval.comment == "Looks safe."
    assert approval.link_nonce == ""
    entry = ChangeTimelineEntry.objects.get(ticket=pending, data__event="decision")
    assert entry.data["via"] == "email" and entry.author == change_manager

    replay = client.post(url, {"decision": "reject", "comment": "Changed my mind."})
    assert replay.status_code == 410
    assert "already been used" in replay.content.decode()
    assert client.get(url).status_code == 410
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED
    assert ChangeTimelineEntry.objects.filter(ticket=pending, data__event="decision").count() == 1


def test_link_is_refused_to_another_signed_in_user(
    client, agent, change_manager, incident_manager, approval_rules
):
    change = to_authorize(make_change(agent), agent, HIGH)
    url = emailed_link(change_manager)
    client.force_login(incident_manager)  # a CAB member too, but not the one this link is for
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 403
    assert "sent to another approver" in response.content.decode()
    assert client.get(url).status_code == 403
    assert Approval.objects.get(change=change, approver=change_manager).state == ApprovalState.REQUESTED
    assert Approval.objects.get(change=change, approver=incident_manager).state == ApprovalState.REQUESTED
    # The rightful approver can still use it.
    client.force_login(change_manager)
    assert client.post(url, {"decision": "approve"}).status_code == 302


def test_link_needs_sign_in(client, pending, change_manager):
    url = emailed_link(change_manager)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.post(url, {"decision": "approve"}).status_code == 302
    assert Approval.objects.get(change=pending).state == ApprovalState.REQUESTED


def test_tampered_link_is_refused(client, pending, change_manager):
    url = emailed_link(change_manager)
    client.force_login(change_manager)
    token = url.rstrip("/").rsplit("/", 1)[1]
    forged = signing.TimestampSigner(salt="changes.approval-link").sign_object(
        {"a": Approval.objects.get().pk, "u": change_manager.pk, "n": "guessed"}
    )
    assert client.get(reverse("changes:approval-link", args=[token[:-3] + "abc"])).status_code == 400
    assert (
        client.post(reverse("changes:approval-link", args=[forged]), {"decision": "approve"}).status_code
        == 410
    )
    other_salt = signing.TimestampSigner(salt="other").sign_object({"a": 1, "u": change_manager.pk, "n": "x"})
    assert client.get(reverse("changes:approval-link", args=[other_salt])).status_code == 400
    assert Approval.objects.get().state == ApprovalState.REQUESTED


def test_expired_link_is_refused(client, pending, change_manager, settings, monkeypatch):
    url = emailed_link(change_manager)
    settings.CHANGE_APPROVAL_LINK_MAX_AGE_DAYS = 2
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 3 * 86400)
    client.force_login(change_manager)
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert Approval.objects.get().state == ApprovalState.REQUESTED


def test_deciding_in_the_ui_consumes_the_link(client, pending, change_manager):
    url = emailed_link(change_manager)
    services.decide(pending, by=change_manager, decision=Decision.APPROVE)
    client.force_login(change_manager)
    assert client.post(url, {"decision": "reject", "comment": "x"}).status_code == 410
    pending.refresh_from_db()
    assert pending.approval_status == ApprovalStatus.APPROVED


def test_link_rejection_needs_a_comment_and_keeps_the_link(client, pending, change_manager):
    url = emailed_link(change_manager)
    client.force_login(change_manager)
    response = client.post(url, {"decision": "reject", "comment": ""})
    assert response.status_code == 400
    assert "reason" in response.content.decode()
    assert client.post(url, {"decision": "reject", "comment": "Wrong week."}).status_code == 302
    pending.refresh_from_db()
    assert pending.state == ChangeState.NEW


def test_link_of_a_withdrawn_approval_is_dead(client, pending, change_manager, agent):
    url = emailed_link(change_manager)
    services.cancel_change(pending, by=agent, reason="Not needed.")
    client.force_login(change_manager)
    assert client.get(url).status_code == 410
