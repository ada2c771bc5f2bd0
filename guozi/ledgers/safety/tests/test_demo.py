"""The demo's safety incidents on the Liaoning demo portfolio."""

from collections import Counter

import pytest
from django.utils import translation

from guozi.ledgers import demo as ledgers_demo
from guozi.ledgers.models import Status, TrackedItem
from guozi.ledgers.safety import demo
from guozi.ledgers.safety.models import Incident, IncidentReport, ReportKind
from guozi.lib.clock import CHINA
from guozi.registry import demo as registry_demo

pytestmark = pytest.mark.django_db

SEED = 20260828


@pytest.fixture
def registry(settings):
    settings.GUOZI_TODAY = "2026-08-28"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    registry_demo.load_demo(seed=SEED)


def shape() -> list[tuple]:
    return [
        (i.number, i.item.owner.name_zh, i.latest.grade, i.item.status)
        for i in Incident.objects.select_related("item__owner", "latest").order_by("number")
    ]


def test_incidents_of_every_grade_from_2023_to_2026(registry):
    with translation.override("en"):
        line = demo.load(seed=SEED, scale=None, tasks=0)
    assert line.startswith("Safety incident register: 20 incidents (Especially serious 1,")
    counted = Incident.objects.exclude(item__status=Status.CANCELLED)
    assert Counter(counted.values_list("latest__grade", flat=True)) == {
        "especially_serious": 1,
        "major": 1,
        "serious": 6,
        "general": 12,
    }
    years = {i.occurred_at.astimezone(CHINA).year for i in Incident.objects.all()}
    assert years == {2023, 2024, 2025, 2026}
    assert Counter(TrackedItem.objects.values_list("status", flat=True)) == {
        Status.VERIFIED: 9,
        Status.IN_PROGRESS: 2,
        Status.OPEN: 9,
        Status.CANCELLED: 1,
    }
    # Numbers run with time.
    numbers = list(Incident.objects.order_by("occurred_at").values_list("number", flat=True))
    assert numbers[:2] == ["LN-AQ-2023-0001", "LN-AQ-2023-0002"]


def test_a_serious_incident_became_major_when_two_injured_died(registry):
    demo.load(seed=SEED, scale=None, tasks=0)
    regraded = Incident.objects.get(latest__grade="major")
    first, second = regraded.reports.order_by("version")
    assert (first.grade, first.deaths, first.serious_injuries) == ("serious", 8, 5)
    assert (second.kind, second.grade, second.deaths, second.serious_injuries) == (
        ReportKind.SUPPLEMENTARY,
        "major",
        10,
        3,
    )
    assert "重大矿山事故" in regraded.item.title
    assert regraded.item.status == Status.IN_PROGRESS
    late = IncidentReport.objects.get(kind=ReportKind.CORRECTION)
    assert late.note and late.incident.incident_type == "road_traffic"


def test_the_demo_users_see_their_groups_incidents(registry):
    demo.load(seed=SEED, scale=None, tasks=0)
    steel = Incident.objects.filter(item__created_by__isnull=True)  # reported by the enterprise
    assert steel.count() == 13
    assert set(steel.values_list("latest__reported_by__username", flat=True)) == {
        "reporter",
        "sub_reporter",
    }
    closed = Incident.objects.filter(item__status=Status.VERIFIED)
    assert all(i.item.milestones.filter(done_on__isnull=True).count() == 0 for i in closed)


def test_the_same_seed_gives_the_same_incidents_and_reset_removes_them(registry):
    demo.load(seed=SEED, scale=None, tasks=0)
    first = shape()
    ledgers_demo.reset()
    assert not Incident.objects.exists() and not IncidentReport.objects.exists()
    assert not TrackedItem.objects.exists()
    demo.load(seed=SEED, scale=None, tasks=0)
    assert shape() == first


def test_a_generated_portfolio_has_no_demo_incidents(db):
    assert demo.load(seed=SEED, scale=200, tasks=0) == ""
    assert not Incident.objects.exists()
