"""Reform fixtures on the common cast (guozi/conftest.py).

Tasks usually go to group A (辽钢) and its subsidiary A1: their reporters are `reporter` (at A)
and `sub_reporter` (at A1), their reviewer `group_reviewer`; the Liaoning analysts assign and
verify; `outsider` (port group B) sees none of them. The catalogues that ship with Guozi are
loaded by the test database's migrate.
"""

from datetime import date, timedelta

import pytest

from guozi.ledgers import services as ledger_services
from guozi.ledgers.demo import on_day
from guozi.ledgers.reform import services
from guozi.ledgers.reform.catalogues import current_catalogues

TODAY = date(2026, 8, 28)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Evidence files and uploads go to a fresh data directory per test."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def catalogue(code: str = "three_year_action"):
    return next(c for c in current_catalogues() if c.code == code)


@pytest.fixture
def three_year(db):
    return catalogue("three_year_action")


@pytest.fixture
def deepening(db):
    return catalogue("deepening_action")


def assign(cast, owners, codes, *, programme="three_year_action", deadline=None, by=None, **kw):
    """Assign catalogue tasks (by code) to the owners; returns the ReformTask rows."""
    chosen = catalogue(programme)
    tasks = [t for t in chosen.tasks.all() if t.code in codes]
    result = services.assign_tasks(
        acting_user=by or cast.analyst,
        catalogue=chosen,
        tasks=tasks,
        enterprises=list(owners),
        deadline=deadline or TODAY + timedelta(days=90),
        **kw,
    )
    return result.created


def do_measures(cast, task, count: int, *, by=None, reviewer=None):
    """Write and approve an update that completes the next `count` measures of a task."""
    item = task.item
    left = list(item.milestones.filter(done_on__isnull=True).order_by("position"))
    update = ledger_services.item_update_add(
        acting_user=by or cast.reporter,
        item=item,
        text="已完成阶段性工作",
        milestones=[m.id for m in left[:count]],
        submit=True,
    )
    ledger_services.item_update_approve(acting_user=reviewer or cast.group_reviewer, update=update)
    item.refresh_from_db()
    return item


def finish(cast, task, *, accept=True):
    """Complete every measure, hand the task in, and let the analyst verify it."""
    item = task.item
    left = item.milestones.filter(done_on__isnull=True).count()
    if left:
        do_measures(cast, task, left)
    item.refresh_from_db()
    ledger_services.verification_request(acting_user=cast.group_reviewer, item=item)
    ledger_services.verify(acting_user=cast.analyst, item=item, accept=accept, reason="核查")
    item.refresh_from_db()
    return item


__all__ = ["TODAY", "assign", "catalogue", "do_measures", "finish", "on_day"]
