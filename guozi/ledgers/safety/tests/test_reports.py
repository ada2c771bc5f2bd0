"""Recording an incident (首报): the item on the register, the incident, its first version and
grade; who may report; every refusal leaves nothing behind."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from guozi.accounts.models import Notification
from guozi.audit.models import AuditEvent
from guozi.ledgers.models import ItemEvent, ProgressRule, Register, TrackedItem
from guozi.ledgers.safety.models import Incident, IncidentReport, ReportKind
from guozi.lib.errors import DomainError, Forbidden

from .conftest import at, report

pytestmark = pytest.mark.django_db


def nothing_written():
    return not (
        TrackedItem.objects.exists() or Incident.objects.exists() or IncidentReport.objects.exists()
    )


def test_an_enterprise_reports_an_incident_on_the_supervisors_register(cast, incident):
    item = incident.item
    assert (item.register, item.owner, item.supervisor) == (
        Register.SAFETY_INCIDENT,
        cast.a2,
        cast.ln,
    )
    assert item.title == "辽钢矿业有限“8·20”一般矿山事故"
    assert item.progress_rule == ProgressRule.MILESTONES
    assert item.milestones.count() == 3
    # The investigation report is due 60 days after the incident (条例 Art. 29).
    assert item.due_date == date(2026, 10, 19)
    assert incident.number == "LN-AQ-2026-0001"
    first = incident.latest
    assert (first.version, first.kind, first.grade) == (1, ReportKind.INITIAL, "general")
    assert first.graded_by == ["deaths", "serious_injuries", "direct_loss"]
    assert (first.deaths, first.serious_injuries, first.direct_loss_fen) == (2, 1, 380_000_000)
    assert first.reported_by == cast.reporter
    assert item.attributes == {
        "grade": "general",
        "incident_type": "mining",
        "occurred_on": "2026-08-20",
        "deaths": "2",
        "serious_injuries": "1",
        "direct_loss": "380",
    }


def test_the_reporter_is_named_in_the_report_and_the_audit_log(cast, incident):
    # The ledger opens items as the supervisor only: the system opened it on the report.
    assert incident.item.created_by is None
    audited = AuditEvent.objects.get(object_type="safety.incident", object_id=str(incident.id))
    assert audited.actor == cast.reporter
    assert audited.after["number"] == incident.number
    assert audited.after["deaths"] == 2
    assert audited.enterprise_id == cast.a2.id


def test_the_supervisor_hears_of_an_incident_an_enterprise_reports(cast, incident):
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert {"analyst", "reviewer"} <= told
    assert "outsider" not in told


def test_an_analyst_records_an_incident_in_their_own_name(cast):
    incident = report(cast, by=cast.analyst)
    assert incident.item.created_by == cast.analyst
    assert ItemEvent.objects.get(item=incident.item).actor == cast.analyst


@pytest.mark.parametrize("username", ["outsider", "leader", "auditor", "dl_analyst"])
def test_only_the_enterprises_reporters_and_the_supervisors_staff_report(cast, username):
    with pytest.raises(Forbidden):
        report(cast, by=getattr(cast, username))
    assert nothing_written()


def test_a_subsidiarys_reporter_cannot_report_for_its_parent(cast):
    with pytest.raises(Forbidden):
        report(cast, by=cast.sub_reporter, owner=cast.a)
    assert nothing_written()


def test_nothing_lost_and_nobody_hurt_is_refused_as_no_incident(cast):
    with translation.override("en"), pytest.raises(DomainError) as refused:
        report(cast, deaths=0, serious_injuries=0, direct_loss=Decimal(0))
    assert "not a production-safety incident" in refused.value.message
    assert refused.value.fields == {"__all__": [refused.value.message]}
    assert nothing_written()
    with translation.override("zh-hans"), pytest.raises(DomainError) as in_chinese:
        report(cast, deaths=0, serious_injuries=0, direct_loss=Decimal(0))
    assert "不属于生产安全事故" in in_chinese.value.message


def test_every_bad_field_is_named_at_once_and_nothing_is_written(cast):
    with pytest.raises(DomainError) as refused:
        report(
            cast,
            incident_type="earthquake",
            place="  ",
            deaths=-1,
            serious_injuries="两人",
            direct_loss=Decimal("100.005"),
            occurred_at=at("2026-08-29 08:00"),
            note="x" * 2001,
        )
    assert set(refused.value.fields) == {
        "incident_type",
        "place",
        "deaths",
        "serious_injuries",
        "direct_loss",
        "occurred_at",
        "note",
    }
    assert nothing_written()


def test_a_report_cannot_predate_the_incident_nor_be_dated_after_today(cast):
    with pytest.raises(DomainError) as early:
        report(cast, reported_at=at("2026-08-20 09:00"))
    assert set(early.value.fields) == {"reported_at"}
    with pytest.raises(DomainError) as future:
        report(cast, reported_at=at("2026-08-29 00:10"))
    assert set(future.value.fields) == {"reported_at"}
    assert nothing_written()


def test_incidents_before_the_regulation_are_not_graded_by_it(cast):
    with pytest.raises(DomainError) as refused:
        report(cast, occurred_at=at("2007-05-31 12:00"), reported_at=at("2007-05-31 13:00"))
    assert set(refused.value.fields) == {"occurred_at"}
    incident = report(cast, occurred_at=at("2007-06-01 00:00"), reported_at=at("2007-06-01 01:00"))
    assert incident.number == "LN-AQ-2007-0001"


def test_the_same_incident_is_not_recorded_twice(cast, incident):
    with pytest.raises(DomainError) as refused:
        report(cast, by=cast.analyst)
    assert incident.number in refused.value.fields["occurred_at"][0]
    assert Incident.objects.count() == 1


def test_numbers_run_per_supervisor_and_year_of_the_incident(cast, incident):
    second = report(cast, occurred_at=at("2026-08-21 10:00"), reported_at=None)
    older = report(cast, occurred_at=at("2025-12-31 23:30"), reported_at=at("2026-01-01 00:20"))
    dalian = report(
        cast,
        by=cast.dl_analyst,
        owner=cast.d,
        incident_type="road_traffic",
        occurred_at=at("2026-08-02 07:00"),
        reported_at=None,
    )
    assert [second.number, older.number, dalian.number] == [
        "LN-AQ-2026-0002",
        "LN-AQ-2025-0001",
        "DL-AQ-2026-0001",
    ]


def test_an_incident_recorded_after_its_investigation_term_is_due_today(cast):
    late = report(cast, occurred_at=at("2026-03-02 10:00"), reported_at=None)
    assert late.item.due_date == date(2026, 8, 28)
    assert late.latest.reported_at.date() == date(2026, 8, 28)


def test_the_grade_is_the_highest_any_criterion_reaches(cast):
    incident = report(cast, deaths=1, serious_injuries=12, direct_loss=Decimal("52000000"))
    assert (incident.latest.grade, incident.latest.graded_by) == ("major", ["direct_loss"])
    assert incident.item.title.endswith("重大矿山事故")


def test_a_title_without_a_type_for_other_incidents(cast):
    incident = report(cast, incident_type="other")
    assert incident.item.title == "辽钢矿业有限“8·20”一般事故"
