"""The legacy-problem workbook: its columns (shared by the export and the import, so an exported
file can be edited and imported again) and the export."""

from typing import BinaryIO

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.ledgers.imports import DUE_DATE, OWNER, RESPONSIBLE, SOURCE, TITLE
from guozi.ledgers.sheets import Column, write_sheet
from guozi.lib import clock

from .models import LABELS, LegacyProblem

NUMBER = Column("id", gettext_lazy("No."), aliases=("编号", "序号", "item", "item_id"), width=7)
OWNER_NAME = Column("owner_name", gettext_lazy("Enterprise name"), aliases=("企业名称",), width=30)
DESCRIPTION = Column(
    "description",
    gettext_lazy("The problem and what is to be done"),
    aliases=("description", "问题描述", "描述"),
    width=40,
)
STATUS = Column("status", gettext_lazy("Status"), aliases=("状态",), width=12)
PROGRESS = Column("progress", gettext_lazy("Progress (%)"), aliases=("进度",), width=8)
FIELD_ALIASES = {
    "kind": ("类型", "问题类型"),
    "sub_kind": ("子类型", "移交类别", "处置方式"),
    "households_total": ("户数", "涉及户数"),
    "households_done": ("已移交户数",),
    "people_total": ("人数", "涉及人数"),
    "people_done": ("已移交人数", "已安置人数"),
    "amount_total": ("总费用", "总费用(元)", "费用(元)"),
    "amount_done": ("已支付", "已支付(元)", "已拨付(元)"),
    "receiving_party": ("接收单位", "接收方"),
    "planned_on": ("计划完成日期", "计划移交日期"),
    "done_on": ("实际完成日期", "实际移交日期"),
    "plan_text": ("实施方案", "方案"),
    "closure_text": ("完成情况",),
}
WIDTHS = {"plan_text": 40, "closure_text": 40, "receiving_party": 24, "kind": 24}
FIELD_COLUMNS = tuple(
    Column(name, label, aliases=FIELD_ALIASES[name], width=WIDTHS.get(name, 12))
    for name, label in LABELS.items()
)
# Filled in by the export for the reader; the import leaves them alone.
READ_ONLY = ("owner_name", "status", "progress")
COLUMNS = (
    NUMBER,
    OWNER,
    OWNER_NAME,
    TITLE,
    DESCRIPTION,
    SOURCE,
    DUE_DATE,
    RESPONSIBLE,
    STATUS,
    PROGRESS,
    *FIELD_COLUMNS,
)
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(problem: LegacyProblem) -> list:
    item = problem.item
    return [
        item.id,
        item.owner.identifier,
        item.owner.name,
        item.title,
        item.description,
        item.source,
        item.due_date,
        item.responsible_name,
        item.get_status_display(),
        item.progress,
        problem.get_kind_display(),
        problem.get_sub_kind_display() if problem.sub_kind else "",
        problem.households_total,
        problem.households_done,
        problem.people_total,
        problem.people_done,
        problem.amount_total,
        problem.amount_done,
        problem.receiving_party,
        problem.planned_on,
        problem.done_on,
        problem.plan_text,
        problem.closure_text,
    ]


def export_problems(problems: QuerySet[LegacyProblem], stream: BinaryIO, stamp: str = "") -> int:
    """The problems as a workbook in the user's language; returns the rows written."""
    rows = (_row(problem) for problem in problems.iterator(chunk_size=2000))
    return write_sheet(stream, _("Legacy problems"), list(COLUMNS), rows, stamp)


def file_name() -> str:
    return f"legacy-problems-{clock.today().isoformat()}.xlsx"
