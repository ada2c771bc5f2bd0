"""The key R&D and core-technology project register (重点研发及关键核心技术攻关项目台账).

A project is a tracked item of register `rd_project` (owner, responsible person, planned
completion as the due date, milestones, updates, verification: the ledgers' one lifecycle) with
one `RdProject` row for its own figures: technology field, kind, start and end year, total
budget. Each year of the project has an `RdYear` row (budget and spend of that year); each
result (patent, standard, product, software copyright, paper) an `RdOutcome` row.

Money is stored as whole fen (1 元 = 100 fen) in integer columns, exact on every database; the
services and the API speak in 元 as `Decimal`.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guozi.ledgers.models import TrackedItem

from .rules import FIRST_YEAR, LAST_YEAR, yuan


class TechField(models.TextChoices):
    NEW_MATERIALS = "new_materials", _("New materials")
    HIGH_END_EQUIPMENT = "high_end_equipment", _("High-end equipment")
    NEW_ENERGY = "new_energy", _("New energy")
    DIGITAL = "digital", _("Digital technology and ICT")
    BIOMEDICINE = "biomedicine", _("Biomedicine")
    ENERGY_SAVING = "energy_saving", _("Energy saving and environmental protection")
    OTHER = "other", pgettext_lazy("technology field", "Other")


class ProjectKind(models.TextChoices):
    KEY_CORE = "key_core", _("Key core technology tackling (卡脖子)")
    PRODUCT = "product", _("Product development")
    PROCESS = "process", _("Process upgrade")
    PLATFORM = "platform", _("Innovation platform")


class RdProject(models.Model):
    """The register's own fields of one R&D project item."""

    item = models.OneToOneField(TrackedItem, on_delete=models.CASCADE, related_name="rd_project")
    tech_field = models.CharField(_("technology field"), max_length=24, choices=TechField.choices)
    kind = models.CharField(_("project kind"), max_length=16, choices=ProjectKind.choices)
    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"))
    total_budget_fen = models.BigIntegerField(_("total budget (fen)"))

    class Meta:
        verbose_name = _("R&D project")
        verbose_name_plural = _("R&D projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(total_budget_fen__gte=0), name="rnd_project_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(start_year__gte=FIRST_YEAR)
                & Q(end_year__lte=LAST_YEAR)
                & Q(start_year__lte=models.F("end_year")),
                name="rnd_project_years",
            ),
        ]
        indexes = [models.Index(fields=["start_year", "end_year"], name="rnd_project_years")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.get_tech_field_display()}"

    @property
    def total_budget(self) -> Decimal:
        return yuan(self.total_budget_fen)

    def years_span(self) -> range:
        return range(self.start_year, self.end_year + 1)


class RdYear(models.Model):
    """One year of a project: its budget and what was spent (None until it is recorded)."""

    project = models.ForeignKey(RdProject, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    budget_fen = models.BigIntegerField(_("budget (fen)"))
    spend_fen = models.BigIntegerField(_("spend (fen)"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("project year")
        verbose_name_plural = _("project years")
        ordering = ["project_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="rnd_year_once"),
            models.CheckConstraint(
                condition=Q(budget_fen__gte=0) & (Q(spend_fen__isnull=True) | Q(spend_fen__gte=0)),
                name="rnd_year_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}"

    @property
    def budget(self) -> Decimal:
        return yuan(self.budget_fen)

    @property
    def spend(self) -> Decimal | None:
        return yuan(self.spend_fen)

    @property
    def over_budget(self) -> bool:
        """Spent more than budgeted that year: allowed, but flagged for a question."""
        return self.spend_fen is not None and self.spend_fen > self.budget_fen


class OutcomeKind(models.TextChoices):
    PATENT = "patent", _("Patent")
    STANDARD = "standard", _("Standard")
    PRODUCT = "product", _("New product")
    SOFTWARE = "software", _("Software copyright")
    PAPER = "paper", _("Paper")


class StandardLevel(models.TextChoices):
    INTERNATIONAL = "international", _("International standard")
    NATIONAL = "national", _("National standard")
    INDUSTRY = "industry", _("Industry standard")
    GROUP = "group", _("Association standard")


class RdOutcome(models.Model):
    """A result of a project: a patent (with its number), a standard (number and level), a new
    product, a software copyright or a paper."""

    project = models.ForeignKey(RdProject, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(_("kind of outcome"), max_length=10, choices=OutcomeKind.choices)
    title = models.CharField(_("title"), max_length=300)
    identifier = models.CharField(_("number"), max_length=60, blank=True)
    achieved_on = models.DateField(_("date"))
    level = models.CharField(_("level"), max_length=14, choices=StandardLevel.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("project outcome")
        verbose_name_plural = _("project outcomes")
        ordering = ["project_id", "achieved_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "identifier"],
                condition=~Q(identifier=""),
                name="rnd_outcome_number_once",
            ),
            models.CheckConstraint(
                condition=Q(kind="standard", level__gt="") | (~Q(kind="standard") & Q(level="")),
                name="rnd_outcome_level_of_standards",
            ),
        ]

    def __str__(self) -> str:
        return self.title
