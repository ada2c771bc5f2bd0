from datetime import date
from decimal import Decimal

import pytest

from guozi.lib.errors import DomainError
from guozi.registry import selectors, services


def test_subtree_and_level_follow_the_tree(cast):
    ids = {row[0]: row[1] for row in selectors.subtree(cast.a.id, date(2026, 1, 1))}
    assert ids == {cast.a.id: 0, cast.a1.id: 1, cast.a11.id: 2, cast.a2.id: 1}
    chain = selectors.chain_up(cast.a11, date(2026, 1, 1))
    assert [e.id for e in chain.enterprises] == [cast.a11.id, cast.a1.id, cast.a.id]
    assert [s.code for s in chain.supervisors] == ["ln"]
    assert chain.level == 3


def test_transfer_keeps_history(cast):
    on = date(2025, 3, 1)
    services.enterprise_transfer(acting_user=None, enterprise=cast.a2, new_parent=cast.b, on=on)
    before = {row[0] for row in selectors.subtree(cast.a.id, date(2025, 2, 28))}
    after = {row[0] for row in selectors.subtree(cast.a.id, on)}
    assert cast.a2.id in before and cast.a2.id not in after
    assert cast.a2.id in {row[0] for row in selectors.subtree(cast.b.id, on)}
    stake = selectors.holders_at(cast.a2, on).get()
    assert stake.holder_enterprise_id == cast.b.id and stake.pct == Decimal("70")


def test_cycles_are_rejected(cast):
    with pytest.raises(DomainError) as err:
        services.management_parent_set(
            acting_user=None, enterprise=cast.a, parent=cast.a11, on=date(2026, 1, 1)
        )
    assert err.value.code == "cycle"


def test_equity_over_100_rejected(cast):
    with pytest.raises(DomainError) as err:
        services.equity_link_add(
            acting_user=None,
            held=cast.a2,
            holder=cast.b,
            pct=Decimal("30.01"),
            valid_from=date(2020, 1, 1),
        )
    assert err.value.code == "equity_over_100"
    services.equity_link_add(
        acting_user=None,
        held=cast.a2,
        holder=cast.b,
        pct=Decimal("30"),
        valid_from=date(2020, 1, 1),
    )
