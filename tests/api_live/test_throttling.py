"""API throttles through a real WSGI server: 429 with ``Retry-After`` and a JSON error, per user.

Rates are set low here; the production defaults and their environment variables are tested in
tests/core/test_api_throttle_settings.py.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from incidents.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rates(settings):
    def set_rates(**scopes):
        rest = dict(settings.REST_FRAMEWORK)
        rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], **scopes}
        settings.REST_FRAMEWORK = rest

    return set_rates


def test_end_user_exceeding_the_create_rate_gets_429_with_retry_after(
    live, rates, end_user, other_end_user, desk
):
    rates(user_create="3/min")
    client = live(end_user)
    for n in range(3):
        created = client.post("/api/v1/incidents/", {"short_description": f"Printer jam {n}"})
        assert created.status == 201, created.raw[:300]

    refused = client.post("/api/v1/incidents/", {"short_description": "Printer jam 4"})
    assert refused.status == 429
    assert 1 <= int(refused.header("Retry-After")) <= 60
    assert refused.header("Content-Type").startswith("application/json")
    assert "throttled" in refused.body["detail"]
    assert Incident.objects.filter(caller=end_user).count() == 3

    # Reading is another scope, and another user has a rate of their own.
    assert client.get("/api/v1/incidents/").status == 200
    assert live(other_end_user).post("/api/v1/incidents/", {"short_description": "VPN"}).status == 201
    # The counters are in the cache every process shares.
    assert caches[django_settings.API_THROTTLE_CACHE].get(f"throttle_user_create_{end_user.pk}")


def test_reads_and_writes_have_rates_of_their_own(live, rates, agent, end_user, desk):
    rates(user_read="2/min", user_write="2/min")
    client = live(agent)
    assert [client.get("/api/v1/incidents/").status for _ in range(3)] == [200, 200, 429]
    created = client.post("/api/v1/incidents/", {"short_description": "Mail", "caller": end_user.username})
    assert created.status == 201
    number = created.body["number"]
    assert client.patch(f"/api/v1/incidents/{number}/", {"urgency": 1}).status == 200
    refused = client.patch(f"/api/v1/incidents/{number}/", {"urgency": 2})
    assert refused.status == 429 and int(refused.header("Retry-After")) >= 1
    assert Incident.objects.get(number=number).urgency == 1
