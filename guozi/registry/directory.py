"""The enterprise directory: one scoped, filtered search shared by the page, export and API.

Every argument is the raw string from a query string. Blank means no filter; a value that can
match nothing (an unknown city, a supervisor id that is not a number) gives an empty result,
never an error.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guozi.accounts.access import active_memberships
from guozi.accounts.models import PORTFOLIO_ROLES
from guozi.audit.models import AuditEvent
from guozi.lib import clock, codetables
from guozi.lib.uscc import check_uscc, normalise_uscc

from . import selectors
from .models import (
    Enterprise,
    EquityLink,
    FunctionClass,
    ManagementLink,
    OutsideParty,
    Supervisor,
)

MAX_QUERY_LENGTH = 100
PAGE_SIZE = 50


def _clean(value) -> str:
    # PostgreSQL refuses NUL characters in text; no code or name contains one.
    return str(value or "").replace("\x00", "").strip()


def search_condition(q: str) -> Q:
    """Names, short name and pinyin (full or initials) by substring; USCC and foreign number
    exactly. `search_text` is stored lower-case, so a case-sensitive LIKE is enough and keeps
    PostgreSQL from wrapping the column in UPPER()."""
    text = " ".join(q.split())[:MAX_QUERY_LENGTH]
    code = normalise_uscc(text)
    if len(code) == 18 and check_uscc(code).ok:
        return Q(uscc=code)  # no name contains a valid code: skip the scan
    condition = Q(search_text__contains=text.lower())
    if len(code) == 18:
        condition |= Q(uscc=code)
    country, colon, number = text.partition(":")
    if colon and number and len(country) == 2:
        condition |= Q(foreign_country=country.upper(), foreign_reg_no=number.strip())
    else:
        condition |= Q(foreign_reg_no=text)
    return condition


def directory_search(
    user,
    *,
    q: str = "",
    city: str = "",
    section: str = "",
    function_class: str = "",
    ownership_level: str = "",
    status: str = "",
    portfolio: str = "",
    supervisor: str = "",
) -> QuerySet[Enterprise]:
    """The enterprises `user` may read today that match every given filter, by id."""
    enterprises = selectors.visible_enterprises(user, clock.today())
    q, city, section = _clean(q), _clean(city), _clean(section).upper()
    function_class, ownership_level = _clean(function_class), _clean(ownership_level)
    status, portfolio, supervisor = _clean(status), _clean(portfolio), _clean(supervisor)
    if q:
        enterprises = enterprises.filter(search_condition(q))
    if city:
        enterprises = enterprises.filter(city_code=city)
    if section:
        enterprises = enterprises.filter(industry_section=section)
    if function_class:
        enterprises = enterprises.filter(function_class__code=function_class)
    if ownership_level:
        enterprises = enterprises.filter(ownership_level=ownership_level)
    if status:
        enterprises = enterprises.filter(status=status)
    if portfolio:
        enterprises = enterprises.filter(portfolio=portfolio)
    if supervisor:
        if not supervisor.isdigit() or len(supervisor) > 18:
            return enterprises.none()
        enterprises = enterprises.filter(supervisor_id=int(supervisor))
    return enterprises.order_by("id")


def directory_page(enterprises: QuerySet[Enterprise], number, *, searched: bool) -> Page:
    """One page of `directory_search`'s result, 50 rows, with the total.

    The database sorts and counts ids only (an index does it), then the page's rows are read
    by id. A text search has to read every candidate row once, so its matching ids are fetched
    in one pass that gives both the count and the page.
    """
    ids = enterprises.values_list("id", flat=True)
    page = Paginator(list(ids) if searched else ids, PAGE_SIZE).get_page(number)
    rows = Enterprise.objects.filter(id__in=list(page.object_list))
    page.object_list = list(rows.select_related("function_class", "supervisor").order_by("id"))
    return page


# --- what the filter bar offers --------------------------------------------------------------

LIAONING_CITIES = [f"21{number:02d}00" for number in range(1, 15)]
# Prefecture-level rows that are placeholders, not cities: the province's name reads better.
_PLACEHOLDER_PREFECTURES = {"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位"}


def city_name(code: str) -> str:
    found = codetables.region(code or "")
    if found is None:
        return code or ""
    if found.name_zh in _PLACEHOLDER_PREFECTURES and found.parent_code:
        parent = codetables.region(found.parent_code)
        return parent.name_zh if parent else found.name_zh
    return found.name_zh


def industry_name(code: str) -> str:
    found = codetables.industries().get(code or "")
    return found.name_zh if found else ""


@dataclass(frozen=True)
class FilterOptions:
    cities: list[tuple[str, str]]
    sections: list[tuple[str, str]]
    function_classes: list[tuple[str, str]]
    supervisors: list[Supervisor]


# Walks the city_code index from one value to the next: a few dozen index seeks instead of
# reading every row, on SQLite and PostgreSQL alike.
_TABLE = Enterprise._meta.db_table
_CITIES_SQL = (
    "WITH RECURSIVE c(code) AS ("
    f" SELECT MIN(city_code) FROM {_TABLE} WHERE city_code > ''"
    f" UNION ALL SELECT (SELECT MIN(city_code) FROM {_TABLE} WHERE city_code > c.code)"
    " FROM c WHERE c.code IS NOT NULL"
    ") SELECT code FROM c WHERE code IS NOT NULL"
)


def _present_cities(user, supervisors: list[Supervisor]) -> set[str]:
    """The city codes of the enterprises the user may read."""
    reads_everything = reads_as_supervisor(user, clock.today()) and {
        s.id for s in supervisors
    } >= set(Supervisor.objects.values_list("id", flat=True))
    if reads_everything:
        with connection.cursor() as cursor:
            cursor.execute(_CITIES_SQL)
            return {row[0] for row in cursor.fetchall()}
    visible = selectors.visible_enterprises(user).exclude(city_code="").order_by()
    return set(visible.values_list("city_code", flat=True).distinct())


def filter_options(user) -> FilterOptions:
    """Choices for the directory's filters, limited to what the user may read."""
    supervisors = list(selectors.readable_supervisors(user).order_by("id"))
    others = sorted(_present_cities(user, supervisors) - set(LIAONING_CITIES))
    cities = [(code, city_name(code)) for code in [*LIAONING_CITIES, *others]]
    sections = [
        (code, industry.name_zh)
        for code, industry in codetables.industries().items()
        if industry.level == 1
    ]
    classes: dict[str, str] = {}
    for function_class in FunctionClass.objects.filter(supervisor__in=supervisors).order_by("id"):
        classes.setdefault(function_class.code, function_class.name)
    return FilterOptions(
        cities=cities,
        sections=sections,
        function_classes=list(classes.items()),
        supervisors=supervisors,
    )


