"""Responsible-unit cells (责任单位) read into units, the way offices write them.

A cell may name one unit, several (“省生态环境厅、各地生态环境局”), a group (“各地生态环境局”), several places
sharing one suffix (“松原市、白城市生态环境局”), carry a note (“(以下简称“各地生态环境局”)”) or a trailing
“等”, or misspell a name that the alias table knows (“长春市生态环境厅”). ``UnitIndex`` is built from plain
entries so that it can be tested and fuzzed without a database.
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
_CONJUNCTIONS = re.compile(r"[和及与]")
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

    def add(self, codes: Iterable[str]) -> None:
        for code in codes:
            if code not in self.codes:
                self.codes.append(code)


class UnitIndex:
    def __init__(self, units: Iterable[UnitEntry], groups: Iterable[GroupEntry] = ()) -> None:
        self._targets: dict[str, _Target] = {}
        self._ambiguous: dict[str, set[str]] = {}
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
            self._ambiguous.setdefault(key, {existing.label}).add(target.label)
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

    def lookup(self, name: str) -> _Target | None:
        return self._targets.get(squeeze(name))

    def is_ambiguous(self, name: str) -> set[str] | None:
        return self._ambiguous.get(squeeze(name))

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
        if _ETC.search(text):
            text = _ETC.sub("", text)
            result.warnings.append(
                _("“等” means the list may not be complete: assigned to the units named: %(text)s.") % {"text": text}
            )
        if self._resolve_whole(text, result):
            return result
        parts = [part for part in _SEPARATORS.split(text) if part]
        suffix = next((s for s in self.suffixes if parts and parts[-1].endswith(s) and parts[-1] != s), "")
        for part in parts:
            self._resolve_part(part, suffix, result)
        return result

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

    def _resolve_part(self, part: str, suffix: str, result: Resolution) -> None:
        # “松原市、白城市生态环境局”: a part without a suffix takes the one the last part ends with; as written it
        # stands only if it names a whole organ (省生态环境厅), not just a place (长春市 in 长春市、吉林市人民政府).
        candidates = [part]
        if suffix and not any(part.endswith(s) for s in self.suffixes):
            as_written = self.lookup(part)
            candidates = [part + suffix]
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
        # “长春市和吉林市生态环境局”: conjunctions inside a part, tried only when the whole part is unknown.
        pieces = [piece for piece in _CONJUNCTIONS.split(part) if piece]
        if len(pieces) > 1:
            trial = Resolution()
            piece_suffix = next((s for s in self.suffixes if pieces[-1].endswith(s) and pieces[-1] != s), suffix)
            for piece in pieces:
                self._resolve_part(piece, piece_suffix, trial)
            if not trial.errors:
                result.add(trial.codes)
                result.warnings.extend(trial.warnings)
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
