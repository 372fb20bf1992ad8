from django.urls import path

from slm import views

app_name = "slm"

urlpatterns = [
    path("agent/slm/breaching/", views.breaching, name="breaching"),
    path("agent/slm/timers/<int:pk>/reason/", views.breach_reason, name="breach-reason"),
    path("agent/slm/reports/", views.reports_index, name="reports"),
    path("agent/slm/reports/compliance/", views.compliance_report, name="report-compliance"),
    path("agent/slm/reports/resolution-times/", views.resolution_report, name="report-resolution"),
    path("agent/slm/reports/demand/", views.demand_report, name="report-demand"),
    path("agent/slm/reports/service-review/", views.service_review_report, name="report-service-review"),
]