# --- the portfolio tree -------------------------------------------------------------------


@dataclass(frozen=True)
class TreeNode:
    enterprise: Enterprise
    level: int | None  # 1 for a group (一级), None when the enterprise is outside any tree
    child_count: int


@dataclass
class SupervisorBranch:
    supervisor: Supervisor
    groups: list[TreeNode] = field(default_factory=list)
    lower: list["SupervisorBranch"] = field(default_factory=list)


def _links_at(day: date) -> QuerySet[ManagementLink]:
    return ManagementLink.objects.filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )


def _nodes(user, day: date, enterprises, level: int | None) -> list[TreeNode]:
    visible = list(
        enterprises.filter(selectors.visibility_filter(user, day))
        .only("id", "name_zh", "name_en", "status", "portfolio")
        .order_by("id")
    )
    counts = selectors.child_counts_at([enterprise.id for enterprise in visible], day)
    return [TreeNode(enterprise, level, counts.get(enterprise.id, 0)) for enterprise in visible]


def level_of(enterprise: Enterprise, day: date) -> int | None:
    return selectors.chain_up(enterprise, day).level or None


def tree_children(
    user, parent: Enterprise, day: date, parent_level: int | None = None
) -> list[TreeNode]:
    """The enterprises `parent` manages on `day` that `user` may read, with their counts."""
    level = parent_level if parent_level is not None else level_of(parent, day)
    return _nodes(
        user,
        day,
        selectors.children_at(day, parent_id=parent.id),
        level + 1 if level else None,
    )


def reads_as_supervisor(user, day: date) -> bool:
    return any(
        membership.supervisor_id and membership.role in PORTFOLIO_ROLES
        for check_day in {day, clock.today()}
        for membership in active_memberships(user, check_day)
    )


def supervisor_branches(user, day: date, supervisor_id: str = "") -> list[SupervisorBranch]:
    """The supervisors the user reads, each with its groups on `day` and the supervisors below
    it as their own branches; only `supervisor_id`'s branch when it is one of them."""
    readable = {s.id: s for s in selectors.readable_supervisors(user).order_by("id")}
    if not readable:
        return []
    wanted = int(supervisor_id) if supervisor_id.isdigit() and len(supervisor_id) < 18 else None
    if wanted not in readable:
        wanted = None
    links = _links_at(day).filter(parent_supervisor_id__in=readable)
    groups = Enterprise.objects.filter(id__in=links.values("child_id"))
    parent_of = dict(links.values_list("child_id", "parent_supervisor_id"))
    branches = {sid: SupervisorBranch(supervisor) for sid, supervisor in readable.items()}
    for node in _nodes(user, day, groups, 1):
        branches[parent_of[node.enterprise.id]].groups.append(node)
    roots = []
    for sid, branch in branches.items():
        parent_id = readable[sid].parent_id
        if parent_id in branches and sid != wanted:
            branches[parent_id].lower.append(branch)
        elif wanted is None or sid == wanted:
            roots.append(branch)
    return roots


