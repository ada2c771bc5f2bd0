"""Writes of the reform register: assignments, the supervisor's own tasks, task weights, and
measures proposed by enterprises.

An assignment is opened through the ledger's `item_create` (so it has the lifecycle, history,
audit and notices of every tracked item), with the task's measures as its milestones, then
gets its `ReformTask` row. Progress, verification, deadlines (`item_edit`) and cancellation are
the ledger's own services; this module adds only what the reform has of its own.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.audit.services import audit_record
from guozi.ledgers import permissions, rules
from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import (
    ACTIVE,
    WORKING,
    EventAction,
    ItemEvent,
    Milestone,
    ProgressRule,
    Register,
    Status,
    TrackedItem,
)
from guozi.ledgers.notices import reporters_of, supervisor_staff, tell
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.models import Enterprise

from .catalogues import MAX_WEIGHT, UNITS
from .models import (
    Catalogue,
    CatalogueArea,
    CatalogueTask,
    MeasureProposal,
    ProposalState,
    ReformTask,
)

SOURCE_KIND = "reform"
MAX_ASSIGNMENTS = 5000
MAX_OPEN_PROPOSALS = 20
MAX_MILESTONES = ledger_services.MAX_MILESTONES

PROPOSED = gettext_lazy("Measure proposed for %(title)s (%(owner)s): %(measure)s")
ACCEPTED = gettext_lazy("Measure accepted for %(title)s: %(measure)s")
DECLINED = gettext_lazy("Measure declined for %(title)s: %(measure)s")


@dataclass
class Assigned:
    created: list[ReformTask] = field(default_factory=list)
    skipped: list[tuple[Enterprise, CatalogueTask]] = field(default_factory=list)  # already


def _history(item: TrackedItem, actor, *, before: dict, after: dict, reason: str = "") -> None:
    """One line of the item's history and the same in the audit log, as the ledger writes."""
    ItemEvent.objects.create(
        item=item,
        action=EventAction.EDITED,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=clock.now(),
        before=before,
        after=after,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="update",
        instance=item,
        before=before,
        after={"event": EventAction.EDITED, **after, **({"reason": reason} if reason else {})},
        enterprise_id=item.owner_id,
    )


def check_weight(weight, errors: dict, where: str = "weight") -> int | None:
    """A weight given as a whole number (or its digits); None when not given or not valid,
    with the reason in `errors`."""
    if weight is None or weight == "":
        return None
    text = str(weight).strip()
    whole = isinstance(weight, int) and not isinstance(weight, bool)
    if (whole or text.isdigit()) and 1 <= int(text) <= MAX_WEIGHT:
        return int(text)
    errors[where] = [_("The weight is a whole number from 1 to %(n)s.") % {"n": MAX_WEIGHT}]
    return None


def _ensure_manager(user, supervisor_ids: set[int]) -> None:
    if user is None:
        return
    managed = permissions.managed_supervisor_ids(user)
    if not supervisor_ids <= managed:
        raise Forbidden(
            _("Only the analysts and reviewers of an enterprise's own supervisor assign its tasks.")
        )


def _description(catalogue: Catalogue, area: CatalogueArea, target: str) -> str:
    lines = [f"{catalogue.name_zh} · {area.name_zh}"]
    if target:
        lines.append(_("Target: %(target)s") % {"target": target})
    return "\n".join(lines)


def target_text(value: Decimal | None, unit: str) -> str:
    if value is None:
        return ""
    return f"{format(value.normalize(), 'f')}{unit}"


def _open_assignment(
    *,
    acting_user,
    owner: Enterprise,
    catalogue: Catalogue,
    area: CatalogueArea,
    title: str,
    weight: int,
    deadline: date,
    measures: list[str],
    catalogue_task: CatalogueTask | None = None,
    description: str = "",
    target_value: Decimal | None = None,
    target_unit: str = "",
    responsible_name: str = "",
) -> ReformTask:
    source_ref = f"{catalogue.code}:{catalogue_task.code}" if catalogue_task else catalogue.code
    item = ledger_services.item_create(
        acting_user=acting_user,
        register=Register.REFORM_TASK,
        owner=owner,
        title=title,
        due_date=deadline,
        description=description
        or _description(catalogue, area, target_text(target_value, target_unit)),
        source=f"{catalogue.name_zh}（{catalogue.version}）",
        source_kind=SOURCE_KIND,
        source_ref=source_ref,
        responsible_name=responsible_name,
        progress_rule=ProgressRule.MILESTONES,
        milestones=measures,
    )
    task = ReformTask.objects.create(
        item=item,
        owner_id=item.owner_id,
        supervisor_id=item.supervisor_id,
        assigned_on=item.opened_on,
        catalogue=catalogue,
        programme=catalogue.code,
        area=area.code,
        catalogue_task=catalogue_task,
        weight=weight,
        target_value=target_value,
        target_unit=target_unit,
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=task,
        after={
            "event": "reform_task_assigned",
            "item": item.id,
            "programme": task.programme,
            "area": task.area,
            "catalogue_task": catalogue_task.code if catalogue_task else None,
            "weight": weight,
            "target": target_text(target_value, target_unit),
        },
        enterprise_id=owner.id,
    )
    return task


