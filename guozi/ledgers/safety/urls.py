from django.urls import path

from . import views

app_name = "safety"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("export/", views.incident_export, name="export"),
    path("statistics/", views.incident_statistics, name="statistics"),
    path("report/", views.report_first, name="report"),
    path("items/<int:item_id>/report/", views.report_again, name="report_again"),
    path("import/", views.incident_import, name="import"),
]
