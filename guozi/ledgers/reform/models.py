"""The reform programme register: task catalogues, assignments, measures and monthly snapshots.

A catalogue (`Catalogue`, loaded from `guozi/frameworks/reform/*.yaml`, versioned) names a
programme's task areas, its tasks with weight, target and deadline, and its milestones.

An assignment is a tracked item of the `reform_task` register for one enterprise (its status,
progress, due date and history live on the item, through the ledger services) plus one
`ReformTask` row with the reform's own figures: programme, area, catalogue task (none for the
supervisor's own tasks), weight and target. The task's measures are the item's milestones; an
enterprise may propose more (`MeasureProposal`), which the supervisor accepts or declines.

Snapshots keep, per month end, the completion figures per enterprise, programme and area
(`EnterpriseSnapshot`, a row only for a month whose figures differ from the month before) and
the same summed per supervisor, city and group (`RollupSnapshot`, one row per month), so the
progress curve since 2020 reads a few hundred rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from guozi.lib.models import TimeStampedModel, pick_language


class Named(models.Model):
    name_zh = models.CharField(_("Chinese name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en, get_language())


class Catalogue(Named, TimeStampedModel):
    """One version of a programme's task catalogue (e.g. the Three-Year Action, 2020.1)."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.CharField(_("version"), max_length=20)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    illustrative = models.BooleanField(default=False)
    definition = models.JSONField(_("definition"))
    source = models.CharField(_("source file"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("reform catalogue")
        verbose_name_plural = _("reform catalogues")
        ordering = ["starts_on", "code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="reform_catalogue_version")
        ]


class CatalogueArea(Named):
    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="areas")
    code = models.SlugField(_("code"), max_length=40)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["catalogue_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="reform_area_code")
        ]


class CatalogueTask(Named):
    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="tasks")
    area = models.ForeignKey(CatalogueArea, on_delete=models.CASCADE, related_name="tasks")
    code = models.SlugField(_("code"), max_length=60)
    position = models.PositiveSmallIntegerField()
    weight = models.PositiveSmallIntegerField(_("weight"))
    target_value = models.DecimalField(
        _("target"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    target_unit = models.CharField(_("unit"), max_length=12, blank=True)
    deadline = models.DateField(_("deadline"))
    measures = models.JSONField(_("measures"), default=list)  # [{"zh": ..., "en": ...}]
    illustrative = models.BooleanField(default=False)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["catalogue_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="reform_task_code")
        ]

    def measure_titles(self, language: str | None = None) -> list[str]:
        language = language or get_language()
        return [pick_language(m["zh"], m.get("en", ""), language) for m in self.measures]


class CatalogueMilestone(Named):
    """A milestone of the programme: a share of tasks complete by a date."""

    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="milestones")
    code = models.SlugField(_("code"), max_length=60)
    due_on = models.DateField(_("date"))
    target = models.PositiveSmallIntegerField(_("target (%)"))
    illustrative = models.BooleanField(default=False)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["catalogue_id", "due_on", "code"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="reform_milestone_code")
        ]


