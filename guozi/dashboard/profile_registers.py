"""The profile's register sections: open alerts, rectifications, reform tasks and completion,
legacy problems, the safety record, R&D projects and supply-chain concentration.

Each reads its register's own scoped selector filtered to the enterprise (its own items, not
its subsidiaries'), as the items stand today. Condensed, a list keeps the open items, the most
urgent first, a few of them.
"""

from collections import Counter
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from guozi.indicators.alert_selectors import AlertFilters, alert_list, alert_message, rule_names
from guozi.indicators.presenters import Cell, Table, number_cell, text_cell
from guozi.ledgers.legacy.selectors import ProblemFilters, problem_list
from guozi.ledgers.models import ACTIVE, Register, TrackedItem
from guozi.ledgers.reform.current import counted_on
from guozi.ledgers.reform.selectors import (
    area_names,
    enterprise_ledger,
    programme_names,
    tallies_by,
    visible_tasks,
)
from guozi.ledgers.rnd.selectors import ProjectFilters, project_list
from guozi.ledgers.safety.selectors import IncidentFilters, incident_list
from guozi.ledgers.selectors import ItemFilters, item_list
from guozi.ledgers.supply.models import FLAG_LABELS, Band
from guozi.ledgers.supply.selectors import enterprise_supply
from guozi.lib.charts import Chart, Series

from .profile import Context, Section, list_section

FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 元 = 1,000,000 fen
SAFETY_YEARS = 5


def wan(fen) -> float | None:
    return None if fen is None else fen / FEN_PER_WAN


def today_note(context: Context) -> str:
    return _("As the register stands on %(day)s.") % {"day": context.today.isoformat()}


def owner_link(name: str, context: Context, **extra) -> str:
    return reverse(name) + "?" + urlencode({"owner": context.enterprise.id, **extra})


def item_link(item_id: int) -> str:
    return reverse("ledgers:item", args=[item_id])


def status_cells(item: TrackedItem, today: date) -> list[Cell]:
    """Due date, status, progress and days overdue of a ledger item."""
    overdue = item.days_overdue(today)
    return [
        text_cell(item.due_date.isoformat()),
        text_cell(item.get_status_display(), css=f"status status-{item.status}"),
        Cell(f"{item.progress}%", item.progress / 100, "percent"),
        Cell(str(overdue), overdue, "int", css="overdue") if overdue else text_cell(""),
    ]


def status_headers() -> list[str]:
    return [_("Due"), _("Status"), _("Progress"), _("Days overdue")]


def open_first(context: Context, rows: list, is_open) -> tuple[list, int]:
    """The rows to show and how many there are: condensed, only the open ones (first few)."""
    if context.condensed:
        rows = [row for row in rows if is_open(row)]
    return context.shorten(rows), len(rows)


# -- alerts ------------------------------------------------------------------------------------


def alerts(context: Context) -> Section:
    found = list(
        alert_list(context.user, AlertFilters(status="active")).filter(
            enterprise_id=context.enterprise.id
        )
    )
    names = rule_names()
    shown = context.shorten(found)
    rows = [
        [
            text_cell(alert.get_severity_display(), css=f"severity-{alert.severity}"),
            text_cell(
                names.get(alert.rule, alert.rule), link=reverse("alerts:alert", args=[alert.id])
            ),
            text_cell(alert.get_status_display()),
            text_cell(alert.first_period),
            text_cell(alert.last_period),
            text_cell(alert_message(alert)),
            text_cell(
                str(alert.rectification) if alert.rectification_id else "",
                link=item_link(alert.rectification_id) if alert.rectification_id else "",
            ),
        ]
        for alert in shown
    ]
    by_severity = Counter(alert.get_severity_display() for alert in found)
    notes = [
        _("Open and acknowledged alerts, the most severe and most recent first."),
        ", ".join(f"{label}: {count}" for label, count in by_severity.items()),
        *context.more_note(len(found)),
    ]
    query = {"q": context.enterprise.identifier, "status": "active"}
    return list_section(
        context,
        "alerts",
        _("Open alerts"),
        [
            _("Severity"),
            _("Alert rule"),
            _("Status"),
            _("First period"),
            _("Latest period in breach"),
            _("Alert message"),
            _("Rectification"),
        ],
        rows,
        notes=[note for note in notes if note] if found else [],
        empty=_("No open alerts."),
        link=reverse("alerts:board") + "?" + urlencode(query),
    )


