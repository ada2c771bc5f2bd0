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


def test_outside_party_is_created_audited_and_validated(cast):
    from django.core.exceptions import ValidationError

    from guozi.audit.models import AuditEvent

    party = services.outside_party_create(
        acting_user=cast.analyst, name_zh="全国社会保障基金理事会", kind="state"
    )
    event = AuditEvent.objects.get(object_type="registry.outsideparty", object_id=str(party.id))
    assert event.actor == cast.analyst and event.after["kind"] == "state"
    with pytest.raises(ValidationError):
        services.outside_party_create(acting_user=cast.analyst, name_zh="某投资者", kind="private")
    with pytest.raises(DomainError):
        services.outside_party_create(acting_user=cast.leader, name_zh="某基金", kind="state")
