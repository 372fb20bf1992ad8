"""Known errors: marking needs a workaround, re-marking updates, the article content, and the
timeline (the knowledge articles themselves: test_known_error_articles.py)."""

import pytest
from django.core.exceptions import ValidationError

from problems import known_errors, services
from problems.choices import State
from tests.problems.conftest import make_problem

pytestmark = pytest.mark.django_db


def test_marking_needs_a_documented_workaround(agent):
    problem = make_problem(agent)
    with pytest.raises(ValidationError) as info:
        services.mark_known_error(problem, by=agent)
    assert "workaround" in info.value.message_dict
    problem.refresh_from_db()
    assert not problem.known_error and problem.timeline.filter(kind="knowledge").count() == 0


def test_marking_and_remarking(agent):
    problem = make_problem(agent, workaround="Use webmail")
    services.mark_known_error(problem, by=agent, audience="agents", symptoms="Outlook hangs")
    problem.refresh_from_db()
    first_at = problem.known_error_at
    assert (
        problem.known_error
        and problem.known_error_audience == "agents"
        and problem.symptoms == "Outlook hangs"
    )
    services.mark_known_error(problem, by=agent, audience="everyone")
    problem.refresh_from_db()
    assert problem.known_error_at == first_at and problem.known_error_audience == "everyone"
    assert [e.data["known_error"] for e in problem.timeline.filter(kind="knowledge")] == ["marked", "updated"]


def test_workaround_cannot_be_removed_from_a_known_error(agent):
    problem = make_problem(agent, workaround="Use webmail")
    services.mark_known_error(problem, by=agent)
    with pytest.raises(ValidationError) as info:
        services.update_problem(problem, by=agent, changes={"workaround": " "})
    assert "workaround" in info.value.message_dict


def test_workaround_change_republishes(agent):
    problem = make_problem(agent, workaround="Use webmail")
    services.mark_known_error(problem, by=agent)
    services.update_problem(problem, by=agent, changes={"workaround": "Use webmail or the mobile app"})
    services.update_problem(problem, by=agent, changes={"description": "Not part of the article"})
    assert [e.data["known_error"] for e in problem.timeline.filter(kind="knowledge")] == ["marked", "updated"]


def test_cancelled_problem_cannot_be_a_known_error(agent):
    problem = make_problem(agent, workaround="Use webmail")
    services.cancel_problem(problem, by=agent, reason="Duplicate")
    with pytest.raises(ValidationError):
        services.mark_known_error(problem, by=agent)
    assert problem.state == State.CANCELLED


def test_article_content_has_symptoms_workaround_cause_and_problem(agent):
    problem = make_problem(
        agent,
        short_description="Outlook hangs on shared mailboxes",
        workaround="Open the mailbox in webmail & wait",
        root_cause="Cached mode",
        symptoms="Outlook stops responding",
    )
    content = known_errors.article_content(problem, language="en")
    assert content["title"] == "Known error: Outlook hangs on shared mailboxes"
    assert content["summary"] == "Outlook stops responding"
    body = content["body"]
    assert "## Symptoms" in body and "## Workaround" in body and "## Cause" in body
    assert "Open the mailbox in webmail & wait" in body  # Markdown source, not HTML-escaped
    assert problem.number in body
    swedish = known_errors.article_content(problem, language="sv")
    assert swedish["title"].startswith("Känt fel:") and "## Tillfällig lösning" in swedish["body"]
