"""Agent URLs of change enablement, included under /agent/ (three top-level menu entries)."""

from django.urls import path, register_converter

from changes import views


class ChangeNumberConverter:
    regex = "[Cc][Hh][Gg][0-9]+"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(ChangeNumberConverter, "chg")

app_name = "changes"

urlpatterns = [
    path("changes/", views.queue, name="queue"),
    path("changes/new/", views.create, name="create"),
    path("changes/templates/", views.template_catalog, name="templates"),
    path("changes/templates/<slug:slug>/", views.use_template, name="template-use"),
    path(
        "changes/templates/<slug:slug>/<str:decision>/",
        views.template_decision,
        name="template-decision",
    ),
    path("changes/approvals/<str:token>/", views.approval_link, name="approval-link"),
    path("changes/<chg:number>/", views.detail, name="detail"),
    path("changes/<chg:number>/edit/", views.edit, name="edit"),
    path("changes/<chg:number>/<slug:action>/", views.change_action, name="action"),
    path("change-calendar/", views.change_calendar, name="calendar"),
    path("cab/", views.cab, name="cab"),
]
