"""Progress by the item's stated rule, through the services: kept on the item, moved only by
an approved update (or by verification)."""

import pytest
from django.db import IntegrityError, transaction

from guozi.ledgers import services
from guozi.ledgers.models import Status, TrackedItem
from guozi.lib.errors import DomainError

from .conftest import approved, open_item, write


def reload(item) -> TrackedItem:
    return TrackedItem.objects.get(id=item.id)


def test_manual_progress_moves_on_approval_only(cast, item):
    update = write(cast, item, progress=70)
    assert reload(item).progress == 0
    services.item_update_approve(acting_user=cast.group_reviewer, update=update)
    assert reload(item).progress == 70
    approved(cast, item, progress=50)  # a correction downwards is allowed
    assert reload(item).progress == 50


def test_milestones_rule_counts_the_milestones_an_approved_update_completes(cast):
    item = open_item(cast, progress_rule="milestones", milestones=["修订制度", "培训", "评估"])
    first, second, third = item.milestones.order_by("position")
    update = write(cast, item, progress=None, milestones=[first.id, second.id])
    assert update.progress == 66  # what it reaches if approved
    assert reload(item).progress == 0
    services.item_update_approve(acting_user=cast.group_reviewer, update=update)
    assert reload(item).progress == 66
    first.refresh_from_db()
    assert first.done_on is not None and first.done_by_update_id == update.id
    with pytest.raises(DomainError) as refused:
        write(cast, item, progress=None, milestones=[first.id])
    assert "milestones" in refused.value.fields  # already done
    with pytest.raises(DomainError) as refused:
        services.verification_request(acting_user=cast.group_reviewer, item=item)
    assert refused.value.code == "not_ready"
    approved(cast, item, progress=None, milestones=[third.id])
    assert reload(item).progress == 100
    services.verification_request(acting_user=cast.group_reviewer, item=item)
    assert reload(item).status == Status.AWAITING_VERIFICATION


def test_a_milestone_finished_by_another_update_meanwhile_stops_a_stale_submission(cast):
    item = open_item(cast, progress_rule="milestones", milestones=["a", "b"])
    first = item.milestones.order_by("position").first()
    stale = write(cast, item, progress=None, milestones=[first.id], submit=False)
    approved(cast, item, progress=None, milestones=[first.id])
    with pytest.raises(DomainError) as refused:
        services.item_update_submit(acting_user=cast.sub_reporter, update=stale)
    assert "milestones" in refused.value.fields


def test_milestone_items_take_no_stated_percentage_and_others_no_milestones(cast, item):
    milestone_item = open_item(cast, progress_rule="milestones", milestones=["a"])
    with pytest.raises(DomainError) as refused:
        write(cast, milestone_item, progress=50)
    assert "progress" in refused.value.fields
    with pytest.raises(DomainError) as refused:
        write(cast, item, progress=50, milestones=[1])
    assert "milestones" in refused.value.fields
    with pytest.raises(DomainError) as refused:
        write(cast, milestone_item, progress=None, milestones=[999999])
    assert "milestones" in refused.value.fields


def test_milestones_are_required_by_that_rule_only(cast):
    with pytest.raises(DomainError) as refused:
        open_item(cast, progress_rule="milestones", milestones=[" ", ""])
    assert "milestones" in refused.value.fields
    with pytest.raises(DomainError) as refused:
        open_item(cast, progress_rule="manual", milestones=["a"])
    assert "milestones" in refused.value.fields


def test_verified_only_progress_is_0_until_verified_then_100(cast):
    item = open_item(cast, progress_rule="verified_only")
    with pytest.raises(DomainError):
        write(cast, item, progress=80)
    approved(cast, item, progress=None)
    assert (reload(item).status, reload(item).progress) == (Status.IN_PROGRESS, 0)
    services.verification_request(acting_user=cast.group_reviewer, item=item)
    services.verify(acting_user=cast.analyst, item=item, accept=True)
    assert reload(item).progress == 100


def test_progress_stays_within_0_and_100_in_the_database(cast, item):
    with pytest.raises(IntegrityError), transaction.atomic():
        TrackedItem.objects.filter(id=item.id).update(progress=101)
