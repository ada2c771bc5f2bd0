"""Scoped reads of tours, briefs and monthly reports.

Tours and reports belong to a supervisor: its supervisor roles read them, and so do those of the
supervisors above it; enterprise users never see them (404, as for no such id). Only the
supervisor's own analysts create, edit, generate and issue its briefs.
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from guozi.accounts.access import active_memberships
from guozi.accounts.models import Role
from guozi.ledgers.reform.selectors import supervisor_scope
from guozi.registry.models import Enterprise, Supervisor
from guozi.registry.selectors import visible_enterprises

from .models import BriefVersion, MonthlyReport, Tour


def editable_supervisor_ids(user) -> set[int]:
    """The supervisors whose briefs the user writes: those they are an analyst of."""
    return {
        m.supervisor_id
        for m in active_memberships(user)
        if m.role == Role.SUPERVISOR_ANALYST and m.supervisor_id
    }


def can_edit(user, tour: Tour) -> bool:
    return tour.supervisor_id in editable_supervisor_ids(user)


def tours_for(user) -> QuerySet[Tour]:
    return (
        Tour.objects.filter(supervisor_id__in=supervisor_scope(user))
        .select_related("supervisor", "brief", "created_by")
        .order_by("-date_from", "-id")
    )


def get_tour(user, tour_id: int) -> Tour:
    return get_object_or_404(tours_for(user), id=tour_id)


def get_version(user, tour_id: int, number: int) -> BriefVersion:
    tour = get_tour(user, tour_id)
    return get_object_or_404(
        BriefVersion.objects.select_related("brief__tour"), brief__tour=tour, number=number
    )


def reports_for(user) -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.filter(supervisor_id__in=supervisor_scope(user)).select_related(
        "supervisor"
    )


def get_report(user, report_id: int) -> MonthlyReport:
    return get_object_or_404(reports_for(user), id=report_id)


def tour_supervisors(user) -> list[Supervisor]:
    return list(Supervisor.objects.filter(id__in=editable_supervisor_ids(user)).order_by("id"))


def stop_candidates(user, supervisor_ids: set[int], city: str = "") -> QuerySet[Enterprise]:
    """The enterprises the user may put on a tour of those supervisors, by city."""
    enterprises = visible_enterprises(user).filter(
        supervisor_id__in=supervisor_scope(user) & _with_lower(supervisor_ids)
    )
    if city:
        enterprises = enterprises.filter(city_code=city)
    return enterprises.order_by("city_code", "name_zh")


def _with_lower(supervisor_ids: set[int]) -> set[int]:
    from guozi.registry.selectors import supervisor_descendants

    return supervisor_descendants(supervisor_ids) if supervisor_ids else set()
