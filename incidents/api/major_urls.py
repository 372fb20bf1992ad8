"""Router of the major-incident API, included from itsm/urls.py under api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from incidents.api.major import MajorIncidentViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("major-incidents", MajorIncidentViewSet, basename="major-incident")

urlpatterns = [path("", include(router.urls))]
