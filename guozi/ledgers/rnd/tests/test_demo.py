"""The demo's key R&D projects, loaded by `guozi load_demo` after the fast reports."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from guozi.accounts.models import User
from guozi.ledgers import demo as ledgers_demo
from guozi.ledgers.models import Register, Status, TrackedItem
from guozi.ledgers.rnd import demo
from guozi.ledgers.rnd.models import RdOutcome, RdProject, RdYear
from guozi.ledgers.rnd.selectors import SummaryFilters, spend_summary
from guozi.registry.demo import DEFAULT_SEED

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(settings):
    """A small generated portfolio with 20 months of fast reports, up to July 2026."""
    settings.GUOZI_TODAY = TODAY.isoformat()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", "--scale", "200", "--months", "20", stdout=StringIO())


def snapshot() -> list[tuple]:
    return sorted(
        (
            p.item.title,
            p.item.owner.name_zh,
            p.item.status,
            p.total_budget_fen,
            tuple(p.years.order_by("year").values_list("year", "budget_fen", "spend_fen")),
            p.outcomes.count(),
        )
        for p in RdProject.objects.select_related("item__owner")
    )


def test_a_scaled_portfolio_gets_no_projects(portfolio):
    assert not RdProject.objects.exists()
    assert demo.load(seed=DEFAULT_SEED, scale=200, tasks=0) == ""


def test_the_demo_projects(portfolio):
    line = demo.load(seed=DEFAULT_SEED, scale=None, tasks=0)
    items = TrackedItem.objects.filter(register=Register.RD_PROJECT)
    assert 30 <= items.count() <= 60 and RdProject.objects.count() == items.count()
    assert f"{items.count()}" in line
    states = Counter(items.values_list("status", flat=True))
    assert states[Status.VERIFIED] >= 1 and states[Status.AWAITING_VERIFICATION] >= 1
    assert states[Status.IN_PROGRESS] >= 2 and states[Status.OPEN] >= 1
    partly = [i for i in items if 0 < i.milestones.filter(done_on__isnull=False).count() < 4]
    assert len(partly) >= 2
    assert {i.owner.supervisor.code for i in items} == {"ln"}
    assert len({i.owner_id for i in items}) >= 12  # spread over many enterprises
    # Years 2023–2026 with spend, the years to come with a budget only.
    years = RdYear.objects.all()
    assert {y.year for y in years} >= {2023, 2024, 2025, 2026}
    assert all(y.spend_fen is None for y in years if y.year > TODAY.year)
    assert all(y.spend_fen is not None for y in years if y.year < TODAY.year)
    assert any(y.over_budget for y in years)
    kinds = Counter(RdOutcome.objects.values_list("kind", flat=True))
    assert kinds["patent"] >= 10 and kinds["standard"] >= 1
    assert all(o.level for o in RdOutcome.objects.filter(kind="standard"))
    assert all(o.achieved_on <= TODAY for o in RdOutcome.objects.all())


def test_one_or_two_projects_spend_more_than_their_enterprise_reported(portfolio):
    demo.load(seed=DEFAULT_SEED, scale=None, tasks=0)
    analyst = User.objects.get(username="analyst")
    found = spend_summary(analyst, SummaryFilters(year=2025, flagged=True), today=TODAY)
    assert 1 <= len(found.rows) <= 2
    for row in found.rows:
        assert row.reported.period == "2025-12" and row.coverage.share > 1
    everyone = spend_summary(analyst, SummaryFilters(year=2025), today=TODAY)
    covered = [row for row in everyone.rows if row.coverage.status == "ok"]
    assert len(covered) >= 12


def test_the_same_seed_gives_the_same_projects(portfolio):
    demo.load(seed=DEFAULT_SEED, scale=None, tasks=0)
    first = snapshot()
    ledgers_demo.reset()
    assert not RdProject.objects.exists() and not RdYear.objects.exists()
    demo.load(seed=DEFAULT_SEED, scale=None, tasks=0)
    assert snapshot() == first


def test_the_summary_line_speaks_both_languages(portfolio):
    demo.load(seed=DEFAULT_SEED, scale=None, tasks=0)
    with translation.override("en"):
        assert demo.summary().startswith("Key R&D project register:")
    with translation.override("zh-hans"):
        assert demo.summary().startswith("重点研发项目台账：")


def test_without_the_demo_users_nothing_is_loaded(db, settings):
    settings.GUOZI_TODAY = TODAY.isoformat()
    assert demo.load(seed=DEFAULT_SEED, scale=None, tasks=0) == ""
    assert not TrackedItem.objects.exists()