def enterprise_roots(user, day: date) -> list[TreeNode]:
    """For an enterprise user: the enterprises of their memberships, then or now."""
    ids = {
        membership.enterprise_id
        for check_day in {day, clock.today()}
        for membership in active_memberships(user, check_day)
        if membership.enterprise_id and membership.role in PORTFOLIO_ROLES
    }
    roots = Enterprise.objects.filter(id__in=ids)
    nodes = _nodes(user, day, roots, None)
    return [
        TreeNode(node.enterprise, level_of(node.enterprise, day), node.child_count)
        for node in nodes
    ]


# --- the enterprise page --------------------------------------------------------------------


def visible_ids(user, day: date, ids) -> set[int]:
    """Which of `ids` the user may open on `day` (to link only those)."""
    ids = {i for i in ids if i}
    if not ids:
        return set()
    return set(
        selectors.visible_enterprises(user, day).filter(id__in=ids).values_list("id", flat=True)
    )


def management_history(enterprise: Enterprise) -> QuerySet[ManagementLink]:
    return (
        ManagementLink.objects.filter(child=enterprise)
        .select_related("parent", "parent_supervisor")
        .order_by("valid_from", "id")
    )


def holdings_at(enterprise: Enterprise, day: date) -> QuerySet[EquityLink]:
    """The stakes `enterprise` itself holds on `day`."""
    return (
        EquityLink.objects.filter(holder_enterprise=enterprise, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .select_related("held")
        .order_by("-pct", "held_id")
    )


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    changes: list[Change]


# Foreign keys shown by name in the change history.
_REFERENCES = {
    "parent_id": Enterprise,
    "child_id": Enterprise,
    "held_id": Enterprise,
    "holder_enterprise_id": Enterprise,
    "merged_into_id": Enterprise,
    "supervisor_id": Supervisor,
    "parent_supervisor_id": Supervisor,
    "holder_supervisor_id": Supervisor,
    "holder_party_id": OutsideParty,
    "function_class_id": FunctionClass,
}
_LABELS = {
    "parent_id": _("management parent"),
    "child_id": _("enterprise"),
    "held_id": _("held enterprise"),
    "holder_enterprise_id": _("holder"),
    "holder_supervisor_id": _("holder"),
    "holder_party_id": _("holder"),
    "parent_supervisor_id": _("supervisor (as parent)"),
    "merged_into_id": _("merged into"),
}
_HIDDEN = {"id", "search_text", "created_at", "updated_at", "city_code", "industry_section"}


def change_history(enterprise: Enterprise, limit: int = 50) -> list[HistoryEntry]:
    """The latest audit events about an enterprise, each with its changed fields by label."""
    events = list(AuditEvent.objects.filter(enterprise_id=enterprise.id)[:limit])
    wanted: dict[type, set] = {}
    for event in events:
        for values in (event.before or {}, event.after or {}):
            for key, value in values.items():
                if key in _REFERENCES and value:
                    wanted.setdefault(_REFERENCES[key], set()).add(value)
    names = {model: model.objects.in_bulk(ids) for model, ids in wanted.items()}

    def shown(model, key, value) -> str:
        if value is None or value == "":
            return "—"
        if key in _REFERENCES:
            found = names.get(_REFERENCES[key], {}).get(value)
            return str(found) if found else f"#{value}"
        if key == "pct":
            try:
                return f"{Decimal(str(value)).normalize():f}%"
            except InvalidOperation:
                return str(value)
        if key == "region_code":
            region = codetables.region(str(value))
            return f"{value} {region.name_zh}" if region else str(value)
        if key == "industry_code":
            return f"{value} {industry_name(str(value))}".strip()
        return str(_choices(model, key).get(value, value))

    entries = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        model = _model_of(event.object_type)
        changes = []
        for key in dict.fromkeys([*before, *after]):
            if key in _HIDDEN or (event.action == "create" and not after.get(key)):
                continue
            changes.append(
                Change(
                    _field_label(model, key),
                    shown(model, key, before.get(key)),
                    shown(model, key, after.get(key)),
                )
            )
        entries.append(HistoryEntry(event, changes))
    return entries


def _choices(model, attname: str) -> dict:
    if model is not None:
        for model_field in model._meta.concrete_fields:
            if model_field.attname == attname and model_field.choices:
                return dict(model_field.flatchoices)
    return {}


def _model_of(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field_label(model, attname: str) -> str:
    if attname in _LABELS:
        return str(_LABELS[attname])
    if model is not None:
        for model_field in model._meta.concrete_fields:
            if model_field.attname == attname:
                return str(model_field.verbose_name)
    return attname
