"""Ledger fixtures on the common cast (guozi/conftest.py).

The usual item is a rectification of A1 (辽钢板材): its reporters are `sub_reporter` (at A1) and
`reporter` (at the group A above it), its reviewer `group_reviewer` (at A); the Liaoning
analysts and reviewers open and verify it; `outsider` (port group B) cannot see it.
"""

import io
import zipfile
from datetime import date, timedelta

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from guozi.ledgers import services
from guozi.ledgers.demo import demo_pdf
from guozi.ledgers.models import Register

TODAY = date(2026, 8, 28)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Evidence files go to a fresh data directory per test."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def open_item(cast, *, owner=None, by=None, **fields):
    values = {
        "register": Register.RECTIFICATION,
        "owner": owner or cast.a1,
        "title": "应收账款坏账准备计提不足",
        "due_date": TODAY + timedelta(days=30),
        "responsible_name": "王磊",
    }
    values.update(fields)
    return services.item_create(acting_user=by or cast.analyst, **values)


@pytest.fixture
def item(cast):
    return open_item(cast)


def write(cast, item, *, by=None, progress=40, submit=True, **fields):
    return services.item_update_add(
        acting_user=by or cast.sub_reporter,
        item=item,
        text=fields.pop("text", "已完成逐笔核查"),
        progress=progress,
        submit=submit,
        **fields,
    )


def approved(cast, item, progress=40, **fields):
    update = write(cast, item, progress=progress, **fields)
    return services.item_update_approve(acting_user=cast.group_reviewer, update=update)


def pdf(name="整改报告.pdf", content=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or demo_pdf("test"), "application/pdf")


def png(name="现场照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")


def docx(name="整改方案.docx", members=("[Content_Types].xml", "word/document.xml")):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for member in members:
            archive.writestr(member, "<xml/>")
    return SimpleUploadedFile(name, stream.getvalue())


def xlsx(name="台账.xlsx") -> SimpleUploadedFile:
    stream = io.BytesIO()
    workbook = xlsxwriter.Workbook(stream, {"in_memory": True})
    workbook.add_worksheet().write(0, 0, "整改")
    workbook.close()
    return SimpleUploadedFile(name, stream.getvalue())
