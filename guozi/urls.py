from django.contrib import admin
from django.urls import include, path

from guozi.web import views as web

urlpatterns = [
    path("", web.home, name="home"),
    path("healthz", web.healthz, name="healthz"),
    path("login/", web.login, name="login"),
    path("logout/", web.logout, name="logout"),
    path("password/", web.password_change, name="password_change"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("guozi.registry.urls")),
    path("reporting/", include("guozi.reporting.urls")),
    path("ledgers/reform/", include("guozi.ledgers.reform.urls")),
    path("ledgers/legacy/", include("guozi.ledgers.legacy.urls")),
    path("ledgers/safety/", include("guozi.ledgers.safety.urls")),
    path("ledgers/rnd/", include("guozi.ledgers.rnd.urls")),
    path("ledgers/supply/", include("guozi.ledgers.supply.urls")),
    path("ledgers/", include("guozi.ledgers.urls")),
    path("indicators/", include("guozi.indicators.urls")),
    path("alerts/", include("guozi.indicators.urls_alerts")),
    path("dashboard/enterprises/", include("guozi.dashboard.urls_profile")),
    path("dashboard/", include("guozi.dashboard.urls")),
    path("briefings/", include("guozi.briefings.urls")),
    path("accounts/", include("guozi.accounts.urls")),
    path("audit/", include("guozi.audit.urls")),
    path("jobs/", include("guozi.jobs.urls")),
    path("api/v1/", include("guozi.api.urls")),
    path("admin/", admin.site.urls),
]
