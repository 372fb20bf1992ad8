from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core import views as core_views

admin.site.site_header = "ITSM administration"
admin.site.site_title = "ITSM"
# A database that cannot be reached answers 503 (JSON under /api/), anything else the usual 500.
handler500 = "core.views.server_error"

_docs_csp = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", core_views.set_language, name="set-language"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("agent/", core_views.agent_home, name="agent-home"),
    path("portal/", core_views.portal_home, name="portal-home"),
    path("", include("incidents.urls")),
    path("", include("problems.urls")),
    path("agent/", include("changes.urls")),
    path("admin/", admin.site.urls),
    path("", include("knowledge.urls")),
    path("api/v1/", include("problems.api.urls")),
    path("api/v1/", include("knowledge.api.urls")),
    path("api/v1/", include("changes.api.urls")),
    path("", include("incidents.urls_major")),
    path("api/v1/", include("incidents.api.major_urls")),
    path("api/v1/", include("incidents.api.urls")),
    path("", include("slm.urls")),
    path("api/v1/", include("slm.api.urls")),
    path("api/v1/", include("core.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script under the CSP);
    # both documentation viewers inject their own styles, so these two pages allow inline style.
    path("api/docs/", _docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", _docs_csp(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
]
