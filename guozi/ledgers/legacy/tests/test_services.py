"""Opening a legacy problem and changing its figures: checks per kind, who may change what,
all or nothing, history and audit."""

from datetime import date
from decimal import Decimal

import pytest

from guozi.audit.models import AuditEvent
from guozi.ledgers import services as ledger_services
from guozi.ledgers.legacy import services
from guozi.ledgers.legacy.models import LegacyProblem
from guozi.ledgers.models import EventAction, ItemEvent, Register, Status, TrackedItem
from guozi.lib.errors import DomainError, Forbidden

from .conftest import TODAY, WATER, close, open_problem


def test_opening_keeps_the_item_and_its_figures_in_fen(cast, problem):
    item = problem.item
    assert item.register == Register.LEGACY_PROBLEM and item.status == Status.OPEN
    assert item.progress_rule == "manual" and item.supervisor_id == cast.ln.id
    stored = LegacyProblem.objects.get(item=item)
    assert stored.amount_total_fen == 1_850_000_000 and stored.amount_done_fen == 600_000_050
    assert stored.amount_done == Decimal("6000000.50")
    assert (stored.households_total, stored.households_done) == (3200, 1200)
    assert AuditEvent.objects.filter(object_type="legacy.legacyproblem", action="create").exists()
    assert item.events.get().action == EventAction.CREATED


def test_text_numbers_are_read_with_thousands_separators(cast):
    problem = open_problem(
        cast,
        fields={**WATER, "households_total": "3,200", "amount_total": "18,500,000.5"},
    )
    assert problem.households_total == 3200
    assert problem.amount_total_fen == 1_850_000_050


def test_item_and_figure_errors_come_back_together_and_nothing_is_kept(cast):
    with pytest.raises(DomainError) as refused:
        open_problem(
            cast,
            title="",
            due_date=date(2020, 1, 1),
            fields={**WATER, "households_done": 5000, "people_total": "x"},
        )
    assert set(refused.value.fields) == {"title", "due_date", "households_done", "people_total"}
    assert refused.value.fields["people_total"] == ["Enter a number."]
    assert not TrackedItem.objects.exists() and not LegacyProblem.objects.exists()


def test_valid_item_with_invalid_figures_leaves_no_item_behind(cast):
    with pytest.raises(DomainError) as refused:
        open_problem(cast, fields={"kind": "collective", "people_total": 10})
    assert refused.value.fields == {"amount_total": ["Required for this kind of problem."]}
    assert not TrackedItem.objects.exists()
    assert not AuditEvent.objects.filter(object_type="ledgers.trackeditem").exists()


def test_absurd_numbers_are_refused_quickly(cast):
    with pytest.raises(DomainError) as refused:
        open_problem(
            cast, fields={**WATER, "households_total": "9e999999999", "amount_total": "NaN"}
        )
    assert refused.value.fields == {
        "households_total": ["Cannot be more than 100000000."],
        "amount_total": ["Enter a number."],
    }


def test_unknown_fields_and_bad_dates_are_named(cast):
    with pytest.raises(DomainError) as refused:
        open_problem(cast, fields={**WATER, "pension": 1, "planned_on": "2026-13-01"})
    assert refused.value.fields == {
        "pension": ["Not a field of a legacy problem."],
        "planned_on": ["Enter a date as YYYY-MM-DD."],
    }


@pytest.mark.parametrize("username", ["reporter", "group_reviewer", "leader", "dl_analyst"])
def test_only_the_supervisors_analysts_and_reviewers_open_problems(cast, username):
    with pytest.raises(Forbidden):
        open_problem(cast, by=getattr(cast, username))
    assert not TrackedItem.objects.exists()


def test_the_supervisor_changes_any_figure_with_history_and_audit(cast, problem):
    services.problem_edit(
        acting_user=cast.analyst,
        item=problem.item,
        changes={"households_total": 3300, "receiving_party": "鞍山水务集团"},
        reason="核实户数",
    )
    problem.refresh_from_db()
    assert problem.households_total == 3300 and problem.receiving_party == "鞍山水务集团"
    event = ItemEvent.objects.filter(item=problem.item).latest("id")
    assert event.action == EventAction.EDITED and event.reason == "核实户数"
    assert event.before == {
        "legacy": {"households_total": 3200, "receiving_party": "鞍山市自来水总公司"}
    }
    assert event.after["legacy"]["households_total"] == 3300
    audited = AuditEvent.objects.filter(object_type="legacy.legacyproblem", action="update").get()
    assert audited.after["households_total"] == 3300 and audited.actor == cast.analyst


