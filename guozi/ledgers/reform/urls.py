from django.urls import path

from . import views

app_name = "reform"

urlpatterns = [
    path("", views.completion, name="completion"),
    path("export/", views.ledger_export, name="export"),
    path("enterprises/<int:enterprise_id>/", views.ledger, name="ledger"),
    path("overdue/", views.overdue_list, name="overdue"),
    path("at-risk/", views.at_risk_list, name="at_risk"),
    path("assign/", views.assign, name="assign"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("import/", views.assignment_import, name="import"),
    path("catalogues/", views.catalogue_list, name="catalogues"),
    path("catalogues/<int:catalogue_id>/", views.catalogue_detail, name="catalogue"),
    path("tasks/<int:item_id>/measures/", views.measure_propose, name="propose"),
    path("tasks/<int:item_id>/weight/", views.reweight, name="reweight"),
    path("proposals/<int:proposal_id>/", views.measure_decide, name="decide"),
]
