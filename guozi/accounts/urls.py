from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read_all"),
    path("inbox/<int:notification_id>/read/", views.inbox_read, name="inbox_read"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/login-log/", views.security_login_log, name="security_login_log"),
    path("users/<int:user_id>/", views.user_detail, name="user"),
    path("users/<int:user_id>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:user_id>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:user_id>/tokens/revoke/", views.user_tokens_revoke, name="user_tokens_revoke"),
    path("users/<int:user_id>/memberships/", views.membership_new, name="membership_new"),
    path("memberships/<int:membership_id>/end/", views.membership_end, name="membership_end"),
    path("login-log/", views.login_log, name="login_log"),
]
