"""Legacy problems (历史遗留问题): the register's own figures beside the tracked item.

A legacy problem is a `TrackedItem` of the `legacy_problem` register (plan, responsible person,
due date, updates with evidence approved by the reviewer, verification by the supervisor as its
closure) plus one `LegacyProblem` row: its kind, the figures that apply to that kind, who takes
the function over, the planned and actual dates, and the plan and closure texts. Which figures a
kind needs is stated in `rules.py`.

Amounts are stored as whole fen (分), exact on every database, and shown in yuan.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guozi.ledgers.models import TrackedItem
from guozi.lib.models import TimeStampedModel

from . import rules

FEN_PER_YUAN = 100


class Kind(models.TextChoices):
    THREE_SUPPLIES = rules.THREE_SUPPLIES, _("Water, power, heating and property (三供一业)")
    COLLECTIVE = rules.COLLECTIVE, _("Factory-run collective enterprise reform (厂办大集体)")
    RETIREES = rules.RETIREES, _("Retirees moved to social management")
    ZOMBIE = rules.ZOMBIE, _("Zombie or extremely difficult enterprise (处僵治困)")


class SubKind(models.TextChoices):
    WATER = "water", _("Water supply")
    POWER = "power", _("Power supply")
    HEATING = "heating", _("Heating")
    GAS = "gas", _("Gas supply")
    PROPERTY = "property", _("Property management")
    DEREGISTRATION = "deregistration", _("Liquidation and deregistration")
    BANKRUPTCY = "bankruptcy", _("Bankruptcy")
    RESTRUCTURING = "restructuring", _("Merger or restructuring")
    TURNAROUND = "turnaround", _("Turnaround")


# The register's fields as people read them (amounts in yuan), for forms, sheets and history.
LABELS = {
    "kind": _("Kind"),
    "sub_kind": _("Sub-kind"),
    "households_total": _("Households concerned"),
    "households_done": _("Households handed over"),
    "people_total": _("People concerned"),
    "people_done": _("People handed over or resettled"),
    "amount_total": _("Total cost (yuan)"),
    "amount_done": _("Paid (yuan)"),
    "receiving_party": _("Receiving party"),
    "planned_on": _("Planned handover or closure"),
    "done_on": _("Actual handover or closure"),
    "plan_text": _("Plan"),
    "closure_text": _("Closure"),
}


def fen_of(yuan: Decimal | None) -> int | None:
    return None if yuan is None else int(yuan * FEN_PER_YUAN)


def yuan_of(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


class LegacyProblem(TimeStampedModel):
    item = models.OneToOneField(
        TrackedItem,
        on_delete=models.CASCADE,
        related_name="legacy_problem",
        verbose_name=_("tracked item"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    sub_kind = models.CharField(_("sub-kind"), max_length=16, choices=SubKind.choices, blank=True)
    households_total = models.PositiveIntegerField(_("households concerned"), null=True, blank=True)
    households_done = models.PositiveIntegerField(
        _("households handed over"), null=True, blank=True
    )
    people_total = models.PositiveIntegerField(_("people concerned"), null=True, blank=True)
    people_done = models.PositiveIntegerField(_("people handed over"), null=True, blank=True)
    amount_total_fen = models.BigIntegerField(_("total cost (fen)"), null=True, blank=True)
    amount_done_fen = models.BigIntegerField(_("paid (fen)"), null=True, blank=True)
    receiving_party = models.CharField(_("receiving party"), max_length=200, blank=True)
    planned_on = models.DateField(_("planned handover or closure"), null=True, blank=True)
    done_on = models.DateField(_("actual handover or closure"), null=True, blank=True)
    plan_text = models.TextField(_("plan"), blank=True)
    closure_text = models.TextField(_("closure"), blank=True)

    class Meta:
        verbose_name = _("legacy problem")
        verbose_name_plural = _("legacy problems")
        ordering = ["item_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(households_done__isnull=True)
                | Q(
                    households_total__isnull=False,
                    households_done__lte=models.F("households_total"),
                ),
                name="legacy_households_done",
            ),
            models.CheckConstraint(
                condition=Q(people_done__isnull=True)
                | Q(people_total__isnull=False, people_done__lte=models.F("people_total")),
                name="legacy_people_done",
            ),
            models.CheckConstraint(
                condition=Q(amount_total_fen__isnull=True) | Q(amount_total_fen__gte=0),
                name="legacy_amount_total",
            ),
            models.CheckConstraint(
                condition=Q(amount_done_fen__isnull=True)
                | Q(
                    amount_total_fen__isnull=False,
                    amount_done_fen__gte=0,
                    amount_done_fen__lte=models.F("amount_total_fen"),
                ),
                name="legacy_amount_done",
            ),
        ]
        indexes = [models.Index(fields=["kind", "sub_kind"], name="legacy_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.item_id}"

    @property
    def amount_total(self) -> Decimal | None:
        return yuan_of(self.amount_total_fen)

    @property
    def amount_done(self) -> Decimal | None:
        return yuan_of(self.amount_done_fen)

    def figures(self) -> rules.Figures:
        return rules.Figures(
            kind=self.kind,
            sub_kind=self.sub_kind,
            households_total=self.households_total,
            households_done=self.households_done,
            people_total=self.people_total,
            people_done=self.people_done,
            amount_total=self.amount_total,
            amount_done=self.amount_done,
            receiving_party=self.receiving_party,
            planned_on=self.planned_on,
            done_on=self.done_on,
        )
