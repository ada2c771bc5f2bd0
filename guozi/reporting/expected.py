"""Who is expected to file a form for a period, and by when.

Expected: every enterprise in the portfolio (not observed), active at period end, consolidated by
a supervisor through the management tree as of period end. Enterprises held only by equity
(minority 参股 stakes) are not in the tree and so are not expected. An enterprise with
subsidiaries files both scopes; a leaf files one report, which counts as both.
"""

from dataclasses import dataclass
from datetime import date

from guozi.lib.periods import Period
from guozi.lib.workdays import CalendarMissing, WorkCalendar, parse_schedule
from guozi.registry.tree import TreeSnapshot, active_own_at, tree_at

from .definitions import FormDefinition
from .models import CalendarYear, DeadlineSetting, ReportScope


@dataclass(frozen=True)
class Expected:
    enterprise_id: int
    scope: str
    level: int
    supervisor_id: int
    parent_id: int | None


def expected_reports(
    definition: FormDefinition, period: Period, tree: TreeSnapshot | None = None
) -> list[Expected]:
    tree = tree or tree_at(period.end)
    members = active_own_at(tree.members(), period.end)
    expected = []
    for enterprise_id in sorted(members):
        level = tree.level(enterprise_id)
        supervisor_id = tree.supervisor(enterprise_id)
        parent_id = tree.parent.get(enterprise_id)
        scopes = [ReportScope.CONSOLIDATED]
        if ReportScope.STANDALONE in definition.scopes and tree.has_children(enterprise_id):
            scopes.append(ReportScope.STANDALONE)
        for scope in scopes:
            expected.append(Expected(enterprise_id, scope, level, supervisor_id, parent_id))
    return expected


def work_calendar() -> WorkCalendar:
    loaded = {row.year: parse_schedule(row.schedule) for row in CalendarYear.objects.all()}
    return WorkCalendar(extra=loaded)


class Deadlines:
    """Due dates per supervisor and level, from the supervisor's setting or the framework's."""

    def __init__(self, form_id: int, definition: FormDefinition, period: Period) -> None:
        self.definition = definition
        self.period = period
        self.calendar = work_calendar()
        self.settings = {
            s.supervisor_id: s for s in DeadlineSetting.objects.filter(form_id=form_id)
        }

    def working_days(self, supervisor_id: int | None, level: int) -> int:
        setting = self.settings.get(supervisor_id)
        if setting is None:
            return self.definition.deadline.days_for_level(level)
        by_level = {int(k): v for k, v in (setting.by_level or {}).items()}
        return by_level.get(level, setting.working_days)

    def due(self, supervisor_id: int | None, level: int) -> date | None:
        """None when the calendar of that year is not loaded: flagged, never guessed."""
        try:
            return self.calendar.add_working_days(
                self.period.end, self.working_days(supervisor_id, level)
            )
        except CalendarMissing:
            return None

    def children_first(self, supervisor_id: int | None) -> bool:
        setting = self.settings.get(supervisor_id)
        return setting.children_first if setting else self.definition.children_first
