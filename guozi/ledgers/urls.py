from django.urls import path

from . import views

app_name = "ledgers"

urlpatterns = [
    path("", views.item_list, name="list"),
    path("board/", views.item_board, name="board"),
    path("export/", views.item_export, name="export"),
    path("new/", views.item_create, name="create"),
    path("import/", views.item_import, name="import"),
    path("import/template/", views.item_import_template, name="import_template"),
    path("items/<int:item_id>/", views.item_page, name="item"),
    path("items/<int:item_id>/edit/", views.item_edit, name="edit"),
    path("items/<int:item_id>/act/", views.item_action, name="act"),
    path("items/<int:item_id>/updates/", views.update_create, name="update_create"),
    path(
        "items/<int:item_id>/updates/<int:update_id>/act/",
        views.update_action,
        name="update_act",
    ),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
]
