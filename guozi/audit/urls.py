from django.urls import path

from guozi.web.views import not_built

app_name = "audit"
urlpatterns = [path("", not_built, name="log")]