# -- rectifications ----------------------------------------------------------------------------


def rectifications(context: Context) -> Section:
    filters = ItemFilters(register=Register.RECTIFICATION, owner=context.enterprise.id)
    items = list(item_list(context.user, filters))
    shown, total = open_first(context, items, lambda item: item.status in ACTIVE)
    rows = [
        [
            text_cell(item.title, link=item_link(item.id)),
            text_cell(item.source),
            text_cell(item.responsible_name),
            *status_cells(item, context.today),
        ]
        for item in shown
    ]
    active = sum(1 for item in items if item.status in ACTIVE)
    overdue = sum(1 for item in items if item.days_overdue(context.today))
    notes = [
        today_note(context),
        _("%(active)s open, %(overdue)s overdue, %(total)s in all.")
        % {"active": active, "overdue": overdue, "total": len(items)},
        *context.more_note(total),
    ]
    return list_section(
        context,
        "rectifications",
        _("Rectifications"),
        [_("Item"), _("Source"), _("Responsible"), *status_headers()],
        rows,
        notes=notes if items else [],
        empty=_("No open rectifications.") if context.condensed else _("No rectifications."),
        link=owner_link("ledgers:list", context, register=Register.RECTIFICATION),
    )


# -- reform ------------------------------------------------------------------------------------


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _rate_cell(value: float | None) -> Cell:
    """A completion rate given in percent (0–100)."""
    return number_cell(None if value is None else value / 100, "percent", reason=_("no tasks"))


def reform(context: Context) -> Section:
    today = context.today
    tasks = counted_on(visible_tasks(context.user).filter(owner_id=context.enterprise.id), today)
    programmes = programme_names()
    areas = area_names()
    tally_rows = [
        [
            text_cell(programmes.get(programme, programme)),
            Cell(str(tally.tasks), tally.tasks, "int"),
            Cell(str(tally.done), tally.done, "int"),
            _rate_cell(tally.rate),
            _rate_cell(tally.weighted_rate),
            _rate_cell(tally.weighted_mean_progress),
            Cell(str(tally.late), tally.late, "int", css="overdue" if tally.late else ""),
        ]
        for (programme,), tally in sorted(tallies_by(tasks, today, "programme"))
    ]
    ledger = list(enterprise_ledger(context.user, context.enterprise.id))
    if context.condensed:
        ledger.sort(key=lambda task: (-task.item.days_overdue(today), task.item.due_date))
    shown, total = open_first(context, ledger, lambda task: task.item.status in ACTIVE)
    task_rows = [
        [
            text_cell(areas.get((task.programme, task.area), task.area)),
            text_cell(task.item.title, link=item_link(task.item_id)),
            *status_cells(task.item, today),
        ]
        for task in shown
    ]
    by_area = sorted(tallies_by(tasks, today, "programme", "area"))
    chart = None
    if by_area:
        chart = Chart(
            key="reform_areas",
            title=_("Percent complete by task area"),
            categories=[areas.get(key, key[1]) for key, _tally in by_area],
            series=[
                Series(
                    _("Percent complete, weighted"),
                    [_rounded(t.weighted_mean_progress) for _key, t in by_area],
                ),
                Series(
                    _("Verified, weighted"),
                    [_rounded(t.weighted_rate) for _key, t in by_area],
                ),
            ],
            unit="%",
            horizontal=True,
        )
    notes = [
        today_note(context),
        _(
            "Completion: the share of tasks the supervisor verified; percent complete: the "
            "share of the tasks' measures done, weighted by the tasks' weights."
        ),
        *context.more_note(total),
    ]
    return Section(
        key="reform",
        title=_("Reform tasks and completion"),
        tables=[
            Table(
                "reform_completion",
                _("Reform completion"),
                [
                    _("Programme"),
                    _("Tasks"),
                    _("Verified"),
                    _("Completion"),
                    _("Completion, weighted"),
                    _("Percent complete, weighted"),
                    _("Late"),
                ],
                tally_rows,
            ),
            Table(
                "reform_tasks",
                _("Open reform tasks") if context.condensed else _("Reform tasks"),
                [_("Task area"), _("Task"), *status_headers()],
                task_rows,
            ),
        ],
        charts=[chart] if chart else [],
        notes=notes if ledger else [],
        empty=_("No reform tasks assigned."),
        link=reverse("reform:ledger", args=[context.enterprise.id]),
    )


