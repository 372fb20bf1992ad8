"""Domain edge cases found while building the API: attachments on closed incidents and their
version, and auto-close racing with a reopen."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.choices import State
from incidents.models import Attachment, Incident
from incidents.signals import incident_event
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(name="log.txt", content=b"error 42"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def resolved(incident, agent):
    return services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Done"
    )


def test_attachment_bumps_the_version_like_a_comment(desk, end_user):
    incident = make_incident(end_user)
    version = incident.version
    services.add_attachment(incident, by=end_user, upload=upload())
    assert incident.version == version + 1
    incident.refresh_from_db()
    assert incident.version == version + 1
    assert incident.timeline.filter(kind="attachment", is_public=True).count() == 1


def test_end_user_cannot_attach_to_a_closed_incident(desk, end_user, agent):
    incident = make_incident(end_user)
    resolved(incident, agent)
    services.close_incident(incident, by=agent)
    with pytest.raises(ValidationError) as info:
        services.add_attachment(incident, by=end_user, upload=upload())
    assert "state" in info.value.message_dict
    assert Attachment.objects.count() == 0
    assert not incident.timeline.filter(kind="attachment").exists()
    # Agents may still file documents on a closed incident (e.g. a vendor report).
    services.add_attachment(incident, by=agent, upload=upload(), public=False)
    assert Attachment.objects.get().is_public is False


def test_auto_close_skips_an_incident_reopened_and_resolved_again_meanwhile(desk, end_user, agent):
    first, second = make_incident(end_user), make_incident(end_user)
    for incident in (first, second):
        resolved(incident, agent)
    old = timezone.now() - timedelta(days=8)
    Incident.objects.filter(pk__in=[first.pk, second.pk]).update(resolved_at=old)

    # While the sweep closes one candidate, someone reopens and resolves the other one: its clock
    # restarts, so the sweep must not close it on the strength of the stale candidate list.
    first_closed = []

    def reopen_the_other(sender, incident, event, **kwargs):
        if event == "state_changed" and incident.state == State.CLOSED and not first_closed:
            first_closed.append(incident.number)
            other = Incident.objects.get(pk=second.pk if incident.pk == first.pk else first.pk)
            services.reopen_incident(other, by=end_user, reason="Broken again")
            resolved(other, agent)

    incident_event.connect(reopen_the_other)
    try:
        closed = services.auto_close_due(days=7)
    finally:
        incident_event.disconnect(reopen_the_other)
    assert closed == first_closed
    other = Incident.objects.exclude(number=first_closed[0]).get()
    assert other.state == State.RESOLVED and other.resolved_at > old


def test_out_of_range_values_are_still_field_errors_without_constraint_queries(desk, end_user, agent):
    incident = make_incident(end_user)
    with pytest.raises(ValidationError) as info:
        services.update_incident(incident, by=agent, changes={"urgency": 4})
    assert "urgency" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        make_incident(end_user, impact=0)
    assert "impact" in info.value.message_dict
    incident.refresh_from_db()
    assert incident.urgency == 3 and incident.version == 1


def test_creating_an_incident_costs_a_bounded_number_of_queries(
    desk, end_user, category_tree, django_assert_max_num_queries
):
    make_incident(end_user)  # warm the per-user caches
    # desk, matrix, number (3 on SQLite, 1 on PostgreSQL), routing, FK check, insert, timeline,
    # outbox, savepoints, the SLM policy match (2); no constraint SELECTs (they were 9 more)
    with django_assert_max_num_queries(18):
        make_incident(end_user, category=category_tree["Printer"])
