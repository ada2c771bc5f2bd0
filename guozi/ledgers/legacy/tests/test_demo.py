"""The register's part of the Liaoning demo: problems of every kind, closed in 2018–2022, some
still open and one overdue, all made through the services by the demo users."""

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from guozi.audit.models import AuditEvent
from guozi.ledgers import demo as ledger_demo
from guozi.ledgers.legacy import demo
from guozi.ledgers.legacy.models import LegacyProblem
from guozi.ledgers.models import Evidence, ItemUpdate, Register, Status, TrackedItem
from guozi.lib.errors import DomainError

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_day(settings):
    settings.GUOZI_TODAY = TODAY.isoformat()


@pytest.fixture
def liaoning(demo_day):
    call_command("load_demo", "--months", "0", stdout=StringIO())


def test_the_liaoning_demo_has_every_kind_in_every_state(liaoning):
    line = demo.load(seed=ledger_demo.DEFAULT_SEED, scale=None, tasks=0)
    problems = LegacyProblem.objects.select_related("item", "item__owner")
    assert Counter(p.kind for p in problems) == {
        "three_supplies": 11,
        "collective": 3,
        "retirees": 5,
        "zombie": 3,
    }
    states = Counter(p.item.status for p in problems)
    assert states == {Status.VERIFIED: 15, Status.IN_PROGRESS: 4, Status.OPEN: 3}
    overdue = [p.item for p in problems if p.item.days_overdue(TODAY)]
    assert len(overdue) == 1 and overdue[0].title.endswith("特困企业破产清算")
    supplies = [p for p in problems if p.kind == "three_supplies" and p.item.closed_on]
    assert {p.item.closed_on.year for p in supplies} <= {2018, 2019, 2020}
    assert all(p.households_done == p.households_total for p in supplies)
    cities = {p.item.owner.city_code for p in problems}
    assert {"210300", "210400", "210500"} <= cities  # Anshan, Fushun, Benxi
    assert "22 problems (15 closed, 1 overdue)" in line


def test_the_demo_runs_through_the_services_on_past_days(liaoning):
    demo.load(seed=ledger_demo.DEFAULT_SEED, scale=None, tasks=0)
    item = TrackedItem.objects.filter(register=Register.LEGACY_PROBLEM).order_by("id").first()
    assert item.opened_on == date(2017, 3, 15) and item.status == Status.VERIFIED
    actions = list(item.events.order_by("id").values_list("action", flat=True))
    assert actions[0] == "created" and actions[-1] == "verified"
    assert "edited" in actions  # the reporter's done figures
    assert ItemUpdate.objects.filter(item=item, author__username="reporter").count() == 2
    assert Evidence.objects.filter(update__item=item).count() == 1
    assert AuditEvent.objects.filter(object_type="legacy.legacyproblem").exists()
    # Every problem's figures pass the rules they were checked by.
    for problem in LegacyProblem.objects.all():
        for total, done in (
            ("households_total", "households_done"),
            ("people_total", "people_done"),
        ):
            if getattr(problem, done) is not None:
                assert getattr(problem, done) <= getattr(problem, total)


def test_the_same_seed_gives_the_same_problems(liaoning, django_capture_on_commit_callbacks):
    demo.load(seed=7, scale=None, tasks=0)
    first = list(
        LegacyProblem.objects.order_by("item_id").values_list(
            "item__title", "kind", "households_total", "people_total", "receiving_party"
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        ledger_demo.reset()
    assert not LegacyProblem.objects.exists()
    demo.load(seed=7, scale=None, tasks=0)
    again = list(
        LegacyProblem.objects.order_by("item_id").values_list(
            "item__title", "kind", "households_total", "people_total", "receiving_party"
        )
    )
    assert again == first


def test_a_scaled_portfolio_gets_no_legacy_problems(demo_day, db):
    assert demo.load(seed=1, scale=200, tasks=3) == ""
    assert not LegacyProblem.objects.exists()


def test_the_demo_needs_the_demo_registry(demo_day, db):
    with pytest.raises(DomainError) as refused:
        demo.load(seed=1, scale=None, tasks=0)
    assert refused.value.code == "demo_registry"
    assert not TrackedItem.objects.exists()


def test_reset_removes_the_registers_rows(liaoning):
    demo.load(seed=ledger_demo.DEFAULT_SEED, scale=None, tasks=0)
    demo.reset()
    assert not LegacyProblem.objects.exists()
    assert TrackedItem.objects.filter(register=Register.LEGACY_PROBLEM).exists()