@pytest.mark.parametrize("username", ["sub_reporter", "reporter", "group_reviewer"])
def test_the_owners_people_report_what_is_done(cast, problem, username):
    services.problem_edit(
        acting_user=getattr(cast, username),
        item=problem.item,
        changes={"households_done": 3200, "done_on": "2026-08-20", "closure_text": "全部移交"},
    )
    problem.refresh_from_db()
    assert problem.households_done == 3200 and problem.done_on == date(2026, 8, 20)


def test_the_owners_people_change_no_total(cast, problem):
    with pytest.raises(Forbidden) as refused:
        services.problem_edit(
            acting_user=cast.sub_reporter, item=problem.item, changes={"households_total": 1}
        )
    assert "households_total" in str(refused.value)
    problem.refresh_from_db()
    assert problem.households_total == 3200


@pytest.mark.parametrize("username", ["outsider", "leader", "auditor", "dl_analyst"])
def test_others_change_nothing(cast, problem, username):
    with pytest.raises(Forbidden):
        services.problem_edit(
            acting_user=getattr(cast, username), item=problem.item, changes={"people_done": 1}
        )


def test_a_done_figure_is_checked_against_the_stored_total(cast, problem):
    with pytest.raises(DomainError) as refused:
        services.problem_edit(
            acting_user=cast.reporter,
            item=problem.item,
            changes={"households_done": 3201, "amount_done": "18500000.01"},
        )
    assert refused.value.fields == {
        "households_done": ["Cannot be more than the total (3200)."],
        "amount_done": ["Cannot be more than the total (18500000.00)."],
    }
    problem.refresh_from_db()
    assert problem.households_done == 1200


def test_changing_the_kind_checks_the_figures_the_new_kind_needs(cast, problem):
    with pytest.raises(DomainError) as refused:
        services.problem_edit(
            acting_user=cast.analyst, item=problem.item, changes={"kind": "retirees"}
        )
    assert set(refused.value.fields) == {
        "sub_kind",
        "households_total",
        "households_done",
        "people_total",
    }


def test_an_unchanged_edit_writes_no_history(cast, problem):
    before = ItemEvent.objects.count()
    services.problem_edit(
        acting_user=cast.analyst,
        item=problem.item,
        changes={"households_total": "3,200", "amount_total": "18500000"},
    )
    assert ItemEvent.objects.count() == before


def test_a_closed_problem_keeps_its_figures(cast, problem):
    close(cast, problem.item)
    with pytest.raises(DomainError) as refused:
        services.problem_edit(
            acting_user=cast.analyst, item=problem.item, changes={"households_done": 3200}
        )
    assert refused.value.code == "state"


def test_an_item_opened_without_figures_gets_them_from_the_supervisor(cast):
    item = ledger_services.item_create(
        acting_user=cast.analyst,
        register=Register.LEGACY_PROBLEM,
        owner=cast.a2,
        title="矿区退休人员移交街道",
    )
    with pytest.raises(DomainError) as refused:
        services.problem_edit(acting_user=cast.reporter, item=item, changes={"people_done": 1})
    assert refused.value.code == "state"
    services.problem_edit(
        acting_user=cast.analyst,
        item=item,
        changes={"kind": "retirees", "people_total": 1800, "receiving_party": "本溪市平山区"},
    )
    assert LegacyProblem.objects.get(item=item).people_total == 1800
    assert ItemEvent.objects.filter(item=item, action=EventAction.EDITED).count() == 1


def test_the_figures_of_another_register_are_refused(cast):
    item = ledger_services.item_create(
        acting_user=cast.analyst, register=Register.RECTIFICATION, owner=cast.a2, title="整改"
    )
    with pytest.raises(DomainError) as refused:
        services.problem_edit(acting_user=cast.analyst, item=item, changes={"kind": "zombie"})
    assert refused.value.code == "register"


def test_the_clock_decides_what_is_in_the_future(cast, problem, settings):
    settings.GUOZI_TODAY = "2026-08-19"
    with pytest.raises(DomainError) as refused:
        services.problem_edit(
            acting_user=cast.reporter, item=problem.item, changes={"done_on": TODAY}
        )
    assert refused.value.fields == {"done_on": ["Cannot be after today (2026-08-19)."]}
