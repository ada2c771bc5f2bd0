"""Who is supervised: supervisors, enterprises, equity links and the management tree.

Both structures are effective-dated: `valid_from` is inclusive, `valid_to` exclusive (NULL: open).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from guozi.lib.models import TimeStampedModel, pick_language


class OwnershipLevel(models.TextChoices):
    CENTRAL = "central", _("Central")
    PROVINCIAL = "provincial", _("Provincial")
    MUNICIPAL = "municipal", _("Municipal")
    COUNTY = "county", _("County")


class Supervisor(TimeStampedModel):
    """A state-asset supervisor (国资委 / 出资人); supervisors form a tree."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    region_code = models.CharField(_("region"), max_length=6)
    level = models.CharField(_("level"), max_length=12, choices=OwnershipLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        verbose_name = _("supervisor")
        verbose_name_plural = _("supervisors")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en, get_language())


class FunctionClass(models.Model):
    """A functional class (功能分类) from a supervisor's own effective-dated list."""

    supervisor = models.ForeignKey(Supervisor, on_delete=models.CASCADE, related_name="classes")
    code = models.SlugField(_("code"), max_length=40)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("functional class")
        verbose_name_plural = _("functional classes")
        ordering = ["supervisor_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["supervisor", "code"], name="function_class_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en, get_language())


class EnterpriseStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("enterprise status", "Active")
    MERGED = "merged", _("Merged")
    DEREGISTERED = "deregistered", _("Deregistered")


class Portfolio(models.TextChoices):
    OWN = "own", _("In the portfolio")
    OBSERVED = "observed", _("Observed only")


class Enterprise(TimeStampedModel):
    """One legal entity: a USCC at home, a foreign registration number abroad."""

    uscc = models.CharField(_("USCC"), max_length=18, null=True, blank=True, unique=True)
    foreign_reg_no = models.CharField(_("foreign registration number"), max_length=60, blank=True)
    foreign_country = models.CharField(_("country"), max_length=2, blank=True)
    # No index on the names: search goes through `search_text`, and nothing looks a name up
    # or sorts by it over the whole registry.
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    # Lower-case names, full pinyin and pinyin initials, for one LIKE search.
    search_text = models.TextField(editable=False, default="")
    supervisor = models.ForeignKey(
        Supervisor,
        on_delete=models.PROTECT,
        related_name="enterprises",
        verbose_name=_("supervisor"),
    )
    region_code = models.CharField(_("region"), max_length=6, blank=True)
    city_code = models.CharField(_("city"), max_length=6, blank=True, db_index=True)
    industry_code = models.CharField(_("industry"), max_length=5, blank=True)
    industry_section = models.CharField(max_length=1, blank=True, db_index=True, editable=False)
    function_class = models.ForeignKey(
        FunctionClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("functional class"),
    )
    ownership_level = models.CharField(
        _("ownership level"), max_length=12, choices=OwnershipLevel.choices
    )
    listed_codes = models.CharField(_("listed stock codes"), max_length=200, blank=True)
    main_business = models.TextField(_("main business"), blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=14, choices=EnterpriseStatus.choices, default="active"
    )
    status_on = models.DateField(_("status since"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="absorbed",
        db_index=False,  # enterprise_merged_into, below
    )
    portfolio = models.CharField(
        _("portfolio"), max_length=10, choices=Portfolio.choices, default="own"
    )

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uscc__isnull=False) | ~Q(foreign_reg_no=""),
                name="enterprise_has_identifier",
            ),
            models.UniqueConstraint(
                fields=["foreign_country", "foreign_reg_no"],
                condition=~Q(foreign_reg_no=""),
                name="enterprise_foreign_reg_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["supervisor", "status"], name="enterprise_sup_status"),
            # Set on merged enterprises only, and only ever looked up by a value: the others
            # stay out.
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="enterprise_merged_into",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en, get_language())

    @property
    def identifier(self) -> str:
        if self.uscc:
            return self.uscc
        return f"{self.foreign_country}:{self.foreign_reg_no}"


