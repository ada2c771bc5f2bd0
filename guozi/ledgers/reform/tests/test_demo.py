"""The demo: the Liaoning programme history, consistent with itself, and the scaled load."""

from collections import Counter
from datetime import date

import pytest
from django.db.models import Count, Q, Sum

from guozi.ledgers import demo as ledgers_demo
from guozi.ledgers.models import (
    EventAction,
    ItemEvent,
    ItemUpdate,
    Milestone,
    Register,
    Status,
    TrackedItem,
    UpdateState,
)
from guozi.ledgers.reform import demo, snapshots
from guozi.ledgers.reform.models import (
    EnterpriseSnapshot,
    MeasureProposal,
    ReformTask,
    RollupLevel,
    RollupSnapshot,
)
from guozi.ledgers.rules import milestone_progress
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.registry import demo as registry_demo
from guozi.reporting.models import Form, RuleResult, Submission
from guozi.reporting.validation import validate_range

from .conftest import TODAY

pytestmark = pytest.mark.django_db
SEED = 20260828


@pytest.fixture
def registry(settings):
    settings.GUOZI_TODAY = TODAY.isoformat()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    registry_demo.load_demo(seed=SEED, total=300)


@pytest.fixture
def liaoning(registry):
    return demo.load(seed=SEED, scale=None, tasks=0)


def share_verified(programme: str, month: date) -> float:
    rows = RollupSnapshot.objects.filter(
        level=RollupLevel.SUPERVISOR, programme=programme, month=month
    ).aggregate(tasks=Sum("tasks"), done=Sum("done"))
    return 100 * rows["done"] / rows["tasks"]


def fingerprint() -> list:
    return sorted(
        ReformTask.objects.values_list(
            "owner_id", "catalogue_task__code", "weight", "item__due_date", "item__status",
            "item__progress", "item__closed_on",
        ),
        key=str,
    )  # fmt: skip


def test_the_curve_follows_the_programme(liaoning):
    assert "Reform programme" in liaoning or "国企改革" in liaoning
    end_2021 = share_verified("three_year_action", date(2021, 12, 31))
    assert 60 <= end_2021 <= 80
    assert share_verified("three_year_action", date(2022, 6, 30)) > 85
    assert share_verified("deepening_action", date(2025, 12, 31)) > 80
    assert EnterpriseSnapshot.objects.exists()


def test_every_state_of_a_ledger_is_there(liaoning):
    statuses = Counter(TrackedItem.objects.values_list("status", flat=True))
    assert statuses[Status.VERIFIED] > statuses[Status.IN_PROGRESS] > 0
    assert statuses[Status.AWAITING_VERIFICATION] and statuses[Status.CANCELLED]
    states = Counter(ItemUpdate.objects.values_list("state", flat=True))
    assert states[UpdateState.SUBMITTED] and states[UpdateState.RETURNED]
    assert (
        ItemEvent.objects.filter(action=EventAction.UPDATE_RETURNED).count()
        > states[UpdateState.RETURNED]
    )  # some returned once, then approved
    assert TrackedItem.objects.filter(status=Status.IN_PROGRESS, due_date__lt=TODAY).exists()
    assert MeasureProposal.objects.filter(state="proposed").exists()
    groups = (
        ReformTask.objects.filter(
            owner__in=registry_demo.Enterprise.objects.filter(
                parent_links__parent_supervisor__isnull=False
            )
        )
        .values("owner_id")
        .distinct()
        .count()
    )
    assert groups and ReformTask.objects.values("owner_id").distinct().count() > groups


def test_each_items_status_and_progress_agree_with_its_history(liaoning):
    items = TrackedItem.objects.filter(register=Register.REFORM_TASK).annotate(
        total=Count("milestones", distinct=True),
        done=Count("milestones", filter=Q(milestones__done_on__isnull=False), distinct=True),
    )
    for item in items:
        expected = (
            100 if item.status == Status.VERIFIED else milestone_progress(item.done, item.total)
        )
        assert item.progress == expected, item.id
        actions = list(item.events.order_by("id").values_list("action", flat=True))
        assert actions[0] == EventAction.CREATED
        assert (item.status == Status.VERIFIED) == (EventAction.VERIFIED in actions)
        assert (item.status == Status.CANCELLED) == (EventAction.CANCELLED in actions)
        approved = item.updates.filter(state=UpdateState.APPROVED).count()
        assert actions.count(EventAction.UPDATE_APPROVED) == approved
        if item.status == Status.OPEN:
            assert approved == 0
    done = Milestone.objects.filter(item__register=Register.REFORM_TASK, done_on__isnull=False)
    for milestone in done.select_related("done_by_update")[:500]:
        update = milestone.done_by_update
        assert update.item_id == milestone.item_id and milestone.id in update.milestones_done
        assert update.state == UpdateState.APPROVED


def test_the_snapshots_are_what_the_history_gives(liaoning):
    def rows():
        enterprise = set(
            EnterpriseSnapshot.objects.values_list("owner_id", "programme", "area", "month",
                                                   "tasks", "done", "late", "progress")
        )  # fmt: skip
        rollups = set(
            RollupSnapshot.objects.values_list("level", "key", "programme", "area", "month",
                                               "tasks", "weight_done", "late", "progress")
        )  # fmt: skip
        return enterprise, rollups

    written = rows()
    snapshots.rebuild(today=TODAY)
    assert rows() == written


def test_the_reform_indicator_reports_pass_their_rules(liaoning):
    form = Form.objects.get(code="reform_indicators")
    reports = Submission.objects.filter(form=form)
    assert reports.count() == 12 * ReformTask.objects.values("owner_id").distinct().count()
    periods = sorted({Period.parse(p) for p in reports.values_list("period", flat=True)})
    assert str(periods[0]) == "2020H2" and str(periods[-1]) == "2026H1"
    validate_range(form, periods[-2:])
    assert not RuleResult.objects.filter(submission__form=form).exists()


def test_the_same_seed_gives_the_same_demo(liaoning):
    first = fingerprint()
    ledgers_demo.reset()
    Submission.objects.filter(form__code="reform_indicators").delete()
    demo.load(seed=SEED, scale=None, tasks=0)
    assert fingerprint() == first


def test_a_second_load_is_refused(liaoning):
    with pytest.raises(DomainError) as refused:
        demo.load(seed=SEED, scale=None, tasks=0)
    assert refused.value.code == "demo_reform_exists"


def test_reset_removes_the_registers_own_rows(liaoning):
    demo.reset()
    assert not ReformTask.objects.exists() and not RollupSnapshot.objects.exists()
    assert not MeasureProposal.objects.exists()


def test_scaled_tasks_per_enterprise_with_five_updates_each(registry):
    assert demo.load(seed=SEED, scale=300, tasks=0) == ""
    assert not ReformTask.objects.exists()
    line = demo.load(seed=SEED, scale=300, tasks=3)
    assert line
    per_owner = Counter(ReformTask.objects.values_list("owner_id", flat=True))
    assert set(per_owner.values()) == {3}
    assert ItemUpdate.objects.count() == 5 * ReformTask.objects.count()
    assert RollupSnapshot.objects.exists()
    written = set(RollupSnapshot.objects.values_list("level", "key", "area", "month", "done"))
    snapshots.rebuild(today=TODAY)
    assert set(RollupSnapshot.objects.values_list("level", "key", "area", "month", "done")) == (
        written
    )
