from datetime import date

from guozi.accounts.models import Membership, Role
from guozi.registry import selectors, services


def ids(queryset) -> set[int]:
    return set(queryset.values_list("id", flat=True))


def test_supervisor_reads_lower_supervisors_but_edits_only_its_own(cast):
    every = {cast.a.id, cast.a1.id, cast.a11.id, cast.a2.id, cast.b.id, cast.b1.id, cast.d.id}
    assert ids(selectors.visible_enterprises(cast.analyst)) == every
    assert ids(selectors.visible_enterprises(cast.dl_analyst)) == {cast.d.id}
    assert selectors.editable_supervisor_ids(cast.analyst) == {cast.ln.id}
    assert selectors.editable_supervisor_ids(cast.leader) == set()


def test_enterprise_user_sees_own_subtree_only(cast):
    assert ids(selectors.visible_enterprises(cast.reporter)) == {
        cast.a.id,
        cast.a1.id,
        cast.a11.id,
        cast.a2.id,
    }
    assert ids(selectors.visible_enterprises(cast.sub_reporter)) == {cast.a1.id, cast.a11.id}


def test_administrators_read_no_portfolio(cast):
    for user in (cast.sysadmin, cast.secadmin, cast.auditadmin):
        assert ids(selectors.visible_enterprises(user)) == set()


def test_past_periods_stay_with_who_had_them_and_follow_the_current_parent(cast):
    services.enterprise_transfer(
        acting_user=None, enterprise=cast.a2, new_parent=cast.b, on=date(2025, 3, 1)
    )
    past = date(2024, 12, 31)
    # The former parent's users see A2's past, not its present.
    assert cast.a2.id in ids(selectors.visible_enterprises(cast.reporter, past))
    assert cast.a2.id not in ids(selectors.visible_enterprises(cast.reporter))
    # The current parent's users see A2 now and its whole history.
    assert cast.a2.id in ids(selectors.visible_enterprises(cast.outsider))
    assert cast.a2.id in ids(selectors.visible_enterprises(cast.outsider, past))


def test_membership_validity_bounds_what_a_user_sees(cast):
    membership = Membership.objects.get(user=cast.sub_reporter)
    membership.valid_from = date(2026, 1, 1)
    membership.save(update_fields=["valid_from"])
    assert ids(selectors.visible_enterprises(cast.sub_reporter, date(2025, 6, 30))) == {
        cast.a1.id,
        cast.a11.id,  # through today's membership: the current parent sees history
    }
    Membership.objects.filter(user=cast.sub_reporter).update(valid_to=date(2026, 8, 1))
    assert ids(selectors.visible_enterprises(cast.sub_reporter)) == set()
    assert Role.ENTERPRISE_REPORTER == membership.role


def test_find_by_identifier(cast):
    assert selectors.find_by_identifier(cast.a.uscc) == cast.a
    assert selectors.find_by_identifier(cast.a.uscc.lower()) == cast.a
    assert selectors.find_by_identifier(str(cast.b.id)) == cast.b
    assert selectors.find_by_identifier("nothing") is None
