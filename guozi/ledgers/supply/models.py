"""The supply-chain register (供应链台账): an enterprise's key inputs and where they come from.

A key input is a tracked item of register `Register.SUPPLY_INPUT`: its lifecycle is the
mitigation of the dependency (plan, responsible person, due date, updates, verification). Its
own figures live here: `SupplyInput` (one per item) and its `SupplySource` rows, one per
supplier with its share of the supply. The concentration and the risk flags
(`concentration.assess`) are stored on the input whenever its sources change, so lists filter
and sort on them without recomputing.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guozi.ledgers.models import TrackedItem
from guozi.lib.models import TimeStampedModel

from . import concentration


class Category(models.TextChoices):
    RAW_MATERIAL = "raw_material", _("Raw material")
    ENERGY = "energy", _("Energy")
    KEY_COMPONENT = "key_component", _("Key component")
    EQUIPMENT = "equipment", _("Equipment")
    SOFTWARE_IT = "software_it", _("Software and IT")
    SERVICE = "service", _("Service")


class Criticality(models.TextChoices):
    CRITICAL = "critical", pgettext_lazy("criticality", "Critical")  # production stops
    IMPORTANT = "important", pgettext_lazy("criticality", "Important")  # production is cut
    GENERAL = "general", pgettext_lazy("criticality", "General")  # bridged for months


class Band(models.TextChoices):
    UNCONCENTRATED = concentration.UNCONCENTRATED, _("Unconcentrated")
    MODERATE = concentration.MODERATE, _("Moderately concentrated")
    HIGH = concentration.HIGH, _("Highly concentrated")


class Coverage(models.TextChoices):
    COMPLETE = concentration.COMPLETE, _("Shares add up to 100%")
    SHORT = concentration.SHORT, _("Shares add up to less than 100%")
    OVER = concentration.OVER, _("Shares add up to more than 100%")


FLAG_LABELS = {
    "single_source": _("Single source"),
    "import_dependent": _("Import-dependent"),
    "no_domestic_alternative": _("No domestic alternative"),
    "highly_concentrated": _("Highly concentrated"),
}


class SupplyInput(TimeStampedModel):
    item = models.OneToOneField(
        TrackedItem, on_delete=models.CASCADE, related_name="supply_input", verbose_name=_("item")
    )
    # The item's owner, kept here too so that one enterprise names an input once.
    owner = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # supply_input_owner_name, below
        verbose_name=_("enterprise"),
    )
    name = models.CharField(_("input"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    criticality = models.CharField(
        _("criticality"), max_length=12, choices=Criticality.choices, default=Criticality.IMPORTANT
    )
    # Exact money: whole fen, entered and shown in 万元.
    annual_spend_fen = models.BigIntegerField(_("annual spend"), null=True, blank=True)
    annual_volume = models.DecimalField(
        _("annual volume"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    volume_unit = models.CharField(_("unit of the volume"), max_length=20, blank=True)
    domestic_alternative = models.BooleanField(_("domestic alternative available"))
    # Derived from the sources (concentration.assess) each time they change.
    supplier_count = models.PositiveSmallIntegerField(_("suppliers"), default=0)
    total_share = models.DecimalField(
        _("shares given (%)"), max_digits=6, decimal_places=2, default=0
    )
    coverage = models.CharField(
        _("coverage"), max_length=10, choices=Coverage.choices, blank=True, default=""
    )
    hhi = models.DecimalField(_("HHI"), max_digits=9, decimal_places=4, null=True, blank=True)
    band = models.CharField(
        _("concentration"), max_length=16, choices=Band.choices, blank=True, default=""
    )
    largest_share = models.DecimalField(
        _("largest share (%)"), max_digits=5, decimal_places=2, default=0
    )
    single_source = models.BooleanField(_("single source"), default=False)
    import_share = models.DecimalField(
        _("share from outside China (%)"), max_digits=6, decimal_places=2, default=0
    )
    import_dependent = models.BooleanField(_("import-dependent"), default=False)

    class Meta:
        verbose_name = _("key supply input")
        verbose_name_plural = _("key supply inputs")
        ordering = ["owner_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="supply_input_owner_name"),
            models.CheckConstraint(
                condition=Q(annual_spend_fen__isnull=True) | Q(annual_spend_fen__gte=0),
                name="supply_input_spend",
            ),
            models.CheckConstraint(
                condition=Q(annual_volume__isnull=True) | Q(annual_volume__gte=0),
                name="supply_input_volume",
            ),
        ]
        indexes = [
            models.Index(fields=["category"], name="supply_input_category"),
            models.Index(fields=["band"], name="supply_input_band"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def no_domestic_alternative(self) -> bool:
        return not self.domestic_alternative

    @property
    def flags(self) -> tuple[str, ...]:
        raised = (
            ("single_source", self.single_source),
            ("import_dependent", self.import_dependent),
            ("no_domestic_alternative", self.no_domestic_alternative),
            ("highly_concentrated", self.band == Band.HIGH),
        )
        return tuple(name for name, on in raised if on)


class SupplySource(models.Model):
    input = models.ForeignKey(SupplyInput, on_delete=models.CASCADE, related_name="sources")
    position = models.PositiveSmallIntegerField()
    supplier_name = models.CharField(_("supplier"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True)  # matching.name_key
    uscc = models.CharField(_("supplier USCC"), max_length=18, blank=True)
    country = models.CharField(_("country or region"), max_length=2)
    share = models.DecimalField(_("share of supply (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("supplier of an input")
        verbose_name_plural = _("suppliers of inputs")
        ordering = ["input_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["input", "position"], name="supply_source_position"),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=100), name="supply_source_share"
            ),
        ]
        indexes = [
            models.Index(fields=["uscc"], condition=~Q(uscc=""), name="supply_source_uscc"),
        ]

    def __str__(self) -> str:
        return self.supplier_name
