"""The ledger pages: who sees what on every page, the buttons each user gets, the forms, the
actions, and the export."""

import io
from datetime import timedelta

import pytest
from python_calamine import CalamineWorkbook

from guozi.ledgers import services
from guozi.ledgers.models import EventAction, ItemUpdate, Status, TrackedItem, UpdateState

from .conftest import TODAY, approved, open_item, pdf, write


@pytest.fixture
def items(cast):
    """A1's item (steel group), B1's (port group) and D's (Dalian), one of them overdue."""
    steel = open_item(cast, title="钢铁整改事项", due_date=TODAY)
    port = open_item(cast, owner=cast.b1, title="港口整改事项")
    metro = open_item(cast, owner=cast.d, by=cast.dl_analyst, title="地铁整改事项")
    return steel, port, metro


def listed(page) -> set[str]:
    return {item.title for item in page.context["page"].object_list}


# --- the list --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("analyst", {"钢铁整改事项", "港口整改事项", "地铁整改事项"}),  # with Dalian below
        ("leader", {"钢铁整改事项", "港口整改事项", "地铁整改事项"}),
        ("auditor", {"钢铁整改事项", "港口整改事项", "地铁整改事项"}),
        ("dl_analyst", {"地铁整改事项"}),
        ("reporter", {"钢铁整改事项"}),
        ("sub_reporter", {"钢铁整改事项"}),
        ("outsider", {"港口整改事项"}),
    ],
)
def test_the_list_shows_the_items_in_the_users_view(cast, items, login, username, expected):
    page = login(getattr(cast, username)).get("/ledgers/")
    assert page.status_code == 200
    assert listed(page) == expected
    assert page.context["counts"]["total"] == len(expected)


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "auditadmin"])
def test_administrators_read_no_ledger(cast, items, login, username):
    client = login(getattr(cast, username))
    for path in (
        "/ledgers/",
        "/ledgers/board/",
        "/ledgers/export/",
        f"/ledgers/items/{items[0].id}/",
        "/ledgers/new/",
    ):
        assert client.get(path).status_code == 403, path