# -- legacy problems ---------------------------------------------------------------------------


def _done_of(done, total) -> Cell:
    if total is None:
        return number_cell(None, "int", reason=_("not recorded"))
    return Cell(f"{done or 0:,} / {total:,}", done or 0, "int")


def legacy(context: Context) -> Section:
    problems = list(problem_list(context.user, ProblemFilters(owner=context.enterprise.id)))
    shown, total = open_first(context, problems, lambda p: p.item.status in ACTIVE)
    rows = [
        [
            text_cell(problem.get_kind_display()),
            text_cell(problem.item.title, link=item_link(problem.item_id)),
            _done_of(problem.households_done, problem.households_total),
            _done_of(problem.people_done, problem.people_total),
            number_cell(wan(problem.amount_total_fen), "amount", reason=_("not recorded")),
            number_cell(wan(problem.amount_done_fen), "amount", reason=_("not recorded")),
            *status_cells(problem.item, context.today),
        ]
        for problem in shown
    ]
    active = sum(1 for p in problems if p.item.status in ACTIVE)
    notes = [
        today_note(context),
        _("%(active)s open of %(total)s; amounts in 10k yuan.")
        % {"active": active, "total": len(problems)},
        *context.more_note(total),
    ]
    return list_section(
        context,
        "legacy",
        _("Legacy problems"),
        [
            _("Kind"),
            _("Problem"),
            _("Households handed over"),
            _("People handed over"),
            _("Total cost"),
            _("Paid"),
            *status_headers(),
        ],
        rows,
        notes=notes if problems else [],
        empty=_("No legacy problems recorded."),
        link=owner_link("legacy:list", context),
    )


# -- safety ------------------------------------------------------------------------------------


def safety(context: Context) -> Section:
    incidents = list(incident_list(context.user, IncidentFilters(owner=context.enterprise.id)))
    this_year = context.today.year
    if context.condensed:
        incidents_shown = [i for i in incidents if i.occurred_at.year >= this_year - 1]
    else:
        incidents_shown = incidents
    shown = context.shorten(incidents_shown)
    rows = []
    for incident in shown:
        report = incident.latest
        rows.append(
            [
                text_cell(incident.number, link=item_link(incident.item_id)),
                text_cell(incident.occurred_at.date().isoformat()),
                text_cell(incident.get_incident_type_display()),
                text_cell(report.get_grade_display() if report else ""),
                Cell(str(report.deaths), report.deaths, "int") if report else text_cell(""),
                Cell(str(report.serious_injuries), report.serious_injuries, "int")
                if report
                else text_cell(""),
                number_cell(wan(report.direct_loss_fen) if report else None, "amount"),
                text_cell(incident.item.get_status_display()),
            ]
        )
    years = list(range(this_year - SAFETY_YEARS + 1, this_year + 1))
    counts = Counter(i.occurred_at.year for i in incidents)
    deaths = Counter()
    for incident in incidents:
        if incident.latest:
            deaths[incident.occurred_at.year] += incident.latest.deaths
    chart = None
    if incidents:
        chart = Chart(
            key="safety_years",
            title=_("Incidents and deaths by year"),
            categories=[str(year) for year in years],
            series=[
                Series(_("Incidents"), [counts.get(year, 0) for year in years]),
                Series(_("Deaths"), [deaths.get(year, 0) for year in years]),
            ],
        )
    notes = [
        today_note(context),
        _("Figures and grade from each incident's latest report; losses in 10k yuan."),
    ]
    if context.condensed:
        notes.append(
            _("Incidents of %(first)s and %(last)s only.")
            % {"first": this_year - 1, "last": this_year}
        )
    notes += context.more_note(len(incidents_shown))
    return list_section(
        context,
        "safety",
        _("Safety record"),
        [
            _("Number"),
            _("Occurred"),
            _("Type"),
            _("Grade"),
            _("Deaths"),
            _("Serious injuries"),
            _("Direct loss"),
            _("Status"),
        ],
        rows,
        notes=notes if incidents else [],
        empty=_("No safety incidents recorded."),
        link=owner_link("safety:list", context),
        table_title=_("Safety incidents"),
        charts=[chart] if chart else [],
    )


