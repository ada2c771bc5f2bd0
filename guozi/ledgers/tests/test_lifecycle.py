"""The item lifecycle through the services: every transition, who may make it, who may not,
what is recorded (history, audit, inbox), and that a refusal changes nothing."""

from datetime import timedelta

import pytest

from guozi.accounts.models import Notification
from guozi.audit.models import AuditEvent
from guozi.conftest import make_enterprise
from guozi.ledgers import services
from guozi.ledgers.models import (
    EventAction,
    ItemEvent,
    ItemUpdate,
    Register,
    Status,
    TrackedItem,
    UpdateState,
)
from guozi.lib.errors import DomainError, Forbidden

from .conftest import TODAY, approved, open_item, write


def actions(item) -> list[str]:
    return list(item.events.order_by("id").values_list("action", flat=True))


def reload(item) -> TrackedItem:
    return TrackedItem.objects.get(id=item.id)


# --- opening an item -------------------------------------------------------------------------


def test_an_analyst_opens_a_rectification_recorded_in_history_audit_and_inbox(cast):
    item = open_item(
        cast,
        source="2026年二季度巡查",
        source_kind="inspection",
        source_ref="2026Q2-07",
        attributes={"severity": "serious", "measures": "补提坏账准备"},
    )
    assert (item.status, item.progress, item.progress_rule) == (Status.OPEN, 0, "manual")
    assert item.supervisor_id == cast.ln.id and item.opened_on == TODAY
    assert item.attributes == {"severity": "serious", "measures": "补提坏账准备"}
    event = item.events.get()
    assert (event.action, event.actor) == (EventAction.CREATED, cast.analyst)
    assert event.after["source_ref"] == "2026Q2-07"
    audit = AuditEvent.objects.get(object_type="ledgers.trackeditem", object_id=str(item.id))
    assert (audit.action, audit.enterprise_id) == ("create", cast.a1.id)
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"sub_reporter", "reporter"}  # the reporters of A1 and of A above it
    assert Notification.objects.get(user=cast.reporter).link == f"/ledgers/items/{item.id}/"


def test_a_supervisor_reviewer_may_open_one_too(cast):
    assert open_item(cast, by=cast.reviewer).created_by == cast.reviewer


@pytest.mark.parametrize(
    "username", ["leader", "auditor", "reporter", "group_reviewer", "dl_analyst", "sysadmin"]
)
def test_others_cannot_open_an_item(cast, username):
    with pytest.raises(Forbidden):
        open_item(cast, by=getattr(cast, username))
    assert not TrackedItem.objects.exists()


def test_a_higher_supervisor_opens_nothing_for_a_lower_ones_enterprise(cast):
    with pytest.raises(Forbidden):
        open_item(cast, owner=cast.d)  # Dalian's metro group; Liaoning only reads it
    assert open_item(cast, owner=cast.d, by=cast.dl_analyst).supervisor_id == cast.dl.id


def test_every_bad_field_is_named_and_nothing_is_written(cast):
    with pytest.raises(DomainError) as refused:
        open_item(
            cast,
            title=" ",
            due_date=TODAY - timedelta(days=1),
            progress_rule="milestones",
            source_kind="Alert!",
            attributes={"severity": "catastrophic", "colour": "red"},
        )
    assert set(refused.value.fields) == {
        "title",
        "due_date",
        "milestones",
        "source_kind",
        "attributes.severity",
        "attributes.colour",
    }
    assert not TrackedItem.objects.exists() and not ItemEvent.objects.exists()
    assert not AuditEvent.objects.filter(object_type="ledgers.trackeditem").exists()


def test_an_unknown_register_or_rule_is_refused(cast):
    with pytest.raises(DomainError) as refused:
        open_item(cast, register="press_clippings")
    assert refused.value.code == "register"
    with pytest.raises(DomainError) as refused:
        open_item(cast, progress_rule="gut_feeling")
    assert "progress_rule" in refused.value.fields


def test_a_closed_enterprise_gets_no_new_item(cast):
    cast.a2.status = "deregistered"
    cast.a2.save()
    with pytest.raises(DomainError) as refused:
        open_item(cast, owner=cast.a2)
    assert "owner" in refused.value.fields


def test_the_due_date_defaults_to_the_registers_term(cast):
    item = open_item(cast, due_date=None)
    assert item.due_date == TODAY + timedelta(days=60)


def test_a_responsible_user_must_work_at_the_owner_or_above(cast):
    assert open_item(cast, responsible_user=cast.reporter).responsible_user == cast.reporter
    with pytest.raises(DomainError) as refused:
        open_item(cast, responsible_user=cast.outsider)
    assert "responsible_user" in refused.value.fields


