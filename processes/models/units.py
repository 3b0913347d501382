"""The responsible units (责任单位), their tree, other spellings of their names, and named groups of units."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: A unit's code names its plans in URLs (``/plans/<code>/<year>/``): letters, digits, Chinese, ``-``, ``_`` and ``.``;
#: never a slash or a space.
UNIT_CODE_PATTERN = r"^[^/\s?#%]+$"


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City / prefecture")
    COUNTY = "county", _("County / district")


class UnitQuerySet(models.QuerySet["Unit"]):
    def active(self) -> UnitQuerySet:
        return self.filter(is_active=True)


class Unit(models.Model):
    """A responsible unit: a provincial department, a city bureau, a county bureau."""

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                UNIT_CODE_PATTERN,
                _("A code has no slash, space, “?”, “#” or “%%”: it names plans in links."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    is_office = models.BooleanField(
        _("programme office"),
        default=False,
        help_text=_(
            "An office issues plans: the provincial programme office (推进组办公室), whose supervisors and admins "
            "oversee every unit of the province, or a city's or a district's office, which imports, dispatches, "
            "supervises and closes out its own plans within its subtree, and signs and numbers its own documents."
        ),
    )
    requires_signoff = models.BooleanField(
        _("leader signs off submissions"),
        default=False,
        help_text=_("Completion reports of this unit go to its leader before they reach the supervisors."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="unit_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A unit cannot be placed under itself or its descendants.")})
            ancestor = ancestor.parent

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class UnitAlias(models.Model):
    """Another spelling of a unit's name met in documents (including known slips such as 长春市生态环境厅)."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("alias"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("unit alias")
        verbose_name_plural = _("unit aliases")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitGroup(models.Model):
    """A name that stands for several units, such as 各地生态环境局 for the eleven local bureaus.

    Its members are the units listed, plus — when ``member_level`` is set — every active unit of that level, so
    that a group such as “all city-level bureaus” follows the unit table as it is loaded and edited.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    member_level = models.CharField(
        _("every unit of level"),
        max_length=16,
        choices=UnitLevel.choices,
        blank=True,
        help_text=_("Every active unit of this level belongs to the group, besides the members listed."),
    )
    members = models.ManyToManyField(Unit, verbose_name=_("members"), related_name="groups", blank=True)

    class Meta:
        verbose_name = _("unit group")
        verbose_name_plural = _("unit groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitGroupAlias(models.Model):
    """Another way documents write a group's name."""

    group = models.ForeignKey(UnitGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("alias"), max_length=300, unique=True)

    class Meta:
        verbose_name = _("unit group alias")
        verbose_name_plural = _("unit group aliases")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