# -- R&D ---------------------------------------------------------------------------------------


def rnd(context: Context) -> Section:
    items = list(project_list(context.user, ProjectFilters(owner=context.enterprise.id)))
    shown, total = open_first(context, items, lambda item: item.status in ACTIVE)
    rows = []
    for item in shown:
        project = getattr(item, "rd_project", None)
        rows.append(
            [
                text_cell(item.title, link=item_link(item.id)),
                text_cell(project.get_tech_field_display() if project else ""),
                text_cell(project.get_kind_display() if project else ""),
                text_cell(f"{project.start_year}–{project.end_year}" if project else ""),
                number_cell(wan(project.total_budget_fen) if project else None, "amount"),
                number_cell(wan(item.spend_fen), "amount", reason=_("no spend recorded")),
                Cell(str(item.outcome_count), item.outcome_count, "int"),
                *status_cells(item, context.today),
            ]
        )
    budget = sum(item.rd_project.total_budget_fen for item in items if hasattr(item, "rd_project"))
    notes = [
        today_note(context),
        _("%(count)s projects, total budget %(budget)s (10k yuan); spend to date as recorded.")
        % {"count": len(items), "budget": f"{budget / FEN_PER_WAN:,.2f}"},
        *context.more_note(total),
    ]
    return list_section(
        context,
        "rnd",
        _("R&D projects"),
        [
            _("Project"),
            _("Technology field"),
            _("Kind"),
            _("Years"),
            _("Budget"),
            _("Spend to date"),
            _("Outcomes"),
            *status_headers(),
        ],
        rows,
        notes=notes if items else [],
        empty=_("No R&D projects recorded."),
        link=owner_link("rnd:list", context),
    )


# -- supply chain ------------------------------------------------------------------------------


def supply(context: Context) -> Section:
    found = enterprise_supply(context.user, context.enterprise.id, with_subsidiaries=False)
    inputs = found.inputs
    if context.condensed:
        inputs = [i for i in inputs if i.flags]
    shown = context.shorten(inputs)
    rows = [
        [
            text_cell(item.name, link=item_link(item.item_id)),
            text_cell(item.get_category_display()),
            text_cell(item.get_criticality_display()),
            Cell(str(item.supplier_count), item.supplier_count, "int"),
            number_cell(float(item.largest_share) / 100, "percent")
            if item.supplier_count
            else number_cell(None, "percent", reason=_("no suppliers recorded")),
            number_cell(
                float(item.hhi) if item.hhi is not None else None,
                "int",
                reason=_("no suppliers recorded"),
            ),
            text_cell(item.get_band_display() if item.band else ""),
            text_cell("; ".join(str(FLAG_LABELS[flag]) for flag in item.flags)),
        ]
        for item in shown
    ]
    bands = [(code, label) for code, label in Band.choices]
    chart = None
    if found.inputs:
        chart = Chart(
            key="supply_bands",
            title=_("Key inputs by concentration"),
            categories=[str(label) for _code, label in bands] + [_("No suppliers recorded")],
            series=[
                Series(
                    _("Number of inputs"),
                    [found.by_band.get(code, 0) for code, _label in bands]
                    + [found.by_band.get("", 0)],
                )
            ],
        )
    flagged = ", ".join(
        f"{FLAG_LABELS[flag]}: {count}" for flag, count in found.flagged.items() if count
    )
    notes = [
        today_note(context),
        _("HHI: the sum of the squared supplier shares in percent (10,000 is one supplier)."),
    ]
    if flagged:
        notes.append(flagged)
    if context.condensed:
        notes.append(_("Only the flagged inputs are listed."))
    notes += context.more_note(len(inputs))
    return list_section(
        context,
        "supply",
        _("Supply-chain concentration"),
        [
            _("Supply input"),
            _("Category"),
            _("Criticality"),
            _("Suppliers"),
            _("Largest share"),
            _("HHI"),
            _("Concentration"),
            _("Flags"),
        ],
        rows,
        notes=notes if found.inputs else [],
        empty=_("No key supply inputs recorded."),
        link=reverse("supply:enterprise", args=[context.enterprise.id]),
        table_title=_("Key supply inputs"),
        charts=[chart] if chart else [],
    )
