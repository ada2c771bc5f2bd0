"""The register's services: opening a project with its years, changing its details, recording
a year's budget and spend and the outcomes, with who may do it, the rules, the item's history
and the audit log; nothing half-written on a refusal."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from guozi.audit.models import AuditEvent
from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import EventAction, ItemEvent, ProgressRule, Register, TrackedItem
from guozi.ledgers.rnd import services
from guozi.ledgers.rnd.models import RdOutcome, RdProject, RdYear
from guozi.lib.errors import DomainError, Forbidden

from .conftest import TODAY, open_project

pytestmark = pytest.mark.django_db


def edits(item) -> list[ItemEvent]:
    return list(ItemEvent.objects.filter(item=item, action=EventAction.EDITED).order_by("id"))


# --- opening ---------------------------------------------------------------------------------


def test_a_project_is_a_tracked_item_with_its_own_row_and_years(cast):
    project = open_project(
        cast,
        years=[
            {"year": 2025, "budget": "800万", "spend": "760万"},
            {"year": 2026, "budget": Decimal("12000000")},
        ],
    )
    item = project.item
    assert item.register == Register.RD_PROJECT and item.owner == cast.a1
    assert item.due_date == date(2027, 6, 30) and item.status == "open"
    assert item.progress_rule == ProgressRule.MILESTONES and item.milestones.count() == 3
    assert (project.tech_field, project.kind, project.start_year, project.end_year) == (
        "new_materials",
        "key_core",
        2025,
        2027,
    )
    assert project.total_budget_fen == 3_000_000_000 and project.total_budget == Decimal(
        "30000000.00"
    )
    years = {row.year: (row.budget_fen, row.spend_fen) for row in project.years.all()}
    assert years == {2025: (800_000_000, 760_000_000), 2026: (1_200_000_000, None)}
    assert [e.action for e in item.events.all()] == [EventAction.CREATED]
    audited = AuditEvent.objects.get(object_type="rnd.rdproject")
    assert audited.after["total_budget"] == "30000000.00" and len(audited.after["years"]) == 2


def test_without_milestones_the_progress_is_stated(cast):
    project = open_project(cast, milestones=[])
    assert project.item.progress_rule == ProgressRule.MANUAL


def test_every_bad_field_is_named_and_nothing_is_written(cast):
    with pytest.raises(DomainError) as refused:
        open_project(
            cast,
            title="",
            tech_field="quantum",
            kind="",
            start_year=2027,
            end_year=2025,
            total_budget="-5",
            years=[
                {"year": 2030, "budget": "1"},
                {"year": "20x5", "budget": "abc"},
            ],
        )
    fields = refused.value.fields
    assert set(fields) >= {
        "title",
        "tech_field",
        "kind",
        "end_year",
        "total_budget",
        "years.1.year",
        "years.1.budget",
    }
    assert not TrackedItem.objects.exists() and not RdProject.objects.exists()
    assert not AuditEvent.objects.filter(object_type__startswith="ledgers").exists()


def test_the_planned_completion_lies_in_the_projects_years(cast):
    with pytest.raises(DomainError) as refused:
        open_project(cast, due_date=date(2028, 3, 31))
    assert "due_date" in refused.value.fields
    assert not TrackedItem.objects.exists()


def test_years_given_at_opening_are_checked(cast):
    with pytest.raises(DomainError) as refused:
        open_project(
            cast,
            years=[
                {"year": 2024, "budget": "1"},
                {"year": 2026, "budget": "1"},
                {"year": 2026, "budget": "2"},
                {"year": 2027, "budget": "1", "spend": "1"},
                {"year": 2025, "budget": "1", "spend": "-3"},
            ],
        )
    fields = refused.value.fields
    assert set(fields) == {"years.0.year", "years.2.year", "years.3.spend", "years.4.spend"}
    assert "2025" in fields["years.0.year"][0]  # the project's years are named
    assert not RdYear.objects.exists()


@pytest.mark.parametrize("username", ["reporter", "sub_reporter", "leader", "outsider"])
def test_only_the_supervisors_analysts_and_reviewers_open_projects(cast, username):
    with pytest.raises(Forbidden):
        open_project(cast, by=getattr(cast, username))
    assert not TrackedItem.objects.exists()


def test_dalian_cannot_open_a_project_for_a_liaoning_enterprise(cast):
    with pytest.raises(Forbidden):
        open_project(cast, by=cast.dl_analyst)
    project = open_project(cast, by=cast.dl_analyst, owner=cast.d)
    assert project.item.supervisor == cast.dl


# --- details ---------------------------------------------------------------------------------


def test_the_supervisor_changes_the_details_with_history(cast, project):
    services.project_edit(
        acting_user=cast.reviewer,
        item=project.item,
        changes={"kind": "product", "end_year": "2028", "total_budget": "3500万"},
        reason="立项调整",
    )
    project.refresh_from_db()
    assert (project.kind, project.end_year, project.total_budget_fen) == (
        "product",
        2028,
        3_500_000_000,
    )
    event = edits(project.item)[-1]
    assert event.actor == cast.reviewer and event.reason == "立项调整"
    assert event.before == {
        "rd_project": {"kind": "key_core", "end_year": 2027, "total_budget": "30000000.00"}
    }
    assert event.after["rd_project"]["total_budget"] == "35000000.00"
    assert AuditEvent.objects.filter(object_type="rnd.rdproject", action="update").exists()


def test_an_unchanged_detail_writes_no_history(cast, project):
    services.project_edit(acting_user=cast.analyst, item=project.item, changes={"kind": "key_core"})
    assert edits(project.item) == []


def test_years_recorded_keep_the_span(cast, project):
    services.year_set(acting_user=cast.reporter, item=project.item, year=2025, budget="1")
    with pytest.raises(DomainError) as refused:
        services.project_edit(
            acting_user=cast.analyst, item=project.item, changes={"start_year": 2026}
        )
    assert "2025" in refused.value.fields["start_year"][0]
    with pytest.raises(DomainError) as refused:
        services.project_edit(
            acting_user=cast.analyst, item=project.item, changes={"end_year": 2026}
        )
    assert "end_year" in refused.value.fields  # the planned completion is in 2027
    project.refresh_from_db()
    assert (project.start_year, project.end_year) == (2025, 2027)


@pytest.mark.parametrize("username", ["reporter", "group_reviewer", "outsider", "dl_analyst"])
def test_others_do_not_change_the_details(cast, project, username):
    with pytest.raises(Forbidden):
        services.project_edit(
            acting_user=getattr(cast, username), item=project.item, changes={"kind": "product"}
        )


def test_only_the_details_are_changed_here(cast, project):
    with pytest.raises(Forbidden):
        services.project_edit(acting_user=cast.analyst, item=project.item, changes={"title": "x"})


def test_an_item_opened_on_the_ledger_pages_gets_its_details_here(cast):
    item = ledger_services.item_create(
        acting_user=cast.analyst,
        register=Register.RD_PROJECT,
        owner=cast.a2,
        title="尾矿综合利用技术研发",
        due_date=date(2026, 12, 31),
        milestones=["方案", "验收"],
    )
    with pytest.raises(DomainError) as refused:
        services.year_set(acting_user=cast.reporter, item=item, year=2026, budget="1")
    assert refused.value.code == "no_project"
    with pytest.raises(DomainError) as refused:
        services.project_edit(acting_user=cast.analyst, item=item, changes={"kind": "process"})
    assert set(refused.value.fields) == {"tech_field", "start_year", "end_year", "total_budget"}
    project = services.project_edit(
        acting_user=cast.analyst,
        item=item,
        changes={
            "tech_field": "energy_saving",
            "kind": "process",
            "start_year": "2026",
            "end_year": "2026",
            "total_budget": "600万",
        },
    )
    assert project.item_id == item.id and project.total_budget_fen == 600_000_000
    assert edits(item)[-1].after["rd_project"]["tech_field"] == "energy_saving"


def test_a_closed_project_is_not_changed(cast, project):
    ledger_services.item_cancel(acting_user=cast.analyst, item=project.item, reason="合并立项")
    with pytest.raises(DomainError):
        services.project_edit(
            acting_user=cast.analyst, item=project.item, changes={"kind": "product"}
        )
    with pytest.raises(DomainError) as refused:
        services.year_set(acting_user=cast.reporter, item=project.item, year=2025, budget="1")
    assert refused.value.code == "state"


def test_another_register_is_not_a_project(cast):
    item = ledger_services.item_create(
        acting_user=cast.analyst,
        register=Register.RECTIFICATION,
        owner=cast.a1,
        title="整改",
        due_date=TODAY + timedelta(days=10),
    )
    with pytest.raises(DomainError) as refused:
        services.project_edit(acting_user=cast.analyst, item=item, changes={"kind": "product"})
    assert refused.value.code == "register"


# --- years -----------------------------------------------------------------------------------


def test_a_reporter_records_a_year_and_the_history_shows_it(cast, project):
    row = services.year_set(
        acting_user=cast.sub_reporter, item=project.item, year="2025", budget="800万", spend="760万"
    )
    assert (row.budget_fen, row.spend_fen, row.recorded_by) == (
        800_000_000,
        760_000_000,
        cast.sub_reporter,
    )
    services.year_set(
        acting_user=cast.reporter, item=project.item, year=2025, budget="800万", spend="820万"
    )
    row.refresh_from_db()
    assert row.spend_fen == 820_000_000 and row.over_budget and row.recorded_by == cast.reporter
    first, second = edits(project.item)
    assert first.before == {} and first.after == {
        "rd_year": {"year": 2025, "budget": "8000000.00", "spend": "7600000.00"}
    }
    assert second.before["rd_year"]["spend"] == "7600000.00"
    assert second.after["rd_year"]["spend"] == "8200000.00"
    assert AuditEvent.objects.filter(object_type="rnd.rdyear", action="update").count() == 1
    project.item.refresh_from_db()
    assert project.item.last_activity_at == second.at


def test_recording_the_same_figures_again_changes_nothing(cast, project):
    services.year_set(acting_user=cast.reporter, item=project.item, year=2026, budget="5")
    services.year_set(acting_user=cast.reporter, item=project.item, year=2026, budget="5.00")
    assert len(edits(project.item)) == 1


def test_spend_may_be_unknown_and_may_exceed_the_budget(cast, project):
    row = services.year_set(acting_user=cast.reporter, item=project.item, year=2026, budget="10")
    assert row.spend_fen is None and not row.over_budget
    row = services.year_set(
        acting_user=cast.reporter, item=project.item, year=2026, budget="10", spend="10.01"
    )
    assert row.over_budget


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"year": 2024, "budget": "1"}, "year"),
        ({"year": 2028, "budget": "1"}, "year"),
        ({"year": "二零二五", "budget": "1"}, "year"),
        ({"year": "", "budget": "1"}, "year"),
        ({"year": 2025, "budget": ""}, "budget"),
        ({"year": 2025, "budget": "-1"}, "budget"),
        ({"year": 2025, "budget": "1.234"}, "budget"),
        ({"year": 2025, "budget": "1", "spend": "lots"}, "spend"),
        ({"year": 2025, "budget": "1", "spend": "-0.01"}, "spend"),
        ({"year": 2027, "budget": "1", "spend": "1"}, "spend"),  # a year that has not begun
    ],
)
def test_bad_years_and_amounts_are_refused(cast, project, values, field):
    with pytest.raises(DomainError) as refused:
        services.year_set(acting_user=cast.reporter, item=project.item, **values)
    assert field in refused.value.fields
    assert not RdYear.objects.exists() and edits(project.item) == []


@pytest.mark.parametrize("username", ["analyst", "group_reviewer", "outsider", "leader"])
def test_only_the_owners_reporters_record_years(cast, project, username):
    with pytest.raises(Forbidden):
        services.year_set(
            acting_user=getattr(cast, username), item=project.item, year=2025, budget="1"
        )
    assert not RdYear.objects.exists()


def test_the_system_records_years_too(cast, project):
    row = services.year_set(acting_user=None, item=project.item, year=2025, budget="1")
    assert row.recorded_by is None and edits(project.item)[0].actor is None


# --- outcomes --------------------------------------------------------------------------------


def patent(**values):
    return {
        "kind": "patent",
        "title": "一种高强钢板连续退火方法",
        "identifier": "ZL202510123456.7",
        "achieved_on": date(2026, 5, 12),
        **values,
    }


def test_a_reporter_records_outcomes(cast, project):
    first = services.outcome_add(acting_user=cast.sub_reporter, item=project.item, **patent())
    standard = services.outcome_add(
        acting_user=cast.reporter,
        item=project.item,
        kind="standard",
        title="汽车用高强度冷连轧钢板",
        identifier="GB/T 20564.2-2026",
        achieved_on="2026-03-01",
        level="national",
    )
    paper = services.outcome_add(
        acting_user=cast.reporter,
        item=project.item,
        kind="paper",
        title="高强钢退火工艺研究",
        achieved_on=date(2025, 11, 2),
    )
    assert list(project.outcomes.order_by("achieved_on")) == [paper, standard, first]
    assert standard.level == "national" and paper.identifier == ""
    event = edits(project.item)[0]
    assert event.after["rd_outcome"]["identifier"] == "ZL202510123456.7"
    assert event.actor == cast.sub_reporter and "title" not in event.after
    assert AuditEvent.objects.filter(object_type="rnd.rdoutcome", action="create").count() == 3


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "invention"}, "kind"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"identifier": ""}, "identifier"),
        ({"kind": "standard", "identifier": "GB/T 1-2026", "level": ""}, "level"),
        ({"kind": "standard", "identifier": "GB/T 1-2026", "level": "city"}, "level"),
        ({"level": "national"}, "level"),
        ({"achieved_on": None}, "achieved_on"),
        ({"achieved_on": "2026-02-30"}, "achieved_on"),
        ({"achieved_on": TODAY + timedelta(days=1)}, "achieved_on"),
        ({"achieved_on": date(2024, 12, 31)}, "achieved_on"),  # before the project began
    ],
)
def test_bad_outcomes_are_refused(cast, project, values, field):
    with pytest.raises(DomainError) as refused:
        services.outcome_add(acting_user=cast.reporter, item=project.item, **patent(**values))
    assert field in refused.value.fields
    assert not RdOutcome.objects.exists()


def test_a_number_is_recorded_once_per_project(cast, project):
    services.outcome_add(acting_user=cast.reporter, item=project.item, **patent())
    with pytest.raises(DomainError) as refused:
        services.outcome_add(acting_user=cast.reporter, item=project.item, **patent())
    assert "ZL202510123456.7" in refused.value.fields["identifier"][0]
    other = open_project(cast, title="另一个项目")
    services.outcome_add(acting_user=cast.reporter, item=other.item, **patent())
    assert RdOutcome.objects.count() == 2


@pytest.mark.parametrize("username", ["analyst", "group_reviewer", "outsider"])
def test_only_the_owners_reporters_record_outcomes(cast, project, username):
    with pytest.raises(Forbidden):
        services.outcome_add(acting_user=getattr(cast, username), item=project.item, **patent())


def test_outcomes_come_after_acceptance_but_not_after_cancellation(cast):
    project = open_project(cast, milestones=[], total_budget="100万")
    item = project.item
    update = ledger_services.item_update_add(
        acting_user=cast.sub_reporter, item=item, text="项目完成", progress=100, submit=True
    )
    ledger_services.item_update_approve(acting_user=cast.group_reviewer, update=update)
    ledger_services.verification_request(acting_user=cast.group_reviewer, item=item)
    ledger_services.verify(acting_user=cast.analyst, item=item, accept=True)
    services.outcome_add(acting_user=cast.reporter, item=item, **patent())
    with pytest.raises(DomainError):
        services.year_set(acting_user=cast.reporter, item=item, year=2025, budget="1")
    cancelled = open_project(cast, title="撤销的项目")
    ledger_services.item_cancel(acting_user=cast.analyst, item=cancelled.item, reason="重复立项")
    with pytest.raises(DomainError) as refused:
        services.outcome_add(acting_user=cast.reporter, item=cancelled.item, **patent())
    assert refused.value.code == "state"


def test_an_outcome_recorded_by_mistake_is_removed_with_a_reason(cast, project):
    outcome = services.outcome_add(acting_user=cast.reporter, item=project.item, **patent())
    with pytest.raises(DomainError) as refused:
        services.outcome_remove(acting_user=cast.reporter, outcome=outcome, reason=" ")
    assert refused.value.code == "reason" and RdOutcome.objects.exists()
    with pytest.raises(Forbidden):
        services.outcome_remove(acting_user=cast.analyst, outcome=outcome, reason="误录")
    services.outcome_remove(acting_user=cast.sub_reporter, outcome=outcome, reason="专利号误录")
    assert not RdOutcome.objects.exists()
    removed = edits(project.item)[-1]
    assert (
        removed.reason == "专利号误录"
        and removed.before["rd_outcome"]["identifier"] == "ZL202510123456.7"
    )
    assert AuditEvent.objects.filter(object_type="rnd.rdoutcome", action="delete").exists()
