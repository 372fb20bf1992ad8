"""Swedish: the problem pages and notifications in the recipient's language."""

import pytest
from django.urls import reverse

from notifications.models import Notification
from notifications.services import render
from problems import services
from tests.problems.conftest import make_problem

pytestmark = pytest.mark.django_db


def test_queue_in_swedish(client, other_group_agent, agent):
    make_problem(agent)
    client.force_login(other_group_agent)  # language "sv"
    html = client.get(reverse("problems:queue")).content.decode()
    assert "Nytt problem" in html and "Kända fel" in html and ">Nytt<" in html


def test_notifications_render_in_the_recipients_language(agent, other_group_agent, network_group):
    problem = make_problem(agent, short_description="Routern startar om")
    services.assign_problem(problem, by=agent, group=network_group, assignee=other_group_agent)
    task = services.create_task(problem, by=agent, short_description="Läs loggar")
    services.assign_task(task, by=agent, group=network_group, assignee=other_group_agent)
    for template in ("problem_assigned", "problem_task_assigned"):
        subject, body, _html = render(Notification.objects.get(template=template))
        assert problem.number in subject
        assert "har tilldelats" in body and "Öppna det" in body


def test_every_problem_notification_template_renders_in_both_languages(
    agent, incident_manager, service_desk_group
):
    problem = make_problem(agent)
    services.assign_problem(problem, by=incident_manager, group=service_desk_group, assignee=agent)
    services.resolve_problem(
        problem,
        by=incident_manager,
        resolution_code="duplicate",
        fix_description="Same as PRB1",
        resolve_incidents=False,
    )
    rows = Notification.objects.filter(template__startswith="problem_")
    assert {row.template for row in rows} == {"problem_assigned", "problem_resolved"}
    for row in rows:
        for language in ("en", "sv"):
            row.language = language
            subject, body, _html = render(row)
            assert problem.number in subject and "{" not in body
