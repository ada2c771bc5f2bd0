from django.urls import path

from . import views_profile

app_name = "profile"

urlpatterns = [
    path("<int:enterprise_id>/", views_profile.profile_page, name="enterprise"),
]
