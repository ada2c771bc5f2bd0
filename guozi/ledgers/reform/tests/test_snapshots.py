"""Monthly snapshots from the tasks' history: the enterprises' sparse rows, the roll-ups, the
monthly job, the backfill command, a group change, and the curve read from them."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from guozi.ledgers.reform import selectors, snapshots
from guozi.ledgers.reform.completion import Tally
from guozi.ledgers.reform.models import EnterpriseSnapshot, RollupLevel, RollupSnapshot
from guozi.ledgers.reform.selectors import Filters
from guozi.registry import services as registry_services
from guozi.registry.tree import tree_at

from . import scenario
from .conftest import TODAY

pytestmark = pytest.mark.django_db
MONTHS = [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30),
          date(2026, 7, 31)]  # fmt: skip


@pytest.fixture
def history(cast):
    scenario.build(cast)
    return cast


def figures(rows) -> tuple:
    return tuple((r.tasks, r.done, r.weight_done, r.late, r.progress) for r in rows)


def rollup(level, key, area):
    return RollupSnapshot.objects.filter(
        level=level, key=key, area=area, programme="three_year_action"
    ).order_by("month")


def test_rebuild_writes_every_month_up_to_the_last_closed_one(history):
    written = snapshots.rebuild(today=TODAY)
    assert written["months"] == 5
    front = rollup(RollupLevel.SUPERVISOR, "", "corporate_system")
    assert [r.month for r in front] == MONTHS
    # (tasks, done, weight done, late, Σ percent): A verifies in April, B in July, when A1's
    # and A11's are past their 30 June deadline.
    assert figures(front) == (
        (4, 0, 0, 0, 0), (4, 1, 4, 0, 100), (4, 1, 4, 0, 100), (4, 1, 4, 0, 100),
        (4, 2, 8, 2, 200),
    )  # fmt: skip
    tenure = rollup(RollupLevel.SUPERVISOR, "", "market_mechanisms")
    assert figures(tenure)[-1] == (3, 0, 0, 3, 33)  # A11's was cancelled in July
    assert figures(tenure)[1] == (4, 0, 0, 0, 33)


def test_an_enterprise_has_a_row_only_for_months_that_changed(history):
    snapshots.rebuild(today=TODAY)
    rows = EnterpriseSnapshot.objects.filter(owner=history.a1, area="market_mechanisms")
    assert [(r.month, r.tasks, r.progress, r.late) for r in rows.order_by("month")] == [
        (date(2026, 3, 31), 1, 0, 0), (date(2026, 4, 30), 1, 33, 0), (date(2026, 7, 31), 1, 33, 1)
    ]  # fmt: skip


def test_group_and_city_roll_ups(history):
    snapshots.rebuild(today=TODAY)
    group = rollup(RollupLevel.GROUP, str(history.a.id), "corporate_system").last()
    assert (group.tasks, group.done, group.late) == (3, 1, 2)
    city = rollup(RollupLevel.CITY, "210300", "corporate_system").last()
    assert (city.tasks, city.done, city.late) == (1, 0, 1)


def test_the_monthly_job_adds_the_month_just_ended(history):
    snapshots.rebuild(today=date(2026, 7, 15))  # up to June
    assert not EnterpriseSnapshot.objects.filter(month=date(2026, 7, 31)).exists()
    june = set(EnterpriseSnapshot.objects.values_list("id", flat=True))
    written = snapshots.rebuild_last_month(TODAY)
    assert written["months"] == 5
    assert set(EnterpriseSnapshot.objects.filter(month__lt=date(2026, 7, 1)).values_list(
        "id", flat=True)) == june  # fmt: skip
    incremental = sorted(
        EnterpriseSnapshot.objects.values_list("owner_id", "area", "month", "tasks", "late")
    )
    snapshots.rebuild(today=TODAY)
    full = sorted(
        EnterpriseSnapshot.objects.values_list("owner_id", "area", "month", "tasks", "late")
    )
    assert incremental == full


def test_the_backfill_command(history):
    out = StringIO()
    call_command("reform_snapshots", stdout=out)
    assert RollupSnapshot.objects.filter(month=date(2026, 7, 31)).exists()
    call_command("reform_snapshots", "--since", "2026-07", stdout=out)
    assert RollupSnapshot.objects.filter(month=date(2026, 3, 31)).exists()


def test_a_group_change_moves_the_figures_so_far(history):
    # A11 moves from group A to group B on 1 May: its figures go with it from May on.
    registry_services.enterprise_transfer(
        acting_user=None, enterprise=history.a11, new_parent=history.b, on=date(2026, 5, 1)
    )
    snapshots.rebuild(today=TODAY)

    def tasks_of(group, month):
        rows = RollupSnapshot.objects.filter(
            level=RollupLevel.GROUP, key=str(group.id), month=month
        )
        return rows.aggregate(n=Sum("tasks"))["n"]

    assert tasks_of(history.a, date(2026, 4, 30)) == 6
    assert tasks_of(history.b, date(2026, 4, 30)) == 2
    assert tasks_of(history.a, date(2026, 5, 31)) == 4
    assert tasks_of(history.b, date(2026, 5, 31)) == 4
    assert tasks_of(history.b, date(2026, 7, 31)) == 3  # A11's tenure_contract cancelled


def test_the_curve_from_roll_ups_and_from_enterprise_rows_agree(history):
    snapshots.rebuild(today=TODAY)
    tree = tree_at(TODAY)
    supervisor = selectors.curve(history.analyst, Filters(), tree)
    assert supervisor.days == MONTHS
    combined = supervisor.combined()
    assert [t.done for t in combined] == [0, 1, 1, 1, 2]
    assert combined[-1].tasks == 7
    both = selectors.curve(history.analyst, Filters(city="210100", group=history.a.id), tree)
    assert [t.tasks for t in both.combined()] == [4, 4, 4, 4, 4]
    group = selectors.curve(history.reporter, Filters(), tree)  # enterprise rows
    assert [(t.tasks, t.done) for t in group.combined()] == [(6, 0), (6, 1), (6, 1), (6, 1),
                                                              (5, 1)]  # fmt: skip
    assert selectors.curve(history.outsider, Filters(), tree).combined()[-1].done == 1


def test_the_curve_with_todays_live_point(history):
    snapshots.rebuild(today=TODAY)
    curve = selectors.curve(history.analyst, Filters(), tree_at(TODAY))
    extended = curve.with_point(TODAY, {"three_year_action": Tally(tasks=7, done=2)})
    assert extended.days[-1] == TODAY and extended.points()[-1] == (TODAY, 100 * 2 / 7)
    assert extended.with_point(TODAY, {}) is extended


def test_no_task_no_snapshot(db):
    assert snapshots.rebuild(today=TODAY)["months"] == 0
    assert not RollupSnapshot.objects.exists()


def test_the_scheduled_jobs(history, django_capture_on_commit_callbacks, settings):
    from datetime import datetime

    from guozi.jobs.models import Job, JobStatus
    from guozi.jobs.schedule import SCHEDULE, run_due
    from guozi.lib.clock import CHINA

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    mine = [e for e in SCHEDULE if e.name in ("reform_snapshots", "reform_current")]
    assert {e.name for e in mine} == {"reform_snapshots", "reform_current"}
    first = datetime(2026, 8, 31, 23, 0, tzinfo=CHINA)
    run_due(first, mine)  # the first sight of an entry only starts its clock
    with django_capture_on_commit_callbacks(execute=True):
        started = run_due(datetime(2026, 9, 1, 3, 0, tzinfo=CHINA), mine)
    assert {entry.name for entry, _job in started} == {"reform_snapshots", "reform_current"}
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.SUCCEEDED}
    assert RollupSnapshot.objects.filter(month=date(2026, 7, 31)).exists()
