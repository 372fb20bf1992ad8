"""A major incident's post-incident review opens a problem in one click (issue 5 and 7 together)."""

import pytest
from django.urls import reverse

from incidents import major as ops
from incidents.models import PostIncidentReview
from problems.models import Problem, ProblemIncident
from tests.incidents.major_support import accepted_major

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed_major(desk, end_user, agent, incident_manager):
    major = accepted_major(end_user, proposer=agent, manager=incident_manager, public_title="Mail outage")
    incident = major.incident
    ops.resolve_major_with_children(
        incident, by=incident_manager, resolution_code="solution_provided", resolution_notes="Restarted"
    )
    ops.record_review(
        incident,
        by=incident_manager,
        review=ops.ReviewInput(root_cause="Certificate expired", actions="Monitor expiry\nAutomate renewal"),
    )
    return incident


def test_review_opens_a_linked_problem_once(client, incident_manager, reviewed_major):
    client.force_login(incident_manager)
    url = reverse("major:review-problem", kwargs={"number": reviewed_major.number})
    response = client.post(url)
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == problem.get_absolute_url()
    assert problem.short_description == "Mail outage"
    assert problem.root_cause == "Certificate expired"
    assert "Automate renewal" in problem.description
    assert ProblemIncident.objects.get(incident=reviewed_major).problem == problem
    assert PostIncidentReview.objects.get().problem_reference == problem.number
    # A second click returns the same problem instead of opening another.
    assert client.post(url).status_code == 302
    assert Problem.objects.count() == 1
    page = client.get(reverse("major:review", kwargs={"number": reviewed_major.number})).content.decode()
    assert problem.number in page


def test_end_user_cannot_open_a_problem_from_a_review(client, end_user, reviewed_major):
    client.force_login(end_user)
    response = client.post(reverse("major:review-problem", kwargs={"number": reviewed_major.number}))
    assert response.status_code in (403, 404)
    assert Problem.objects.count() == 0


def test_an_incident_already_linked_elsewhere_still_gets_a_problem(
    client, incident_manager, agent, end_user, reviewed_major
):
    from problems.services import create_problem

    other = create_problem(by=agent, short_description="Older problem", incidents=[reviewed_major])
    client.force_login(incident_manager)
    client.post(reverse("major:review-problem", kwargs={"number": reviewed_major.number}))
    new = Problem.objects.exclude(pk=other.pk).get()
    assert ProblemIncident.objects.get(incident=reviewed_major).problem == other
    assert PostIncidentReview.objects.get().problem_reference == new.number
