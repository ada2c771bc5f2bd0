from django.urls import path

from guozi.web.views import not_built

urlpatterns = [
    path("", not_built, name="directory"),
    path("tree/", not_built, name="tree"),
    path("enterprises/<int:enterprise_id>/", not_built, name="enterprise"),
]
