"""The register's workbook: one row per project and year (a project without years has one row
with the year left empty). The same columns are read back by `imports.py`, headers in either
language, so an exported file can be corrected and imported again."""

from typing import BinaryIO

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.ledgers.models import TrackedItem
from guozi.ledgers.sheets import Column, write_sheet

from . import rules
from .selectors import years_of

COLUMNS = [
    Column("id", gettext_lazy("No."), aliases=("项目编号", "number"), width=7),
    Column("title", gettext_lazy("Project title"), required=True, aliases=("项目名称",), width=40),
    Column(
        "owner",
        gettext_lazy("Owner identifier"),
        required=True,
        aliases=("统一社会信用代码", "uscc", "owner uscc"),
        width=22,
    ),
    Column("owner_name", gettext_lazy("Owner enterprise"), aliases=("承担企业",), width=30),
    Column("tech_field", gettext_lazy("Technology field"), required=True, aliases=("field",)),
    Column("kind", gettext_lazy("Project kind"), required=True, aliases=("项目类型",)),
    Column("start_year", gettext_lazy("Start year"), required=True, width=8),
    Column("end_year", gettext_lazy("End year"), required=True, width=8),
    Column("total_budget", gettext_lazy("Total budget (yuan)"), required=True, width=16),
    Column(
        "due_date",
        gettext_lazy("Planned completion"),
        required=True,
        aliases=("due date", "计划完成日期"),
        width=12,
    ),
    Column("responsible_name", gettext_lazy("Responsible person"), aliases=("负责人",)),
    Column("status", gettext_lazy("Status")),
    Column("year", gettext_lazy("Year"), required=True, aliases=("年度",), width=7),
    Column("budget", gettext_lazy("Budget of the year (yuan)"), required=True, width=16),
    Column("spend", gettext_lazy("Spend of the year (yuan)"), required=True, width=16),
]
# Shown in the export for the reader; an import does not change them.
EXPORT_ONLY = ("owner_name", "status")


def _amount(fen: int | None):
    return None if fen is None else rules.yuan(fen)


def project_rows(items: QuerySet[TrackedItem]):
    """The rows of the workbook, in column order."""
    items = list(items)
    years = years_of(items)
    for item in items:
        project = getattr(item, "rd_project", None)
        head = [
            item.id,
            item.title,
            item.owner.identifier,
            item.owner.name,
            project.get_tech_field_display() if project else "",
            project.get_kind_display() if project else "",
            project.start_year if project else None,
            project.end_year if project else None,
            _amount(project.total_budget_fen) if project else None,
            item.due_date,
            item.responsible_name,
            item.get_status_display(),
        ]
        rows = years.get(item.id, [])
        if not rows:
            yield [*head, None, None, None]
        for row in rows:
            yield [*head, row.year, _amount(row.budget_fen), _amount(row.spend_fen)]


def export_projects(items: QuerySet[TrackedItem], stream: BinaryIO, stamp: str = "") -> int:
    return write_sheet(stream, _("R&D projects"), COLUMNS, project_rows(items), stamp)
