"""The supply-chain workbook: one row per input and supplier, the same columns for the export
and the import (headers in either language), so an exported list can be edited and imported
again. The columns after the supplier's are written by the export and ignored by the import:
the concentration and the flags are always computed from the suppliers."""

from decimal import Decimal
from typing import BinaryIO

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from guozi.ledgers.sheets import CONTENT_TYPE, Column, write_sheet

from .models import FLAG_LABELS, SupplyInput
from .selectors import with_sources

__all__ = ["CONTENT_TYPE", "COLUMNS", "column_names", "export_inputs"]

# Headers are translated in a context of their own, so that a workbook's headers stay as they
# are whatever other pages call the same words.
COLUMNS = [
    Column("enterprise", pgettext_lazy("supply column", "Enterprise identifier"),
           required=True, width=22, aliases=("owner", "企业统一社会信用代码", "企业标识")),
    Column("enterprise_name", pgettext_lazy("supply column", "Enterprise name"), width=28),
    Column("input", pgettext_lazy("supply column", "Input"), required=True, width=18),
    Column("category", pgettext_lazy("supply column", "Category"), required=True, width=12),
    Column("criticality", pgettext_lazy("supply column", "Criticality"), width=10),
    Column("domestic_alternative",
           pgettext_lazy("supply column", "Domestic alternative available"),
           required=True, width=10, aliases=("国内替代",)),
    Column("annual_spend", pgettext_lazy("supply column", "Annual spend (10,000 yuan)"),
           aliases=("年采购额(万元)",)),
    Column("annual_volume", pgettext_lazy("supply column", "Annual volume")),
    Column("volume_unit", pgettext_lazy("supply column", "Unit of the volume"), width=8,
           aliases=("单位",)),
    Column("supplier", pgettext_lazy("supply column", "Supplier"), width=30,
           aliases=("供应商名称",)),
    Column("supplier_uscc", pgettext_lazy("supply column", "Supplier USCC"), width=22),
    Column("country", pgettext_lazy("supply column", "Country or region"), width=8,
           aliases=("国别",)),
    Column("share", pgettext_lazy("supply column", "Share of supply (%)"), width=10,
           aliases=("份额(%)",)),
    Column("due_date", pgettext_lazy("supply column", "Mitigation due"), width=11),
    Column("responsible", pgettext_lazy("supply column", "Responsible person"), width=14),
    Column("plan", pgettext_lazy("supply column", "Mitigation plan"), width=30),
    # Written by the export, ignored by the import.
    Column("item", pgettext_lazy("supply column", "No."), width=8),
    Column("status", pgettext_lazy("supply column", "Status"), width=12),
    Column("hhi", pgettext_lazy("supply column", "HHI"), width=8),
    Column("band", pgettext_lazy("supply column", "Concentration"), width=14),
    Column("flags", pgettext_lazy("supply column", "Flags"), width=30),
]  # fmt: skip
IGNORED_ON_IMPORT = ("enterprise_name", "item", "status", "hhi", "band", "flags")


def column_names() -> list[str]:
    return [str(column.label) for column in COLUMNS]


def _wan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen) / 1_000_000


def _input_cells(supply_input: SupplyInput) -> list:
    return [
        supply_input.owner.identifier,
        supply_input.owner.name,
        supply_input.name,
        supply_input.get_category_display(),
        supply_input.get_criticality_display(),
        supply_input.domestic_alternative,
        _wan(supply_input.annual_spend_fen),
        supply_input.annual_volume,
        supply_input.volume_unit,
    ]


def _item_cells(supply_input: SupplyInput) -> list:
    item = supply_input.item
    return [
        item.due_date,
        item.responsible_name,
        item.attributes.get("plan", ""),
        item.id,
        item.get_status_display(),
        None if supply_input.hhi is None else round(supply_input.hhi),
        supply_input.get_band_display() or _("No suppliers recorded"),
        "; ".join(str(FLAG_LABELS[flag]) for flag in supply_input.flags),
    ]


def rows(inputs) -> list:
    """The workbook's rows for a page of inputs: one per supplier, one for an input without."""
    for supply_input in with_sources(inputs):
        head, tail = _input_cells(supply_input), _item_cells(supply_input)
        suppliers = supply_input.source_list or [None]
        for source in suppliers:
            if source is None:
                yield [*head, "", "", "", None, *tail]
            else:
                yield [
                    *head,
                    source.supplier_name,
                    source.uscc,
                    source.country,
                    source.share,
                    *tail,
                ]


def export_inputs(
    inputs: QuerySet[SupplyInput], stream: BinaryIO, chunk: int = 500, stamp: str = ""
) -> int:
    """Write the inputs' rows to `stream`; returns the number of rows written."""

    def chunks():
        ordered = inputs.select_related("item", "owner")
        for start in range(0, ordered.count(), chunk):
            yield from rows(ordered[start : start + chunk])

    return write_sheet(stream, _("Supply inputs"), COLUMNS, chunks(), stamp)