class ReformTask(models.Model):
    """The reform's own figures of one assignment; its lifecycle is the tracked item's."""

    item = models.OneToOneField(
        "ledgers.TrackedItem", on_delete=models.CASCADE, primary_key=True, related_name="reform"
    )
    # The item's owner, supervisor and opening day, which never change: copied here so that
    # completion is counted from this table and the item alone.
    owner = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    assigned_on = models.DateField(_("assigned on"))
    catalogue = models.ForeignKey(
        Catalogue, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    programme = models.SlugField(_("programme"), max_length=40)  # the catalogue's code
    area = models.SlugField(_("task area"), max_length=40)
    catalogue_task = models.ForeignKey(
        CatalogueTask,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("catalogue task"),
    )
    weight = models.PositiveSmallIntegerField(_("weight"))
    target_value = models.DecimalField(
        _("target"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    target_unit = models.CharField(_("unit"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("reform task")
        verbose_name_plural = _("reform tasks")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1), name="reform_task_weight"),
        ]
        indexes = [
            models.Index(fields=["owner", "programme"], name="reform_task_owner"),
            models.Index(fields=["supervisor", "programme", "area"], name="reform_task_scope"),
            models.Index(
                fields=["catalogue_task", "owner"],
                condition=Q(catalogue_task__isnull=False),
                name="reform_task_from_catalogue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme}/{self.area} #{self.item_id}"

    @property
    def id(self) -> int:
        """The item's id, which is this row's key (for the audit log and links)."""
        return self.item_id


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("measure", "Proposed")
    ACCEPTED = "accepted", pgettext_lazy("measure", "Accepted")
    DECLINED = "declined", pgettext_lazy("measure", "Declined")


class MeasureProposal(TimeStampedModel):
    """A measure an enterprise proposes under a task; accepted, it becomes a milestone."""

    task = models.ForeignKey(ReformTask, on_delete=models.CASCADE, related_name="proposals")
    title = models.CharField(_("measure"), max_length=200)
    note = models.TextField(_("why"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    proposed_at = models.DateTimeField(_("proposed"))
    state = models.CharField(
        _("state"), max_length=10, choices=ProposalState.choices, default=ProposalState.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    milestone = models.ForeignKey(
        "ledgers.Milestone",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("proposed measure")
        verbose_name_plural = _("proposed measures")
        ordering = ["task_id", "id"]

    def __str__(self) -> str:
        return self.title


class Measures(models.Model):
    """The completion figures of a set of tasks at a month end (abstract)."""

    month = models.DateField()  # the month's last day
    programme = models.SlugField(max_length=40)
    area = models.SlugField(max_length=40)
    tasks = models.PositiveIntegerField(default=0)
    weight = models.BigIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)  # verified by the month end
    weight_done = models.BigIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)  # past the deadline, not verified
    progress = models.BigIntegerField(default=0)  # the sum of the tasks' percent complete
    weighted_progress = models.BigIntegerField(default=0)  # the sum of weight × percent

    class Meta:
        abstract = True


class EnterpriseSnapshot(Measures):
    """An enterprise's figures in a programme's area at a month end, written only for a month
    whose figures differ from the month before: a month without a row has the latest earlier
    row's figures."""

    owner = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "programme", "area", "month"], name="reform_snapshot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.programme}/{self.area} {self.month}"


class CurrentLevel(models.TextChoices):
    AREA = "area", _("Enterprise and area")
    ENTERPRISE = "enterprise", _("Enterprise")
    SUPERVISOR = "supervisor", _("Portfolio")


class CurrentTally(Measures):
    """Today's figures, kept at three levels: an enterprise in a programme's area (with its
    city and its group on today's tree), an enterprise in a programme (the same, summed over
    the areas), and a supervisor's portfolio in a programme's area. What the completion page
    reads as of today. Derived from the tasks and their items, and brought up to date from the
    items' history before it is read (`current.refresh`); `month` is the day it was computed
    for."""

    level = models.CharField(max_length=10, choices=CurrentLevel.choices)
    owner = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_index=False,
    )
    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    city_code = models.CharField(max_length=6, blank=True)
    group_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["level", "owner", "programme"], name="reform_current_owner"),
            models.Index(
                fields=["level", "programme", "area", "supervisor"], name="reform_current_area"
            ),
            models.Index(fields=["level", "city_code"], name="reform_current_city"),
            models.Index(fields=["level", "group_id"], name="reform_current_group"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.owner_id} {self.programme}/{self.area} {self.month}"


class CurrentMark(models.Model):
    """What `CurrentTally` was computed from: the day, the last item event, the last
    management link and the last change to an enterprise (one row)."""

    day = models.DateField()
    event_id = models.BigIntegerField(default=0)
    link_id = models.BigIntegerField(default=0)
    registry_changed = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.day} #{self.event_id}"


class RollupLevel(models.TextChoices):
    SUPERVISOR = "supervisor", _("Portfolio")
    CITY = "city", _("City")
    GROUP = "group", _("Group")


class RollupSnapshot(Measures):
    """A supervisor's, a city's or a group's figures in a programme's area at a month end (one
    row per month). A city's are of the supervisor's enterprises in that city; a group's of the
    enterprises under it on the management tree of that month."""

    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    level = models.CharField(max_length=10, choices=RollupLevel.choices)
    key = models.CharField(max_length=20, blank=True)  # the city code or the group's id

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["level", "supervisor", "key", "programme", "area", "month"],
                name="reform_rollup_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.level}:{self.key} {self.programme}/{self.area} {self.month}"
