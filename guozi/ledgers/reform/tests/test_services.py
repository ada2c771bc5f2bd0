"""Assignments through the ledger, the supervisor's own tasks, weights, proposed measures, and
the progress rule from updates to verification."""

from datetime import timedelta

import pytest

from guozi.audit.models import AuditEvent
from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import (
    EventAction,
    ItemEvent,
    Milestone,
    ProgressRule,
    Register,
    Status,
    TrackedItem,
)
from guozi.ledgers.reform import services
from guozi.ledgers.reform.models import MeasureProposal, ProposalState, ReformTask
from guozi.lib.errors import DomainError, Forbidden

from .conftest import TODAY, assign, catalogue, do_measures, finish

pytestmark = pytest.mark.django_db


def test_assigning_opens_one_ledger_item_per_task_and_enterprise(cast):
    created = assign(cast, [cast.a, cast.a1], ["boards_established", "front_list"])
    assert len(created) == 4
    task = ReformTask.objects.get(owner=cast.a1, catalogue_task__code="boards_established")
    item = task.item
    assert (item.register, item.progress_rule, item.status) == (
        Register.REFORM_TASK, ProgressRule.MILESTONES, Status.OPEN
    )  # fmt: skip
    assert item.title == "子企业董事会应建尽建"
    assert item.due_date == TODAY + timedelta(days=90)
    assert [m.title for m in item.milestones.order_by("position")][0] == "梳理应建董事会子企业名单"
    assert item.milestones.count() == 4
    assert (task.programme, task.area, task.weight) == ("three_year_action", "corporate_system", 5)
    assert (task.owner_id, task.supervisor_id, task.assigned_on) == (cast.a1.id, cast.ln.id, TODAY)
    assert item.events.get().action == EventAction.CREATED
    assert AuditEvent.objects.filter(object_type="reform.reformtask", object_id=str(item.id))


def test_a_task_already_assigned_is_skipped(cast):
    assign(cast, [cast.a], ["boards_established"])
    chosen = catalogue()
    result = services.assign_tasks(
        acting_user=cast.analyst,
        catalogue=chosen,
        tasks=list(chosen.tasks.filter(code__in=["boards_established", "front_list"])),
        enterprises=[cast.a],
        deadline=TODAY + timedelta(days=30),
    )
    assert [t.catalogue_task.code for t in result.created] == ["front_list"]
    assert [(e.id, t.code) for e, t in result.skipped] == [(cast.a.id, "boards_established")]


def test_a_passed_catalogue_deadline_needs_a_new_one_and_nothing_is_written(cast):
    chosen = catalogue()
    with pytest.raises(DomainError) as refused:
        services.assign_tasks(
            acting_user=cast.analyst,
            catalogue=chosen,
            tasks=list(chosen.tasks.filter(code="boards_established")),
            enterprises=[cast.a, cast.a1],
        )
    assert "deadline" in refused.value.fields
    assert not TrackedItem.objects.exists() and not ReformTask.objects.exists()


@pytest.mark.parametrize("weight", [0, 1001, "heavy", -3])
def test_a_bad_weight_is_refused(cast, weight):
    with pytest.raises(DomainError) as refused:
        assign(cast, [cast.a], ["front_list"], weight=weight)
    assert "weight" in refused.value.fields
    assert not ReformTask.objects.exists()


def test_only_the_enterprises_own_supervisor_assigns(cast):
    with pytest.raises(Forbidden):
        assign(cast, [cast.a], ["front_list"], by=cast.dl_analyst)
    with pytest.raises(Forbidden):
        assign(cast, [cast.a], ["front_list"], by=cast.reporter)
    assert not TrackedItem.objects.exists()


def test_one_refused_enterprise_writes_nothing_for_the_others(cast):
    with pytest.raises(Forbidden):
        assign(cast, [cast.a, cast.d], ["front_list"])  # D is Dalian's
    assert not TrackedItem.objects.exists()


def test_pairs_carry_each_enterprises_own_weight_and_deadline(cast):
    chosen = catalogue()
    boards = chosen.tasks.get(code="boards_established")
    created = services.assign_pairs(
        acting_user=cast.analyst,
        pairs=[
            services.Pair(cast.a, boards, 9, TODAY + timedelta(days=10)),
            services.Pair(cast.a1, boards, None, TODAY + timedelta(days=200), "王磊"),
        ],
    )
    assert [(t.weight, t.item.due_date) for t in created] == [
        (9, TODAY + timedelta(days=10)), (5, TODAY + timedelta(days=200))
    ]  # fmt: skip
    assert created[1].item.responsible_name == "王磊"


def test_pairs_already_assigned_are_refused(cast):
    assign(cast, [cast.a], ["front_list"])
    front = catalogue().tasks.get(code="front_list")
    with pytest.raises(DomainError) as refused:
        services.assign_pairs(
            acting_user=cast.analyst,
            pairs=[services.Pair(cast.a, front, None, TODAY + timedelta(days=9))],
        )
    assert refused.value.code == "assigned"
    assert ReformTask.objects.count() == 1


