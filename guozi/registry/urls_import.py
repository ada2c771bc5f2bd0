from django.urls import path

from guozi.web.views import not_built

urlpatterns = [
    path("import/", not_built, name="import"),
    path("export/", not_built, name="export"),
]
