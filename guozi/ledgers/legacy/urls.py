from django.urls import path

from . import views

app_name = "legacy"

urlpatterns = [
    path("", views.problem_list, name="list"),
    path("export/", views.problem_export, name="export"),
    path("statistics/", views.problem_statistics, name="statistics"),
    path("new/", views.problem_create, name="create"),
    path("import/", views.problem_import, name="import"),
    path("items/<int:item_id>/figures/", views.problem_figures, name="figures"),
]
