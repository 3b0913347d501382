"""Loading the unit tree and the unit groups from CSV: re-loading updates in place and never duplicates."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from processes.importing.problems import FileRefused, Problem, Problems, Severity
from processes.importing.readers import clean_text, column_letter, decode_text
from processes.importing.units import GENERIC, GroupEntry, UnitEntry, UnitIndex
from processes.models import UNIT_CODE_PATTERN, Unit, UnitAlias, UnitGroup, UnitGroupAlias, UnitLevel

UNIT_COLUMNS = ("code", "name", "short_name", "level", "parent_code", "aliases")  # optional: is_office
GROUP_COLUMNS = ("name", "aliases", "members")  # optional: member_level, description


class InputRejected(Exception):
    """The input was refused as a whole; ``problems`` say what and where. Nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ";").split(";") if part.strip()]


def _read_csv(
    data: bytes, filename: str, required: tuple[str, ...], problems: Problems
) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]]]:
    """Rows of a CSV keyed by header name, with the column letter of each header name."""
    if not data.strip():
        problems.error(_("The file is empty."))
        return {}, []
    try:
        text = decode_text(data, filename)
    except FileRefused as refused:
        problems.errors.append(refused.problem)
        return {}, []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [clean_text(name).lower() for name in next(reader, [])]
    missing = [name for name in required if name not in header]
    if missing:
        problems.error(_("Required column missing: %(columns)s.") % {"columns": ", ".join(missing)}, row=1)
        return {}, []
    rows = []
    for number, record in enumerate(reader, start=2):
        if not any(value.strip() for value in record):
            continue
        values = {name: clean_text(record[i]) if i < len(record) else "" for i, name in enumerate(header)}
        for name in required:
            values.setdefault(name, "")
        rows.append((number, values))
    return {name: column_letter(i) for i, name in enumerate(header)}, rows


def units_load_csv(*, data: bytes, filename: str) -> LoadResult:
    """Create or update units by code from a CSV in the format of ``data/jilin-units.csv``."""
    problems = Problems(filename)
    col, rows = _read_csv(data, filename, UNIT_COLUMNS, problems)
    seen: dict[str, int] = {}
    levels = {choice.value for choice in UnitLevel}
    for number, values in rows:
        for name in ("code", "name", "level"):
            if not values[name]:
                problems.error(
                    _("The column %(field)s is empty.") % {"field": name}, row=number, column=col[name], field=name
                )
        if values["level"] and values["level"] not in levels:
            problems.error(
                _("Unknown level “%(level)s”; use one of %(levels)s.")
                % {"level": values["level"], "levels": ", ".join(sorted(levels))},
                row=number,
                column=col["level"],
                field="level",
            )
        if values["code"] and not re.match(UNIT_CODE_PATTERN, values["code"]):
            problems.error(
                _("The code “%(code)s” has a slash, a space, “?”, “#” or “%%”: it names the unit's plans in links.")
                % {"code": values["code"]},
                row=number,
                column=col["code"],
                field="code",
            )
        if values["code"] in seen:
            problems.error(
                _("Duplicate code %(code)s: row %(first)s has it too.")
                % {"code": values["code"], "first": seen[values["code"]]},
                row=number,
                column=col["code"],
                field="code",
            )
        seen[values["code"]] = number
    known_codes = set(seen) | set(Unit.objects.values_list("code", flat=True))
    for number, values in rows:
        if values["parent_code"] and values["parent_code"] not in known_codes:
            problems.error(
                _("Unknown parent code %(code)s.") % {"code": values["parent_code"]},
                row=number,
                column=col["parent_code"],
                field="parent_code",
            )
        if values["parent_code"] and values["parent_code"] == values["code"]:
            problems.error(
                _("A unit cannot be its own parent."), row=number, column=col["parent_code"], field="parent_code"
            )
    _check_names(rows, problems, col)
    if problems.errors:
        raise InputRejected(problems.errors)

    result = LoadResult()
    with transaction.atomic():
        existing = {unit.code: unit for unit in Unit.objects.select_for_update().prefetch_related("aliases")}
        for position, (_number, values) in enumerate(rows, start=1):
            unit = existing.get(values["code"])
            fields: dict[str, object] = {
                "name": values["name"],
                "short_name": values["short_name"],
                "level": values["level"],
                "position": position,
            }
            if "is_office" in values:
                fields["is_office"] = values["is_office"].strip().lower() in ("1", "true", "yes", "是")
            if unit is None:
                unit = Unit.objects.create(code=values["code"], **fields)
                existing[unit.code] = unit
                result.created.append(unit.code)
                changed = True
            else:
                changed = any(getattr(unit, name) != value for name, value in fields.items())
                if changed:
                    for name, value in fields.items():
                        setattr(unit, name, value)
                    unit.save()
            aliases = set(_split(values["aliases"]))
            current = {alias.name for alias in unit.aliases.all()} if unit.code not in result.created else set()
            if aliases != current:
                UnitAlias.objects.filter(unit=unit).exclude(name__in=aliases).delete()
                UnitAlias.objects.bulk_create([UnitAlias(unit=unit, name=name) for name in aliases - current])
                changed = True
            if changed and unit.code not in result.created:
                result.updated.append(unit.code)
            elif not changed:
                result.unchanged += 1
        for _number, values in rows:
            unit = existing[values["code"]]
            parent = existing.get(values["parent_code"]) if values["parent_code"] else None
            if unit.parent_id != (parent.pk if parent else None):
                unit.parent = parent
                unit.save(update_fields=["parent"])
                if unit.code not in result.created and unit.code not in result.updated:
                    result.updated.append(unit.code)
                    result.unchanged -= 1
        _check_tree(existing)
    return result