def test_anonymous_users_are_sent_to_sign_in_from_every_ledger_page(client, items):
    item = items[0]
    for path in ("/ledgers/", "/ledgers/export/", "/ledgers/new/", f"/ledgers/items/{item.id}/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_filters_and_overdue_highlighting(cast, items, login, settings):
    steel, port, _metro = items
    settings.GUOZI_TODAY = (TODAY + timedelta(days=3)).isoformat()
    client = login(cast.analyst)
    page = client.get("/ledgers/?overdue=on")
    assert listed(page) == {"钢铁整改事项"}
    assert 'class="overdue"' in page.content.decode()
    assert "3 days overdue" in page.content.decode() or "逾期 3 天" in page.content.decode()
    assert page.context["counts"]["overdue"] == 1
    assert listed(client.get("/ledgers/?q=港口")) == {"港口整改事项"}
    assert listed(client.get(f"/ledgers/?owner={cast.a.id}")) == set()
    assert listed(client.get(f"/ledgers/?owner={cast.a.id}&subtree=on")) == {"钢铁整改事项"}
    services.item_cancel(acting_user=cast.analyst, item=port, reason="重复")
    assert listed(client.get("/ledgers/?status=active")) == {"钢铁整改事项", "地铁整改事项"}
    assert listed(client.get("/ledgers/?status=cancelled")) == {"港口整改事项"}
    assert listed(client.get("/ledgers/?due_soon=on")) == set()  # A1's is overdue by now
    settings.GUOZI_TODAY = TODAY.isoformat()
    assert listed(client.get("/ledgers/?due_soon=on")) == {"钢铁整改事项"}
    due_before = (TODAY + timedelta(days=1)).isoformat()
    assert listed(client.get(f"/ledgers/?due_before={due_before}")) == {"钢铁整改事项"}


def test_a_bad_filter_is_shown_not_a_crash(cast, items, login):
    page = login(cast.analyst).get("/ledgers/?due_before=someday&status=bogus")
    assert page.status_code == 200
    assert page.context["form"].errors
    assert len(listed(page)) == 3


def test_the_filters_answer_htmx_with_the_table_only(cast, items, login):
    page = login(cast.analyst).get("/ledgers/?q=港口", headers={"HX-Request": "true"})
    text = page.content.decode()
    assert page.status_code == 200 and "港口整改事项" in text
    assert "<html" not in text and "钢铁整改事项" not in text


def test_the_owner_filter_does_not_reveal_an_enterprise_out_of_view(cast, items, login):
    page = login(cast.reporter).get(f"/ledgers/?owner={cast.b1.id}")
    assert listed(page) == set() and page.context["owner"] is None
    assert "营口港务" not in page.content.decode()


# --- export ----------------------------------------------------------------------------------


def read_rows(response) -> list[list]:
    """The header and the items: the rows above the blank line before the export's stamp."""
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = workbook.get_sheet_by_index(0).to_python()
    blank = next((i for i, row in enumerate(rows) if not any(row)), len(rows))
    return rows[:blank]


def test_the_export_is_an_xlsx_of_the_filtered_list_in_the_users_view(cast, items, login):
    response = login(cast.reporter).get("/ledgers/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = read_rows(response)
    assert len(rows) == 2
    assert rows[1][2] == "钢铁整改事项" and rows[1][3] == "辽钢板材有限公司"
    analyst = login(cast.analyst)
    assert len(read_rows(analyst.get("/ledgers/export/"))) == 4
    assert [r[2] for r in read_rows(analyst.get("/ledgers/export/?q=地铁"))[1:]] == ["地铁整改事项"]


def test_the_export_neutralises_formulas_and_counts_days_overdue(cast, login, settings):
    open_item(cast, title='=HYPERLINK("http://x")', due_date=TODAY)
    settings.GUOZI_TODAY = (TODAY + timedelta(days=4)).isoformat()
    rows = read_rows(login(cast.analyst).get("/ledgers/export/"))
    assert rows[1][2] == '\'=HYPERLINK("http://x")'
    assert rows[1][11] == 4


# --- opening and editing ---------------------------------------------------------------------


def test_an_analyst_opens_a_rectification_through_the_form(cast, login):
    client = login(cast.analyst)
    form = client.get(f"/ledgers/new/?owner={cast.a1.id}")
    assert form.status_code == 200
    assert form.context["form"].initial["owner"] == cast.a1.uscc
    assert 'name="attr_severity"' in form.content.decode()
    response = client.post(
        "/ledgers/new/?register=rectification",
        {
            "owner": "辽钢板材有限公司",
            "title": "安全生产责任制落实不到位",
            "due_date": "2026-10-31",
            "progress_rule": "milestones",
            "milestones": "修订制度\n培训考核\n",
            "attr_severity": "major",
            "attr_measures": "修订责任清单",
        },
    )
    item = TrackedItem.objects.get()
    assert response.status_code == 302 and response.url == f"/ledgers/items/{item.id}/"
    assert item.attributes == {"severity": "major", "measures": "修订责任清单"}
    assert list(item.milestones.values_list("title", flat=True)) == ["修订制度", "培训考核"]


def test_a_refused_form_keeps_what_was_typed(cast, login):
    response = login(cast.analyst).post(
        "/ledgers/new/",
        {
            "owner": cast.a1.uscc,
            "title": "要保留的标题",
            "due_date": "2020-01-01",
            "progress_rule": "manual",
        },
    )
    assert response.status_code == 400
    assert "due_date" in response.context["form"].errors
    assert 'value="要保留的标题"' in response.content.decode()
    assert not TrackedItem.objects.exists()


def test_an_owner_out_of_view_is_not_found_by_the_form(cast, login):
    response = login(cast.dl_analyst).post(
        "/ledgers/new/",
        {"owner": cast.a1.uscc, "title": "x", "due_date": "2026-10-31", "progress_rule": "manual"},
    )
    assert response.status_code == 400 and "owner" in response.context["form"].errors


def test_a_visible_owner_of_a_lower_supervisor_is_refused(cast, login):
    response = login(cast.analyst).post(
        "/ledgers/new/",
        {"owner": cast.d.uscc, "title": "x", "due_date": "2026-10-31", "progress_rule": "manual"},
    )
    assert response.status_code == 403 and not TrackedItem.objects.exists()


@pytest.mark.parametrize("username", ["reporter", "group_reviewer", "leader", "auditor"])
def test_only_the_supervisors_staff_get_the_create_form(cast, login, username):
    client = login(getattr(cast, username))
    assert client.get("/ledgers/new/").status_code == 403
    assert "New rectification" not in client.get("/ledgers/").content.decode()


def test_editing_the_due_date_through_the_page(cast, items, login):
    steel = items[0]
    client = login(cast.analyst)
    page = client.get(f"/ledgers/items/{steel.id}/edit/")
    assert page.status_code == 200 and "attr_severity" in page.context["form"].fields
    data = {"title": steel.title, "due_date": "2026-12-31", "responsible_name": "王磊"}
    refused = client.post(f"/ledgers/items/{steel.id}/edit/", data)
    assert refused.status_code == 400 and "reason" in refused.context["form"].errors
    saved = client.post(f"/ledgers/items/{steel.id}/edit/", {**data, "reason": "涉及诉讼"})
    assert saved.status_code == 302
    assert TrackedItem.objects.get(id=steel.id).due_date.isoformat() == "2026-12-31"


def test_the_owners_people_edit_only_the_responsible_person(cast, items, login):
    steel = items[0]
    client = login(cast.sub_reporter)
    page = client.get(f"/ledgers/items/{steel.id}/edit/")
    assert list(page.context["form"].fields) == ["responsible_name"]
    client.post(f"/ledgers/items/{steel.id}/edit/", {"responsible_name": "李娜", "title": "x"})
    steel.refresh_from_db()
    assert (steel.responsible_name, steel.title) == ("李娜", "钢铁整改事项")
    assert login(cast.leader).get(f"/ledgers/items/{steel.id}/edit/").status_code == 403


# --- one item --------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["outsider", "dl_analyst"])
def test_an_item_out_of_view_is_404_on_every_path(cast, items, login, username):
    steel = items[0]
    update = write(cast, steel, submit=False)
    client = login(getattr(cast, username))
    base = f"/ledgers/items/{steel.id}/"
    for path in (base, f"{base}edit/"):
        assert client.get(path).status_code == 404, path
    for path, data in (
        (f"{base}act/", {"action": "cancel", "reason": "x"}),
        (f"{base}updates/", {"text": "x", "progress": "1"}),
        (f"{base}updates/{update.id}/act/", {"action": "submit"}),
    ):
        assert client.post(path, data).status_code == 404, path
    assert TrackedItem.objects.get(id=steel.id).status == Status.OPEN
    assert ItemUpdate.objects.get().state == UpdateState.DRAFT


def test_an_update_id_of_another_item_is_404(cast, items, login):
    steel, port, _ = items
    port_update = write(cast, port, by=cast.outsider, submit=False)
    response = login(cast.reporter).post(
        f"/ledgers/items/{steel.id}/updates/{port_update.id}/act/", {"action": "submit"}
    )
    assert response.status_code == 404


def buttons(page) -> dict[str, bool]:
    text = page.content.decode()
    return {
        "new_update": 'id="new-update"' in text,
        "approve": 'value="approve"' in text,
        "hand_in": 'value="request_verification"' in text,
        "verify": 'value="accept"' in text,
        "cancel": 'value="cancel"' in text,
        "edit": f"/ledgers/items/{page.context['item'].id}/edit/" in text,
    }


def test_each_user_gets_only_the_buttons_they_may_use(cast, items, login):
    steel = items[0]
    write(cast, steel)  # waiting for review
    url = f"/ledgers/items/{steel.id}/"
    assert buttons(login(cast.sub_reporter).get(url)) == {
        "new_update": True,
        "approve": False,
        "hand_in": False,
        "verify": False,
        "cancel": False,
        "edit": True,
    }
    assert buttons(login(cast.group_reviewer).get(url))["approve"] is True
    assert buttons(login(cast.analyst).get(url)) == {
        "new_update": False,
        "approve": False,
        "hand_in": False,
        "verify": False,
        "cancel": True,
        "edit": True,
    }
    assert not any(buttons(login(cast.leader).get(url)).values())
    assert not any(buttons(login(cast.auditor).get(url)).values())


def test_the_hand_in_and_verify_buttons_appear_at_their_step(cast, items, login):
    steel = items[0]
    approved(cast, steel, progress=100)
    url = f"/ledgers/items/{steel.id}/"
    assert buttons(login(cast.group_reviewer).get(url))["hand_in"] is True
    services.verification_request(acting_user=cast.group_reviewer, item=steel)
    assert buttons(login(cast.analyst).get(url))["verify"] is True


def test_the_whole_workflow_through_the_pages(cast, items, login, client):
    steel = items[0]
    base = f"/ledgers/items/{steel.id}/"
    login(cast.sub_reporter)
    response = client.post(
        f"{base}updates/",
        {"text": "已补提坏账准备", "progress": "100", "action": "submit", "files": [pdf()]},
    )
    assert response.status_code == 302
    update = ItemUpdate.objects.get()
    assert update.state == UpdateState.SUBMITTED and update.evidence.count() == 1
    page = client.get(base)
    assert "整改报告.pdf" in page.content.decode()
    client.logout()
    login(cast.group_reviewer)
    client.post(f"{base}updates/{update.id}/act/", {"action": "approve"})
    client.post(f"{base}act/", {"action": "request_verification", "reason": "请验收"})
    client.logout()
    login(cast.analyst)
    client.post(f"{base}act/", {"action": "reject", "reason": ""})  # refused: no reason
    assert TrackedItem.objects.get(id=steel.id).status == Status.AWAITING_VERIFICATION
    client.post(f"{base}act/", {"action": "accept", "reason": "核查属实"})
    steel.refresh_from_db()
    assert (steel.status, steel.progress) == (Status.VERIFIED, 100)
    history = client.get(base).content.decode()
    assert "核查属实" in history and "请验收" in history


def test_a_refused_update_keeps_the_text_and_writes_nothing(cast, items, login):
    steel = items[0]
    page = login(cast.sub_reporter).post(
        f"/ledgers/items/{steel.id}/updates/",
        {"text": "要保留的说明", "progress": "50", "files": [pdf("假的.pdf", b"not a pdf")]},
    )
    assert page.status_code == 400
    assert "要保留的说明" in page.content.decode()
    assert page.context["new_form"].errors
    assert not ItemUpdate.objects.exists()


def test_editing_returning_and_adding_evidence_through_the_pages(cast, items, login, client):
    steel = items[0]
    update = write(cast, steel)
    base = f"/ledgers/items/{steel.id}/updates/{update.id}/act/"
    login(cast.group_reviewer)
    client.post(base, {"action": "return", "reason": "数据不符"})
    client.logout()
    login(cast.sub_reporter)
    refused = client.post(
        base, {"action": "edit", f"u{update.id}-text": "改后", f"u{update.id}-progress": "200"}
    )
    assert refused.status_code == 400 and "改后" in refused.content.decode()
    client.post(
        base, {"action": "edit", f"u{update.id}-text": "改后", f"u{update.id}-progress": "45"}
    )
    client.post(base, {"action": "evidence", "files": [pdf()]})
    client.post(base, {"action": "submit"})
    update.refresh_from_db()
    assert (update.text, update.progress, update.state) == ("改后", 45, UpdateState.SUBMITTED)
    assert update.evidence.count() == 1
    kinds = set(steel.events.values_list("action", flat=True))
    assert {
        EventAction.UPDATE_RETURNED,
        EventAction.UPDATE_EDITED,
        EventAction.EVIDENCE_ADDED,
    } <= kinds


def test_an_action_refused_by_the_service_is_a_message_not_a_change(cast, items, login, client):
    steel = items[0]
    update = write(cast, steel)
    login(cast.sub_reporter)
    response = client.post(
        f"/ledgers/items/{steel.id}/updates/{update.id}/act/", {"action": "approve"}, follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages and ItemUpdate.objects.get().state == UpdateState.SUBMITTED
    response = client.post(f"/ledgers/items/{steel.id}/act/", {"action": "cancel", "reason": "x"})
    assert TrackedItem.objects.get(id=steel.id).status == Status.OPEN


def test_the_reviewer_sees_why_an_item_cannot_be_handed_in_yet(cast, items, login):
    steel = items[0]
    approved(cast, steel, progress=60)
    page = login(cast.group_reviewer).get(f"/ledgers/items/{steel.id}/")
    assert buttons(page)["hand_in"] is False
    assert "100%" in str(page.context["verification_blocker"])
    approved(cast, steel, progress=100)
    page = login(cast.group_reviewer).get(f"/ledgers/items/{steel.id}/")
    assert buttons(page)["hand_in"] is True and page.context["verification_blocker"] is None


def test_the_history_reads_as_labels_not_codes(cast, items, login):
    steel = items[0]
    approved(cast, steel, progress=60)
    page = login(cast.analyst).get(f"/ledgers/items/{steel.id}/", HTTP_ACCEPT_LANGUAGE="en")
    approval = next(e for e in page.context["events"] if e.action == "update_approved")
    assert [(str(label), before, after) for label, before, after in approval.changes] == [
        ("status", "Open", "In progress"),
        ("progress (%)", 0, 60),
    ]


def test_the_list_and_the_export_read_a_fixed_number_of_queries(
    cast, login, django_assert_max_num_queries
):
    client = login(cast.analyst)
    for number in range(3):
        open_item(cast, title=f"事项{number}")
    client.get("/ledgers/")  # warm the session and caches
    with django_assert_max_num_queries(20) as few:
        client.get("/ledgers/")
    for number in range(3, 30):
        open_item(cast, owner=cast.b1 if number % 2 else cast.a11, title=f"事项{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/ledgers/")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/ledgers/export/")


def test_the_common_form_sends_a_register_with_its_own_intake_there(cast, login):
    response = login(cast.analyst).get("/ledgers/new/?register=safety_incident")
    assert response.status_code == 302 and response["Location"] == "/ledgers/safety/report/"


def test_every_register_is_a_tab_above_the_list(cast, login):
    page = login(cast.analyst).get("/ledgers/?register=rectification").content.decode()
    for url in ("/ledgers/reform/", "/ledgers/legacy/", "/ledgers/safety/", "/ledgers/rnd/",
                "/ledgers/supply/"):  # fmt: skip
        assert f'href="{url}"' in page
    assert 'href="/ledgers/?register=rectification" aria-current="page"' in page
    response = login(cast.analyst).get("/ledgers/new/?register=reform_task")
    assert response.status_code == 302 and response["Location"] == "/ledgers/reform/assign/"


def on_board(page) -> dict[str, set[str]]:
    return {c["status"]: {item.title for item in c["cards"]} for c in page.context["columns"]}


@pytest.mark.parametrize(
    ("username", "expected"),
    [("analyst", {"钢铁整改事项", "港口整改事项", "地铁整改事项"}), ("reporter", {"钢铁整改事项"}),
     ("outsider", {"港口整改事项"})],
)  # fmt: skip
def test_the_board_has_a_column_per_status_with_the_users_items(
    cast, items, login, username, expected
):
    page = login(getattr(cast, username)).get("/ledgers/board/")
    assert page.status_code == 200
    columns = page.context["columns"]
    assert [c["status"] for c in columns] == [s for s, _label in Status.choices]
    assert on_board(page)[Status.OPEN] == expected
    assert sum(c["count"] for c in columns) == len(expected)


def test_the_board_moves_an_item_with_its_status_and_follows_the_filters(cast, items, login):
    steel, port, _metro = items
    services.item_cancel(acting_user=cast.analyst, item=port, reason="重复立项")
    client = login(cast.analyst)
    board = on_board(client.get("/ledgers/board/"))
    assert "港口整改事项" in board[Status.CANCELLED] and "港口整改事项" not in board[Status.OPEN]
    searched = on_board(client.get("/ledgers/board/?q=钢铁"))
    assert searched[Status.OPEN] == {"钢铁整改事项"} and not searched[Status.CANCELLED]
    page = client.get("/ledgers/board/?register=rectification").content.decode()
    assert f'href="/ledgers/items/{steel.id}/"' in page
