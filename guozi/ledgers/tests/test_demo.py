"""The demo's rectification register, loaded by `guozi load_demo` after the registry."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from guozi.ledgers import demo
from guozi.ledgers.evidence import root
from guozi.ledgers.models import Evidence, ItemUpdate, Status, TrackedItem
from guozi.ledgers.reminders import send_reminders
from guozi.lib.errors import DomainError

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_day(settings):
    settings.GUOZI_TODAY = TODAY.isoformat()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_load_demo_opens_rectifications_in_every_state(demo_day):
    call_command("load_demo", "--scale", "200", "--months", "1", stdout=StringIO())
    # The indicators' demo opens rectifications for some alerts too; these are the ledger's own.
    items = TrackedItem.objects.exclude(source_kind="alert")
    assert Counter(items.values_list("status", flat=True)) == {
        Status.OPEN: 2,
        Status.IN_PROGRESS: 3,
        Status.AWAITING_VERIFICATION: 1,
        Status.VERIFIED: 1,
        Status.CANCELLED: 1,
    }
    overdue = [item for item in items if item.days_overdue(TODAY)]
    assert [(item.title, item.days_overdue(TODAY)) for item in overdue] == [
        ("三年以上应收账款未足额计提坏账准备", 10)
    ]
    waiting = ItemUpdate.objects.get(state="submitted")
    assert waiting.item.title == "三年以上应收账款未足额计提坏账准备"
    assert waiting.author.username == "reporter"
    safety = items.get(progress_rule="milestones")
    assert safety.progress == 66
    # History happened on its own days, before today.
    first_event = safety.events.order_by("id").first()
    assert first_event.at.date() < TODAY and safety.opened_on < TODAY
    for stored in Evidence.objects.all():
        assert (root() / stored.stored_path).read_bytes().startswith(b"%PDF-")


def test_reset_removes_the_items_and_their_files_before_the_registry(
    demo_day, django_capture_on_commit_callbacks
):
    call_command("load_demo", "--scale", "200", "--months", "0", stdout=StringIO())
    demo.load_demo_items()
    files = [root() / path for path in Evidence.objects.values_list("stored_path", flat=True)]
    assert files and all(path.exists() for path in files)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", "--scale", "200", "--months", "0", "--reset", stdout=StringIO())
    assert not TrackedItem.objects.exists() and not Evidence.objects.exists()
    assert not any(path.exists() for path in files)


def test_the_registry_alone_has_no_ledger(demo_day):
    call_command("load_demo", "--scale", "200", "--months", "0", stdout=StringIO())
    assert not TrackedItem.objects.exists()
    loaded = demo.load_demo_items()
    assert (loaded.items, TrackedItem.objects.count()) == (8, 8)
    assert (loaded.updates, loaded.evidence) == (ItemUpdate.objects.count(), 6)
    reminded = send_reminders(TODAY)
    assert reminded["by_kind"] == {"overdue": 1, "due_soon": 1, "inactive": 1}


def test_the_demo_items_need_the_demo_registry(db, demo_day):
    with pytest.raises(DomainError) as refused:
        demo.load_demo_items()
    assert refused.value.code == "demo_registry"
    assert not TrackedItem.objects.exists()


def test_the_demo_pdf_is_a_pdf():
    content = demo.demo_pdf("Evidence 1")
    assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
    assert b"(Evidence 1) Tj" in content
