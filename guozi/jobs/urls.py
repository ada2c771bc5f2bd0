from django.urls import path

from guozi.web.views import not_built

app_name = "jobs"
urlpatterns = [
    path("", not_built, name="list"),
    path("<uuid:job_id>/", not_built, name="detail"),
]
