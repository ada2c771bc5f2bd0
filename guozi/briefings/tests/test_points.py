"""Points to raise: worded from plain facts, and read from each source."""

from datetime import date, timedelta

from django.utils import translation

from guozi.briefings import points
from guozi.dashboard.tests.test_profile_records import JULY, set_target
from guozi.indicators.models import IndustryBaseline, Severity
from guozi.ledgers import services as ledger_services
from guozi.ledgers.demo import on_day
from guozi.ledgers.models import Register
from guozi.ledgers.reform import services as reform_services
from guozi.ledgers.reform.catalogues import current_catalogues

TODAY = date(2026, 8, 28)


def test_an_overdue_item_says_how_late_it_is():
    with translation.override("en"):
        point = points.overdue_point(
            register="rectification",
            subject="辽钢",
            title="坏账准备",
            due=date(2026, 8, 18),
            progress=40,
            today=TODAY,
            link="/ledgers/items/7/",
        )
    assert point.source == "rectification"
    assert point.evidence == "due 2026-08-18, 10 days late, 40% done"
    expected = "辽钢：Rectification overdue: 坏账准备（due 2026-08-18, 10 days late, 40% done）"
    assert point.line() == expected + " /ledgers/items/7/"


def test_the_most_pressing_first_and_at_most_the_limit():
    def alert(severity):
        return points.alert_point(
            severity=severity, severity_label=severity, subject="s", message=severity,
            period=JULY, link="",
        )  # fmt: skip

    found = [alert(Severity.INFO), alert(Severity.WARNING), alert(Severity.CRITICAL)]
    ordered = points.most_pressing(found, limit=2)
    assert [p.text.split(": ")[-1] for p in ordered] == ["critical", "warning"]


def test_debt_line_points_name_the_line_crossed():
    over_key = points.debt_line_point(
        subject="s", ratio=0.81, warning=0.65, key=0.75, period=JULY, link=""
    )
    over_warning = points.debt_line_point(
        subject="s", ratio=0.70, warning=0.65, key=0.75, period=JULY, link=""
    )
    assert over_key.rank < over_warning.rank
    assert "75.0%" in over_key.evidence and "65.0%" in over_warning.evidence


def test_split_lines_drops_marks_and_blank_lines():
    assert points.split_lines("• 一\n\n - 二 \n*三\n   ") == ["一", "二", "三"]
    assert points.split_lines("") == []


def test_points_from_every_source(figures):
    cast = figures
    with on_day(date(2026, 3, 1)):
        ledger_services.item_create(
            acting_user=cast.analyst,
            register=Register.RECTIFICATION,
            owner=cast.a11,
            title="库存盘点差异整改",
            due_date=date(2026, 7, 31),
            responsible_name="王磊",
        )
        ledger_services.item_create(
            acting_user=cast.analyst,
            register=Register.RECTIFICATION,
            owner=cast.a11,
            title="尚未到期的整改",
            due_date=TODAY + timedelta(days=30),
            responsible_name="王磊",
        )
        catalogue = next(c for c in current_catalogues() if c.code == "three_year_action")
        tasks = list(catalogue.tasks.all())[:2]
        reform_services.assign_tasks(
            acting_user=cast.analyst, catalogue=catalogue, tasks=tasks[:1],
            enterprises=[cast.a1], deadline=date(2026, 8, 1),
        )  # fmt: skip
        reform_services.assign_tasks(
            acting_user=cast.analyst, catalogue=catalogue, tasks=tasks[1:2],
            enterprises=[cast.a1], deadline=date(2026, 9, 30),
        )  # fmt: skip
    set_target(cast, cast.a1, "total_profit", 900)
    IndustryBaseline.objects.create(supervisor=cast.ln, year=2026, industry="C31", baseline=0.4)
    with translation.override("en"):
        found = points.points_for(cast.analyst, cast.a1, JULY, today=TODAY)
    sources = [p.source for p in found]
    assert {"alert", "rectification", "reform_overdue", "reform_at_risk", "indicator"} <= set(
        sources
    ), found
    rectification = next(p for p in found if p.source == "rectification")
    assert "库存盘点差异整改" in rectification.text and "2026-07-31" in rectification.evidence
    assert not any("尚未到期" in p.text for p in found)
    texts = " ".join(p.text for p in found)
    assert "behind the annual target" in texts
    assert "Debt-to-asset ratio over" in texts
    assert sources.index("reform_overdue") < sources.index("reform_at_risk")


def test_points_are_scoped_to_the_reader(figures):
    # The steel group's reporter does not see Liaoning Port's subsidiary: nothing to read there.
    assert points.points_for(figures.outsider, figures.a1, JULY, today=TODAY) == []
