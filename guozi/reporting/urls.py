from django.urls import include, path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.period_page, name="period"),
    path("open/", views.open_submission, name="open"),
    path("reviews/", views.review_page, name="reviews"),
    path("submissions/<int:submission_id>/", views.submission_page, name="submission"),
    path("submissions/<int:submission_id>/check/", views.check_cells, name="check"),
    path("submissions/<int:submission_id>/act/", views.submission_action, name="act"),
    path(
        "submissions/<int:submission_id>/history/<str:cell>/",
        views.cell_history_page,
        name="history",
    ),
    path("", include("guozi.reporting.urls_files")),
]
