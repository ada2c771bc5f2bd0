"""The pure concentration rules, at every edge (no database)."""

from decimal import Decimal as D

import pytest

from guozi.ledgers.supply import concentration as c
from guozi.ledgers.supply.concentration import Supply


def supplies(*pairs):
    return [Supply(D(str(share)), country) for share, country in pairs]


def test_hhi_is_the_sum_of_squared_percent_shares():
    assert c.hhi([D(50), D(30), D(20)]) == D(3800)
    assert c.hhi([D(100)]) == D(10000)
    assert c.hhi([D(10)] * 10) == D(1000)
    assert c.hhi([D("33.33"), D("33.33"), D("33.34")]) == D("3333.3334")


def test_hhi_of_no_shares_is_zero_but_assess_says_nothing_to_measure():
    assert c.hhi([]) == 0
    result = c.assess([], no_domestic_alternative=False)
    assert result.hhi is None
    assert result.band == ""
    assert result.coverage == ""
    assert result.suppliers == 0
    assert not result.single_source
    assert not result.import_dependent
    assert result.flags == ()


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (D(0), c.UNCONCENTRATED),
        (D("1499.9999"), c.UNCONCENTRATED),
        (D(1500), c.MODERATE),  # the guidelines' "between 1500 and 2500" includes its edges
        (D("1500.0001"), c.MODERATE),
        (D(2000), c.MODERATE),
        (D(2500), c.MODERATE),
        (D("2500.0001"), c.HIGH),
        (D(10000), c.HIGH),
    ],
)
def test_bands_follow_the_2010_merger_guidelines_with_both_edges_moderate(index, expected):
    assert c.band(index) == expected


def test_bands_from_complete_shares_at_the_edges():
    def of(*shares):
        return c.assess(supplies(*[(s, "CN") for s in shares]), no_domestic_alternative=False)

    assert of(*[10] * 10).hhi == 1000
    assert of(*[10] * 10).band == c.UNCONCENTRATED
    assert of(20, 15, 15, 15, 15, 10, 10).hhi == 1500
    assert of(20, 15, 15, 15, 15, 10, 10).band == c.MODERATE
    assert of(40, 15, 15, 15, 15).hhi == 2500
    assert of(40, 15, 15, 15, 15).band == c.MODERATE
    assert of("40.01", "14.99", 15, 15, 15).band == c.HIGH  # 2500.0004


def test_a_policy_moves_the_thresholds():
    policy = c.Policy(unconcentrated_below=D(1000), highly_above=D(1800))
    assert c.band(D(999), policy) == c.UNCONCENTRATED
    assert c.band(D(1000), policy) == c.MODERATE
    assert c.band(D(1800), policy) == c.MODERATE
    assert c.band(D(1801), policy) == c.HIGH


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ([100], c.COMPLETE),
        ([60, 40], c.COMPLETE),
        (["33.33", "33.33", "33.33"], c.COMPLETE),  # 99.99: within the 0.1 tolerance
        (["99.9"], c.COMPLETE),  # exactly at the tolerance
        (["99.89"], c.SHORT),
        ([50, 30], c.SHORT),
        (["100.1"], c.COMPLETE),
        (["60", "40.11"], c.OVER),
        ([70, 50], c.OVER),
    ],
)
def test_coverage_of_the_shares_given(shares, expected):
    total = sum((D(str(s)) for s in shares), D(0))
    assert c.coverage(total) == expected


def test_shares_short_of_100_are_reported_and_hhi_uses_the_shares_given():
    result = c.assess(supplies((50, "CN"), (30, "AU")), no_domestic_alternative=False)
    assert result.total_share == 80
    assert result.coverage == c.SHORT
    assert result.hhi == D(3400)  # 2500 + 900, on the 80% given, not rescaled
    assert result.band == c.HIGH


def test_shares_over_100_are_reported_and_refused_for_writing():
    result = c.assess(supplies((70, "CN"), (50, "CN")), no_domestic_alternative=False)
    assert result.coverage == c.OVER
    assert result.total_share == 120
    assert not c.share_total_allowed(D(120))
    assert not c.share_total_allowed(D("100.11"))
    assert c.share_total_allowed(D("100.1"))
    assert c.share_total_allowed(D(80))


def test_one_supplier_is_single_source_whatever_its_share():
    assert c.assess(supplies((40, "CN")), no_domestic_alternative=False).single_source
    assert c.assess(supplies((100, "CN")), no_domestic_alternative=False).single_source


@pytest.mark.parametrize(
    ("largest", "single"),
    [("89.99", False), ("90", True), ("90.01", True)],
)
def test_a_supplier_with_90_percent_or_more_is_single_source(largest, single):
    rest = D(100) - D(largest)
    result = c.assess(supplies((largest, "CN"), (rest, "CN")), no_domestic_alternative=False)
    assert result.largest_share == D(largest)
    assert result.single_source is single


def test_the_single_source_share_is_a_stated_policy():
    policy = c.Policy(single_source_share=D(80))
    result = c.assess(supplies((80, "CN"), (20, "CN")), no_domestic_alternative=False,
                      policy=policy)  # fmt: skip
    assert result.single_source


@pytest.mark.parametrize(
    ("foreign", "dependent"),
    [("49.99", False), ("50", True), ("50.01", True), ("100", True), ("0", False)],
)
def test_import_dependent_from_50_percent_outside_china(foreign, dependent):
    foreign = D(foreign)
    pairs = [(foreign, "AU")] if foreign else []
    if foreign < 100:
        pairs.append((D(100) - foreign, "CN"))
    result = c.assess(supplies(*pairs), no_domestic_alternative=False)
    assert result.import_share == foreign
    assert result.import_dependent is dependent


def test_hong_kong_macao_and_taiwan_count_as_outside_the_mainland():
    for region in ("HK", "MO", "TW"):
        result = c.assess(supplies((60, region), (40, "CN")), no_domestic_alternative=False)
        assert result.import_share == 60
        assert result.import_dependent


def test_import_share_adds_every_foreign_supplier_and_reads_codes_loosely():
    result = c.assess(
        supplies((20, "AU"), (20, "br"), (15, " BR "), (45, " cn ")),
        no_domestic_alternative=False,
    )
    assert result.import_share == 55
    assert c.is_domestic(" cn ")
    assert result.import_dependent


def test_import_threshold_is_a_stated_policy():
    policy = c.Policy(import_share=D(30))
    result = c.assess(supplies((30, "JP"), (70, "CN")), no_domestic_alternative=False,
                      policy=policy)  # fmt: skip
    assert result.import_dependent


def test_no_domestic_alternative_is_declared_not_computed():
    declared = c.assess(supplies(*[(20, "CN")] * 5), no_domestic_alternative=True)
    assert declared.no_domestic_alternative
    assert declared.flags == ("no_domestic_alternative",)
    assert not c.assess([], no_domestic_alternative=False).no_domestic_alternative
    assert c.assess([], no_domestic_alternative=True).flags == ("no_domestic_alternative",)


def test_flags_come_in_a_fixed_order():
    result = c.assess(supplies((100, "JP")), no_domestic_alternative=True)
    assert result.flags == (
        "single_source",
        "import_dependent",
        "no_domestic_alternative",
        "highly_concentrated",
    )
    spread = c.assess(supplies(*[(10, "CN")] * 10), no_domestic_alternative=False)
    assert spread.flags == ()