class ManagementLink(models.Model):
    """The management tree: one consolidating parent per enterprise at any date.

    A group's parent is its supervisor (`parent_supervisor`); everyone else's is an enterprise.
    """

    # Each key is the first column of one of the indexes below, which serve its lookups.
    child = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="parent_links", db_index=False
    )
    parent = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="child_links",
        db_index=False,
    )
    parent_supervisor = models.ForeignKey(
        Supervisor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_links",
        db_index=False,
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("management link")
        verbose_name_plural = _("management links")
        constraints = [
            models.CheckConstraint(
                condition=(Q(parent__isnull=False) & Q(parent_supervisor__isnull=True))
                | (Q(parent__isnull=True) & Q(parent_supervisor__isnull=False)),
                name="management_link_one_parent",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="management_link_dates",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("child")), name="management_link_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["parent", "valid_from"], name="mlink_parent_from"),
            models.Index(fields=["child", "valid_from"], name="mlink_child_from"),
            # Groups' links only, the ones looked up by supervisor: a link to a parent
            # enterprise stays out.
            models.Index(
                fields=["parent_supervisor", "valid_from"],
                condition=Q(parent_supervisor__isnull=False),
                name="mlink_sup_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent or self.parent_supervisor} → {self.child}"


class PartyKind(models.TextChoices):
    STATE = "state", _("State-owned")
    NON_STATE = "non_state", _("Non-state")


class OutsideParty(TimeStampedModel):
    """A holder outside the registry: a social-security fund, private investors, the float."""

    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=PartyKind.choices)

    class Meta:
        verbose_name = _("outside party")
        verbose_name_plural = _("outside parties")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en, get_language())


class EquityLink(models.Model):
    """Who holds what: holder → held, with %, effective-dated; several holders allowed."""

    # Each holder is indexed below: `held` and `holder_enterprise` as the first columns of
    # composite indexes, the other holders only where they are set.
    held = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="holder_links", db_index=False
    )
    holder_enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holdings",
        db_index=False,
    )
    holder_supervisor = models.ForeignKey(
        Supervisor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holdings",
        db_index=False,
    )
    holder_party = models.ForeignKey(
        OutsideParty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holdings",
        db_index=False,
    )
    pct = models.DecimalField(_("ownership %"), max_digits=7, decimal_places=4)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("equity link")
        verbose_name_plural = _("equity links")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(holder_enterprise__isnull=False, holder_supervisor__isnull=True)
                    & Q(holder_party__isnull=True)
                )
                | (
                    Q(holder_enterprise__isnull=True, holder_supervisor__isnull=False)
                    & Q(holder_party__isnull=True)
                )
                | (
                    Q(holder_enterprise__isnull=True, holder_supervisor__isnull=True)
                    & Q(holder_party__isnull=False)
                ),
                name="equity_link_one_holder",
            ),
            models.CheckConstraint(
                condition=Q(pct__gte=0) & Q(pct__lte=100), name="equity_link_pct_range"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="equity_link_dates",
            ),
        ]
        indexes = [
            models.Index(fields=["held", "valid_from"], name="equity_held_from"),
            models.Index(fields=["holder_enterprise", "valid_from"], name="equity_holder_from"),
            models.Index(
                fields=["holder_supervisor"],
                condition=Q(holder_supervisor__isnull=False),
                name="equity_holder_supervisor",
            ),
            models.Index(
                fields=["holder_party"],
                condition=Q(holder_party__isnull=False),
                name="equity_holder_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder} {self.pct}% → {self.held}"

    @property
    def holder(self):
        return self.holder_enterprise or self.holder_supervisor or self.holder_party

    @property
    def holder_kind(self) -> str:
        if self.holder_enterprise_id:
            return "enterprise"
        if self.holder_supervisor_id:
            return "supervisor"
        return "party"
