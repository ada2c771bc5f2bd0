from . import urls_import, urls_pages

app_name = "registry"
urlpatterns = urls_pages.urlpatterns + urls_import.urlpatterns