def already_assigned(tasks: list[CatalogueTask], enterprises: list[Enterprise]) -> set:
    """(enterprise id, catalogue task id) pairs with an assignment that is not cancelled."""
    found = ReformTask.objects.filter(catalogue_task__in=tasks, owner__in=enterprises).exclude(
        item__status=Status.CANCELLED
    )
    return set(found.values_list("owner_id", "catalogue_task_id"))


@dataclass(frozen=True)
class Pair:
    """One catalogue task for one enterprise, with its own weight or deadline if any."""

    enterprise: Enterprise
    task: CatalogueTask
    weight: int | None = None
    deadline: date | None = None
    responsible_name: str = ""


@transaction.atomic
def assign_tasks(
    *,
    acting_user,
    catalogue: Catalogue,
    tasks: list[CatalogueTask],
    enterprises: list[Enterprise],
    weight: int | None = None,
    deadline: date | None = None,
    responsible_name: str = "",
) -> Assigned:
    """Assign catalogue tasks to many enterprises at once: each task to each enterprise, with
    the catalogue's weight and deadline unless `weight` / `deadline` say otherwise. A task
    already assigned to an enterprise (and not cancelled) is skipped. All of it, or on any
    problem nothing. Per-enterprise weights and deadlines (一企一策) go through `assign_pairs`
    (the import) or are changed on the task afterwards."""
    errors: dict[str, list[str]] = {}
    if not tasks:
        errors["tasks"] = [_("Choose at least one task.")]
    if not enterprises:
        errors["enterprises"] = [_("Choose at least one enterprise.")]
    foreign = [t.code for t in tasks if t.catalogue_id != catalogue.id]
    if foreign:
        errors["tasks"] = [
            _("Not tasks of %(catalogue)s: %(codes)s.")
            % {"catalogue": catalogue.name, "codes": ", ".join(foreign)}
        ]
    common_weight = check_weight(weight, errors)
    if deadline is not None and deadline < clock.today():
        errors["deadline"] = [_("The deadline cannot be in the past.")]
    if errors:
        raise DomainError(_("Nothing was assigned."), code="invalid", fields=errors)
    _ensure_manager(acting_user, {e.supervisor_id for e in enterprises})
    taken = already_assigned(tasks, enterprises)
    result = Assigned()
    pairs = []
    for enterprise in enterprises:
        for task in tasks:
            if (enterprise.id, task.id) in taken:
                result.skipped.append((enterprise, task))
            else:
                pairs.append(Pair(enterprise, task, common_weight, deadline, responsible_name))
    result.created = assign_pairs(acting_user=acting_user, pairs=pairs)
    return result


@transaction.atomic
def assign_pairs(*, acting_user, pairs: list[Pair]) -> list[ReformTask]:
    """Open the assignments of `pairs` (see `assign_tasks`); refuse all of them when one is
    already assigned, has a deadline in the past, or is not the acting user's to assign."""
    if len(pairs) > MAX_ASSIGNMENTS:
        raise DomainError(
            _("At most %(n)s assignments at once; choose fewer enterprises or tasks.")
            % {"n": MAX_ASSIGNMENTS},
            code="invalid",
            fields={"enterprises": [_("Too many.")]},
        )
    _ensure_manager(acting_user, {pair.enterprise.supervisor_id for pair in pairs})
    today = clock.today()
    passed = sorted(
        {p.task for p in pairs if (p.deadline or p.task.deadline) < today}, key=lambda t: t.id
    )
    if passed:
        raise DomainError(
            _("Nothing was assigned: the catalogue deadline of %(tasks)s has passed; give a new "
              "deadline.")
            % {"tasks": ", ".join(f"{t.name} ({t.deadline})" for t in passed)},
            code="invalid",
            fields={"deadline": [_("Required: a catalogue deadline has passed.")]},
        )  # fmt: skip
    taken = already_assigned([p.task for p in pairs], [p.enterprise for p in pairs])
    repeated = [p for p in pairs if (p.enterprise.id, p.task.id) in taken]
    if repeated:
        raise DomainError(
            _("Nothing was assigned: %(task)s is already assigned to %(owner)s.")
            % {"task": repeated[0].task.name, "owner": repeated[0].enterprise.name},
            code="assigned",
        )
    catalogues = {p.task.catalogue_id for p in pairs}
    areas = {a.id: a for a in CatalogueArea.objects.filter(catalogue_id__in=catalogues)}
    by_id = {c.id: c for c in Catalogue.objects.filter(id__in=catalogues)}
    return [
        _open_assignment(
            acting_user=acting_user,
            owner=pair.enterprise,
            catalogue=by_id[pair.task.catalogue_id],
            area=areas[pair.task.area_id],
            catalogue_task=pair.task,
            title=pair.task.name_zh,
            weight=pair.weight or pair.task.weight,
            deadline=pair.deadline or pair.task.deadline,
            measures=[m["zh"] for m in pair.task.measures],
            target_value=pair.task.target_value,
            target_unit=pair.task.target_unit,
            responsible_name=pair.responsible_name,
        )
        for pair in pairs
    ]


