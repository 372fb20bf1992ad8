from django.urls import path

from problems import views

app_name = "problems"

urlpatterns = [
    path("agent/problems/", views.queue, name="queue"),
    path("agent/problems/new/", views.create, name="create"),
    path("agent/problems/known-errors/", views.known_errors, name="known-errors"),
    path("agent/problems/candidates/", views.candidates, name="candidates"),
    path("agent/problems/candidates/detect/", views.detect_candidates, name="candidates-detect"),
    path("agent/problems/candidates/<int:pk>/", views.candidate_detail, name="candidate-detail"),
    path("agent/problems/candidates/<int:pk>/dismiss/", views.dismiss_candidate, name="candidate-dismiss"),
    path("agent/problems/link/", views.link_to_problem, name="link-any"),
    path("agent/problems/<str:number>/", views.detail, name="detail"),
    path("agent/problems/<str:number>/edit/", views.edit, name="edit"),
    path("agent/problems/<str:number>/assign/", views.assign, name="assign"),
    path("agent/problems/<str:number>/transition/", views.transition, name="transition"),
    path("agent/problems/<str:number>/resolve/", views.resolve, name="resolve"),
    path("agent/problems/<str:number>/note/", views.note, name="note"),
    path("agent/problems/<str:number>/link/", views.link, name="link"),
    path("agent/problems/<str:number>/unlink/<str:incident>/", views.unlink, name="unlink"),
    path("agent/problems/<str:number>/known-error/", views.known_error, name="known-error"),
    path("agent/problems/<str:number>/communicate-workaround/", views.communicate, name="communicate"),
    path("agent/problems/<str:number>/tasks/", views.add_task, name="task-add"),
    path("agent/problems/<str:number>/tasks/<str:task>/", views.task_update, name="task-update"),
]
