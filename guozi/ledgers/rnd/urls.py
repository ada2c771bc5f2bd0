from django.urls import path

from . import views

app_name = "rnd"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("export/", views.project_export, name="export"),
    path("import/", views.project_import, name="import"),
    path("summary/", views.summary, name="summary"),
    path("new/", views.project_create, name="create"),
    path("projects/<int:item_id>/details/", views.project_edit, name="edit"),
    path("projects/<int:item_id>/years/", views.year_record, name="year"),
    path("projects/<int:item_id>/outcomes/", views.outcome_record, name="outcome"),
    path(
        "projects/<int:item_id>/outcomes/<int:outcome_id>/remove/",
        views.outcome_remove,
        name="outcome_remove",
    ),
]
