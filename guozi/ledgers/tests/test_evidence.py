"""Evidence files (佐证材料): type and size limits, content checked against the declared type,
sanitised names, scoped and audited downloads, kept when an update is edited, and a refused
file leaves nothing behind."""

import hashlib
import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from guozi.audit.models import AuditEvent
from guozi.jobs.schedule import SCHEDULE
from guozi.ledgers import services
from guozi.ledgers.evidence import root, sanitise_name
from guozi.ledgers.models import Evidence, ItemUpdate
from guozi.ledgers.tasks import evidence_sweep_job
from guozi.lib.errors import DomainError

from .conftest import docx, pdf, png, write, xlsx


def stored_files(item) -> list:
    folder = root() / str(item.id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_accepted_files_are_stored_outside_the_database_with_their_facts(cast, item):
    content = pdf().read()
    update = write(cast, item, uploads=[pdf(content=content), png(), docx(), xlsx()])
    files = list(update.evidence.order_by("id"))
    assert [(f.original_name, f.declared_type) for f in files] == [
        ("整改报告.pdf", "pdf"),
        ("现场照片.png", "png"),
        ("整改方案.docx", "docx"),
        ("台账.xlsx", "xlsx"),
    ]
    first = files[0]
    assert (first.size, first.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert first.uploaded_by == cast.sub_reporter
    stored = root() / first.stored_path
    assert stored.read_bytes() == content
    assert first.stored_path.startswith(f"{item.id}/") and "整改" not in first.stored_path
    assert not [name for name in stored_files(item) if name.endswith(".part")]
    added = item.events.get(action="evidence_added")
    assert [f["name"] for f in added.after["files"]] == [f.original_name for f in files]


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("run.exe", b"MZ\x90\x00"), "evidence_type"),
        (SimpleUploadedFile("notes.txt", b"hello"), "evidence_type"),
        (SimpleUploadedFile("fake.pdf", b"PK\x03\x04 a zip pretending"), "evidence_content"),
        (SimpleUploadedFile("fake.png", b"%PDF-1.4 not an image"), "evidence_content"),
        (SimpleUploadedFile("fake.jpg", b"\x89PNG\r\n\x1a\n"), "evidence_content"),
        (SimpleUploadedFile("fake.docx", b"%PDF-1.4"), "evidence_content"),
        (
            docx("wrong.docx", members=("[Content_Types].xml", "xl/workbook.xml")),
            "evidence_content",
        ),
        (
            docx("wrong.xlsx", members=("[Content_Types].xml", "word/document.xml")),
            "evidence_content",
        ),
        (SimpleUploadedFile("empty.pdf", b""), "evidence_empty"),
    ],
)
def test_a_file_of_the_wrong_type_or_content_is_refused_with_nothing_left(cast, item, upload, code):
    update = write(cast, item, submit=False)
    with pytest.raises(DomainError) as refused:
        services.evidence_add(acting_user=cast.sub_reporter, update=update, uploads=[upload])
    assert refused.value.code == code
    assert refused.value.fields["file"]
    assert not Evidence.objects.exists()
    assert stored_files(item) == []


def test_a_file_over_the_size_limit_is_refused(cast, item, settings):
    settings.GUOZI_EVIDENCE_MAX_BYTES = 1000
    update = write(cast, item, submit=False)
    big = pdf(content=b"%PDF-1.4\n" + b"0" * 2000)
    with pytest.raises(DomainError) as refused:
        services.evidence_add(acting_user=cast.sub_reporter, update=update, uploads=[big])
    assert refused.value.code == "evidence_size"
    assert "1000" in refused.value.message  # the limit, in words
    assert stored_files(item) == [] and not Evidence.objects.exists()


def test_the_size_limit_holds_when_the_upload_lies_about_its_size(cast, item, settings):
    settings.GUOZI_EVIDENCE_MAX_BYTES = 1000
    update = write(cast, item, submit=False)
    liar = pdf(content=b"%PDF-1.4\n" + b"0" * 2000)
    liar.size = 10
    with pytest.raises(DomainError) as refused:
        services.evidence_add(acting_user=cast.sub_reporter, update=update, uploads=[liar])
    assert refused.value.code == "evidence_size"
    assert stored_files(item) == []


def test_one_bad_file_among_several_leaves_no_update_no_row_and_no_file(cast, item):
    with pytest.raises(DomainError):
        write(
            cast,
            item,
            uploads=[pdf(), png(), SimpleUploadedFile("fake.pdf", b"not a pdf at all")],
        )
    assert not ItemUpdate.objects.exists()
    assert not Evidence.objects.exists()
    assert stored_files(item) == []
    assert list(item.events.values_list("action", flat=True)) == ["created"]


def test_a_failure_after_the_files_are_placed_removes_them(cast, item, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("guozi.ledgers.services.Evidence.objects.create", broken)
    with pytest.raises(RuntimeError):
        write(cast, item, uploads=[pdf()])
    assert stored_files(item) == []
    assert not ItemUpdate.objects.exists()


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\王\\整改报告.PDF", "整改报告.pdf"),
        ("..pdf", "file.pdf"),
        ("a<b>c:d|e?.pdf", "a_b_c_d_e_.pdf"),
        ("line\nbreak\x00.pdf", "line_break_.pdf"),
        ("  spaced   out  .pdf", "spaced out.pdf"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
        ("", "file"),
    ],
)
def test_names_are_sanitised(given, kept):
    assert sanitise_name(given) == kept


