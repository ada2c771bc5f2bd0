from django.urls import path

from . import views_alerts as views

app_name = "alerts"

urlpatterns = [
    path("", views.board, name="board"),
    path("export/", views.board_export, name="export"),
    path("<int:alert_id>/", views.alert_page, name="alert"),
    path("<int:alert_id>/acknowledge/", views.alert_acknowledge, name="acknowledge"),
    path("<int:alert_id>/rectify/", views.alert_rectify, name="rectify"),
    path("targets/", views.targets_page, name="targets"),
    path("targets/import/", views.targets_import, name="targets_import"),
    path("targets/template/", views.targets_template, name="targets_template"),
    path("lines/", views.lines_page, name="lines"),
    path("lines/method/", views.lines_method, name="lines_method"),
    path("lines/baselines/", views.baseline_save, name="baseline_save"),
    path(
        "lines/baselines/<int:baseline_id>/delete/", views.baseline_delete, name="baseline_delete"
    ),
    path("rules/", views.rules_page, name="rules"),
    path("rules/backtest/", views.rule_backtest, name="rule_backtest"),
    path("rules/switch/", views.rule_switch, name="rule_switch"),
    path("stress/", views.stress_page, name="stress"),
]
