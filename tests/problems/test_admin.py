"""Django admin: every model is registered; problem edits go through the services (timeline)."""

import pytest
from django.apps import apps
from django.contrib import admin as django_admin

from problems.models import Problem, TrendSettings
from tests.problems.conftest import make_problem

pytestmark = pytest.mark.django_db


def test_every_model_is_registered():
    for model in apps.get_app_config("problems").get_models():
        if model._meta.auto_created:
            continue
        assert model in django_admin.site._registry, model


def test_admin_pages_open(client, admin, agent):
    problem = make_problem(agent)
    client.force_login(admin)
    for url in [
        "/admin/problems/problem/",
        f"/admin/problems/problem/{problem.pk}/change/",
        "/admin/problems/problemcandidate/",
        "/admin/problems/problemtask/",
        "/admin/problems/trendsettings/add/",
    ]:
        assert client.get(url).status_code == 200, url


def test_admin_edit_is_recorded_on_the_timeline(client, admin, agent):
    problem = make_problem(agent)
    client.force_login(admin)
    response = client.post(
        f"/admin/problems/problem/{problem.pk}/change/",
        {
            "short_description": problem.short_description,
            "description": "",
            "configuration_item": "",
            "impact": 2,
            "urgency": 3,
            "root_cause": "Expired certificate",
            "workaround": "",
            "fix_description": "",
            "symptoms": "",
            "problemincident_set-TOTAL_FORMS": 0,
            "problemincident_set-INITIAL_FORMS": 0,
            "incident_links-TOTAL_FORMS": 0,
            "incident_links-INITIAL_FORMS": 0,
            "tasks-TOTAL_FORMS": 0,
            "tasks-INITIAL_FORMS": 0,
            "timeline-TOTAL_FORMS": 0,
            "timeline-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    problem.refresh_from_db()
    assert problem.root_cause == "Expired certificate" and problem.priority == 4
    assert problem.timeline.get(kind="field_change").author == admin


def test_trend_settings_are_one_row(client, admin):
    client.force_login(admin)
    TrendSettings.objects.create(window_days=7)
    assert client.get("/admin/problems/trendsettings/add/").status_code == 403
    assert TrendSettings.current().window_days == 7
    assert Problem.objects.count() == 0
