"""``Idempotency-Key`` on every API create, through a real WSGI server.

A retried create (same user, key and body) gets the first response and writes nothing; the same
key with another body is a 422 naming the header; two parallel requests with one key write one
row (PostgreSQL: the unique constraint decides, not a cache).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from changes import services as change_services
from changes.choices import TemplateStatus
from changes.models import ChangeRequest, ChangeTemplate, ChangeTimelineEntry
from core.models import IdempotencyRecord
from incidents import major
from incidents.models import Incident, IncidentTimelineEntry, MajorStatusUpdate
from knowledge.models import Article
from problems import services as problem_services
from problems.models import Problem, ProblemTask
from slm.models import Service
from tests.incidents.factories import make_incident
from tests.services import require

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Case:
    user: Any
    path: str
    body: dict
    other_body: dict
    rows: Any  # () -> int: how many objects the create writes into

    def count(self) -> int:
        return self.rows()


def incident_case(request) -> Case:
    request.getfixturevalue("desk")
    return Case(
        request.getfixturevalue("end_user"),
        "/api/v1/incidents/",
        {"short_description": "VPN drops every hour"},
        {"short_description": "Printer jam"},
        Incident.objects.count,
    )


def comment_case(request) -> Case:
    request.getfixturevalue("desk")
    end_user = request.getfixturevalue("end_user")
    incident = make_incident(end_user)
    return Case(
        end_user,
        f"/api/v1/incidents/{incident.number}/comments/",
        {"body": "Still broken."},
        {"body": "Works again."},
        IncidentTimelineEntry.objects.filter(ticket=incident, kind="comment").count,
    )


def change_case(request) -> Case:
    return Case(
        request.getfixturevalue("agent"),
        "/api/v1/changes/",
        {"change_type": "normal", "short_description": "Upgrade Exchange"},
        {"change_type": "normal", "short_description": "Upgrade the proxy"},
        ChangeRequest.objects.count,
    )


def standard_change_case(request) -> Case:
    """The pipeline of the README: a standard change from a template, retried after a timeout."""
    change_manager = request.getfixturevalue("change_manager")
    group = request.getfixturevalue("service_desk_group")
    template = ChangeTemplate.objects.create(
        name="Deploy web frontend",
        slug="deploy-web-frontend",
        short_description="Deploy a tested build of the web frontend",
        implementation_plan="Rolling update by the pipeline.",
        backout_plan="Redeploy the previous tag.",
        assignment_group=group,
        default_duration=timedelta(minutes=30),
        status=TemplateStatus.PROPOSED,
    )
    change_services.approve_template(template, by=change_manager)
    return Case(
        request.getfixturevalue("agent"),
        "/api/v1/changes/",
        {"template": "deploy-web-frontend"},
        {"template": "deploy-web-frontend", "short_description": "Deploy build 4711"},
        ChangeRequest.objects.count,
    )


def work_note_case(request) -> Case:
    agent = request.getfixturevalue("agent")
    change = change_services.create_change(by=agent, change_type="normal", short_description="Patch DNS")
    return Case(
        agent,
        f"/api/v1/changes/{change.number}/work-notes/",
        {"body": "Vendor confirmed the patch."},
        {"body": "Vendor withdrew the patch."},
        ChangeTimelineEntry.objects.filter(ticket=change, kind="work_note").count,
    )


def problem_case(request) -> Case:
    request.getfixturevalue("desk")
    return Case(
        request.getfixturevalue("agent"),
        "/api/v1/problems/",
        {"short_description": "Mail queue stalls nightly"},
        {"short_description": "Proxy restarts nightly"},
        Problem.objects.count,
    )


def problem_task_case(request) -> Case:
    agent = request.getfixturevalue("agent")
    problem = problem_services.create_problem(by=agent, short_description="Mail queue stalls nightly")
    return Case(
        agent,
        "/api/v1/problem-tasks/",
        {"problem": problem.number, "short_description": "Collect queue metrics"},
        {"problem": problem.number, "short_description": "Read the vendor notes"},
        ProblemTask.objects.count,
    )


def article_case(request) -> Case:
    return Case(
        request.getfixturevalue("agent"),
        "/api/v1/kb/articles/",
        {"title": "Reset your VPN token", "body": "Press **Reset**."},
        {"title": "Reset your password", "body": "Press **Reset**."},
        Article.objects.count,
    )


def major_update_case(request) -> Case:
    desk = request.getfixturevalue("desk")
    agent = request.getfixturevalue("agent")
    manager = request.getfixturevalue("incident_manager")
    service = Service.objects.create(name="E-mail", desk=desk)
    incident = make_incident(
        request.getfixturevalue("end_user"), short_description="Mail down", service=service
    )
    major.propose_major(incident, by=agent, reason="Nobody can send or receive e-mail.")
    major.accept_major(incident, by=manager)
    return Case(
        manager,
        f"/api/v1/major-incidents/{incident.number}/updates/",
        {"body": "Failover in progress.", "visibility": "public"},
        {"body": "Failover done.", "visibility": "public"},
        MajorStatusUpdate.objects.count,
    )


def service_case(request) -> Case:
    request.getfixturevalue("desk")
    return Case(
        request.getfixturevalue("service_level_manager"),
        "/api/v1/slm/services/",
        {"name": "VPN", "desk": "it"},
        {"name": "Remote desktop", "desk": "it"},
        Service.objects.count,
    )


CASES = {
    "incident": incident_case,
    "incident-comment": comment_case,
    "change": change_case,
    "standard-change": standard_change_case,
    "change-work-note": work_note_case,
    "problem": problem_case,
    "problem-task": problem_task_case,
    "article": article_case,
    "major-status-update": major_update_case,
    "slm-service": service_case,
}


@pytest.fixture(params=sorted(CASES))
def case(request) -> Case:
    return CASES[request.param](request)


def test_retry_with_the_same_key_replays_the_first_response(live, case):
    client = live(case.user)
    before = case.count()
    first = client.post(case.path, case.body, headers={"Idempotency-Key": "build-4711"})
    assert 200 <= first.status < 300, first.raw[:500]
    assert case.count() == before + 1

    again = client.post(case.path, case.body, headers={"Idempotency-Key": "build-4711"})
    assert again.status == first.status
    assert again.body == first.body
    assert again.header("Location") == first.header("Location")
    assert again.header("ETag") == first.header("ETag")
    assert again.header("Idempotent-Replayed") == "true" and first.header("Idempotent-Replayed") is None
    assert case.count() == before + 1

    other = client.post(case.path, case.other_body, headers={"Idempotency-Key": "build-4711"})
    assert other.status == 422
    assert other.body == {"Idempotency-Key": ["This Idempotency-Key was used for a different request body."]}
    assert case.count() == before + 1

    # Another key is another request.
    fresh = client.post(case.path, case.other_body, headers={"Idempotency-Key": "build-4712"})
    assert 200 <= fresh.status < 300
    assert case.count() == before + 2
    assert IdempotencyRecord.objects.filter(user=case.user).count() == 2


def test_parallel_requests_with_one_key_write_one_row(live, case):
    require(connection.vendor == "postgresql", "parallel requests need PostgreSQL (DATABASE_URL)")
    client = live(case.user)
    before = case.count()
    start = threading.Barrier(4)
    answers = []

    def send():
        start.wait()
        answers.append(client.post(case.path, case.body, headers={"Idempotency-Key": "parallel-1"}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(answer.status for answer in answers)
    assert len(statuses) == 4 and set(statuses) <= {200, 201, 409}, statuses
    created = [answer for answer in answers if answer.status in (200, 201)]
    assert created and all(answer.body == created[0].body for answer in created)
    assert case.count() == before + 1
    # The one that created it and any that came after it was done agree; the rest were told to retry.
    retry = client.post(case.path, case.body, headers={"Idempotency-Key": "parallel-1"})
    assert retry.status == created[0].status and retry.body == created[0].body
    assert case.count() == before + 1
