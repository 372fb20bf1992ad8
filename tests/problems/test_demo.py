"""seed_demo: a problem in every state, a known error, and a planted pattern that becomes a candidate."""

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from core.models import User
from problems.choices import CandidateStatus, State
from problems.demo import PATTERN
from problems.models import Problem, ProblemCandidate
from problems.panels import incidents_per_problem, open_problems_by_age

pytestmark = pytest.mark.django_db


def test_seed_demo_has_every_state_a_known_error_and_a_candidate_and_is_idempotent():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert set(Problem.objects.values_list("state", flat=True)) == set(State.values)
    known = Problem.objects.get(known_error=True)
    assert known.state == State.FIX_IN_PROGRESS and known.workaround
    assert known.incident_links.filter(incident__hold_reason="awaiting_problem").count() == 3
    resolved = Problem.objects.get(state=State.RESOLVED)
    assert {link.incident.resolution_code for link in resolved.incident_links.select_related("incident")} == {
        "resolved_by_problem"
    }
    candidate = ProblemCandidate.objects.get(status=CandidateStatus.OPEN, category__name="PC")
    planted = {text for text, _caller in PATTERN}
    members = set(candidate.members.values_list("short_description", flat=True))
    # The planted pattern, plus any similar incidents the incident demo data happens to have.
    assert planted <= members and "monitor" in candidate.keywords
    # The home page widgets have a story to tell: problems of different ages, incidents per problem.
    request = RequestFactory().get("/agent/")
    request.user = User.objects.get(username="agent")
    ages = open_problems_by_age(request)
    assert sum(1 for bucket in ages["buckets"] if bucket["count"]) >= 3
    per_problem = incidents_per_problem(request)
    assert per_problem["ratio"] and per_problem["ratio"] > 1 and per_problem["top"]
    counts = (Problem.objects.count(), ProblemCandidate.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert (Problem.objects.count(), ProblemCandidate.objects.count()) == counts
