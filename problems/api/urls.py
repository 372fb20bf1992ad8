"""Problems API routes (a SimpleRouter: the API root view belongs to core). Candidates and tasks are
registered before the problem detail route."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from problems.api import views

router = SimpleRouter()
router.register("problems/candidates", views.CandidateViewSet, basename="api-problem-candidate")
router.register("problem-tasks", views.ProblemTaskViewSet, basename="api-problem-task")
router.register("problems", views.ProblemViewSet, basename="api-problem")

urlpatterns = [path("", include(router.urls))]
