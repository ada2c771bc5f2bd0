"""The register's pure rules: which figures each kind needs, and the checks on every figure."""

from datetime import date
from decimal import Decimal

import pytest

from guozi.ledgers.legacy.rules import Figures, Issue, check, share

TODAY = date(2026, 8, 28)


def issues(**values) -> list[tuple[str, str]]:
    return [(issue.field, issue.code) for issue in check(Figures(**values), TODAY)]


WATER = {
    "kind": "three_supplies",
    "sub_kind": "water",
    "households_total": 100,
    "amount_total": Decimal("1000"),
    "receiving_party": "自来水公司",
}
COLLECTIVE = {"kind": "collective", "people_total": 300, "amount_total": Decimal("5000000")}
RETIREES = {"kind": "retirees", "people_total": 8000, "receiving_party": "铁东区街道办事处"}
ZOMBIE = {"kind": "zombie", "sub_kind": "bankruptcy", "people_total": 40}


@pytest.mark.parametrize("valid", [WATER, COLLECTIVE, RETIREES, ZOMBIE])
def test_each_kind_with_its_required_figures_is_valid(valid):
    assert issues(**valid) == []


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        ("three_supplies", ["sub_kind", "households_total", "amount_total", "receiving_party"]),
        ("collective", ["people_total", "amount_total"]),
        ("retirees", ["people_total", "receiving_party"]),
        ("zombie", ["sub_kind", "people_total"]),
    ],
)
def test_each_kind_names_every_figure_it_needs(kind, missing):
    assert issues(kind=kind) == [(name, "required") for name in missing]


def test_a_blank_receiving_party_is_missing():
    assert issues(**{**RETIREES, "receiving_party": "   "}) == [("receiving_party", "required")]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({**WATER, "people_total": 5}, [("people_total", "not_applicable")]),
        ({**COLLECTIVE, "households_total": 5}, [("households_total", "not_applicable")]),
        ({**RETIREES, "households_done": 0}, [("households_done", "not_applicable")]),
        ({**ZOMBIE, "households_total": 1}, [("households_total", "not_applicable")]),
        ({**COLLECTIVE, "sub_kind": "water"}, [("sub_kind", "not_applicable")]),
    ],
)
def test_figures_that_do_not_apply_to_the_kind_are_refused(values, expected):
    assert issues(**values) == expected


def test_a_sub_kind_of_another_kind_is_refused_with_the_allowed_ones():
    found = check(Figures(**{**WATER, "sub_kind": "bankruptcy"}), TODAY)
    assert found == [
        Issue("sub_kind", "sub_kind", ("water", "power", "heating", "gas", "property"))
    ]
    assert issues(**{**ZOMBIE, "sub_kind": "heating"}) == [("sub_kind", "sub_kind")]


def test_retirees_and_zombies_may_state_a_cost():
    assert issues(**RETIREES, amount_total=Decimal("1"), amount_done=Decimal("1")) == []
    assert issues(**ZOMBIE, amount_total=Decimal("0")) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"households_total": -1}, [("households_total", "negative")]),
        ({"amount_total": Decimal("-0.01")}, [("amount_total", "negative")]),
        ({"households_done": -3}, [("households_done", "negative")]),
        ({"households_total": Decimal("10.5")}, [("households_total", "not_whole")]),
        ({"amount_total": Decimal("1.001")}, [("amount_total", "precision")]),
        ({"households_total": 100_000_001}, [("households_total", "too_large")]),
        ({"amount_total": Decimal("10000000000000.01")}, [("amount_total", "too_large")]),
        ({"amount_total": Decimal("1e400")}, [("amount_total", "too_large")]),
        ({"households_total": Decimal("1e30")}, [("households_total", "too_large")]),
    ],
)
def test_figures_are_never_negative_whole_and_bounded(change, expected):
    assert issues(**{**WATER, **change}) == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"households_done": 101}, [("households_done", "above_total")]),
        ({"households_done": 100}, []),
        ({"amount_done": Decimal("1000.01")}, [("amount_done", "above_total")]),
        ({"amount_done": Decimal("1000")}, []),
    ],
)
def test_what_is_done_is_never_above_the_total(change, expected):
    assert issues(**{**WATER, **change}) == expected


def test_the_limit_broken_is_the_total():
    found = check(Figures(**{**COLLECTIVE, "people_done": 301}), TODAY)
    assert found == [Issue("people_done", "above_total", 300)]


def test_a_done_figure_needs_its_total():
    assert issues(**RETIREES, amount_done=Decimal("5")) == [("amount_done", "without_total")]


def test_the_actual_date_is_not_in_the_future_but_the_planned_one_may_be():
    assert issues(**ZOMBIE, done_on=date(2026, 8, 29), planned_on=date(2030, 1, 1)) == [
        ("done_on", "future")
    ]
    assert issues(**ZOMBIE, done_on=TODAY) == []


def test_every_problem_is_reported_in_field_order():
    found = issues(
        kind="three_supplies",
        sub_kind="gas",
        households_total=10,
        households_done=11,
        people_total=1,
        amount_total=Decimal("-1"),
        done_on=date(2027, 1, 1),
    )
    assert found == [
        ("households_done", "above_total"),
        ("people_total", "not_applicable"),
        ("amount_total", "negative"),
        ("receiving_party", "required"),
        ("done_on", "future"),
    ]


def test_an_unknown_kind_is_the_only_problem_reported():
    assert issues(kind="pension", households_total=-1) == [("kind", "unknown_kind")]


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [(50, 200, 0.25), (None, 200, 0.0), (Decimal("1"), Decimal("3"), 1 / 3)],
)
def test_a_share_is_done_over_total(done, total, expected):
    assert share(done, total) == pytest.approx(expected)


@pytest.mark.parametrize(("done", "total"), [(5, None), (0, 0), (None, None)])
def test_a_share_without_a_total_is_undefined_not_zero(done, total):
    assert share(done, total) is None
