from django.urls import path

from . import views

app_name = "supply"

urlpatterns = [
    path("", views.input_list, name="list"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("enterprises/<int:enterprise_id>/", views.enterprise, name="enterprise"),
    path("new/", views.input_create, name="create"),
    path("items/<int:item_id>/edit/", views.input_edit, name="edit"),
    path("export/", views.input_export, name="export"),
    path("import/", views.input_import, name="import"),
]
