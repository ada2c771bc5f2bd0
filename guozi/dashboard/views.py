"""The cockpit: a light page (filters, breadcrumb, one placeholder per card), each card's data
from its own endpoint (JSON, or an HTML table), and the whole dashboard as one workbook.

Thin: the state is read by `state.read_state`, the cards are built by `cards`, the export by
`exports`; every read is scoped there.
"""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import render

from guozi.accounts.access import Scope, scoped
from guozi.indicators import presenters
from guozi.lib.charts import echarts_option
from guozi.lib.collector import collector_paused
from guozi.lib.errors import DomainError
from guozi.registry.directory import filter_options
from guozi.registry.models import FunctionClass
from guozi.registry.selectors import children_at, visible_enterprises
from guozi.web.sessions import without_session_renewal

from . import cards, exports
from .state import CockpitState, breadcrumb, read_state

WALL_REFRESH_SECONDS = 300


def _state(request, *, warn: bool = False) -> CockpitState:
    try:
        state = read_state(request.user, request.GET)
    except LookupError as error:
        raise Http404 from error
    if warn:
        for problems in state.problems.values():
            for problem in problems:
                messages.warning(request, problem)
    return state


def _filter_options(state: CockpitState) -> dict:
    """The filter bar's choices, limited to what the user may read."""
    options = filter_options(state.user)
    classes = FunctionClass.objects.filter(supervisor__in=options.supervisors).order_by("id")
    groups = []
    if state.supervisor_id is not None:
        groups = (
            children_at(state.day, supervisor_id=state.supervisor_id)
            .filter(id__in=visible_enterprises(state.user).values("id"))
            .order_by("name_zh")
        )
    return {"options": options, "classes": classes, "groups": groups}


@scoped(Scope.PORTFOLIO)
@collector_paused()
def cockpit_page(request):
    state = _state(request, warn=True)
    context = {
        "state": state,
        "choices": state.choices,
        "period_label": presenters.period_label(state.period),
        "crumbs": breadcrumb(state),
        "cards": [(key, str(title)) for key, (title, _build) in cards.CARDS.items()],
        "query": state.query(),
        "wall": state.screen == "wall",
        "refresh": WALL_REFRESH_SECONDS,
        **_filter_options(state),
    }
    return render(request, "dashboard/cockpit.html", context)


def card_json(card: cards.Card) -> dict:
    table = card.table
    return {
        "key": card.key,
        "title": card.title,
        "notes": [str(note) for note in card.notes],
        "option": echarts_option(card.chart) if card.chart else None,
        "table": {
            "headers": [str(h) for h in table.headers],
            "numeric": sorted(table.numeric_columns),
            "rows": [
                [
                    {"text": cell.text, "link": cell.link, "css": cell.css, "title": cell.title}
                    for cell in row
                ]
                for row in table.rows
            ],
        },
        "links": [{"label": str(label), "url": url} for label, url in card.links],
    }


@scoped(Scope.PORTFOLIO)
@without_session_renewal
@collector_paused()
def card_data(request, key: str):
    if key not in cards.CARDS:
        raise Http404
    fmt = request.GET.get("format", "json")
    if fmt not in ("json", "table"):
        raise Http404
    state = _state(request)
    card = cards.build(state, key)
    if fmt == "table":
        return render(request, "dashboard/_card_table.html", {"card": card, "state": state})
    return JsonResponse(card_json(card))


@scoped(Scope.PORTFOLIO)
@collector_paused()
def export(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    state = _state(request)
    built = [cards.build(state, key) for key in cards.CARDS]
    query = {key: value for key, value in request.GET.items() if key != "format"}
    if fmt == "pdf":
        try:
            return exports.pdf_response(request.user, state, built, query)
        except DomainError as error:
            return render(request, "dashboard/cockpit_error.html", {"error": error}, status=503)
    return exports.xlsx_response(request.user, state, built, query)