@transaction.atomic
def own_task_create(
    *,
    acting_user,
    owner: Enterprise,
    catalogue: Catalogue,
    area_code: str,
    title: str,
    deadline: date | None,
    weight,
    measures: list[str],
    description: str = "",
    target_value: Decimal | None = None,
    target_unit: str = "",
    responsible_name: str = "",
) -> ReformTask:
    """A task of the supervisor's own, outside the catalogue, in one of its areas."""
    errors: dict[str, list[str]] = {}
    area = catalogue.areas.filter(code=area_code).first()
    if area is None:
        errors["area"] = [
            _("Choose one of: %(choices)s.")
            % {"choices": ", ".join(catalogue.areas.values_list("code", flat=True))}
        ]
    checked_weight = check_weight(weight, errors)
    if checked_weight is None and "weight" not in errors:
        errors["weight"] = [_("Required.")]
    if deadline is None:
        errors["deadline"] = [_("Required.")]
    if target_value is not None and target_value < 0:
        errors["target_value"] = [_("Cannot be negative.")]
    if target_value is not None and target_unit not in UNITS:
        errors["target_unit"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(UNITS)}]
    if errors:
        raise DomainError(
            _("The task was not opened: some fields are not valid."), code="invalid", fields=errors
        )
    _ensure_manager(acting_user, {owner.supervisor_id})
    return _open_assignment(
        acting_user=acting_user,
        owner=owner,
        catalogue=catalogue,
        area=area,
        title=title,
        weight=checked_weight,
        deadline=deadline,
        measures=measures,
        description=description,
        target_value=target_value,
        target_unit=target_unit if target_value is not None else "",
        responsible_name=responsible_name,
    )


def _locked(task: ReformTask) -> TrackedItem:
    return (
        TrackedItem.objects.select_for_update(of=("self",))
        .select_related("owner")
        .get(id=task.item_id)
    )


@transaction.atomic
def task_reweight(*, acting_user, task: ReformTask, weight, reason: str = "") -> ReformTask:
    """Change a task's weight (the supervisor, while the task is not closed)."""
    item = _locked(task)
    if acting_user is not None and not permissions.can_manage(acting_user, item):
        raise Forbidden(_("Only the supervisor's analysts and reviewers change a task's weight."))
    if item.status not in ACTIVE:
        raise DomainError(_("A closed task keeps its weight."), code="state")
    errors: dict[str, list[str]] = {}
    new = check_weight(weight, errors)
    if new is None and not errors:
        errors["weight"] = [_("Required.")]
    if errors:
        raise DomainError(_("The weight was not changed."), code="invalid", fields=errors)
    task = ReformTask.objects.select_for_update().get(item_id=task.item_id)
    if new == task.weight:
        return task
    before, task.weight = task.weight, new
    task.save(update_fields=["weight"])
    _history(item, acting_user, before={"weight": before}, after={"weight": new}, reason=reason)
    return task


# --- measures proposed by enterprises ---------------------------------------------------------


def _about(item: TrackedItem, measure: str) -> dict:
    return {"title": item.title, "owner": lambda: item.owner.name, "measure": measure}


