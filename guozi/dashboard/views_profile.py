"""The enterprise profile page (`/dashboard/enterprises/<id>/`) and its .xlsx export
(`?format=xlsx`). Thin: the profile is built by `profile.enterprise_profile`, scoped to the
user (an enterprise they may not read is 404), and the page and the workbook show its sections.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render

from guozi.accounts.access import Scope, scoped
from guozi.indicators.presenters import period_label
from guozi.lib.charts import echarts_option
from guozi.lib.errors import DomainError

from .profile import enterprise_profile
from .profile_export import export_response

VIEWS = ("full", "condensed")


@scoped(Scope.PORTFOLIO)
def profile_page(request, enterprise_id: int):
    fmt = request.GET.get("format", "html")
    view = request.GET.get("view") or "full"
    if fmt not in ("html", "xlsx") or view not in VIEWS:
        raise Http404
    condensed = view == "condensed"
    try:
        profile = enterprise_profile(
            request.user, enterprise_id, period=request.GET.get("period"), condensed=condensed
        )
    except DomainError as error:
        if fmt == "xlsx":
            raise Http404 from error
        messages.warning(request, error.message)
        profile = enterprise_profile(request.user, enterprise_id, condensed=condensed)
    if fmt == "xlsx":
        query = {key: value for key, value in request.GET.items() if key != "format"}
        return export_response(user=request.user, profile=profile, query=query)
    sections = [
        (
            section,
            [
                {
                    "id": f"chart-{section.key}-{index}",
                    "data_id": f"chart-{section.key}-{index}-data",
                    "chart": chart,
                    "option": echarts_option(chart),
                }
                for index, chart in enumerate(section.charts)
            ],
        )
        for section in profile.sections
    ]
    context = {
        "profile": profile,
        "enterprise": profile.enterprise,
        "sections": sections,
        "view": view,
        "period_label": period_label(profile.period),
        "period_choices": [(period, period_label(period)) for period in profile.periods],
    }
    return render(request, "dashboard/profile.html", context)
