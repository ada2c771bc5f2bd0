from django.urls import path

from guozi.web.views import not_built

app_name = "accounts"
urlpatterns = [
    path("inbox/", not_built, name="inbox"),
    path("tokens/", not_built, name="tokens"),
    path("users/", not_built, name="users"),
]
