from django.urls import path

from . import views

urlpatterns = [
    path("", views.directory_page, name="directory"),
    path("tree/", views.tree_page, name="tree"),
    path("tree/node/<int:enterprise_id>/", views.tree_node, name="tree_node"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:enterprise_id>/", views.enterprise_page, name="enterprise"),
    path("enterprises/<int:enterprise_id>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("enterprises/<int:enterprise_id>/holders/new/", views.holder_add, name="holder_add"),
    path(
        "enterprises/<int:enterprise_id>/transfer/",
        views.enterprise_transfer,
        name="enterprise_transfer",
    ),
    path("enterprises/<int:enterprise_id>/merge/", views.enterprise_merge, name="enterprise_merge"),
]