# --- rectification_from: the entry point for alerts and inspection findings ------------------


def test_rectification_from_a_source_is_opened_once(cast):
    first = services.rectification_from(
        source_kind="alert", source_ref=123, enterprise=cast.a1, title="资产负债率超过预警线"
    )
    assert (first.register, first.source_kind, first.source_ref) == (
        "rectification",
        "alert",
        "123",
    )
    assert first.created_by is None  # opened by the system
    again = services.rectification_from(
        source_kind="alert", source_ref="123", enterprise=cast.a1, title="another title"
    )
    assert again.id == first.id and TrackedItem.objects.count() == 1
    services.item_cancel(acting_user=cast.analyst, item=first, reason="误报")
    anew = services.rectification_from(
        source_kind="alert", source_ref="123", enterprise=cast.a1, title="资产负债率超过预警线"
    )
    assert anew.id != first.id


def test_rectification_from_checks_the_acting_user_and_the_source(cast):
    with pytest.raises(Forbidden):
        services.rectification_from(
            source_kind="alert",
            source_ref=7,
            enterprise=cast.a1,
            title="x",
            acting_user=cast.reporter,
        )
    with pytest.raises(DomainError) as refused:
        services.rectification_from(source_kind="", source_ref="", enterprise=cast.a1, title="x")
    assert refused.value.code == "source"
    assert not TrackedItem.objects.exists()


# --- updates ---------------------------------------------------------------------------------


def test_the_whole_path_to_a_verified_item(cast, item):
    draft = write(cast, item, submit=False)
    assert (draft.state, reload(item).status) == (UpdateState.DRAFT, Status.OPEN)
    services.item_update_submit(acting_user=cast.sub_reporter, update=draft)
    services.item_update_approve(acting_user=cast.group_reviewer, update=draft)
    item = reload(item)
    assert (item.status, item.progress) == (Status.IN_PROGRESS, 40)
    approved(cast, item, progress=100)
    services.verification_request(acting_user=cast.group_reviewer, item=item, note="请验收")
    assert reload(item).status == Status.AWAITING_VERIFICATION
    services.verify(acting_user=cast.analyst, item=item, accept=True, reason="核查属实")
    item = reload(item)
    assert (item.status, item.progress, item.closed_on) == (Status.VERIFIED, 100, TODAY)
    assert actions(item) == [
        "created",
        "update_added",
        "update_submitted",
        "update_approved",
        "update_added",
        "update_submitted",
        "update_approved",
        "verification_requested",
        "verified",
    ]
    assert item.events.get(action="verified").reason == "核查属实"
    audited = AuditEvent.objects.filter(
        enterprise_id=cast.a1.id, object_type__startswith="ledgers."
    )
    assert audited.count() == len(actions(item))


def test_a_rejected_verification_goes_back_and_needs_new_approved_work(cast, item):
    approved(cast, item, progress=100)
    services.verification_request(acting_user=cast.group_reviewer, item=item)
    with pytest.raises(DomainError) as refused:
        services.verify(acting_user=cast.analyst, item=item, accept=False, reason="  ")
    assert refused.value.code == "reason"
    assert reload(item).status == Status.AWAITING_VERIFICATION
    services.verify(acting_user=cast.reviewer, item=item, accept=False, reason="佐证材料不足")
    item = reload(item)
    assert (item.status, item.progress) == (Status.IN_PROGRESS, 100)
    with pytest.raises(DomainError) as refused:
        services.verification_request(acting_user=cast.group_reviewer, item=item)
    assert refused.value.code == "not_ready"
    approved(cast, item, progress=100, text="补充了法律审核记录")
    services.verification_request(acting_user=cast.group_reviewer, item=item)
    assert reload(item).status == Status.AWAITING_VERIFICATION
    told = Notification.objects.filter(user=cast.sub_reporter, subject_en__startswith="Verif")
    assert told.filter(body_en="佐证材料不足").exists()


def test_a_returned_update_is_edited_and_submitted_again(cast, item):
    update = write(cast, item)
    with pytest.raises(DomainError) as refused:
        services.item_update_return(acting_user=cast.group_reviewer, update=update, reason="")
    assert refused.value.code == "reason"
    services.item_update_return(acting_user=cast.group_reviewer, update=update, reason="数据不符")
    update.refresh_from_db()
    assert (update.state, update.return_reason) == (UpdateState.RETURNED, "数据不符")
    assert Notification.objects.get(user=cast.sub_reporter, body_en="数据不符").subject_en == (
        f"Update returned: {item.title}"
    )
    services.item_update_edit(
        acting_user=cast.reporter, update=update, text="更正后的说明", progress=35
    )
    services.item_update_submit(acting_user=cast.reporter, update=update)
    services.item_update_approve(acting_user=cast.group_reviewer, update=update)
    assert reload(item).progress == 35
    edited = item.events.get(action=EventAction.UPDATE_EDITED)
    assert edited.before == {"text": "已完成逐笔核查", "progress": 40}
    assert edited.after["progress"] == 35


