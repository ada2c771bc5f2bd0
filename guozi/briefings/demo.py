"""The demo's ready tour: Dalian, Anshan, Panjin and Shenyang, 2–4 September 2026, one group of
the Liaoning demo portfolio per city, its brief drafted by the demo analyst and its generation
queued (the worker of `guozi serve` renders it)."""

from datetime import date

from django.utils.translation import gettext as _

from guozi.accounts.models import User
from guozi.registry.models import ManagementLink, Supervisor

from . import services
from .models import Tour

TITLE = "辽宁省国资委主任赴大连、鞍山、盘锦、沈阳调研"
DATES = (date(2026, 9, 2), date(2026, 9, 4))
# (city, the brand of the group visited there, day)
STOPS = [
    ("210200", "东溟", date(2026, 9, 2)),  # Dalian: the port group
    ("210300", "鑫辽", date(2026, 9, 3)),  # Anshan: the steel group
    ("211100", "盘海", date(2026, 9, 3)),  # Panjin: the petrochemical group
    ("210100", "启衡", date(2026, 9, 4)),  # Shenyang: the heavy-equipment group
]
ANALYST = "analyst"
SUPERVISOR = "ln"


def _group(supervisor: Supervisor, city: str, brand: str):
    links = ManagementLink.objects.filter(
        parent_supervisor=supervisor, valid_to__isnull=True, child__city_code=city
    ).select_related("child")
    groups = sorted((link.child for link in links), key=lambda e: e.id)
    return next((g for g in groups if brand in g.name_zh), groups[0] if groups else None)


def load_tour(*, generate: bool = True) -> Tour | None:
    """Create the tour (again: an earlier demo tour of the same title is replaced) and start
    the generation of its brief. None when the demo has no computed figures or no group in
    those cities to brief on."""
    from guozi.dashboard.profile import profile_periods

    periods = profile_periods()
    supervisor = Supervisor.objects.filter(code=SUPERVISOR).first()
    analyst = User.objects.filter(username=ANALYST).first()
    if not periods or supervisor is None or analyst is None:
        return None
    Tour.objects.filter(supervisor=supervisor, title=TITLE).delete()
    stops = []
    for city, brand, day in STOPS:
        group = _group(supervisor, city, brand)
        if group is not None:
            stops.append(services.StopInput(group, day))
    if not stops:
        return None
    tour = services.tour_create(
        acting_user=analyst,
        supervisor=supervisor,
        title=TITLE,
        date_from=DATES[0],
        date_to=DATES[1],
        period=periods[0],
        stops=stops,
    )
    if generate:
        services.brief_generate(acting_user=analyst, brief=tour.brief)
    return tour


def summary(tour: Tour | None) -> str:
    if tour is None:
        return _("Inspection tour: none (no computed figures).")
    stops = "、".join(stop.enterprise.name for stop in tour.stops.select_related("enterprise"))
    return _("Inspection tour: %(title)s, %(count)d stops (%(stops)s), brief drafted.") % {
        "title": tour.title,
        "count": tour.stops.count(),
        "stops": stops,
    }


def reset() -> None:
    """Delete every tour and monthly report (their stops hold on to the demo's enterprises)."""
    from .models import MonthlyReport

    Tour.objects.all().delete()
    MonthlyReport.objects.all().delete()
