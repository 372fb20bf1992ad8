from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    # Agent area
    path("agent/incidents/", views.agent_queue, name="agent-queue"),
    path("agent/incidents/new/", views.agent_create, name="agent-create"),
    path("agent/incidents/bulk/", views.agent_bulk, name="agent-bulk"),
    path("agent/incidents/priority-preview/", views.agent_priority_preview, name="agent-priority-preview"),
    path("agent/incidents/callers/", views.agent_caller_search, name="agent-caller-search"),
    path("agent/incidents/assignees/", views.agent_assignee_options, name="agent-assignee-options"),
    path("agent/incidents/<str:number>/", views.agent_detail, name="agent-detail"),
    path("agent/incidents/<str:number>/edit/", views.agent_edit, name="agent-edit"),
    path("agent/incidents/<str:number>/comment/", views.agent_comment, name="agent-comment"),
    path("agent/incidents/<str:number>/attach/", views.agent_attach, name="agent-attach"),
    path("agent/incidents/<str:number>/transition/", views.agent_transition, name="agent-transition"),
    path("agent/incidents/<str:number>/assign/", views.agent_assign, name="agent-assign"),
    path("agent/incidents/<str:number>/escalate/", views.agent_escalate, name="agent-escalate"),
    path("agent/incidents/<str:number>/link/", views.agent_link, name="agent-link"),
    # Files, for agents and callers alike (scope-checked)
    path("incidents/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    # Self-service portal
    path("portal/incidents/", views.portal_list, name="portal-list"),
    path("portal/incidents/new/", views.portal_report, name="portal-report"),
    path("portal/incidents/<str:number>/", views.portal_detail, name="portal-detail"),
    path("portal/incidents/<str:number>/comment/", views.portal_comment, name="portal-comment"),
    path("portal/incidents/<str:number>/accept/", views.portal_accept, name="portal-accept"),
    path("portal/incidents/<str:number>/reject/", views.portal_reject, name="portal-reject"),
    path("portal/incidents/<str:number>/rate/", views.portal_rate, name="portal-rate"),
]
