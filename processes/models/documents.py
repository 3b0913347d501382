"""How the office's official documents look and who issues them (党政机关公文格式, GB/T 9704-2012): one row, set in
the admin. The issuer's full name heads every document and signs it; its 代字 make the 文号; the font families are
the office's licensed faces first, then the free ones ``make fonts`` installs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from processes.models import Unit

# The families, in order of preference: the faces GB/T 9704 names (an office installs its licensed copies), then
# free faces of the same kind. WeasyPrint takes the first one installed.
TITLE_FONTS = "方正小标宋简体, FZXiaoBiaoSong-B05S, 方正小标宋_GBK, Noto Serif CJK SC, FandolSong"
BODY_FONTS = "仿宋_GB2312, FangSong_GB2312, 仿宋, FangSong, FandolFang, Noto Serif CJK SC"
HEADING_FONTS = "黑体, SimHei, Noto Sans CJK SC, FandolHei"
KAI_FONTS = "楷体_GB2312, KaiTi_GB2312, 楷体, KaiTi, FandolKai, Noto Serif CJK SC"
SONG_FONTS = "宋体, SimSun, Noto Serif CJK SC, FandolSong"


class DocumentSettings(models.Model):
    """An issuing office's particulars for its documents: one row per office (the province's, a city's, a district's),
    made on first use by ``for_office()``; ``current()`` is the provincial programme office's."""

    office = models.OneToOneField(
        "processes.Unit",
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="document_settings",
        limit_choices_to={"is_office": True},
        help_text=_("The office these particulars are for; its documents and bulletins are numbered on their own."),
    )
    issuer = models.CharField(
        _("issuing authority (full name)"),
        max_length=100,
        default="吉林省全域“无废城市”建设工作推进组办公室",
        help_text=_("发文机关: its full name heads the document in red and signs it."),
    )
    printed_by = models.CharField(
        _("printed by (印发机关)"),
        max_length=100,
        blank=True,
        help_text=_("The office that prints and sends the documents; the issuing authority when empty."),
    )
    warning_code = models.CharField(
        _("代字 of warning letters"), max_length=20, default="吉无废预", help_text=_("吉无废预〔2023〕3号")
    )
    supervision_code = models.CharField(
        _("代字 of supervision notices"), max_length=20, default="吉无废督", help_text=_("吉无废督〔2023〕7号")
    )
    circular_code = models.CharField(
        _("代字 of circulars"), max_length=20, default="吉无废通", help_text=_("吉无废通〔2023〕2号")
    )
    bulletin_masthead = models.CharField(
        _("bulletin masthead"),
        max_length=200,
        blank=True,
        help_text=_("The 工作简报's masthead, its parts separated by spaces; the installation's default when empty."),
    )
    title_fonts = models.CharField(_("title fonts (小标宋)"), max_length=300, default=TITLE_FONTS)
    body_fonts = models.CharField(_("body fonts (仿宋)"), max_length=300, default=BODY_FONTS)
    heading_fonts = models.CharField(_("first-level heading fonts (黑体)"), max_length=300, default=HEADING_FONTS)
    kai_fonts = models.CharField(_("second-level heading fonts (楷体)"), max_length=300, default=KAI_FONTS)
    song_fonts = models.CharField(_("page number fonts (宋体)"), max_length=300, default=SONG_FONTS)
    remind_after_workdays = models.PositiveSmallIntegerField(
        _("remind the signers after (working days)"),
        default=2,
        help_text=_("A draft waiting this many working days for signature is reminded to the signers (签发人)."),
    )

    class Meta:
        verbose_name = _("official document settings")
        verbose_name_plural = _("official document settings")

    def __str__(self) -> str:
        return self.issuer

    def clean(self) -> None:
        """Two offices never share a 代字: their numbers would collide (长春无废督〔2023〕1号 is one document)."""
        codes = {"warning_code": self.warning_code, "supervision_code": self.supervision_code}
        codes["circular_code"] = self.circular_code
        others = DocumentSettings.objects.exclude(pk=self.pk)
        taken = {
            field: _("Another office's documents already use the 代字 %(code)s.") % {"code": code}
            for field, code in codes.items()
            if code
            and others.filter(
                models.Q(warning_code=code) | models.Q(supervision_code=code) | models.Q(circular_code=code)
            ).exists()
        }
        if taken:
            raise ValidationError(taken)

    @classmethod
    def current(cls) -> DocumentSettings:
        """The provincial programme office's row (the one row of an installation without offices' rows)."""
        from processes.models import Unit, UnitLevel

        office = Unit.objects.filter(is_office=True, level=UnitLevel.PROVINCE).order_by("position", "code").first()
        if office is not None:
            return cls.for_office(office)
        found = cls.objects.filter(office__isnull=True).order_by("pk").first()
        if found is None:
            found = cls.objects.create(
                warning_code=settings.DOCUMENT_NUMBER_PREFIXES["warning_letter"],
                supervision_code=settings.DOCUMENT_NUMBER_PREFIXES["supervision_notice"],
            )
        return found

    @classmethod
    def for_office(cls, office: Unit) -> DocumentSettings:
        """The office's row, made on first use: the provincial office's from the installation's settings (taking over
        the row kept before offices had their own), another office's with its own name and 代字 derived from its
        short name (长春市 → 长春无废预, 长春无废督, 长春无废通), to be corrected in the admin."""
        from processes.models import UnitLevel

        found = cls.objects.filter(office=office).first()
        if found is not None:
            return found
        if office.level == UnitLevel.PROVINCE:
            legacy = cls.objects.filter(office__isnull=True).order_by("pk").first()
            if legacy is not None:
                legacy.office = office
                legacy.save(update_fields=["office"])
                return legacy
            found, _created = cls.objects.get_or_create(
                office=office,
                defaults={
                    "warning_code": settings.DOCUMENT_NUMBER_PREFIXES["warning_letter"],
                    "supervision_code": settings.DOCUMENT_NUMBER_PREFIXES["supervision_notice"],
                },
            )
            return found
        stem = cls._free_stem(office)
        found, _created = cls.objects.get_or_create(
            office=office,
            defaults={
                "issuer": office.name,
                "warning_code": f"{stem}无废预",
                "supervision_code": f"{stem}无废督",
                "circular_code": f"{stem}无废通",
                "bulletin_masthead": f"{stem}“无废城市”建设 工作简报",
            },
        )
        return found

    @classmethod
    def _free_stem(cls, office: Unit) -> str:
        """The place its 代字 start from, one no other office's 代字 use: 通化 for 通化市, then 通化县 for 通化县 (two
        offices with one 代字 would number two documents alike, and a 文号 is unique)."""
        place = office_stem(office)
        name = office.short_name or office.name
        for stem in (place, office_place(office), f"{office_place(office)}{office.code}"):
            codes = [f"{stem}无废预", f"{stem}无废督", f"{stem}无废通"]
            taken = cls.objects.exclude(office=office).filter(
                Q(warning_code__in=codes) | Q(supervision_code__in=codes) | Q(circular_code__in=codes)
            )
            if stem and not taken.exists():
                return stem
        return name

    @property
    def masthead(self) -> str:
        return self.bulletin_masthead or settings.BULLETIN_MASTHEAD

    @property
    def printer(self) -> str:
        return self.printed_by or self.issuer

    def code(self, kind: str) -> str:
        return {
            "warning_letter": self.warning_code,
            "supervision_notice": self.supervision_code,
            "circular": self.circular_code,
        }[kind]

    def css_families(self) -> dict[str, str]:
        """Each family list as CSS ``font-family`` values (quoted names; anything that could end the declaration or
        the style sheet is dropped from a name, so they are safe to print into one)."""
        lists = {
            "title": self.title_fonts,
            "body": self.body_fonts,
            "heading": self.heading_fonts,
            "kai": self.kai_fonts,
            "song": self.song_fonts,
        }
        return {key: ", ".join(f'"{name}"' for name in font_names(value)) + ", serif" for key, value in lists.items()}


# The level words an office's place name ends with, dropped to make its 代字 (长春市 → 长春, 朝阳区 → 朝阳).
_PLACE_ENDS = ("自治州", "自治县", "市", "州", "区", "县", "旗", "盟")


def office_stem(office: Unit) -> str:
    """The place an office's name begins with, without its level word: 长春市生态环境局 → 长春."""
    name = office.short_name or office.name
    for index in range(2, len(name)):
        for end in _PLACE_ENDS:
            if name.startswith(end, index):
                return name[:index]
    return name[:2]


def office_place(office: Unit) -> str:
    """The place an office's name begins with, with its level word: 通化县生态环境局 → 通化县."""
    name = office.short_name or office.name
    stem = office_stem(office)
    for end in _PLACE_ENDS:
        if name.startswith(end, len(stem)):
            return stem + end
    return stem


# What may not stand in a font's name printed into a style sheet: anything that ends the string, the declaration,
# the rule or the style element, or escapes.
_UNSAFE = str.maketrans("", "", "\"'\\;{}<>()/:")


def font_names(value: str) -> list[str]:
    """The names of a comma-separated family list, with what could break out of a CSS string taken out."""
    return [name for raw in value.split(",") if (name := raw.translate(_UNSAFE).strip())]
