from django.urls import path

from . import views_import

urlpatterns = [
    path("import/", views_import.import_page, name="import"),
    path("import/<str:upload_id>/", views_import.import_review, name="import_review"),
    path("export/", views_import.export_view, name="export"),
]
