"""Seed the group the published annexes lean on most: 各地生态环境局, every city-level bureau.

The annex of 吉环固体字〔2023〕15号 defines it in its own words — “各市(州)、长白山管委会、梅河新区(梅河口市)生态环境局
(以下简称“各地生态环境局”)” — as the eleven local bureaus, which are the city-level units of the unit table. The group
is a row like any other: the office can edit its name, aliases and members in the admin, and
``load_unit_groups`` updates it. Nothing is changed if a group of that name already exists.
"""

from django.db import migrations

NAME = "各地生态环境局"
ALIASES = ["各市(州)、长白山管委会、梅河新区(梅河口市)生态环境局", "各地", "各地生态环境部门"]


def seed(apps, schema_editor):
    UnitGroup = apps.get_model("processes", "UnitGroup")
    UnitGroupAlias = apps.get_model("processes", "UnitGroupAlias")
    if UnitGroup.objects.filter(name=NAME).exists():
        return
    group = UnitGroup.objects.create(
        name=NAME,
        member_level="city",
        description="九个市(州)及长白山管委会、梅河新区(梅河口市)的生态环境局(吉环固体字〔2023〕15号附件)",
    )
    for alias in ALIASES:
        if not UnitGroupAlias.objects.filter(name=alias).exists():
            UnitGroupAlias.objects.create(group=group, name=alias)


def unseed(apps, schema_editor):
    apps.get_model("processes", "UnitGroup").objects.filter(name=NAME, members__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("processes", "0002_beat_schedule")]

    operations = [migrations.RunPython(seed, unseed)]