def test_the_supervisors_own_task(cast, deepening):
    task = services.own_task_create(
        acting_user=cast.analyst,
        owner=cast.a2,
        catalogue=deepening,
        area_code="governance",
        title="修订授权事项清单",
        deadline=TODAY + timedelta(days=40),
        weight="7",
        measures=["起草", "审议"],
        target_value=None,
    )
    assert (task.catalogue_task, task.area, task.weight) == (None, "governance", 7)
    assert task.item.milestones.count() == 2
    with pytest.raises(DomainError) as refused:
        services.own_task_create(
            acting_user=cast.analyst, owner=cast.a2, catalogue=deepening, area_code="space",
            title="x", deadline=None, weight="", measures=["a"],
        )  # fmt: skip
    assert set(refused.value.fields) == {"area", "weight", "deadline"}


def test_reweighting_is_the_supervisors_and_goes_to_the_history(cast):
    (task,) = assign(cast, [cast.a1], ["front_list"])
    with pytest.raises(Forbidden):
        services.task_reweight(acting_user=cast.reporter, task=task, weight=9)
    services.task_reweight(acting_user=cast.analyst, task=task, weight=9, reason="一企一策")
    task.refresh_from_db()
    assert task.weight == 9
    event = ItemEvent.objects.filter(item_id=task.item_id).last()
    assert (event.action, event.before, event.after, event.reason) == (
        EventAction.EDITED, {"weight": 4}, {"weight": 9}, "一企一策"
    )  # fmt: skip


def test_the_progress_rule_share_of_measures_then_complete_on_verification(cast):
    (task,) = assign(cast, [cast.a1], ["boards_established"])  # four measures
    item = do_measures(cast, task, 1)
    assert (item.status, item.progress) == (Status.IN_PROGRESS, 25)
    item = do_measures(cast, task, 3)
    assert (item.status, item.progress) == (Status.IN_PROGRESS, 100)
    ledger_services.verification_request(acting_user=cast.group_reviewer, item=item)
    ledger_services.verify(acting_user=cast.analyst, item=item, accept=False, reason="材料不全")
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS  # 100% done, still not complete
    do_measures(cast, task, 0)  # the missing evidence, reported and approved
    item = finish(cast, task)
    assert (item.status, item.progress, item.closed_on) == (Status.VERIFIED, 100, TODAY)


def test_a_reporter_proposes_and_the_supervisor_accepts_a_measure(cast):
    (task,) = assign(cast, [cast.a1], ["front_list"])  # the four default measures
    do_measures(cast, task, 2)
    proposal = services.measure_propose(
        acting_user=cast.sub_reporter, task=task, title="建立清单动态调整机制", note="每年评估"
    )
    assert proposal.state == ProposalState.PROPOSED
    services.measure_decide(acting_user=cast.analyst, proposal=proposal, accept=True)
    proposal.refresh_from_db()
    item = task.item
    item.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED
    assert proposal.milestone.title == "建立清单动态调整机制" and proposal.milestone.position == 5
    assert item.milestones.count() == 5
    assert item.progress == 40  # two of five measures done
    event = item.events.filter(action=EventAction.EDITED).last()
    assert event.after["progress"] == 40 and event.before["progress"] == 50


def test_a_declined_measure_needs_a_reason_and_adds_nothing(cast):
    (task,) = assign(cast, [cast.a1], ["front_list"])
    proposal = services.measure_propose(acting_user=cast.reporter, task=task, title="多余的措施")
    with pytest.raises(DomainError):
        services.measure_decide(acting_user=cast.analyst, proposal=proposal, accept=False)
    services.measure_decide(
        acting_user=cast.analyst, proposal=proposal, accept=False, reason="已包含在现有措施中"
    )
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.DECLINED and proposal.reason == "已包含在现有措施中"
    assert Milestone.objects.filter(item_id=task.item_id).count() == 4
    with pytest.raises(DomainError):
        services.measure_decide(acting_user=cast.analyst, proposal=proposal, accept=True)


def test_who_may_propose_and_decide(cast):
    (task,) = assign(cast, [cast.a1], ["front_list"])
    with pytest.raises(Forbidden):
        services.measure_propose(acting_user=cast.outsider, task=task, title="x")
    with pytest.raises(Forbidden):
        services.measure_propose(acting_user=cast.analyst, task=task, title="x")
    proposal = services.measure_propose(acting_user=cast.reporter, task=task, title="措施")
    with pytest.raises(Forbidden):
        services.measure_decide(acting_user=cast.group_reviewer, proposal=proposal, accept=True)
    with pytest.raises(Forbidden):
        services.measure_decide(acting_user=cast.dl_analyst, proposal=proposal, accept=True)
    assert MeasureProposal.objects.get().state == ProposalState.PROPOSED


def test_no_new_measure_once_the_task_is_handed_in(cast):
    (task,) = assign(cast, [cast.a1], ["front_list"])
    proposal = services.measure_propose(acting_user=cast.reporter, task=task, title="措施")
    do_measures(cast, task, 4)
    ledger_services.verification_request(acting_user=cast.group_reviewer, item=task.item)
    with pytest.raises(DomainError) as refused:
        services.measure_decide(acting_user=cast.analyst, proposal=proposal, accept=True)
    assert refused.value.code == "state"
    with pytest.raises(DomainError):
        services.measure_propose(acting_user=cast.reporter, task=task, title="再一项")
    assert Milestone.objects.filter(item_id=task.item_id).count() == 4


def test_an_empty_measure_is_refused(cast):
    (task,) = assign(cast, [cast.a1], ["front_list"])
    with pytest.raises(DomainError) as refused:
        services.measure_propose(acting_user=cast.reporter, task=task, title="  ")
    assert "title" in refused.value.fields
    assert not MeasureProposal.objects.exists()
