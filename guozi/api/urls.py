from django.urls import path, re_path

from .api import api
from .views import shaped_405, unknown_path

# Not named `app_name`: include() would take that as this module's namespace.
_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    if _pattern.name == "api-root":
        # ninja's root view only raises Http404 (an HTML page).
        _pattern.callback = unknown_path
    elif _pattern.name != "openapi-json":
        _pattern.callback = shaped_405(_pattern.callback)

urlpatterns = [
    path("", (_patterns, _app, _namespace)),
    re_path(r"^.*$", unknown_path, name="api_unknown_path"),
]
