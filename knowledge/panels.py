"""Knowledge panels on other apps' pages (see core.panels): the incident side column, agent home."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode

from core.roles import is_agent
from knowledge.choices import ArticleState
from knowledge.models import Article, ArticleIncidentLink, ArticleRevision
from knowledge.services import is_manager


def suggest_url(incident) -> str:
    params = {"q": incident.short_description, "incident": incident.number}
    if incident.category_id:
        params["category"] = incident.category_id
    return f"{reverse('kb-agent-suggest')}?{urlencode(params)}"


def incident_panel(request, incident) -> dict | None:
    """Articles used on the incident, and suggestions from its short description and category."""
    if incident is None or not is_agent(request.user):
        return None
    links = ArticleIncidentLink.objects.filter(incident=incident).select_related("article")
    return {"incident": incident, "links": list(links), "suggest_url": suggest_url(incident)}


def report_form(request, obj=None) -> dict:
    """Suggestions while the user types the short description of a new incident."""
    return {"target_field": "id_short_description"}


def agent_home(request, obj=None) -> dict | None:
    """What the signed-in agent has to do in the knowledge base; hidden when there is nothing."""
    user = request.user
    mine = Q(author=user) | Q(owner=user)
    awaiting = revisions = 0
    if is_manager(user):
        awaiting = Article.objects.filter(state=ArticleState.REVIEW).count()
        revisions = ArticleRevision.objects.filter(state="review").count()
    due = Article.objects.due_for_review().filter(owner=user).count()
    drafts = Article.objects.filter(mine, state=ArticleState.DRAFT).count()
    if not (awaiting or revisions or due or drafts):
        return None
    return {"awaiting": awaiting + revisions, "due": due, "drafts": drafts}
