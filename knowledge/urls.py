"""Knowledge pages: the agent area under /agent/kb/ and the portal under /portal/kb/."""

from django.urls import include, path

from knowledge import views

agent_patterns = [
    path("", views.article_list, name="kb-agent-list"),
    path("new/", views.article_create, name="kb-agent-create"),
    path("preview/", views.preview, name="kb-agent-preview"),
    path("suggest/", views.agent_suggest, name="kb-agent-suggest"),
    path("review/", views.review_queue, name="kb-agent-review"),
    path("report/", views.report, name="kb-agent-report"),
    path("<str:number>/", views.article_detail, name="kb-agent-detail"),
    path("<str:number>/edit/", views.article_edit, name="kb-agent-edit"),
    path("<str:number>/diff/", views.article_diff, name="kb-agent-diff"),
    path("<str:number>/versions/<int:version>/", views.version_detail, name="kb-agent-version"),
    path("<str:number>/reviewed/", views.confirm_review, name="kb-agent-confirm-review"),
    path("<str:number>/incident/<str:action>/", views.incident_action, name="kb-agent-incident-action"),
    path("<str:number>/revision/discard/", views.revision_discard, name="kb-agent-discard-revision"),
    path("<str:number>/<str:action>/", views.article_action, name="kb-agent-action"),
]

portal_patterns = [
    path("", views.portal_home, name="kb-portal-home"),
    path("suggest/", views.portal_suggest, name="kb-portal-suggest"),
    path("category/<int:pk>/", views.portal_category, name="kb-portal-category"),
    path("<str:number>/", views.portal_detail, name="kb-portal-detail"),
    path("<str:number>/feedback/", views.portal_feedback, name="kb-portal-feedback"),
]

urlpatterns = [
    path("agent/kb/", include(agent_patterns)),
    path("portal/kb/", include(portal_patterns)),
]
