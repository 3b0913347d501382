"""Responsible-unit cells (责任单位) read into units, the way offices write them.

A cell may name one unit, several (“省生态环境厅、各地生态环境局”, “区生态环境分局及区发改局”), a group
(“各地生态环境局”), several places sharing one suffix (“松原市、白城市生态环境局”, “松原、白城市生态环境局”),
carry a note (“(以下简称“各地生态环境局”)”) or a trailing “等”, or misspell a name that the alias table knows
(“长春市生态环境厅”). A suffix is shared only with a name that lacks one: “区生态环境局分局、开发区管委会” are
two units. Phrases that stand for a group of units (“各乡镇政府”, “有关部门”, “成员单位”, “按职责分工负责”) are
read through the unit groups (and their aliases) defined in the admin, or reported, never taken for a unit.
``UnitIndex`` is built from plain entries so that it can be tested and fuzzed without a database.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .text import squeeze

_BRACKETS = re.compile(r"[()]")
_SEPARATORS = re.compile(r"[、,;\n/|]+")
_CONJUNCTIONS = re.compile(r"[和及与并]")
# How the name of an organ ends: a name that ends so is whole and takes no suffix shared by the list.
_ORGAN_END = re.compile(
    r"(?:局|厅|委|委员会|办|办公室|政府|管委会|中心|公司|集团|院|所|站|队|部|处|科|室|办事处|"
    r"部门|单位|小组|会|社|馆|署|行|校)$"
)
# Phrases that name a group of units rather than a unit: read through the unit groups, else reported.
_GROUP_PHRASE = re.compile(
    r"有关部门|有关单位|相关部门|相关单位|成员单位|按职责|分工负责|职责分工|^各(?:乡镇|乡|镇|街道|社区|村|部门|单位|成员|有关|"
    r"相关|区直|县直|市直|级)"
)
_DUTY = re.compile(r"(?:按|根据|依)?(?:各自)?职责(?:分工)?(?:负责|落实|分别负责)?$|分工负责$")
# Names that say their level but not their place: 区政府, 区生态环境分局, 市农业农村局, 县住建局.
GENERIC = re.compile(r"^(?:区|县|市(?!场)|旗)")
_LEVEL_CHARS = "省市县区州旗"
# Parenthesised notes that are not part of a name: (以下简称“…”), (下同), (牵头) …
_NOTE = re.compile(r"\((?:以下简称|以下统称|下称|简称|统称|下同|以下同|牵头|配合|负责|具体)[^()]*\)")
_ETC = re.compile(r"(?:等(?:相关|有关)?(?:单位|部门|地区)?)$")
# Suffixes shared by several places in one cell, beyond those the unit table itself shows.
COMMON_SUFFIXES = ("人民政府", "政府", "管委会")
MAX_CELL_LENGTH = 2000


@dataclass(frozen=True)
class UnitEntry:
    code: str
    name: str
    short_name: str = ""
    aliases: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class GroupEntry:
    name: str
    members: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Target:
    codes: tuple[str, ...]
    label: str  # the canonical name, for messages
    via_alias: bool
    place_only: bool = False  # a short name that is only the place (长春市 for 长春市生态环境局)


@dataclass
class Resolution:
    """Unit codes a cell names, in order and without repeats, with what was noticed on the way."""

    codes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)  # group phrases no group is defined for (各乡镇政府)

    def add(self, codes: Iterable[str]) -> None:
        for code in codes:
            if code not in self.codes:
                self.codes.append(code)


class UnitIndex:
    """Every name of the units and groups. ``preferred``: the codes of the issuing office's subtree, when a city's or
    a district's plan is read — a name several units share resolves to the one inside it, and a name that says its
    level but not its place (区政府) never to another region's unit."""

    def __init__(
        self,
        units: Iterable[UnitEntry],
        groups: Iterable[GroupEntry] = (),
        *,
        preferred: Iterable[str] | None = None,
    ) -> None:
        self._targets: dict[str, _Target] = {}
        self._ambiguous: dict[str, list[_Target]] = {}
        self.preferred = frozenset(preferred) if preferred is not None else None
        self._names: dict[str, str] = {}
        suffixes: set[str] = set(COMMON_SUFFIXES)
        units = list(units)
        self._inactive: set[str] = set()
        for unit in units:
            self._names[unit.code] = unit.name
            if not unit.active:
                self._inactive.add(unit.code)
        for unit in units:
            target = _Target((unit.code,), unit.name, via_alias=False)
            self._add(unit.name, target)
            if unit.short_name:
                name, short = squeeze(unit.name), squeeze(unit.short_name)
                place_only = name.startswith(short) and len(name) > len(short) + 1
                remainder = name[len(short) :]
                # 松原市 + 生态环境局: the remainder is a kind of organ that several places can share. Not so for
                # 梅河新区 + (梅河口市)生态环境局, whose remainder still names the place.
                if place_only and not _BRACKETS.search(remainder):
                    suffixes.add(remainder)
                self._add(unit.short_name, _Target((unit.code,), unit.name, via_alias=False, place_only=place_only))
            for alias in unit.aliases:
                self._add(alias, _Target((unit.code,), unit.name, via_alias=True))
        for group in groups:
            target = _Target(tuple(group.members), group.name, via_alias=False)
            self._add(group.name, target)
            for alias in group.aliases:
                self._add(alias, target)
        self.suffixes = sorted(suffixes, key=len, reverse=True)

    def _add(self, name: str, target: _Target) -> None:
        key = squeeze(name)
        if not key:
            return
        existing = self._targets.get(key)
        if existing is not None and existing.codes != target.codes:
            claims = self._ambiguous.setdefault(key, [existing])
            if all(claim.codes != target.codes for claim in claims):
                claims.append(target)
            return
        if existing is None or (existing.via_alias and not target.via_alias):
            self._targets[key] = target

    def name_of(self, code: str) -> str:
        return self._names.get(code, code)

    def suggestions(self, name: str, limit: int = 3) -> list[str]:
        key = squeeze(name)
        names = difflib.get_close_matches(key, self._targets.keys(), n=limit, cutoff=0.5)
        if not names:
            # Names that share the place (“火星市…” shares nothing; “长春…” does): fall back on the common prefix.
            names = [known for known in self._targets if key[:2] and known.startswith(key[:2])][:limit]
        return names

    def _inside(self, target: _Target) -> bool:
        return self.preferred is None or all(code in self.preferred for code in target.codes)

    def lookup(self, name: str) -> _Target | None:
        key = squeeze(name)
        if claims := self._ambiguous.get(key):
            inside = [claim for claim in claims if self._inside(claim)] if self.preferred is not None else []
            return inside[0] if len(inside) == 1 else None
        target = self._targets.get(key)
        if target is not None and GENERIC.match(key) and not self._inside(target):
            return None  # “区政府” of another district: not this plan's
        return target

    def is_ambiguous(self, name: str) -> set[str] | None:
        key = squeeze(name)
        claims = self._ambiguous.get(key)
        if not claims:
            return None
        if self.preferred is not None and len([claim for claim in claims if self._inside(claim)]) == 1:
            return None
        return {claim.label for claim in claims}

    def resolve(self, cell: str) -> Resolution:
        """Read a responsible-unit cell. Never raises: problems are returned as errors and warnings."""
        result = Resolution()
        text = squeeze(cell)
        if not text:
            return result
        if len(text) > MAX_CELL_LENGTH:
            result.errors.append(
                _("The cell is too long to be a list of units (%(length)s characters).") % {"length": len(text)}
            )
            return result
        text = _NOTE.sub("", text)
        if _ETC.search(text) and self._resolve_whole(text, result):
            return result  # a group whose very name ends in 等 (各乡镇政府等部门), defined in the admin
        if _ETC.search(text):
            text = _ETC.sub("", text)
            result.warnings.append(
                _("“等” means the list may not be complete: assigned to the units named: %(text)s.") % {"text": text}
            )
        if self._resolve_whole(text, result):
            return result
        parts = [part for part in _SEPARATORS.split(text) if part]
        parts = self._join_split_names(parts)
        tails = self._tails(parts[-1]) if parts else []
        for part in parts:
            self._resolve_part(part, tails, result)
        return result

    def _join_split_names(self, parts: list[str]) -> list[str]:
        """A name broken over two lines (a cell split at a page break): two unknown pieces whose join is a name."""
        joined: list[str] = []
        for part in parts:
            if (
                joined
                and self.lookup(part) is None
                and self.lookup(joined[-1]) is None
                and self.lookup(joined[-1] + part) is not None
            ):
                joined[-1] += part
                continue
            joined.append(part)
        return joined

    def _tails(self, last: str) -> list[str]:
        """What the last name of a list may share with the names before it: a known suffix (生态环境局, 人民政府),
        with the level word before it (市生态环境局, for “松原、白城市生态环境局”), most specific first."""
        tails: list[str] = []
        if not _ORGAN_END.search(last):
            return tails
        for suffix in self.suffixes:
            if last.endswith(suffix) and last != suffix:
                before = last[: -len(suffix)]
                if before and before[-1] in _LEVEL_CHARS:
                    tails.append(before[-1] + suffix)
                tails.append(suffix)
        if not tails and (place := re.match(rf"^.+?[{_LEVEL_CHARS}]", last)) and len(place[0]) < len(last):
            tails += [last[len(place[0]) - 1 :], last[len(place[0]) :]]
        return list(dict.fromkeys(tails))

    def _resolve_whole(self, text: str, result: Resolution) -> bool:
        if self.is_ambiguous(text):
            return False
        target = self.lookup(text)
        if target is None:
            return False
        self._accept(text, target, result)
        return True

    def _accept(self, written: str, target: _Target, result: Resolution) -> None:
        if inactive := [code for code in target.codes if code in self._inactive]:
            if len(target.codes) == 1:
                result.errors.append(
                    _("“%(written)s” is %(name)s, which is no longer active; reactivate it or name its successor.")
                    % {"written": written, "name": self.name_of(inactive[0])}
                )
                return
            target = _Target(tuple(c for c in target.codes if c not in self._inactive), target.label, target.via_alias)
        if target.via_alias:
            result.warnings.append(
                _("“%(written)s” is read as “%(name)s” (a known alternative spelling).")
                % {"written": written, "name": target.label}
            )
        result.add(target.codes)

    def _resolve_part(self, part: str, tails: list[str], result: Resolution) -> None:
        as_written = self.lookup(part)
        only_a_place = tails and as_written is not None and as_written.place_only and not _ORGAN_END.search(part)
        if not only_a_place and self._resolve_known(part, result):
            return
        # “各乡镇政府等部门按职责分工负责”: what remains without “按职责分工负责” and “等部门” is looked up (a group
        # defined in the admin); a phrase that still names no group is reported, never taken for a unit.
        core = _DUTY.sub("", part) or part
        bare = _ETC.sub("", core) or core
        etc = _("“等” means the list may not be complete: assigned to the units named: %(text)s.") % {"text": bare}
        for candidate in dict.fromkeys([core, bare]):
            if candidate != part and self._resolve_known(candidate, result):
                if candidate != core:
                    result.warnings.append(etc)
                return
        if _GROUP_PHRASE.search(bare) or _GROUP_PHRASE.fullmatch(part):
            result.phrases.append(part)
            result.warnings.append(
                _(
                    "“%(phrase)s” stands for a group of units, not one unit: no unit group of that name is defined, "
                    "so no unit is assigned for it. Define the group (or an alias of it) under unit groups in the "
                    "admin and import again."
                )
                % {"phrase": part}
            )
            return
        if bare != core:
            result.warnings.append(etc)
        part = bare
        # “松原、白城市生态环境局”: a name that lacks an organ's ending takes the one the last name ends with; as
        # written it stands only if it names a whole organ, not just a place (长春市 in 长春市、吉林市人民政府).
        candidates = [part]
        if tails and not _ORGAN_END.search(part):
            as_written = self.lookup(part)
            level = part[-1] in _LEVEL_CHARS
            candidates = [part + tail for tail in tails if not (level and tail[0] in _LEVEL_CHARS)]
            candidates = candidates or [part]
            if as_written is not None and not as_written.place_only:
                candidates.append(part)
        for candidate in candidates:
            if ambiguous := self.is_ambiguous(candidate):
                result.errors.append(
                    _("“%(name)s” is ambiguous: it could mean %(options)s.")
                    % {"name": candidate, "options": "、".join(sorted(ambiguous))}
                )
                return
            target = self.lookup(candidate)
            if target is not None:
                self._accept(candidate, target, result)
                return
        if self._resolve_conjunctions(part, tails, result):
            return
        name = candidates[0]
        result.unknown.append(name)
        suggestions = self.suggestions(name)
        if suggestions:
            result.errors.append(
                _("Unknown unit “%(name)s”; the closest known names are: %(names)s.")
                % {"name": name, "names": "、".join(suggestions)}
            )
        else:
            result.errors.append(_("Unknown unit “%(name)s”; no known name is close.") % {"name": name})

    def _resolve_known(self, part: str, result: Resolution) -> bool:
        if ambiguous := self.is_ambiguous(part):
            result.errors.append(
                _("“%(name)s” is ambiguous: it could mean %(options)s.")
                % {"name": part, "options": "、".join(sorted(ambiguous))}
            )
            return True
        target = self.lookup(part)
        if target is None:
            return False
        self._accept(part, target, result)
        return True

    def _resolve_conjunctions(self, part: str, tails: list[str], result: Resolution) -> bool:
        """“区生态环境分局及区发改局”: split at 和, 及, 与, 并 where the name before it is whole (ends as an organ's
        name does), each piece read on its own; “长春市和吉林市生态环境局”: split everywhere, tried as a whole."""
        pieces: list[str] = []
        start = 0
        for match in _CONJUNCTIONS.finditer(part):
            before = part[start : match.start()]
            if before and _ORGAN_END.search(before) and match.end() < len(part):
                pieces.append(before)
                start = match.end()
        pieces.append(part[start:])
        if len(pieces) > 1 and all(_ORGAN_END.search(piece) for piece in pieces):
            for piece in pieces:
                self._resolve_part(piece, tails, result)
            return True
        pieces = [piece for piece in _CONJUNCTIONS.split(part) if piece]
        if len(pieces) > 1:
            trial = Resolution()
            piece_tails = self._tails(pieces[-1]) or tails
            for piece in pieces:
                self._resolve_part(piece, piece_tails, trial)
            if not trial.errors:
                result.add(trial.codes)
                result.warnings.extend(trial.warnings)
                result.phrases.extend(trial.phrases)
                return True
        return False
