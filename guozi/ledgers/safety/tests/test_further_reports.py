"""Further reports: every version kept and graded, the incident following the latest; the
补报 window of 30 days (7 for road transport and fire) counted in China's days, and the late
correction with its reason after it."""

from decimal import Decimal

import pytest

from guozi.accounts.models import Notification
from guozi.audit.models import AuditEvent
from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import EventAction, ItemEvent
from guozi.ledgers.safety import display
from guozi.ledgers.safety.models import IncidentReport, ReportKind
from guozi.ledgers.safety.selectors import incident_reports
from guozi.lib.errors import DomainError, Forbidden

from .conftest import again, at, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def serious(cast):
    """A serious incident: 8 dead, 5 seriously injured, on 2026-07-30 at 11:45."""
    return report(
        cast,
        occurred_at=at("2026-07-30 11:45"),
        reported_at=at("2026-07-30 12:30"),
        deaths=8,
        serious_injuries=5,
        direct_loss=Decimal("21000000"),
    )


def test_two_injured_who_die_within_30_days_make_a_serious_incident_major(cast, serious):
    supplementary = again(
        cast, serious, deaths=10, serious_injuries=3, reported_at=at("2026-08-20 09:00")
    )
    serious.refresh_from_db()
    assert (supplementary.version, supplementary.kind) == (2, ReportKind.SUPPLEMENTARY)
    assert (supplementary.grade, supplementary.graded_by) == ("major", ["deaths"])
    assert serious.latest == supplementary
    versions = incident_reports(serious)
    assert [(r.version, r.grade, r.deaths) for r in versions] == [
        (1, "serious", 8),
        (2, "major", 10),
    ]
    assert [display.grade_change(r) for r in versions] == [0, 1]
    item = serious.item
    item.refresh_from_db()
    assert item.title == "辽钢矿业有限“7·30”重大矿山事故"
    assert (item.attributes["grade"], item.attributes["deaths"]) == ("major", "10")


def test_the_regrade_is_in_the_items_history_the_audit_log_and_the_inbox(cast, serious):
    Notification.objects.all().delete()
    report = again(cast, serious, by=cast.analyst, deaths=10, serious_injuries=3)
    edited = ItemEvent.objects.get(item=serious.item, action=EventAction.EDITED)
    assert edited.before["attributes"]["grade"] == "serious"
    assert edited.after["attributes"]["grade"] == "major"
    assert "2" in edited.reason
    audited = AuditEvent.objects.get(object_type="safety.incidentreport", object_id=str(report.id))
    assert audited.actor == cast.analyst
    assert (audited.before["deaths"], audited.after["deaths"]) == (8, 10)
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"reviewer", "reporter"}  # not the analyst who reported it


def test_a_lower_figure_lowers_the_grade(cast, serious):
    lowered = again(cast, serious, deaths=2, serious_injuries=5, direct_loss=Decimal("5000000"))
    assert lowered.grade == "general"
    assert display.grade_change(incident_reports(serious)[-1]) == -1


@pytest.mark.parametrize(
    ("incident_type", "occurred", "reported", "kind"),
    [
        # 30 days for most incidents: day 30 is in, day 31 is late.
        ("mining", "2026-07-01 23:50", "2026-07-31 23:59", ReportKind.SUPPLEMENTARY),
        ("mining", "2026-07-01 23:50", "2026-08-01 00:01", ReportKind.CORRECTION),
        ("hazardous_chemicals", "2026-07-01 08:00", "2026-07-31 20:00", ReportKind.SUPPLEMENTARY),
        # 7 days for road transport and fire.
        ("road_traffic", "2026-08-01 07:00", "2026-08-08 22:00", ReportKind.SUPPLEMENTARY),
        ("road_traffic", "2026-08-01 07:00", "2026-08-09 06:00", ReportKind.CORRECTION),
        ("fire", "2026-08-01 07:00", "2026-08-08 23:59", ReportKind.SUPPLEMENTARY),
        ("fire", "2026-08-01 07:00", "2026-08-09 00:00", ReportKind.CORRECTION),
        # Days are China's: 00:30 on 1 July is still 30 June in UTC.
        ("mining", "2026-07-01 00:30", "2026-07-31 08:00", ReportKind.SUPPLEMENTARY),
    ],
)
def test_the_window_for_supplementary_reports(cast, incident_type, occurred, reported, kind):
    incident = report(
        cast,
        incident_type=incident_type,
        occurred_at=at(occurred),
        reported_at=at(occurred),
    )
    late = again(cast, incident, deaths=3, reported_at=at(reported), note="事故调查组核定伤亡人数")
    assert late.kind == kind
    assert late.late is (kind == ReportKind.CORRECTION)


def test_a_late_correction_needs_its_reason(cast):
    incident = report(cast, occurred_at=at("2026-07-01 10:00"), reported_at=at("2026-07-01 10:30"))
    with pytest.raises(DomainError) as refused:
        again(cast, incident, deaths=3, reported_at=at("2026-08-01 09:00"))
    assert set(refused.value.fields) == {"note"}
    assert "2026-07-31" in refused.value.fields["note"][0]
    assert incident.reports.count() == 1
    correction = again(
        cast,
        incident,
        direct_loss=Decimal("4200000"),
        reported_at=at("2026-08-01 09:00"),
        note="事故调查组核定直接经济损失420万元",
    )
    assert (correction.kind, correction.late, correction.note) == (
        ReportKind.CORRECTION,
        True,
        "事故调查组核定直接经济损失420万元",
    )


def test_the_same_figures_are_not_reported_again(cast, incident):
    with pytest.raises(DomainError) as refused:
        again(cast, incident)
    assert refused.value.code == "unchanged"
    assert IncidentReport.objects.count() == 1


def test_a_further_report_cannot_predate_the_previous_one(cast, incident):
    with pytest.raises(DomainError) as refused:
        again(cast, incident, deaths=3, reported_at=at("2026-08-20 10:00"))
    assert set(refused.value.fields) == {"reported_at"}
    assert IncidentReport.objects.count() == 1


def test_a_further_report_is_graded_and_refused_when_it_is_no_incident(cast, incident):
    with pytest.raises(DomainError) as refused:
        again(cast, incident, deaths=0, serious_injuries=0, direct_loss=Decimal(0))
    assert set(refused.value.fields) == {"__all__"}
    with pytest.raises(DomainError) as negative:
        again(cast, incident, deaths=-2)
    assert set(negative.value.fields) == {"deaths"}
    assert IncidentReport.objects.count() == 1


def test_a_closed_incident_takes_no_more_reports(cast, incident):
    ledger_services.item_cancel(acting_user=cast.analyst, item=incident.item, reason="重复登记")
    with pytest.raises(DomainError) as refused:
        again(cast, incident, deaths=3)
    assert refused.value.code == "state"
    assert IncidentReport.objects.count() == 1


@pytest.mark.parametrize("username", ["outsider", "leader", "auditor", "dl_analyst"])
def test_only_the_owners_reporters_and_the_supervisor_re_report(cast, incident, username):
    with pytest.raises(Forbidden):
        again(cast, incident, by=getattr(cast, username), deaths=3)
    assert IncidentReport.objects.count() == 1


def test_the_supervisors_analyst_re_reports_in_their_own_name(cast, incident):
    supplementary = again(cast, incident, by=cast.analyst, deaths=3)
    assert supplementary.reported_by == cast.analyst
    edited = ItemEvent.objects.get(item=incident.item, action=EventAction.EDITED)
    assert edited.actor == cast.analyst