def test_a_submitted_update_waits_for_the_reviewer_who_hears_of_it(cast, item):
    update = write(cast, item)
    assert Notification.objects.filter(
        user=cast.group_reviewer, subject_en__startswith="Update to review"
    ).exists()
    with pytest.raises(DomainError) as refused:
        services.item_update_edit(
            acting_user=cast.sub_reporter, update=update, text="x", progress=1
        )
    assert refused.value.code == "state"
    with pytest.raises(DomainError):
        services.item_update_submit(acting_user=cast.sub_reporter, update=update)


@pytest.mark.parametrize("username", ["outsider", "analyst", "group_reviewer", "leader"])
def test_only_the_owners_reporters_write_updates(cast, item, username):
    with pytest.raises(Forbidden):
        write(cast, item, by=getattr(cast, username))
    assert not ItemUpdate.objects.exists()


def test_the_system_writes_no_update(cast, item):
    with pytest.raises(Forbidden):
        services.item_update_add(acting_user=None, item=item, text="x", progress=1)


@pytest.mark.parametrize("username", ["sub_reporter", "reporter", "outsider", "analyst"])
def test_only_a_reviewer_of_the_owner_or_above_approves(cast, item, username):
    update = write(cast, item)
    with pytest.raises(Forbidden):
        services.item_update_approve(acting_user=getattr(cast, username), update=update)
    with pytest.raises(Forbidden):
        services.item_update_return(acting_user=getattr(cast, username), update=update, reason="x")
    update.refresh_from_db()
    assert update.state == UpdateState.SUBMITTED and reload(item).progress == 0


def test_nobody_approves_their_own_update(cast, item):
    from guozi.accounts.models import Membership, Role

    Membership.objects.create(
        user=cast.group_reviewer, role=Role.ENTERPRISE_REPORTER, enterprise=cast.a, valid_from=TODAY
    )
    update = write(cast, item, by=cast.group_reviewer)
    with pytest.raises(Forbidden):
        services.item_update_approve(acting_user=cast.group_reviewer, update=update)


def test_only_a_submitted_update_is_approved_or_returned(cast, item):
    draft = write(cast, item, submit=False)
    with pytest.raises(DomainError) as refused:
        services.item_update_approve(acting_user=cast.group_reviewer, update=draft)
    assert refused.value.code == "state"
    with pytest.raises(DomainError):
        services.item_update_return(acting_user=cast.group_reviewer, update=draft, reason="x")
    update = write(cast, item)
    services.item_update_approve(acting_user=cast.group_reviewer, update=update)
    with pytest.raises(DomainError):
        services.item_update_approve(acting_user=cast.group_reviewer, update=update)


def test_a_bad_update_is_refused_with_its_fields(cast, item):
    with pytest.raises(DomainError) as refused:
        write(cast, item, text="", progress=140)
    assert set(refused.value.fields) == {"text", "progress"}
    with pytest.raises(DomainError) as refused:
        write(cast, item, progress=None)
    assert "progress" in refused.value.fields
    assert not ItemUpdate.objects.exists()


def test_where_no_enterprise_above_has_a_reviewer_the_supervisors_reviewer_approves(cast):
    port_item = open_item(cast, owner=cast.b1)  # the port group has no enterprise reviewer
    update = write(cast, port_item, by=cast.outsider)
    services.item_update_approve(acting_user=cast.reviewer, update=update)
    assert reload(port_item).status == Status.IN_PROGRESS
    steel_item = open_item(cast)  # the steel group has its own reviewer
    with pytest.raises(Forbidden):
        services.item_update_approve(acting_user=cast.reviewer, update=write(cast, steel_item))


# --- verification and cancellation -----------------------------------------------------------


def test_verification_is_asked_for_only_when_the_work_is_done(cast, item):
    with pytest.raises(DomainError) as refused:
        services.verification_request(acting_user=cast.group_reviewer, item=item)
    assert refused.value.code == "state"  # still open
    approved(cast, item, progress=60)
    with pytest.raises(DomainError) as refused:
        services.verification_request(acting_user=cast.group_reviewer, item=item)
    assert refused.value.code == "not_ready"
    approved(cast, item, progress=100)
    write(cast, item, progress=100)  # waiting for review
    with pytest.raises(DomainError) as refused:
        services.verification_request(acting_user=cast.group_reviewer, item=item)
    assert refused.value.code == "pending"
    assert reload(item).status == Status.IN_PROGRESS


