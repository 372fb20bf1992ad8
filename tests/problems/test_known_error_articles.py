"""Known errors publish a knowledge article (type "known error"), linked both ways, and keep it
up to date when the workaround changes; the knowledge base's review rules apply."""

import pytest
from django.core.exceptions import ValidationError

from knowledge.choices import ArticleState
from knowledge.models import Article
from notifications.models import Notification
from problems import services
from tests.problems.conftest import make_problem

pytestmark = pytest.mark.django_db


def test_knowledge_manager_publishes_the_known_error_at_once(knowledge_manager, end_user, agent):
    problem = make_problem(
        agent, workaround="Open the shared mailbox in webmail", symptoms="Outlook stops responding"
    )
    services.mark_known_error(problem, by=knowledge_manager, audience="everyone")
    problem.refresh_from_db()
    article = problem.known_error_article
    assert article.known_error_problem == problem  # linked both ways
    assert article.state == ArticleState.PUBLISHED and article.version == 1
    assert article.audience == "everyone" and article.title.startswith("Known error:")
    assert list(article.tags.values_list("name", flat=True)) == ["known error"]
    assert "Open the shared mailbox in webmail" in article.body and problem.number in article.body
    assert Article.objects.visible_to(end_user).filter(pk=article.pk).exists()
    entry = problem.timeline.get(kind="knowledge")
    assert entry.data["article"] == article.number and entry.data["article_action"] == "published"
    assert problem.known_error_published_at is not None


def test_agent_known_error_goes_to_review_and_stays_internal_when_for_agents(
    agent, knowledge_manager, end_user
):
    problem = make_problem(agent, workaround="Restart the relay")
    services.mark_known_error(problem, by=agent, audience="agents")
    article = Article.objects.get()
    assert article.state == ArticleState.REVIEW and article.audience == "agents"
    assert problem.timeline.get(kind="knowledge").data["article_action"] == "submitted"
    assert Notification.objects.filter(
        template="kb_review_requested", address=knowledge_manager.email
    ).exists()
    assert not Article.objects.visible_to(end_user).filter(pk=article.pk).exists()


def test_workaround_change_updates_the_published_article(knowledge_manager, agent):
    problem = make_problem(agent, workaround="Use webmail")
    services.mark_known_error(problem, by=knowledge_manager, audience="everyone")
    services.update_problem(problem, by=knowledge_manager, changes={"workaround": "Install client 5.3"})
    article = Article.objects.get()
    assert article.version == 2 and "Install client 5.3" in article.body and "Use webmail" not in article.body
    assert article.versions.count() == 2
    assert [e.data.get("article_action") for e in problem.timeline.filter(kind="knowledge")] == [
        "published",
        "updated",
    ]


def test_agent_workaround_change_becomes_a_revision_to_review(knowledge_manager, agent):
    problem = make_problem(agent, workaround="Use webmail")
    services.mark_known_error(problem, by=knowledge_manager, audience="agents")
    services.update_problem(problem, by=agent, changes={"workaround": "Install client 5.3"})
    article = Article.objects.get()
    assert "Use webmail" in article.body  # the live version is unchanged until reviewed
    assert "Install client 5.3" in article.revision.body and article.revision.state == "review"
    assert problem.timeline.filter(kind="knowledge").last().data["article_action"] == "revision_submitted"


def test_refusal_by_the_knowledge_base_leaves_the_known_error_unchanged(knowledge_manager, agent):
    problem = make_problem(agent, workaround="Use webmail")
    services.mark_known_error(problem, by=knowledge_manager, audience="agents")
    with pytest.raises(ValidationError) as info:
        services.mark_known_error(problem, by=agent, audience="everyone")
    assert "known_error" in info.value.message_dict
    problem.refresh_from_db()
    assert problem.known_error_audience == "agents"
    assert Article.objects.get().audience == "agents"


def test_demo_known_error_has_a_published_article():
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    from problems.models import Problem

    problem = Problem.objects.get(known_error=True)
    assert problem.known_error_article.state == ArticleState.PUBLISHED
    assert problem.known_error_article.audience == "everyone"


def test_api_shows_the_article_and_lists_cost_constant_queries(as_user, knowledge_manager, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = as_user(agent)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            body = api.get("/api/v1/problems/").json()
        return len(ctx), body

    problem = make_problem(agent, workaround="Use webmail")
    services.mark_known_error(problem, by=knowledge_manager, audience="everyone")
    few, body = count()
    article = body["results"][0]["known_error_article"]
    assert article["number"] == Article.objects.get().number
    assert article["url"].endswith(f"/api/v1/kb/articles/{article['number']}/")
    for index in range(5):
        other = make_problem(agent, short_description=f"KE {index}", workaround="Restart")
        services.mark_known_error(other, by=knowledge_manager)
    assert count()[0] == few


def test_resolving_a_known_error_adds_the_permanent_fix_to_its_article(knowledge_manager, agent):
    problem = make_problem(agent, workaround="Use webmail")
    services.transition_problem(problem, by=agent, state="assess")
    services.transition_problem(problem, by=agent, state="root_cause_analysis")
    services.transition_problem(problem, by=agent, state="fix_in_progress")
    services.mark_known_error(problem, by=knowledge_manager, audience="everyone")
    services.resolve_problem(
        problem,
        by=knowledge_manager,
        resolution_code="fix_applied",
        fix_description="Client 5.3 deployed",
        resolve_incidents=False,
    )
    article = Article.objects.get()
    assert (
        article.version == 2 and "## Permanent fix" in article.body and "Client 5.3 deployed" in article.body
    )
