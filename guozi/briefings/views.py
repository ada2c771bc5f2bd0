from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guozi.accounts.access import Scope, scoped
from guozi.jobs.views import result_summary
from guozi.ledgers.reform.selectors import supervisor_scope
from guozi.lib.errors import DomainError
from guozi.registry.directory import city_name
from guozi.registry.forms import apply_domain_error

from . import files, selectors, services
from .compose import points_key, summary_key, text_keys
from .forms import TourForm


def _supervisor_reader(user) -> None:
    """Tours are the supervisor's: enterprise users never see them."""
    if not supervisor_scope(user):
        raise PermissionDenied


@scoped(Scope.PORTFOLIO)
def brief_list(request):
    _supervisor_reader(request.user)
    context = {
        "tours": selectors.tours_for(request.user)[:200],
        "reports": selectors.reports_for(request.user)[:60],
        "can_create": bool(selectors.editable_supervisor_ids(request.user)),
    }
    return render(request, "briefings/list.html", context)


@scoped(Scope.PORTFOLIO)
def tour_create(request):
    from guozi.dashboard.profile import profile_periods

    _supervisor_reader(request.user)
    if not selectors.editable_supervisor_ids(request.user):
        raise PermissionDenied
    form = TourForm(request.user, profile_periods(), request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tour = services.tour_create(acting_user=request.user, **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("The tour was created and its brief drafted."))
            return redirect("briefings:tour", tour.id)
    status = 400 if request.method == "POST" else 200
    return render(request, "briefings/create.html", {"form": form}, status=status)


@scoped(Scope.PORTFOLIO)
def stop_options(request):
    """The enterprises of a city for a stop's list (fetched when the city changes)."""
    _supervisor_reader(request.user)
    # The row's city select sends itself: stop-<n>-city (or plain `city`).
    city = next((v for k, v in request.GET.items() if k.split("-")[-1] == "city"), "")[:6]
    editable = selectors.editable_supervisor_ids(request.user)
    enterprises = selectors.stop_candidates(request.user, editable, city)[:500] if city else []
    return render(request, "briefings/_stop_options.html", {"enterprises": enterprises})


def _sections(tour, brief) -> list[dict]:
    """The editable sections of the brief, in the document's order."""
    sections = [{"key": "overview", "title": _("Overview of the tour"), "text": ""}]
    for stop in tour.stops.select_related("enterprise"):
        sections.append(
            {"key": summary_key(stop), "title": stop.enterprise.name, "stop": stop, "rows": 3}
        )
        sections.append(
            {"key": points_key(stop), "title": _("Points to raise"), "stop": stop, "rows": 8}
        )
    for section in sections:
        section["text"] = brief.texts.get(section["key"], "")
    return sections


@scoped(Scope.PORTFOLIO)
def tour_page(request, tour_id: int):
    tour = selectors.get_tour(request.user, tour_id)
    brief = tour.brief
    # The job's progress is its creator's to follow (the job pages are scoped so).
    job = brief.job if brief.job and brief.job.created_by_id == request.user.id else None
    if job:
        job.load_live_progress()
    stops = [(stop, city_name(stop.city_code)) for stop in tour.stops.select_related("enterprise")]
    context = {
        "tour": tour,
        "brief": brief,
        "stops": stops,
        "sections": _sections(tour, brief),
        "versions": brief.versions.select_related("issued_by"),
        "can_edit": selectors.can_edit(request.user, tour),
        "job": job,
        "summary": result_summary(job.result) if job else None,
    }
    return render(request, "briefings/tour.html", context)


def _act(request, tour_id: int, action) -> object:
    tour = selectors.get_tour(request.user, tour_id)
    try:
        return action(tour)
    except DomainError as error:
        messages.error(request, error.message)
        return None


@require_POST
@scoped(Scope.PORTFOLIO)
def tour_edit(request, tour_id: int):
    def edit(tour):
        texts = {key: request.POST[key] for key in text_keys(tour) if key in request.POST}
        services.brief_edit(acting_user=request.user, brief=tour.brief, texts=texts)
        messages.success(request, _("The text was saved."))

    _act(request, tour_id, edit)
    return redirect("briefings:tour", tour_id)


@require_POST
@scoped(Scope.PORTFOLIO)
def tour_generate(request, tour_id: int):
    def generate(tour):
        services.brief_generate(acting_user=request.user, brief=tour.brief)
        messages.success(request, _("The brief is being generated."))

    _act(request, tour_id, generate)
    return redirect("briefings:tour", tour_id)


@require_POST
@scoped(Scope.PORTFOLIO)
def tour_issue(request, tour_id: int):
    def issue(tour):
        version = services.brief_issue(acting_user=request.user, brief=tour.brief)
        messages.success(request, _("Version %(n)d was issued.") % {"n": version.number})

    _act(request, tour_id, issue)
    return redirect("briefings:tour", tour_id)


def _file_response(request, *, instance, files_of: dict, fmt: str, name: str):
    try:
        path = services.file_download(
            acting_user=request.user, instance=instance, files_of=files_of, fmt=fmt
        )
    except DomainError as error:
        raise Http404(error.message) from error
    return FileResponse(
        path.open("rb"),
        as_attachment=fmt != "html",
        filename=f"{name}.{fmt}",
        content_type=files.CONTENT_TYPES[fmt],
    )


@scoped(Scope.PORTFOLIO)
def draft_download(request, tour_id: int, fmt: str):
    tour = selectors.get_tour(request.user, tour_id)
    return _file_response(
        request,
        instance=tour.brief,
        files_of=tour.brief.draft_files,
        fmt=fmt,
        name=_("%(title)s (draft)") % {"title": tour.title},
    )


@scoped(Scope.PORTFOLIO)
def version_download(request, tour_id: int, number: int, fmt: str):
    version = selectors.get_version(request.user, tour_id, number)
    return _file_response(
        request,
        instance=version,
        files_of=version.files,
        fmt=fmt,
        name=f"{version.brief.tour.title} v{number}",
    )


@scoped(Scope.PORTFOLIO)
def report_download(request, report_id: int, fmt: str):
    report = selectors.get_report(request.user, report_id)
    return _file_response(
        request,
        instance=report,
        files_of=report.files,
        fmt=fmt,
        name=_("Monthly analysis %(period)s") % {"period": report.period},
    )
