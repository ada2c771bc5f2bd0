"""Production-safety incidents (生产安全事故): a tracked item of the safety-incident register, whose
lifecycle is the handling of the incident (investigation, rectification of its causes, closure
by the supervisor's verification), plus the incident's own facts and every report of it.

An incident is reported first (首报) and re-reported (补报) when its casualty figures change
within 30 days of the day it happened, 7 days for road traffic and fire (条例 Art. 13). Every
report is kept as a version with the grade computed on its figures; the incident points at the
latest one, which statistics and the item's title read. A change after the window is kept as a
correction (更正), with its reason, and flagged as late.

Money is stored in integer fen, as everywhere in Guozi.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guozi.ledgers.models import TrackedItem
from guozi.lib.models import TimeStampedModel

from .grading import Grade

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000


class IncidentType(models.TextChoices):
    # Article 13's shorter window for 道路交通 applies to this type.
    ROAD_TRAFFIC = "road_traffic", pgettext_lazy("incident type", "Road transport")
    FIRE = "fire", pgettext_lazy("incident type", "Fire")
    MINING = "mining", pgettext_lazy("incident type", "Mining")
    HAZARDOUS_CHEMICALS = (
        "hazardous_chemicals",
        pgettext_lazy("incident type", "Hazardous chemicals"),
    )
    CONSTRUCTION = "construction", pgettext_lazy("incident type", "Construction")
    INDUSTRY_TRADE = "industry_trade", pgettext_lazy("incident type", "Industry and trade")
    WATER_TRANSPORT = "water_transport", pgettext_lazy("incident type", "Water transport")
    SPECIAL_EQUIPMENT = "special_equipment", pgettext_lazy("incident type", "Special equipment")
    OTHER = "other", pgettext_lazy("incident type", "Other")


class IncidentGrade(models.TextChoices):
    """Article 3's grades, highest first; the values are `grading.Grade`'s."""

    ESPECIALLY_SERIOUS = (
        Grade.ESPECIALLY_SERIOUS.value,
        pgettext_lazy("incident grade", "Especially serious"),
    )
    MAJOR = Grade.MAJOR.value, pgettext_lazy("incident grade", "Major")
    SERIOUS = Grade.SERIOUS.value, pgettext_lazy("incident grade", "Serious")
    GENERAL = Grade.GENERAL.value, pgettext_lazy("incident grade", "General")


class ReportKind(models.TextChoices):
    INITIAL = "initial", pgettext_lazy("incident report", "Initial report")
    SUPPLEMENTARY = "supplementary", pgettext_lazy("incident report", "Supplementary report")
    CORRECTION = "correction", pgettext_lazy("incident report", "Late correction")


class Incident(TimeStampedModel):
    """The facts of one incident; the enterprise is the item's owner."""

    item = models.OneToOneField(
        TrackedItem, on_delete=models.CASCADE, related_name="safety_incident"
    )
    number = models.CharField(_("incident number"), max_length=24, unique=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    incident_type = models.CharField(
        _("incident type"), max_length=24, choices=IncidentType.choices
    )
    place = models.CharField(_("place"), max_length=200)
    description = models.TextField(_("what happened"), blank=True)
    # The latest report: its figures and grade are the incident's.
    latest = models.OneToOneField(
        "IncidentReport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("latest report"),
    )

    class Meta:
        verbose_name = _("safety incident")
        verbose_name_plural = _("safety incidents")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["occurred_at"], name="safety_incident_occurred")]

    def __str__(self) -> str:
        return self.number


class IncidentReport(models.Model):
    """One version of an incident's figures, as reported; never changed once written."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reports")
    version = models.PositiveSmallIntegerField(_("version"))
    kind = models.CharField(_("kind of report"), max_length=14, choices=ReportKind.choices)
    reported_at = models.DateTimeField(_("reported at"))
    deaths = models.PositiveIntegerField(_("deaths"))
    serious_injuries = models.PositiveIntegerField(
        _("serious injuries"), help_text=_("acute industrial poisoning included")
    )
    direct_loss_fen = models.BigIntegerField(_("direct economic loss (fen)"))
    grade = models.CharField(_("grade"), max_length=20, choices=IncidentGrade.choices)
    # The criteria that gave the grade, e.g. ["deaths", "direct_loss"].
    graded_by = models.JSONField(_("graded by"), default=list)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("reported by"),
    )
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("incident report")
        verbose_name_plural = _("incident reports")
        ordering = ["incident_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "version"], name="safety_report_version_once"
            ),
            models.CheckConstraint(
                condition=Q(direct_loss_fen__gte=0), name="safety_report_loss_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(deaths__gt=0) | Q(serious_injuries__gt=0) | Q(direct_loss_fen__gt=0),
                name="safety_report_is_an_incident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} v{self.version}"

    @property
    def direct_loss(self) -> Decimal:
        """In yuan, to the fen."""
        return Decimal(self.direct_loss_fen).scaleb(-2)

    @property
    def direct_loss_wan(self) -> Decimal:
        """In 万元, as reports state it."""
        return Decimal(self.direct_loss_fen) / FEN_PER_WAN

    @property
    def late(self) -> bool:
        return self.kind == ReportKind.CORRECTION
