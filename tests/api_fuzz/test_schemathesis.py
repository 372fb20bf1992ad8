"""schemathesis against the whole OpenAPI schema, as an administrator and as an end user.

Every operation is exercised with valid and invalid data (schemathesis' positive and negative
generation), once with generated path parameters and once pointing at objects that exist, in
the WSGI application in-process. The bar is zero server errors: any 5xx is collected with the
request that caused it and the test fails listing them all. Examples per operation and mode are
bounded (``FUZZ_MAX_EXAMPLES``, default 3) and derandomised, so CI's run is short and repeatable.
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from incidents import major
from tests.api_fuzz.conftest import TOTALS
from tests.incidents.factories import make_incident
from tests.knowledge.conftest import make_article
from tests.problems.conftest import make_problem

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "3"))


@contextmanager
def _connection_kept_across_requests():
    """The in-process requests share the test's transaction, as with Django's test client.

    Django closes the connection at the end of each request (``close_old_connections``); inside
    the test's transaction that would abort it. Django's test client disconnects the same handler.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def objects(
    agent, end_user, incident_manager, knowledge_manager, change_manager, service_desk_group, category_tree
):
    """One object of each kind the API addresses by number, id or slug, seen by the end user too."""
    from changes import services as changes
    from changes.models import ChangeTemplate
    from slm.models import BusinessCalendar, Service, SlaPolicy

    service = Service.objects.create(name="E-mail", desk=service_desk_group.desk)
    calendar = BusinessCalendar.objects.create(name="24x7", time_zone="Europe/Stockholm", is_24x7=True)
    policy = SlaPolicy.objects.create(name="Standard", calendar=calendar)
    incident = make_incident(end_user, category=category_tree["Printer"], service=service)
    major_incident = make_incident(end_user, short_description="E-mail is down")
    major.propose_major(major_incident, by=agent, reason="Nobody can send e-mail.")
    major.accept_major(major_incident, by=incident_manager)
    problem = make_problem(agent, service=service)
    article = make_article(agent, state="published", manager=knowledge_manager)
    start = timezone.now() + timedelta(days=3)
    change = changes.create_change(
        by=agent,
        change_type="normal",
        short_description="Upgrade the mail servers",
        services=[service],
        configuration_items=[],
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        implementation_plan="Step by step.",
        backout_plan="Restore the snapshot.",
    )
    template = ChangeTemplate.objects.filter(status="approved").first()
    return {
        "/api/v1/incidents/": {"number": incident.number},
        "/api/v1/major-incidents/": {"number": major_incident.number},
        "/api/v1/problems/": {"number": problem.number},
        "/api/v1/problem-tasks/": {"number": "PTASK0000001"},
        "/api/v1/kb/articles/": {"number": article.number},
        "/api/v1/changes/templates/": {"slug": template.slug if template else "standard"},
        "/api/v1/changes/": {"number": change.number},
        "/api/v1/desks/": {"slug": service_desk_group.desk.slug},
        "/api/v1/groups/": {"id": service_desk_group.pk},
        "/api/v1/slm/calendars/": {"id": calendar.pk},
        "/api/v1/slm/policies/": {"id": policy.pk},
        "/api/v1/slm/services/": {"id": service.pk},
        "/api/v1/problems/candidates/": {"id": 1},
    }


def _existing(operation, objects) -> dict | None:
    names = {parameter.name for parameter in operation.path_parameters}
    if not names:
        return None
    for prefix in sorted(objects, key=len, reverse=True):
        if operation.path.startswith(prefix):
            values = {name: value for name, value in objects[prefix].items() if name in names}
            if "attachment_id" in names:
                values["attachment_id"] = 1
            return values if set(values) == names else None
    return None


def _schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    return schema


def _run(user, objects) -> tuple[int, int, list[str], Counter]:
    token, _ = Token.objects.get_or_create(user=user)
    headers = {"Authorization": f"Token {token.key}"}
    schema = _schema()
    cases = 0
    statuses: Counter = Counter()
    errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        variants = [None]
        existing = _existing(operation, objects)
        if existing:
            variants.append(existing)
        for path_parameters in variants:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

                @settings(
                    max_examples=MAX_EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def exercise(case):
                    nonlocal cases
                    cases += 1
                    # A savepoint per request: one request's database error cannot spoil the rest.
                    with transaction.atomic():
                        response = case.call(headers=headers)
                        transaction.set_rollback(True)
                    statuses[response.status_code] += 1
                    if response.status_code >= 500:
                        errors.append(
                            f"{response.status_code} {case.method} {case.formatted_path} "
                            f"path={case.path_parameters} query={case.query} body={str(case.body)[:300]!r}"
                        )

                try:
                    exercise()
                except Exception as exc:  # generation impossible for this mode (e.g. nothing to negate)
                    if "Unsatisfiable" not in type(exc).__name__ and "generat" not in str(exc).lower():
                        raise
    return operations, cases, errors, statuses


# Generation, not the requests, takes most of the time (schemathesis rejects many drafts).
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("role", ["admin", "end_user"])
def test_no_server_errors_over_the_whole_schema(role, request, objects):
    user = request.getfixturevalue(role)
    with _connection_kept_across_requests():
        operations, cases, errors, statuses = _run(user, objects)
    TOTALS[role] = {
        "operations": operations,
        "cases": cases,
        "server_errors": len(errors),
        "statuses": ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())),
    }
    assert operations > 80 and cases > operations
    # The run reached the views: successes and validation errors, not only refusals.
    assert statuses[200] > 0 and statuses[400] > 0
    assert errors == [], "\n".join(errors)
