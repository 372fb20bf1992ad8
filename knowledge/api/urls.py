from django.urls import include, path
from rest_framework.routers import DefaultRouter

from knowledge.api import views

# No root view: /api/v1/ is core's router root, which this include precedes.
router = DefaultRouter()
router.include_root_view = False
router.register("kb/articles", views.ArticleViewSet, basename="kb-article")

urlpatterns = [path("", include(router.urls))]
