"""The cockpit's state: the request's filters and drill-down node, checked once, and the query
string that keeps them, so that a view can be shared by its URL.

Filters: period, form and data status, supervisor (`presenters.read_choices`), city (a
prefecture's code), industry (a GB/T 4754 section letter), function class (its id), group and
the drill-down node (enterprise ids the user may read). A bad filter is named in `problems` and
dropped; a group or node the user may not read is Http404, the same as for no such enterprise.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from urllib.parse import urlencode

from django.http import Http404
from django.utils.translation import gettext as _

from guozi.indicators import presenters
from guozi.indicators.models import UnitKind
from guozi.indicators.presenters import Choices
from guozi.lib import clock
from guozi.lib.periods import Period
from guozi.registry.directory import city_name
from guozi.registry.models import Enterprise, FunctionClass
from guozi.registry.selectors import (
    chain_up,
    get_visible_enterprise,
    subtree,
    visible_enterprises,
)

CITY_CODE = re.compile(r"^\d{6}$")
SECTION = re.compile(r"^[A-T]$")
# The parameters the cockpit keeps from view to view, in this order.
KEPT = ("form", "period", "data_status", "supervisor", "city", "industry", "class", "group",
        "node", "code", "screen")  # fmt: skip


@dataclass
class CockpitState:
    user: object
    choices: Choices
    city: str = ""
    industry: str = ""
    function_class: FunctionClass | None = None
    group: Enterprise | None = None
    node: Enterprise | None = None
    code: str = ""  # the indicator of the rankings
    screen: str = ""  # "wall" for the big screen
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def period(self) -> str | None:
        return self.choices.period

    @property
    def day(self) -> date:
        """The day the tree and the registry are read on: the period's end (today at most)."""
        if self.choices.period is None:
            return clock.today()
        return min(Period.parse(self.choices.period).end, clock.today())

    @property
    def year(self) -> int:
        return self.choices.year or clock.today().year

    @property
    def supervisor_id(self) -> int | None:
        return self.choices.supervisor.id if self.choices.supervisor else None

    @property
    def narrowed(self) -> bool:
        """Whether the enterprises shown are fewer than a supervisor's whole portfolio."""
        return bool(
            self.city
            or self.industry
            or self.function_class
            or self.group
            or self.node
            or self.supervisor_id is None
        )

    @property
    def focus(self) -> Enterprise | None:
        """The enterprise whose own figures the view shows: the node, else the group."""
        return self.node or self.group

    def params(self, **changes) -> dict:
        """The state as query parameters, with `changes` (None drops a parameter)."""
        params = {
            "form": self.choices.form.code,
            "period": self.choices.period or "",
            "data_status": self.choices.data_status,
            "supervisor": self.supervisor_id or "",
            "city": self.city,
            "industry": self.industry,
            "class": self.function_class.id if self.function_class else "",
            "group": self.group.id if self.group else "",
            "node": self.node.id if self.node else "",
            "code": self.code,
            "screen": self.screen,
        }
        params.update(changes)
        return {key: params[key] for key in KEPT if params.get(key) not in (None, "")}

    def query(self, **changes) -> str:
        return urlencode(self.params(**changes))

    @cached_property
    def members(self):
        """The enterprises of the view: the ones the user may read, narrowed by the filters
        (a supervisor's own portfolio when no group or node is chosen)."""
        found = visible_enterprises(self.user)
        if self.supervisor_id and not (self.group or self.node):
            found = found.filter(supervisor_id=self.supervisor_id)
        if self.city:
            found = found.filter(city_code=self.city)
        if self.industry:
            found = found.filter(industry_section=self.industry)
        if self.function_class:
            found = found.filter(function_class=self.function_class)
        for root in (self.group, self.node):
            if root is not None:
                found = found.filter(id__in=[i for i, _depth in subtree(root.id, self.day)])
        return found

    @cached_property
    def member_ids(self) -> list[int]:
        return list(self.members.values_list("id", flat=True))

    def rollup(self) -> tuple[str, str] | None:
        """The precomputed roll-up (kind, code) that is exactly the view, if there is one."""
        if self.supervisor_id is None or self.group or self.node:
            return None
        filters = [
            (UnitKind.CITY, self.city),
            (UnitKind.INDUSTRY, self.industry),
            (UnitKind.FUNCTION_CLASS, str(self.function_class.id) if self.function_class else ""),
        ]
        chosen = [(kind, code) for kind, code in filters if code]
        if not chosen:
            return UnitKind.PORTFOLIO, ""
        return chosen[0] if len(chosen) == 1 else None


def _enterprise(user, raw: str) -> Enterprise | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise Http404
    return get_visible_enterprise(user, int(raw))


def read_state(user, params) -> CockpitState:
    """The cockpit state of a request; LookupError when no report form is loaded."""
    choices = presenters.read_choices(user, params)
    problems = dict(choices.problems)
    state = CockpitState(user=user, choices=choices, problems=problems)
    city = (params.get("city") or "").strip()
    if city and not CITY_CODE.match(city):
        problems["city"] = [_("%(value)s is not a city code.") % {"value": city[:20]}]
    else:
        state.city = city
    industry = (params.get("industry") or "").strip().upper()
    if industry and not SECTION.match(industry):
        problems["industry"] = [
            _("%(value)s is not an industry section (A to T).") % {"value": industry[:20]}
        ]
    else:
        state.industry = industry
    raw_class = (params.get("class") or "").strip()
    if raw_class:
        found = None
        if raw_class.isdigit() and len(raw_class) < 12:
            found = FunctionClass.objects.filter(id=int(raw_class)).first()
        if found is None:
            problems["class"] = [
                _("No function class has the id %(value)s.") % {"value": raw_class[:20]}
            ]
        state.function_class = found
    state.group = _enterprise(user, params.get("group"))
    state.node = _enterprise(user, params.get("node"))
    if state.supervisor_id is None and state.focus is None:
        own = presenters.own_enterprise_ids(user)
        if own:
            state.node = get_visible_enterprise(user, own[0])
    state.code = (params.get("code") or "").strip()[:60]
    state.screen = "wall" if params.get("screen") == "wall" else ""
    return state


def breadcrumb(state: CockpitState) -> list[tuple[str, str]]:
    """The path from the top of the user's view down to the current node: (label, query).
    The filters other than group and node are kept at every step."""
    steps: list[tuple[str, str]] = []
    if state.choices.supervisor is not None:
        steps.append((state.choices.supervisor.name, state.query(group=None, node=None)))
    if state.city:
        steps.append((city_name(state.city), state.query(group=None, node=None)))
    if state.focus is None:
        return steps
    chain = chain_up(state.focus, state.day).enterprises  # the focus first, its group last
    visible = set(
        visible_enterprises(state.user)
        .filter(id__in=[e.id for e in chain])
        .values_list("id", flat=True)
    )
    path = [e for e in reversed(chain) if e.id in visible]
    if not path or path[-1].id != state.focus.id:
        path.append(state.focus)
    group = state.group
    for enterprise in path:
        if group is not None and enterprise.id == group.id:
            steps.append((enterprise.name, state.query(group=group.id, node=None)))
        elif group is None and enterprise is path[0] and state.supervisor_id is not None:
            steps.append((enterprise.name, state.query(group=enterprise.id, node=None)))
        else:
            steps.append((enterprise.name, state.query(node=enterprise.id)))
    return steps