@transaction.atomic
def measure_propose(
    *, acting_user, task: ReformTask, title: str, note: str = ""
) -> MeasureProposal:
    """An enterprise's reporter proposes a measure under a task; the supervisor decides."""
    item = _locked(task)
    if not permissions.can_report(acting_user, item):
        raise Forbidden(_("Only the reporters of the enterprise or of one above it propose "
                          "measures."))  # fmt: skip
    if item.status not in WORKING:
        raise DomainError(
            _("Measures are proposed while the task is worked on; it is %(status)s.")
            % {"status": item.get_status_display().lower()},
            code="state",
        )
    title = (title or "").strip()
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Name the measure.")]
    elif len(title) > 200:
        errors["title"] = [_("At most %(n)s characters.") % {"n": 200}]
    if len(note) > 2000:
        errors["note"] = [_("At most %(n)s characters.") % {"n": 2000}]
    waiting = task.proposals.filter(state=ProposalState.PROPOSED).count()
    if waiting >= MAX_OPEN_PROPOSALS:
        errors["title"] = [
            _("%(n)s measures already wait for a decision.") % {"n": waiting},
        ]
    if errors:
        raise DomainError(_("The measure was not proposed."), code="invalid", fields=errors)
    proposal = MeasureProposal.objects.create(
        task=task, title=title, note=note, proposed_by=acting_user, proposed_at=clock.now()
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=proposal,
        after={"event": "reform_measure_proposed", "item": item.id, "title": title},
        enterprise_id=item.owner_id,
    )
    item.last_activity_at = clock.now()
    item.save(update_fields=["last_activity_at", "updated_at"])
    tell(supervisor_staff(item), PROPOSED, _about(item, title), item=item, body=note)
    return proposal


@transaction.atomic
def measure_decide(
    *, acting_user, proposal: MeasureProposal, accept: bool, reason: str = ""
) -> MeasureProposal:
    """The supervisor accepts a proposed measure (it becomes one of the task's milestones, so
    the percent complete is counted over one more measure) or declines it, with the reason."""
    item = _locked(proposal.task)
    proposal = MeasureProposal.objects.select_for_update().get(id=proposal.id)
    if acting_user is not None and not permissions.can_manage(acting_user, item):
        raise Forbidden(_("Only the supervisor's analysts and reviewers decide on measures."))
    if proposal.state != ProposalState.PROPOSED:
        raise DomainError(
            _("This measure was already %(state)s.")
            % {"state": proposal.get_state_display().lower()},
            code="state",
        )
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError(
            _("Say why the measure is declined."),
            code="reason",
            fields={"reason": [_("A reason is required.")]},
        )
    if accept:
        _add_milestone(acting_user, item, proposal, reason)
    proposal.state = ProposalState.ACCEPTED if accept else ProposalState.DECLINED
    proposal.decided_by = acting_user if acting_user and acting_user.is_authenticated else None
    proposal.decided_at = clock.now()
    proposal.reason = reason
    proposal.save(
        update_fields=["state", "decided_by", "decided_at", "reason", "milestone", "updated_at"]
    )
    audit_record(
        actor=acting_user,
        action="update",
        instance=proposal,
        before={"state": ProposalState.PROPOSED},
        after={"event": "reform_measure_decided", "state": proposal.state, "reason": reason},
        enterprise_id=item.owner_id,
    )
    tell(
        [proposal.proposed_by] + reporters_of(item),
        ACCEPTED if accept else DECLINED,
        _about(item, proposal.title),
        item=item,
        body=reason,
        skip=acting_user,
    )
    return proposal


def _add_milestone(acting_user, item: TrackedItem, proposal: MeasureProposal, reason: str):
    if item.status not in WORKING:
        raise DomainError(
            _("The task is %(status)s: a new measure is accepted only while it is worked on.")
            % {"status": item.get_status_display().lower()},
            code="state",
        )
    milestones = list(item.milestones.all())
    if len(milestones) >= MAX_MILESTONES:
        raise DomainError(
            _("A task has at most %(n)s measures.") % {"n": MAX_MILESTONES}, code="invalid"
        )
    last = item.milestones.aggregate(last=Max("position"))["last"] or 0
    proposal.milestone = Milestone.objects.create(
        item=item, position=last + 1, title=proposal.title
    )
    done = sum(1 for m in milestones if m.done_on)
    before = {"progress": item.progress, "milestones": len(milestones)}
    item.progress = rules.milestone_progress(done, len(milestones) + 1)
    item.last_activity_at = clock.now()
    item.save(update_fields=["progress", "last_activity_at", "updated_at"])
    _history(
        item,
        acting_user,
        before=before,
        after={
            "progress": item.progress,
            "milestones": len(milestones) + 1,
            "measure": proposal.title,
        },
        reason=reason,
    )