def _check_names(rows: list[tuple[int, dict[str, str]]], problems: Problems, col: dict[str, str]) -> None:
    """Every name, short name and alias must point at one unit only, or plan cells could not be read — except a
    short name that says a level but not a place (区发改局, 区政府): each district's bureau has it, and a district's
    plan reads it as its own (``unit_index(within=…)``)."""
    owner: dict[str, tuple[str, int]] = {}
    file_codes = {values["code"] for _n, values in rows}
    for unit in Unit.objects.exclude(code__in=file_codes).prefetch_related("aliases"):
        short = "" if GENERIC.match(unit.short_name) else unit.short_name
        for name in [unit.name, short, *(alias.name for alias in unit.aliases.all())]:
            if name:
                owner.setdefault(name, (unit.code, 0))
    for number, values in rows:
        for field_name, names in (
            ("name", [values["name"]]),
            ("short_name", [] if GENERIC.match(values["short_name"]) else [values["short_name"]]),
            ("aliases", _split(values["aliases"])),
        ):
            for name in names:
                if not name:
                    continue
                holder = owner.get(name)
                if holder is not None and holder[0] != values["code"]:
                    problems.error(
                        _("“%(name)s” already names unit %(code)s.") % {"name": name, "code": holder[0]},
                        row=number,
                        column=col[field_name],
                        field=field_name,
                    )
                owner.setdefault(name, (values["code"], number))


def _check_tree(units: dict[str, Unit]) -> None:
    by_pk = {unit.pk: unit for unit in units.values()}
    for unit in units.values():
        seen = {unit.pk}
        parent_id = unit.parent_id
        while parent_id is not None:
            if parent_id in seen:
                raise InputRejected(
                    [
                        Problem(
                            Severity.ERROR, _("The parent codes form a cycle through %(code)s.") % {"code": unit.code}
                        )
                    ]
                )
            seen.add(parent_id)
            parent = by_pk.get(parent_id)
            parent_id = parent.parent_id if parent else None


