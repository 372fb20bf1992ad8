from django.urls import include, path
from rest_framework.routers import DefaultRouter

from slm.api import views

router = DefaultRouter()
router.include_root_view = False  # core's router owns the API root
router.register("slm/services", views.ServiceViewSet, basename="slm-service")
router.register("slm/calendars", views.CalendarViewSet, basename="slm-calendar")
router.register("slm/policies", views.PolicyViewSet, basename="slm-policy")

urlpatterns = [path("", include(router.urls))]
