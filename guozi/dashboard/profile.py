"""One enterprise on one page: who it is, who holds it, what it manages, its figures against
target and peers, its health, and what is open about it in every register.

A profile is a list of `Section`s, each made of `Table`s (the indicator pages' type, which the
.xlsx export writes), `Chart`s (drawn by ECharts on the page and on the server for documents)
and notes that say what the figures are. Whatever renders a profile (the page, a brief as HTML,
PDF, Word or a workbook) shows the sections as they are, so everything a section says is in
them. `condensed=True` keeps the key rows of each section (open items first, a few of each) for
an inspection brief.

Scoped: the enterprise must be visible to the user (404 otherwise, as for no such id), and each
section reads through its app's scoped selectors.
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from guozi.indicators.presenters import DEFAULT_FORM, Table
from guozi.indicators.selectors import computed_periods
from guozi.lib import clock
from guozi.lib.charts import Chart
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.registry.selectors import get_visible_enterprise
from guozi.reporting.models import Form

# How many rows a condensed section keeps of a list (the most urgent or largest first).
CONDENSED_ROWS = 5


@dataclass
class Section:
    key: str  # identity, holders, subsidiaries, figures, indicators, health, alerts, ...
    title: str  # translated
    tables: list[Table]
    charts: list[Chart]
    notes: list[str]  # what the figures are: period, basis, scope, data status
    empty: str = ""  # shown when the section has nothing ("No open alerts")
    link: str = ""  # the full page of this section (e.g. the register filtered to it)

    @property
    def is_empty(self) -> bool:
        return not any(table.rows for table in self.tables) and not self.charts


@dataclass
class Profile:
    enterprise: Enterprise
    period: str | None  # the period the figures are for (latest computed by default)
    sections: list[Section]
    periods: list[str] = field(default_factory=list)  # the periods one may pick, latest first
    condensed: bool = False

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


@dataclass
class Context:
    """What every section builder reads: who asks, about which enterprise, for which period."""

    user: object
    enterprise: Enterprise
    form: Form | None
    period: str | None
    condensed: bool
    today: date
    cache: dict = field(default_factory=dict)  # what several sections read, read once

    @property
    def period_end(self) -> date | None:
        return Period.parse(self.period).end if self.period else None

    def shorten(self, rows: list) -> list:
        """All rows, or the first few when condensed."""
        return rows[:CONDENSED_ROWS] if self.condensed else rows

    def more_note(self, total: int) -> list[str]:
        """A note saying how many rows a condensed table left out."""
        if self.condensed and total > CONDENSED_ROWS:
            return [
                _("The first %(shown)s of %(total)s; the full list is on the section's page.")
                % {"shown": CONDENSED_ROWS, "total": total}
            ]
        return []


def list_section(
    context: Context,
    key: str,
    title: str,
    headers: list[str],
    rows: list,
    *,
    notes: list[str],
    empty: str,
    link: str,
    charts: list[Chart] | None = None,
    table_title: str = "",
) -> Section:
    """A section made of one list: its table, its charts and its notes."""
    table = Table(key, table_title or title, headers, rows)
    return Section(key, title, [table], charts or [], notes, empty, link)


def figures_form() -> Form | None:
    return Form.objects.filter(code=DEFAULT_FORM).first()


def profile_periods(form: Form | None = None) -> list[str]:
    """The periods a profile's figures may be for: the computed ones, latest first."""
    form = form or figures_form()
    return computed_periods(form) if form else []


def latest_period_with_figures(enterprise_id: int, upto: str) -> str | None:
    """The latest period up to `upto` with approved figures of the enterprise's own report (a
    brief prepared before the last month is approved shows the month before)."""
    from guozi.indicators.models import DataStatus, IndicatorResult, UnitKind
    from guozi.reporting.models import ReportScope

    form = figures_form()
    if form is None:
        return None
    return (
        IndicatorResult.objects.filter(
            run__form=form,
            run__data_status=DataStatus.APPROVED,
            run__period__lte=upto,
            unit_kind=UnitKind.ENTERPRISE,
            enterprise_id=enterprise_id,
            scope=ReportScope.CONSOLIDATED,
        )
        .order_by("-run__period")
        .values_list("run__period", flat=True)
        .first()
    )


def chosen_period(asked: str | None, periods: list[str]) -> str | None:
    """The period asked for if it has computed figures; the latest one without asking; a
    DomainError naming the choices for anything else."""
    if not asked:
        return periods[0] if periods else None
    try:
        wanted = str(Period.parse(asked.strip()))
    except ValueError:
        wanted = None
    if wanted not in periods:
        message = _("%(value)s has no computed figures; choose one of %(choices)s.") % {
            "value": str(asked)[:20],
            "choices": ", ".join(periods[:6]) or "—",
        }
        raise DomainError(message, code="invalid", fields={"period": [message]})
    return wanted


def _builders():
    from . import profile_figures, profile_registers, profile_registry, profile_reporting

    return (
        profile_registry.identity,
        profile_registry.holders,
        profile_registry.subsidiaries,
        profile_figures.key_figures,
        profile_figures.indicators,
        profile_figures.health,
        profile_registers.alerts,
        profile_registers.rectifications,
        profile_registers.reform,
        profile_registers.legacy,
        profile_registers.safety,
        profile_registers.rnd,
        profile_registers.supply,
        profile_reporting.reporting,
    )


def enterprise_profile(
    user, enterprise_id: int, *, period: str | None = None, condensed: bool = False
) -> Profile:
    """The enterprise's profile for `period` (default the latest computed), scoped to `user`:
    Http404 for an enterprise they may not read; DomainError for a period without figures."""
    form = figures_form()
    periods = profile_periods(form)
    chosen = chosen_period(period, periods)
    day = Period.parse(chosen).end if chosen else None
    enterprise = get_visible_enterprise(user, enterprise_id, day)
    context = Context(
        user=user,
        enterprise=enterprise,
        form=form,
        period=chosen,
        condensed=condensed,
        today=clock.today(),
    )
    sections = [build(context) for build in _builders()]
    return Profile(
        enterprise=enterprise,
        period=chosen,
        sections=sections,
        periods=periods,
        condensed=condensed,
    )