@pytest.mark.parametrize("username", ["sub_reporter", "analyst", "outsider"])
def test_only_the_owners_reviewer_hands_an_item_in(cast, item, username):
    approved(cast, item, progress=100)
    with pytest.raises(Forbidden):
        services.verification_request(acting_user=getattr(cast, username), item=item)


@pytest.mark.parametrize("username", ["group_reviewer", "reporter", "leader", "dl_analyst"])
def test_only_the_supervisors_analysts_and_reviewers_verify(cast, item, username):
    approved(cast, item, progress=100)
    services.verification_request(acting_user=cast.group_reviewer, item=item)
    with pytest.raises(Forbidden):
        services.verify(acting_user=getattr(cast, username), item=item, accept=True)
    assert reload(item).status == Status.AWAITING_VERIFICATION


def test_verify_only_an_item_handed_in(cast, item):
    with pytest.raises(DomainError) as refused:
        services.verify(acting_user=cast.analyst, item=item, accept=True)
    assert refused.value.code == "state"


def test_an_item_awaiting_verification_takes_no_new_update(cast, item):
    approved(cast, item, progress=100)
    services.verification_request(acting_user=cast.group_reviewer, item=item)
    with pytest.raises(DomainError) as refused:
        write(cast, item)
    assert refused.value.code == "state"


def test_cancel_needs_the_supervisor_and_a_reason_and_ends_the_item(cast, item):
    with pytest.raises(Forbidden):
        services.item_cancel(acting_user=cast.group_reviewer, item=item, reason="重复")
    with pytest.raises(DomainError) as refused:
        services.item_cancel(acting_user=cast.analyst, item=item, reason=" ")
    assert refused.value.code == "reason"
    services.item_cancel(acting_user=cast.analyst, item=item, reason="与第3项重复")
    item = reload(item)
    assert (item.status, item.closed_on) == (Status.CANCELLED, TODAY)
    assert item.events.get(action="cancelled").reason == "与第3项重复"
    for attempt in (
        lambda: write(cast, item),
        lambda: services.item_cancel(acting_user=cast.analyst, item=item, reason="again"),
        lambda: services.item_edit(acting_user=cast.analyst, item=item, changes={"title": "x"}),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "state"


def test_a_verified_item_cannot_be_cancelled(cast, item):
    approved(cast, item, progress=100)
    services.verification_request(acting_user=cast.group_reviewer, item=item)
    services.verify(acting_user=cast.analyst, item=item, accept=True)
    with pytest.raises(DomainError):
        services.item_cancel(acting_user=cast.analyst, item=item, reason="x")


# --- editing an item -------------------------------------------------------------------------


def test_a_new_due_date_needs_a_reason_and_is_recorded(cast, item):
    later = item.due_date + timedelta(days=30)
    with pytest.raises(DomainError) as refused:
        services.item_edit(acting_user=cast.analyst, item=item, changes={"due_date": later})
    assert "reason" in refused.value.fields
    assert reload(item).due_date == item.due_date
    services.item_edit(
        acting_user=cast.analyst, item=item, changes={"due_date": later}, reason="涉及诉讼"
    )
    event = reload(item).events.get(action=EventAction.EDITED)
    assert event.before == {"due_date": item.due_date.isoformat()}
    assert (event.after, event.reason) == ({"due_date": later.isoformat()}, "涉及诉讼")


def test_the_owners_people_name_the_responsible_person_only(cast, item):
    services.item_edit(
        acting_user=cast.sub_reporter, item=item, changes={"responsible_name": "李娜"}
    )
    assert reload(item).responsible_name == "李娜"
    with pytest.raises(Forbidden):
        services.item_edit(acting_user=cast.sub_reporter, item=item, changes={"title": "x"})
    with pytest.raises(Forbidden):
        services.item_edit(acting_user=cast.outsider, item=item, changes={"responsible_name": "x"})
    assert reload(item).title == item.title


def test_an_edit_that_changes_nothing_records_nothing(cast, item):
    services.item_edit(acting_user=cast.analyst, item=item, changes={"title": item.title})
    assert actions(item) == ["created"]


def test_an_item_of_a_subsidiary_created_later_is_reported_by_the_group(cast):
    newcomer = make_enterprise(
        None, name="辽钢新材料有限公司", supervisor=cast.ln, parent=cast.a2, body="A0000009"
    )
    item = open_item(cast, owner=newcomer)
    update = write(cast, item, by=cast.reporter)  # a reporter two levels up
    services.item_update_approve(acting_user=cast.group_reviewer, update=update)
    assert reload(item).status == Status.IN_PROGRESS
    assert item.register == Register.RECTIFICATION
