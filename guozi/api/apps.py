from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "guozi.api"
    label = "guozi_api"
    verbose_name = "API"
