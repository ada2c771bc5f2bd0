from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("", views.overview_page, name="overview"),
    path("rankings/", views.rankings_page, name="rankings"),
    path("enterprise/<int:enterprise_id>/", views.enterprise_page, name="enterprise"),
    path("health/", views.health_page, name="health"),
    path("explain/", views.explain_page, name="explain"),
]
