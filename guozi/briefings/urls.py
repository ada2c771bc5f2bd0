from django.urls import path

from . import views

app_name = "briefings"

urlpatterns = [
    path("", views.brief_list, name="list"),
    path("new/", views.tour_create, name="create"),
    path("new/enterprises/", views.stop_options, name="stop_options"),
    path("tours/<int:tour_id>/", views.tour_page, name="tour"),
    path("tours/<int:tour_id>/text/", views.tour_edit, name="edit"),
    path("tours/<int:tour_id>/generate/", views.tour_generate, name="generate"),
    path("tours/<int:tour_id>/issue/", views.tour_issue, name="issue"),
    path("tours/<int:tour_id>/draft/<str:fmt>/", views.draft_download, name="draft"),
    path(
        "tours/<int:tour_id>/versions/<int:number>/<str:fmt>/",
        views.version_download,
        name="version",
    ),
    path("reports/<int:report_id>/<str:fmt>/", views.report_download, name="report"),
]
