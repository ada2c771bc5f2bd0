"""What the completion page and its API show, assembled from the selectors: the breakdowns,
the curve with its milestone line, the milestones judged, the reform indicators, and the
overdue and at-risk tasks."""

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guozi.lib import clock
from guozi.registry.selectors import visible_enterprises
from guozi.registry.tree import TreeSnapshot

from . import kpis, selectors
from .catalogues import current_catalogues
from .completion import Tally
from .selectors import Completion, Curve, Filters

SHORT_LIST = 10


@dataclass
class Overview:
    filters: Filters
    completion: Completion
    curve: Curve
    milestones: list  # (catalogue, [MilestoneRow])
    indicators: kpis.Summary | None
    overdue_count: int
    overdue: list
    at_risk_count: int
    at_risk: list


def by_programme(completion: Completion) -> dict[str, Tally]:
    found: dict[str, Tally] = defaultdict(Tally)
    for row in completion.by_area:
        found[row.extra["programme"]] = found[row.extra["programme"]] + row.tally
    return dict(found)


def scoped_enterprises(user, filters: Filters, tree: TreeSnapshot):
    enterprises = visible_enterprises(user)
    if filters.supervisor:
        enterprises = enterprises.filter(supervisor_id=filters.supervisor)
    if filters.city:
        enterprises = enterprises.filter(city_code=filters.city)
    if filters.group:
        enterprises = enterprises.filter(id__in=selectors.group_members(tree, filters.group))
    return enterprises


def overview(user, filters: Filters, tree: TreeSnapshot) -> Overview:
    today = clock.today()
    completion = selectors.completion(user, filters, tree)
    curve = selectors.curve(user, filters, tree)
    if completion.live:
        curve = curve.with_point(today, by_programme(completion))
    shown = [
        c for c in current_catalogues() if not filters.programme or c.code == filters.programme
    ]
    milestones = [
        (catalogue, selectors.milestones(catalogue, curve.points(catalogue.code), today))
        for catalogue in shown
        if catalogue.code in curve.by_programme
    ]
    overdue, risky = selectors.late_and_risky(user, filters, tree)
    return Overview(
        filters=filters,
        completion=completion,
        curve=curve,
        milestones=milestones,
        indicators=kpis.latest(scoped_enterprises(user, filters, tree)),
        overdue_count=len(overdue),
        overdue=selectors.tasks_in_order(overdue[:SHORT_LIST]),
        at_risk_count=len(risky),
        at_risk=selectors.tasks_in_order(risky[:SHORT_LIST]),
    )


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def chart(overview: Overview) -> dict:
    """The curve and the milestone line as the page's chart reads them."""
    curve = overview.curve
    names = {c.code: c.name for c in current_catalogues()}
    series = []
    for programme, tallies in sorted(curve.by_programme.items()):
        series.append(
            {
                "programme": programme,
                "name": names.get(programme, programme),
                "rate": [_rate(t.rate) for t in tallies],
                "weighted": [_rate(t.weighted_rate) for t in tallies],
                "progress": [_rate(t.weighted_mean_progress) for t in tallies],
            }
        )
    targets = [
        {
            "programme": catalogue.code,
            "name": row.milestone.name,
            "date": row.milestone.due_on.isoformat(),
            "target": row.milestone.target,
        }
        for catalogue, rows in overview.milestones
        for row in rows
    ]
    return {
        "days": [day.isoformat() for day in curve.days],
        "series": series,
        "targets": targets,
        "as_of": overview.completion.day.isoformat(),
        "labels": {
            "rate": _("complete (share of tasks verified)"),
            "weighted": _("complete, weighted"),
            "progress": _("percent complete, weighted"),
            "targets": _("milestones"),
            "as_of": _("as of"),
        },
        "language": get_language(),
    }


def tally_out(tally: Tally, live: bool = True) -> dict:
    """A tally as the API answers it; percent complete is known for today only."""
    return {
        "tasks": tally.tasks,
        "weight": tally.weight,
        "done": tally.done,
        "weight_done": tally.weight_done,
        "late": tally.late,
        "rate": _rate(tally.rate),
        "weighted_rate": _rate(tally.weighted_rate),
        "mean_progress": _rate(tally.mean_progress) if live else None,
        "weighted_mean_progress": _rate(tally.weighted_mean_progress) if live else None,
    }


def milestone_out(row) -> dict:
    check = row.check
    return {
        "code": row.milestone.code,
        "name": row.milestone.name,
        "date": row.milestone.due_on,
        "target": row.milestone.target,
        "illustrative": row.milestone.illustrative,
        "state": check.state,
        "reached_on": check.reached_on,
        "rate_on_date": _rate(check.rate_on_due),
        "rate_now": _rate(check.rate_now),
        "gap": _rate(check.gap),
    }