def test_the_stored_name_is_sanitised_and_the_path_stays_in_the_store(cast, item):
    update = write(cast, item, uploads=[pdf("../../../整改/报告.pdf")])
    evidence = update.evidence.get()
    assert evidence.original_name == "报告.pdf"
    assert (root() / evidence.stored_path).resolve().is_relative_to(root().resolve())


def test_evidence_is_kept_when_the_update_is_edited(cast, item):
    update = write(cast, item, submit=False, uploads=[pdf()])
    kept = update.evidence.get()
    services.item_update_edit(
        acting_user=cast.sub_reporter, update=update, text="改写后的说明", progress=55
    )
    services.evidence_add(acting_user=cast.sub_reporter, update=update, uploads=[png()])
    services.item_update_edit(
        acting_user=cast.reporter, update=update, text="再改一次", progress=60
    )
    assert list(update.evidence.order_by("id").values_list("id", flat=True))[0] == kept.id
    assert update.evidence.count() == 2
    assert (root() / kept.stored_path).exists()


def test_evidence_is_added_to_a_draft_or_returned_update_by_its_reporters_only(cast, item):
    update = write(cast, item)  # submitted
    with pytest.raises(DomainError) as refused:
        services.evidence_add(acting_user=cast.sub_reporter, update=update, uploads=[pdf()])
    assert refused.value.code == "state"
    services.item_update_return(acting_user=cast.group_reviewer, update=update, reason="补材料")
    for stranger in (cast.outsider, cast.group_reviewer, cast.analyst):
        with pytest.raises(DomainError):
            services.evidence_add(acting_user=stranger, update=update, uploads=[pdf()])
    services.evidence_add(acting_user=cast.reporter, update=update, uploads=[pdf()])
    assert update.evidence.count() == 1


def test_an_update_holds_at_most_twenty_files(cast, item):
    update = write(cast, item, submit=False, uploads=[png(f"{n}.png") for n in range(20)])
    with pytest.raises(DomainError) as refused:
        services.evidence_add(acting_user=cast.sub_reporter, update=update, uploads=[png()])
    assert refused.value.code == "evidence_count"
    assert update.evidence.count() == 20


def test_adding_no_file_is_a_clear_error(cast, item):
    update = write(cast, item, submit=False)
    with pytest.raises(DomainError) as refused:
        services.evidence_add(acting_user=cast.sub_reporter, update=update, uploads=[])
    assert "file" in refused.value.fields


# --- downloads -------------------------------------------------------------------------------


@pytest.fixture
def stored(cast, item):
    return write(cast, item, uploads=[pdf("整改报告.pdf")]).evidence.get()


@pytest.mark.parametrize(
    "username", ["sub_reporter", "reporter", "group_reviewer", "analyst", "leader", "auditor"]
)
def test_whoever_may_read_the_item_downloads_its_evidence_and_it_is_audited(
    cast, stored, login, username
):
    response = login(getattr(cast, username)).get(f"/ledgers/evidence/{stored.id}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (root() / stored.stored_path).read_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A.pdf" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="download")
    assert (event.actor_name, event.object_id) == (username, str(stored.id))
    assert event.enterprise_id == cast.a1.id and event.after["sha256"] == stored.sha256


@pytest.mark.parametrize("username", ["outsider", "dl_analyst", "sysadmin", "secadmin"])
def test_nobody_else_downloads_it_and_nothing_is_audited(cast, stored, login, username):
    response = login(getattr(cast, username)).get(f"/ledgers/evidence/{stored.id}/")
    assert response.status_code in (403, 404)
    if username in ("outsider", "dl_analyst"):
        assert response.status_code == 404  # as for no such file
    assert not AuditEvent.objects.filter(action="download").exists()


def test_anonymous_users_are_sent_to_sign_in(client, stored):
    response = client.get(f"/ledgers/evidence/{stored.id}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_file_missing_from_the_store_is_a_404_not_a_crash(cast, stored, login):
    (root() / stored.stored_path).unlink()
    response = login(cast.analyst).get(f"/ledgers/evidence/{stored.id}/")
    assert response.status_code == 404


# --- the sweep of files no row names ---------------------------------------------------------


def test_the_sweep_deletes_old_orphans_only(cast, item):
    kept = write(cast, item, uploads=[pdf()]).evidence.get()
    folder = root() / str(item.id)
    orphan, fresh, part = folder / "orphan.pdf", folder / "fresh.pdf", folder / ".x.part"
    for path in (orphan, fresh, part):
        path.write_bytes(b"%PDF-1.4")
    stale = (timezone.now() - timedelta(days=2)).timestamp()
    for path in (orphan, part, root() / kept.stored_path):
        os.utime(path, (stale, stale))
    empty = root() / "999999"
    empty.mkdir()
    os.utime(empty, (stale, stale))
    assert services.evidence_sweep() == {"deleted": 2}
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["fresh.pdf", kept.stored_path.split("/")[1]]
    )
    assert not empty.exists()


def test_the_sweep_runs_every_night():
    entry = next(entry for entry in SCHEDULE if entry.name == "ledger_evidence_sweep")
    assert entry.task is evidence_sweep_job
