"""API routes of change enablement, included under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from changes.api import views

router = DefaultRouter()
router.include_root_view = False
router.register("changes/templates", views.ChangeTemplateViewSet, basename="change-template")
router.register("changes", views.ChangeViewSet, basename="change")

urlpatterns = [path("", include(router.urls))]
