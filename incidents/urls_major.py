from django.urls import path

from incidents import views_major as views

app_name = "major"

urlpatterns = [
    path("agent/major-incidents/", views.board, name="board"),
    path("agent/incidents/<str:number>/major/", views.room, name="room"),
    path("agent/incidents/<str:number>/major/propose/", views.propose, name="propose"),
    path("agent/incidents/<str:number>/major/accept/", views.accept, name="accept"),
    path("agent/incidents/<str:number>/major/reject/", views.reject, name="reject"),
    path("agent/incidents/<str:number>/major/declare/", views.declare, name="declare"),
    path("agent/incidents/<str:number>/major/updates/", views.post_update, name="post-update"),
    path("agent/incidents/<str:number>/major/stakeholders/", views.add_stakeholder, name="add-stakeholder"),
    path(
        "agent/incidents/<str:number>/major/stakeholders/<int:pk>/remove/",
        views.remove_stakeholder,
        name="remove-stakeholder",
    ),
    path("agent/incidents/<str:number>/major/acknowledge/", views.acknowledge, name="acknowledge"),
    path("agent/incidents/<str:number>/major/children/", views.link_child, name="link-child"),
    path("agent/incidents/<str:number>/major/resolve/", views.resolve, name="resolve"),
    path(
        "agent/incidents/<str:number>/major/resolve-children/",
        views.resolve_children,
        name="resolve-children",
    ),
    path("agent/incidents/<str:number>/major/review/", views.review, name="review"),
    path("agent/incidents/<str:number>/major/review/problem/", views.review_problem, name="review-problem"),
    path("major/ack/<str:token>/", views.ack_link, name="ack"),
    path("portal/major-incidents/<str:number>/", views.portal_detail, name="portal-detail"),
    path("portal/major-incidents/<str:number>/affects-me/", views.portal_join, name="portal-join"),
]
