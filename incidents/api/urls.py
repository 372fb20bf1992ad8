"""Incident API routes, included under ``/api/v1/`` by itsm/urls.py."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from incidents.api.views import IncidentViewSet

router = DefaultRouter()
router.include_root_view = False  # the core router serves /api/v1/
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [path("", include(router.urls))]
