from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.cockpit_page, name="cockpit"),
    path("cards/<slug:key>/", views.card_data, name="card"),
    path("export/", views.export, name="export"),
]
