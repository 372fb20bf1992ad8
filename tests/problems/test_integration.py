"""A real Celery worker on Redis and PostgreSQL runs trend detection on demand (the candidates
API's "detect" action): the planted cluster becomes one candidate, and a second run adds none."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Category
from incidents.models import Incident
from problems.models import ProblemCandidate
from tests.problems.trend_data import PLANTED
from tests.services import celery_worker, flush_redis, redis_url, require_postgres_and_redis, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_runs_on_demand_detection_idempotently(as_user, agent, desk, end_user):
    require_postgres_and_redis()
    broker = redis_url()
    flush_redis(broker)
    printer = Category.objects.create(name="Printer")
    now = timezone.now()
    Incident.objects.bulk_create(
        [
            Incident(
                number=f"INC{8000000 + index:07d}",
                short_description=text,
                caller=end_user,
                opened_by=end_user,
                desk=desk,
                category=printer,
                created_at=now - timedelta(days=index),
            )
            for index, (text, *_rest) in enumerate(PLANTED["printer"])
        ]
    )
    api = as_user(agent)
    with celery_worker(broker_url=broker, name="trends") as (_process, log_path):
        assert api.post("/api/v1/problems/candidates/detect/").status_code == 202
        wait_for(lambda: ProblemCandidate.objects.exists(), timeout=60, message="a candidate from the worker")
        assert api.post("/api/v1/problems/candidates/detect/").status_code == 202

        def finished_twice():
            return log_path.read_text(errors="replace").count("problems.tasks.detect_trends[") >= 4

        # Each run logs "received" and "succeeded": four lines for two runs.
        wait_for(finished_twice, timeout=60, message="the second detection run")
    candidate = ProblemCandidate.objects.get()
    assert candidate.member_count == 5 and candidate.category == printer
    log = log_path.read_text(errors="replace")
    assert "'created': 1," in log and "'created': 0, 'updated': 0, 'reopened': 0, 'unchanged': 1" in log
