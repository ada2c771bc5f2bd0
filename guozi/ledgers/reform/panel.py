"""The reform register's part of the shared item page: the task's programme, area, weight and
target, how its percent complete is counted, and the measures proposed under it."""

from django.utils.translation import gettext as _

from .completion import AT_RISK_DAYS, AT_RISK_SLACK
from .models import ProposalState, ReformTask
from .selectors import area_names, programme_names
from .services import target_text

TEMPLATE = "reform/_panel.html"


def progress_rule_text() -> str:
    return _(
        "Percent complete is the share of the task's measures done, as approved by the "
        "enterprise's reviewer. The task counts as complete only once the supervisor has "
        "verified it."
    )


def at_risk_rule_text() -> str:
    return _(
        "At risk: still worked on, due within %(days)s days, and its percent complete trails "
        "the share of its time already gone by more than %(slack)s points."
    ) % {"days": AT_RISK_DAYS, "slack": AT_RISK_SLACK}


def task_panel(item) -> tuple[str, dict] | None:
    task = (
        ReformTask.objects.filter(item_id=item.id)
        .select_related("catalogue", "catalogue_task")
        .first()
    )
    if task is None:
        return TEMPLATE, {"task": None}
    proposals = list(task.proposals.select_related("proposed_by", "decided_by").order_by("-id"))
    return TEMPLATE, {
        "task": task,
        "programme": programme_names().get(task.programme, task.catalogue.name),
        "area": area_names().get((task.programme, task.area), task.area),
        "target": target_text(task.target_value, task.target_unit),
        "rule": progress_rule_text(),
        "proposals": proposals,
        "proposed": ProposalState.PROPOSED,
    }
