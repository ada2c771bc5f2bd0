"""The demo's fast reports: a small registry with 14 months, loaded once for the module."""

from collections import Counter, defaultdict
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from guozi.audit.models import AuditEvent
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.registry import demo as registry_demo
from guozi.registry.models import Enterprise
from guozi.registry.tree import tree_at
from guozi.reporting import demo
from guozi.reporting.expected import expected_reports
from guozi.reporting.frameworks import definition_of, version_in_force
from guozi.reporting.models import (
    Action,
    Decision,
    Explanation,
    Form,
    FormVersion,
    Submission,
    SubmissionEvent,
    ValueVersion,
)

SEED = 424242
TOTAL = registry_demo.MIN_TOTAL
MONTHS = 14
TODAY = date(2025, 5, 20)  # last closed month 2025-04: the window holds the 2025 transfer
FAST_HASHING = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FEN_PER_HUNDRED_YUAN = 10_000  # every amount is a whole number of 0.01 万元
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The demo registry and its reports, committed for the module and removed after it."""
    with django_db_blocker.unblock():
        with override_settings(PASSWORD_HASHERS=FAST_HASHING, GUOZI_TODAY=TODAY.isoformat()):
            try:
                registry_demo.load_demo(seed=SEED, total=TOTAL)
                yield demo.load_reports(seed=SEED, months=MONTHS)
            finally:
                demo.reset()
                registry_demo.reset()
                FormVersion.objects.all().delete()
                Form.objects.all().delete()
                AuditEvent.objects.all().delete()


@pytest.fixture
def reports(loaded, db, settings):
    settings.GUOZI_TODAY = TODAY.isoformat()
    settings.PASSWORD_HASHERS = FAST_HASHING
    return loaded


def definition():
    form = Form.objects.get(code="fast_report")
    return definition_of(version_in_force(form, Period.parse("2025-04")))


def all_rows():
    return list(
        Submission.objects.values_list("id", "enterprise_id", "period", "scope", "state", "cells")
    )


def broken_rules(c: dict) -> set[str]:
    """The structural rules of the fast report that the stored integers break, exactly."""
    checks = {
        "bs_identity": c["total_assets.current"]
        == c["total_liabilities.current"] + c["owners_equity.current"],
        "bs_identity_opening": c["total_assets.opening"]
        == c["total_liabilities.opening"] + c["owners_equity.opening"],
        "net_profit_identity": c["net_profit.current"]
        == c["total_profit.current"] - c["income_tax.current"],
        "net_profit_identity_prior": c["net_profit.prior_year"]
        == c["total_profit.prior_year"] - c["income_tax.prior_year"],
        "current_assets_within_total": c["current_assets.current"] <= c["total_assets.current"],
        "current_liabilities_within_total": c["current_liabilities.current"]
        <= c["total_liabilities.current"],
        "quick_items_within_current": c["cash.current"]
        + c["receivables.current"]
        + c["inventory.current"]
        <= c["current_assets.current"],
        "revenue_within_total": c["operating_revenue.current"]
        <= c["total_operating_revenue.current"],
        "main_within_revenue": c["main_business_revenue.current"] <= c["operating_revenue.current"],
        "sei_within_revenue": c["sei_revenue.current"] <= c["operating_revenue.current"],
        "income_tax_payable_within_taxes": c["income_tax_payable.current"]
        <= c["taxes_payable.current"],
        "equity_parent_within_equity": c["equity_parent.current"] <= c["owners_equity.current"],
        "net_profit_parent_within_net": abs(c["net_profit_parent.current"])
        <= abs(c["net_profit.current"]),
    }
    return {rule for rule, holds in checks.items() if not holds}


def test_the_window_ends_with_the_last_closed_month():
    months = demo.window(36, date(2026, 8, 28))
    assert (str(months[0]), str(months[-1]), len(months)) == ("2023-08", "2026-07", 36)
    assert [str(p) for p in demo.window(2, date(2026, 1, 1))] == ["2025-11", "2025-12"]


def test_a_clean_submission_keeps_every_identity_and_every_cell(reports):
    cells_expected = set(definition().cells())
    money = {f.code for f in definition().fields if f.money}
    checked = 0
    for _id, enterprise_id, period, scope, _state, cells in all_rows():
        assert set(cells) == cells_expected
        assert all(
            value % FEN_PER_HUNDRED_YUAN == 0
            for key, value in cells.items()
            if key.split(".")[0] in money
        )
        assert cells["employees_end.current"] > 0 and cells["employees_avg.current"] > 0
        broken = broken_rules(cells)
        planted = reports.planted.get((enterprise_id, period, scope))
        assert broken == ({planted} if planted else set()), (enterprise_id, period, scope)
        checked += 1
    assert checked == reports.submissions


def test_year_to_date_flows_never_fall_within_a_year(reports):
    rising = [
        f.code for f in definition().fields if f.kind == "flow" and f.min is not None and f.min >= 0
    ]
    assert "operating_revenue" in rising and "total_profit" not in rising
    by_key = {(e, p, s): cells for _id, e, p, s, _state, cells in all_rows()}
    compared = 0
    for (enterprise_id, period, scope), cells in by_key.items():
        month = Period.parse(period)
        previous = (enterprise_id, str(month.previous()), scope)
        before = by_key.get(previous)
        if month.index == 1 or before is None or previous in reports.planted:
            continue
        for code in rising:
            assert cells[f"{code}.current"] >= before[f"{code}.current"], (
                enterprise_id, period, scope, code,
            )  # fmt: skip
        compared += 1
    assert compared > reports.submissions * 0.8


def test_expected_reporters_file_both_scopes_and_only_the_last_month_has_gaps(reports):
    rows = Counter((e, p, s) for _id, e, p, s, _state, _cells in all_rows())
    assert max(rows.values()) == 1
    last = reports.periods[-1]
    for period in reports.periods:
        expected = {
            (item.enterprise_id, str(period), item.scope)
            for item in expected_reports(definition(), period, tree_at(period.end))
        }
        filed = {key for key in rows if key[1] == str(period)}
        assert filed <= expected
        if period == last:
            assert len(expected - filed) == reports.missing > 0
            # An enterprise files both of its reports or neither.
            missing_enterprises = {e for e, _p, _s in expected - filed}
            assert not {e for e, _p, _s in filed} & missing_enterprises
        else:
            assert filed == expected
    scopes = Counter(s for _e, _p, s in rows)
    assert scopes["standalone"] > 0 and scopes["consolidated"] > scopes["standalone"]
    trees = {str(p): tree_at(p.end) for p in reports.periods}
    for enterprise_id, period, scope in rows:
        assert (scope == "standalone") <= trees[period].has_children(enterprise_id)


def test_past_months_are_approved_and_the_last_is_a_mix(reports):
    last = str(reports.periods[-1])
    past = Submission.objects.exclude(period=last)
    assert set(past.values_list("state", flat=True)) == {"approved"}
    assert not past.filter(approved_at__isnull=True).exists()
    for created, first, sent, approved in past.values_list(
        "created_at", "first_submitted_at", "submitted_at", "approved_at"
    ):
        assert created < first <= sent < approved
    states = Counter(Submission.objects.filter(period=last).values_list("state", flat=True))
    total = sum(states.values())
    assert states["approved"] > total * 0.5
    assert states["submitted"] > 0 and states["draft"] > 0 and states["returned"] > 0
    assert reports.states == Counter(Submission.objects.values_list("state", flat=True))
    assert Submission.objects.filter(due_date__isnull=True).count() == 0
    late = [
        submitted
        for submitted, due in Submission.objects.exclude(state="draft").values_list(
            "first_submitted_at", "due_date"
        )
        if submitted.astimezone(demo.CHINA).date() > due
    ]
    assert 0 < len(late) < reports.submissions * 0.15
    assert reports.late == len(late)
    now = demo.datetime.combine(TODAY, demo.clock_time(8, 0), tzinfo=demo.CHINA)
    assert not Submission.objects.filter(approved_at__gte=now).exists()
    assert not Submission.objects.filter(submitted_at__gte=now).exists()


def test_a_parent_goes_up_only_after_its_subsidiaries_are_approved(reports):
    rows = {
        (e, p, s): (state, first, approved)
        for e, p, s, state, first, approved in Submission.objects.values_list(
            "enterprise_id", "period", "scope", "state", "first_submitted_at", "approved_at"
        )
    }
    checked = 0
    for period in reports.periods:
        tree = tree_at(period.end)
        for (enterprise_id, label, _scope), (state, first, _approved) in rows.items():
            if label != str(period) or state == "draft":
                continue
            for child in tree.children.get(enterprise_id, ()):
                child_state, _first, child_approved = rows[child, label, "consolidated"]
                assert child_state == "approved" and child_approved < first
                checked += 1
    assert checked > 0


def test_the_workflow_history_is_consistent(reports):
    events = defaultdict(list)
    for row in SubmissionEvent.objects.order_by("id").values(
        "submission_id", "action", "at", "user_id", "reason", "named", "version_id_at"
    ):
        events[row["submission_id"]].append(row)
    versions = defaultdict(list)
    for row in ValueVersion.objects.order_by("id").values("id", "submission_id", "at", "changes"):
        versions[row["submission_id"]].append(row)
    returned_and_fixed = 0
    for submission in Submission.objects.all():
        history = events[submission.id]
        written = versions[submission.id]
        assert written[0]["at"] == submission.created_at
        assert set(written[0]["changes"]) == set(submission.cells)
        assert all(old is None for old, _new in written[0]["changes"].values())
        assert [e["at"] for e in history] == sorted(e["at"] for e in history)
        assert all(e["version_id_at"] in {v["id"] for v in written} for e in history)
        actions = [e["action"] for e in history]
        expected = {
            "draft": [[]],
            "submitted": [[Action.SUBMIT]],
            "returned": [[Action.SUBMIT, Action.RETURN]],
            "approved": [
                [Action.SUBMIT, Action.APPROVE],
                [Action.SUBMIT, Action.RETURN, Action.SUBMIT, Action.APPROVE],
            ],
        }[submission.state]
        assert actions in expected
        if submission.state == "approved":
            assert history[-1]["at"] == submission.approved_at
            assert history[-1]["user_id"] == submission.approved_by_id
        if Action.RETURN in actions:
            back = history[actions.index(Action.RETURN)]
            assert back["reason"] and back["named"]
            assert submission.times_returned == 1
        if len(written) == 2:  # returned, then corrected: the second write changes named cells
            returned_and_fixed += 1
            assert set(written[1]["changes"]) == set(back["named"])
            assert all(old != new for old, new in written[1]["changes"].values())
            assert history[2]["version_id_at"] == written[1]["id"]
            final = {key: new for key, (_old, new) in written[0]["changes"].items()}
            final.update({key: new for key, (_old, new) in written[1]["changes"].items()})
            assert final == submission.cells
        else:
            assert {k: new for k, (_o, new) in written[0]["changes"].items()} == submission.cells
    assert returned_and_fixed > 0
    assert ValueVersion.objects.count() == reports.value_versions
    assert SubmissionEvent.objects.count() == reports.events


def test_deliberate_errors_are_waived_before_the_report_goes_up(reports):
    planted = reports.planted
    assert len(set(planted.values())) >= 2
    submissions = {
        (s.enterprise_id, s.period, s.scope): s
        for s in Submission.objects.filter(
            enterprise_id__in={key[0] for key in planted}
        ).prefetch_related("explanations")
    }
    decisions = Counter()
    for key, rule in planted.items():
        submission = submissions[key]
        assert rule in broken_rules(submission.cells)
        waivers = {e.rule: e for e in submission.explanations.all() if e.kind == "waiver"}
        if submission.state == "draft":
            if rule in waivers:
                decisions["pending"] += 1
                assert waivers[rule].decision == Decision.PENDING
            continue
        waiver = waivers[rule]
        assert waiver.decision == Decision.ACCEPTED and waiver.cause and waiver.text
        assert waiver.requested_at < waiver.decided_at < submission.first_submitted_at
        assert waiver.requested_by_id is not None
        decisions["accepted"] += 1
    assert decisions["accepted"] >= 2 and decisions["pending"] >= 1
    off = [
        s.cells["total_assets.current"]
        - s.cells["total_liabilities.current"]
        - s.cells["owners_equity.current"]
        for key, s in submissions.items()
        if planted.get(key) == "bs_identity"
    ]
    assert all(difference == 303_000 * 100 for difference in off)  # 30.30 万元 in fen


def test_revenue_jumps_are_explained_by_the_reporter(reports):
    notes = Explanation.objects.filter(kind="explanation").select_related("submission")
    assert notes.exists()
    for note in notes:
        cells = note.submission.cells
        assert note.rule == "revenue_yoy_jump" and note.cause
        assert (
            abs(cells["operating_revenue.current"] / cells["operating_revenue.prior_year"] - 1)
            > 0.5
        )
        assert note.requested_by_id and note.requested_at >= note.submission.created_at
        if note.submission.state == "approved":
            assert note.decision == Decision.ACCEPTED
            assert note.decided_at < note.submission.approved_at
    assert Explanation.objects.count() == reports.explanations


def _cells(short_name: str, period: str) -> dict:
    return Submission.objects.get(
        enterprise__short_name=short_name, period=period, scope="consolidated"
    ).cells


def test_the_groups_of_the_transfer_restate_their_comparatives(reports):
    moved, source, target, _day = registry_demo.TRANSFER
    for group, sign in ((target, 1), (source, -1)):
        restated, filed = _cells(group, "2025-03"), _cells(group, "2024-03")
        for code in ("operating_revenue", "total_profit", "wages_payable"):
            difference = restated[f"{code}.prior_year"] - filed[f"{code}.current"]
            assert difference * sign > 0, (group, code)
        february = _cells(group, "2025-02")
        difference = restated["total_assets.opening"] - february["total_assets.opening"]
        assert difference * sign > 0
        assert broken_rules(restated) == set()
        group_id = Enterprise.objects.get(short_name=group).id
        assert (group_id, "2025-03") in reports.restated
        assert (group_id, "2025-02") not in reports.restated
    # The moved enterprise and everyone else report comparatives as they filed them.
    for short_name in (moved, registry_demo.REPORTER_GROUP):
        now, before = _cells(short_name, "2025-03"), _cells(short_name, "2024-03")
        assert now["operating_revenue.prior_year"] == before["operating_revenue.current"]
        assert now["total_assets.opening"] == _cells(short_name, "2025-02")["total_assets.opening"]
    assert len({e for e, _p in reports.restated}) == 2


def test_magnitudes_are_those_of_provincial_soes(reports):
    december = Submission.objects.filter(period="2024-12", scope="consolidated")
    ratios, losses = [], 0
    for cells in december.values_list("cells", flat=True):
        ratios.append(cells["total_liabilities.current"] / cells["total_assets.current"])
        losses += cells["net_profit.current"] < 0
    share = len(ratios)
    assert 0.55 < sorted(ratios)[share // 2] < 0.70
    assert 0.01 < sum(r > 0.75 for r in ratios) / share < 0.15
    assert any(r > 0.85 for r in ratios)
    assert 0.01 < losses / share < 0.15
    steel = _cells(registry_demo.REPORTER_GROUP, "2024-12")
    yi = 100 * 10_000 * 10_000  # fen in 1 亿元
    assert 100 * yi < steel["total_assets.current"] < 2000 * yi
    assert 0.005 < steel["rd_expenditure.current"] / steel["operating_revenue.current"] < 0.05
    # Seasonality: February is the weakest month, December the strongest.
    monthly = Counter()
    for period, cells in Submission.objects.filter(
        scope="consolidated", period__startswith="2024"
    ).values_list("period", "cells"):
        monthly[period] += cells["operating_revenue.current"]
    own = {m: monthly[f"2024-{m:02d}"] - monthly[f"2024-{m - 1:02d}"] for m in range(4, 13)}
    february = monthly["2024-02"] - monthly["2024-01"]
    assert max(own, key=own.get) == 12 and february < min(own.values())


def test_the_actors_are_the_demo_users_whose_memberships_cover_the_enterprise(reports):
    users = dict(
        Submission.objects.filter(state="approved", period="2025-01").values_list(
            "enterprise__short_name", "approved_by__username"
        )
    )
    assert users[registry_demo.REPORTER_GROUP] == "reviewer"
    submitters = Counter(
        SubmissionEvent.objects.filter(action=Action.SUBMIT).values_list(
            "user__username", flat=True
        )
    )
    assert submitters["reporter"] > 0 and submitters["sub_reporter"] > 0 and submitters[None] > 0
    approvers = Counter(Submission.objects.values_list("approved_by__username", flat=True))
    assert approvers["group_reviewer"] > 0 and approvers["reviewer"] > 0


def test_the_same_seed_gives_the_same_reports_whatever_the_window(reports, settings):
    def identifiers():
        # Overseas subsidiaries have no USCC: their country and registration number name them.
        rows = Enterprise.objects.values_list("id", "uscc", "foreign_country", "foreign_reg_no")
        return {pk: uscc or f"{country}:{number}" for pk, uscc, country, number in rows}

    def export():
        named = identifiers()
        return {(named[e], p, s): (state, cells) for _id, e, p, s, state, cells in all_rows()}

    def planted(loaded):
        named = identifiers()
        return {(named[e], p, s) for e, p, s in loaded.planted}

    first, first_planted = export(), planted(reports)
    steel = _cells(registry_demo.REPORTER_GROUP, "2025-04")
    demo.reset()
    registry_demo.load_demo(seed=SEED, total=TOTAL, reset_first=True)
    again = demo.load_reports(seed=SEED, months=MONTHS)
    assert export() == first and planted(again) == first_planted
    # Two months of the same demo: the same figures, but for the deliberate errors.
    demo.reset()
    short = demo.load_reports(seed=SEED, months=2)
    shorter = export()
    assert {p for _i, p, _s in shorter} == {"2025-03", "2025-04"}
    compared = 0
    for key, (state, cells) in shorter.items():
        if key not in planted(short) | first_planted:
            assert (state, cells) == first[key]
            compared += 1
    assert compared > len(shorter) * 0.95
    call_command("load_demo", "--reset", "--seed", SEED + 1, "--scale", TOTAL, "--months", 2,
                 stdout=StringIO())  # fmt: skip
    other = _cells(registry_demo.REPORTER_GROUP, "2025-04")
    assert set(other) == set(steel) and other != steel


def test_the_command_loads_the_months_asked_for(reports, monkeypatch):
    calls = []
    monkeypatch.setattr(demo, "after_load", lambda form, periods: calls.append((form, periods)))
    out = StringIO()
    with translation.override("en"):
        call_command("load_demo", "--reset", "--scale", TOTAL, "--months", 2, stdout=out)
    assert "Fast reports: 2 months (2025-03 to 2025-04)" in out.getvalue()
    assert sorted(set(Submission.objects.values_list("period", flat=True))) == [
        "2025-03", "2025-04",
    ]  # fmt: skip
    assert [(form.code, [str(p) for p in periods]) for form, periods in calls] == [
        ("fast_report", ["2025-03", "2025-04"])
    ]
    call_command("load_demo", "--reset", "--scale", TOTAL, "--months", 0, stdout=StringIO())
    assert not Submission.objects.exists() and Enterprise.objects.count() == TOTAL


def test_bad_months_and_a_second_load_are_refused(reports):
    count = Submission.objects.count()
    with translation.override("en"), pytest.raises(CommandError, match="cannot be negative"):
        call_command("load_demo", "--reset", "--months", -1, stdout=StringIO())
    with translation.override("en"), pytest.raises(DomainError, match="at least one month"):
        demo.load_reports(seed=SEED, months=0)
    with translation.override("en"), pytest.raises(DomainError, match="already holds"):
        demo.load_reports(seed=SEED, months=1)
    assert Submission.objects.count() == count


@pytest.mark.django_db
def test_a_scaled_registry_has_no_reports_unless_asked():
    call_command("load_demo", "--reset", "--scale", TOTAL, stdout=StringIO())
    assert not Submission.objects.exists()
