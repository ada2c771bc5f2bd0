from django.urls import path

from . import views_files

urlpatterns = [
    path("files/", views_files.upload_page, name="upload"),
    path("files/template/", views_files.template_download, name="template"),
    path("files/<str:upload_id>/", views_files.upload_review, name="upload_review"),
]
