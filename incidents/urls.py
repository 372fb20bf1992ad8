from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("agent/incidents/<str:number>/", views.agent_detail, name="agent-detail"),
    path("portal/incidents/<str:number>/", views.portal_detail, name="portal-detail"),
]