def unit_groups_load_csv(*, data: bytes, filename: str) -> LoadResult:
    """Create or update unit groups by name from a CSV with the columns name, aliases, members (unit codes) and,
    optionally, member_level (every active unit of that level belongs) and description."""
    problems = Problems(filename)
    col, rows = _read_csv(data, filename, GROUP_COLUMNS, problems)
    codes = dict(Unit.objects.values_list("code", "pk"))
    levels = {choice.value for choice in UnitLevel}
    for number, values in rows:
        level = values.get("member_level", "")
        if not values["name"]:
            problems.error(
                _("The column %(field)s is empty.") % {"field": "name"}, row=number, column=col["name"], field="name"
            )
        if level and level not in levels:
            problems.error(
                _("Unknown level “%(level)s”; use one of %(levels)s.")
                % {"level": level, "levels": ", ".join(sorted(levels))},
                row=number,
                column=col.get("member_level", ""),
                field="member_level",
            )
        members = _split(values["members"])
        if not members and not level:
            problems.error(
                _("A group needs members or a member level."), row=number, column=col["members"], field="members"
            )
        for code in members:
            if code not in codes:
                problems.error(
                    _("Unknown unit code %(code)s.") % {"code": code},
                    row=number,
                    column=col["members"],
                    field="members",
                )
    if problems.errors:
        raise InputRejected(problems.errors)
    result = LoadResult()
    with transaction.atomic():
        for _number, values in rows:
            fields = {"member_level": values.get("member_level", ""), "description": values.get("description", "")}
            group, created = UnitGroup.objects.get_or_create(name=values["name"], defaults=fields)
            changed = any(getattr(group, name) != value for name, value in fields.items())
            if changed:
                UnitGroup.objects.filter(pk=group.pk).update(**fields)
            member_ids = {codes[code] for code in _split(values["members"])}
            aliases = set(_split(values["aliases"]))
            current_members = set(group.members.values_list("pk", flat=True))
            current_aliases = set(group.aliases.values_list("name", flat=True))
            if member_ids != current_members:
                group.members.set(member_ids)
            if aliases != current_aliases:
                UnitGroupAlias.objects.filter(group=group).exclude(name__in=aliases).delete()
                UnitGroupAlias.objects.bulk_create(
                    [UnitGroupAlias(group=group, name=name) for name in aliases - current_aliases]
                )
            if created:
                result.created.append(group.name)
            elif changed or member_ids != current_members or aliases != current_aliases:
                result.updated.append(group.name)
            else:
                result.unchanged += 1
    return result


def unit_index(*, within: Unit | None = None) -> UnitIndex:
    """The names a plan may use for units and groups (inactive units known, to say so), in five queries.

    ``within``: the office issuing the plan. For a city's or a district's, a name several units share (区政府, the
    short name of each district's) is read as the one in the office's subtree."""
    every = list(Unit.objects.prefetch_related("aliases"))
    active = [unit for unit in every if unit.is_active]
    units = [
        UnitEntry(unit.code, unit.name, unit.short_name, tuple(a.name for a in unit.aliases.all()), unit.is_active)
        for unit in every
    ]
    groups = []
    for group in UnitGroup.objects.prefetch_related("members", "aliases"):
        members = [member for member in group.members.all() if member.is_active]
        if group.member_level:
            members += [unit for unit in active if unit.level == group.member_level and unit not in members]
        members.sort(key=lambda unit: (unit.position, unit.code))
        groups.append(
            GroupEntry(group.name, tuple(unit.code for unit in members), tuple(a.name for a in group.aliases.all()))
        )
    preferred: set[str] | None = None
    if within is not None and within.level != UnitLevel.PROVINCE:
        children: dict[int | None, list[Unit]] = {}
        for unit in every:
            children.setdefault(unit.parent_id, []).append(unit)
        preferred, stack = set(), [within.pk]
        while stack:
            pk = stack.pop()
            for child in children.get(pk, []):
                if child.code not in preferred:
                    preferred.add(child.code)
                    stack.append(child.pk)
        preferred.add(within.code)
    return UnitIndex(units, groups, preferred=preferred)
