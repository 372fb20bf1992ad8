"""The v1 API router. Each app registers its viewsets in its own ``api/urls.py``, included here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from core.api import views

router = DefaultRouter()
router.register("desks", views.DeskViewSet, basename="desk")
router.register("groups", views.SupportGroupViewSet, basename="supportgroup")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("", include(router.urls)),
]
