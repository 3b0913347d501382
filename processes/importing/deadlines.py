"""Deadlines as offices write them (完成时限), read into a kind, a due date and, for recurring work, a frequency.

``parse_deadline`` never raises anything but ``DeadlineError``, whose message says what could not be read;
``parse_period_end`` reads the period of a milestone column (“2022-2024年” → 2024-12-31).

Besides dates, periods and frequencies, offices write ranges (“2021.10-2023.12”, “2023年6月至12月”: due at the
range's end, the start kept in the text as written), two stages (“2024年底前完成，2025年巩固提升”: a deadline and
a milestone, ``Deadline.stages``) and a day within a frequency (“每月25日前报送进展”: ``Deadline.day``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from processes.models.plans import DeadlineKind, Frequency

from .text import squeeze


class DeadlineError(ValueError):
    pass


@dataclass(frozen=True)
class Stage:
    """A later stage of a two-stage deadline: its period as written, its end, and the stage as written."""

    label: str
    due_date: dt.date
    outcome: str


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due_date: dt.date | None
    frequency: Frequency | None = None
    warning: str = ""
    stages: tuple[Stage, ...] = ()
    day: int | None = None  # the day of the month each occurrence of recurring work is due (每月25日前 → 25)


DONE_WORDS = ("已完成", "已经完成", "已落实")
ONGOING_WORDS = ("持续推进", "长期坚持", "长期推进", "持续开展", "常态化推进", "长期", "持续")
RECURRING_WORDS = ("按频次要求持续推进", "按频次要求", "按频次", "定期推进", "定期")

# Checked in this order: the longer, more specific phrases first (每两月 is not 每月, 每半年 is not 每年).
FREQUENCY_PATTERNS: tuple[tuple[Frequency, re.Pattern[str]], ...] = (
    (Frequency.BIMONTHLY, re.compile(r"每两个?月|每2个?月|双月|隔月|每双月")),
    (Frequency.HALF_YEARLY, re.compile(r"每半年|半年度|每6个?月|每六个月")),
    (Frequency.QUARTERLY, re.compile(r"每季度?|每个季度|逐季|按季度?|季度调度|每三个?月|每3个?月")),
    (Frequency.MONTHLY, re.compile(r"每月|逐月|按月|每个月|月度调度")),
    (Frequency.YEARLY, re.compile(r"每年|逐年|按年度?|每个年度")),
)
FREQUENCY_ORDER = [Frequency.MONTHLY, Frequency.BIMONTHLY, Frequency.QUARTERLY, Frequency.HALF_YEARLY, Frequency.YEARLY]

MIN_YEAR, MAX_YEAR = 2000, 2100
# “持续推进至2024年底”, “持续到2025年”: ongoing until a date other than the plan's year end.
_ONGOING_UNTIL = re.compile(r"^(?:持续推进|持续开展|长期坚持|持续)(?:至|到|直至)(.+)$")
_TRAILING = re.compile(r"(之前|以前|前|完成|止|为止|截止)+$")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

_FULL_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})日?$")
_MONTH = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(底|末|份|上旬|中旬|下旬)?$")
_YEAR_END = re.compile(r"^(?:(\d{4})年?)?(?:年底|年末|全年|年内)$")
_QUARTER = re.compile(r"^(?:(\d{4})年)?第?([一二三四1-4])季度?(?:末|底)?$")
_HALF = re.compile(r"^(?:(\d{4})年)?([上下])半年(?:末|底)?$")
_YEAR_RANGE = re.compile(r"^(\d{4})年?[-—–~至到](\d{4})年?(?:底|末)?$")
_YEAR_ONLY = re.compile(r"^(\d{4})年?(?:底|末)?$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?(底|末|份)?$")
_RANGE_MARK = re.compile(r"[-—–~至到]")
_STAGE_MARK = re.compile(r"[,;]")
# The day of a frequency: 每月25日前, 每两月10日前, 每季度末月20日前 (each occurrence is due on that day of the
# period's last month). Reports “on the month before” (每月5日前报送上月…) are due after the period: no day is kept.
_FREQUENCY_DAY = re.compile(r"(?:每|逐)(?:个|两个?|2个?|季度?|半年)?(?:末月|末)?月?(\d{1,2})(?:日|号)")
_PREVIOUS_PERIOD = re.compile(r"上(?:个|一个?)?(?:月|季度|半年|年度)")


def detect_frequencies(text: str) -> list[Frequency]:
    """Every frequency the text names, most frequent first."""
    text = squeeze(text)
    found = {frequency for frequency, pattern in FREQUENCY_PATTERNS if pattern.search(text)}
    return [frequency for frequency in FREQUENCY_ORDER if frequency in found]


def _date(year: int, month: int, day: int, written: str) -> dt.date:
    """The date, or DeadlineError for one that does not exist (2月30日, 13月, the year 0) or is far out of range."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DeadlineError(
            _("“%(text)s” is not a plausible year (%(min)s–%(max)s).")
            % {"text": written, "min": MIN_YEAR, "max": MAX_YEAR}
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DeadlineError(_("“%(text)s” is not a valid date.") % {"text": written}) from None


def _month_end(year: int, month: int, written: str, *, part: str = "") -> dt.date:
    """The month's last day; 上旬 and 中旬 (first and middle ten days) end on the 10th and the 20th."""
    if not 1 <= month <= 12:
        raise DeadlineError(_("“%(text)s” is not a valid date.") % {"text": written})
    last = _date(year, month, 1, written).replace(day=calendar.monthrange(year, month)[1])
    return last.replace(day={"上旬": 10, "中旬": 20}.get(part, last.day))


def _period_end(text: str, *, year: int, written: str) -> dt.date | None:
    """The last day of the period or date ``text`` names, or None if it names none."""
    if match := _FULL_DATE.match(text):
        return _date(int(match[1]), int(match[2]), int(match[3]), written)
    if match := _MONTH_DAY.match(text):
        return _date(year, int(match[1]), int(match[2]), written)
    if match := _MONTH.match(text):
        return _month_end(int(match[1] or year), int(match[2]), written, part=match[3] or "")
    if match := _QUARTER.match(text):
        quarter = _CN_DIGITS[match[2]]
        return _month_end(int(match[1] or year), quarter * 3, written)
    if match := _HALF.match(text):
        return _month_end(int(match[1] or year), 6 if match[2] == "上" else 12, written)
    if match := _YEAR_RANGE.match(text):
        first, last = int(match[1]), int(match[2])
        if last < first:
            raise DeadlineError(_("“%(text)s” ends before it starts.") % {"text": written})
        return _date(last, 12, 31, written)
    if match := _YEAR_MONTH.match(text):
        return _month_end(int(match[1]), int(match[2]), written)
    if match := _YEAR_ONLY.match(text):
        return _date(int(match[1]), 12, 31, written)
    if match := _YEAR_END.match(text):
        return _date(int(match[1] or year), 12, 31, written)
    return None


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DeadlineError(_("The plan year %(year)s is out of range.") % {"year": year})


def _range_end(text: str, *, year: int, written: str) -> dt.date | None:
    """The end of a range (“2021.10-2023.12”, “2023年6月至12月”, “2023年3-6月”); None if ``text`` is none."""
    for mark in _RANGE_MARK.finditer(text):
        left, right = text[: mark.start()], _TRAILING.sub("", text[mark.end() :])
        if not left or not right:
            continue
        if re.fullmatch(r"(?:\d{4}年)?\d{1,2}", left) and right.endswith("月"):
            left += "月"  # 2023年3-6月
        start = _period_end(left, year=year, written=written)
        if start is None:
            continue
        stated = re.match(r"^(\d{4})", left)
        end = _period_end(right, year=int(stated[1]) if stated else year, written=written)
        if end is None:
            continue
        if end < start:
            raise DeadlineError(_("“%(text)s” ends before it starts.") % {"text": written})
        return end
    return None


def _stage_period(stage: str, *, year: int, written: str) -> tuple[str, dt.date] | None:
    """The period a stage starts with (“2025年” of “2025年巩固提升”) and its end."""
    for length in range(len(stage), 1, -1):
        head = stage[:length]
        due = _period_end(_TRAILING.sub("", head), year=year, written=written)
        if due is not None:
            return _TRAILING.sub("", head), due
    return None


def _stages(text: str, *, year: int, task_text: str, written: str) -> Deadline | None:
    """“2024年底前完成，2025年巩固提升”: the first stage is the deadline, each later one a milestone."""
    parts = [part for part in _STAGE_MARK.split(text) if part]
    if len(parts) < 2:
        return None
    try:
        first = parse_deadline(parts[0], year=year, task_text=task_text)
    except DeadlineError:
        return None
    if first.kind not in (DeadlineKind.DATE, DeadlineKind.ONGOING) or first.due_date is None:
        return None
    stages = []
    for part in parts[1:]:
        found = _stage_period(part, year=year, written=written)
        if found is None:
            return None
        stages.append(Stage(label=found[0], due_date=found[1], outcome=part))
    labels = [stage.label for stage in stages]
    if len(set(labels)) != len(labels):
        return None
    return Deadline(first.kind, first.due_date, None, first.warning, tuple(stages))


def frequency_day(text: str) -> tuple[int | None, str]:
    """The day of the month a frequency names (每月25日前 → 25), with a warning when it cannot be kept."""
    match = _FREQUENCY_DAY.search(squeeze(text))
    if match is None:
        return None, ""
    day = int(match[1])
    if not 1 <= day <= 31:
        return None, _("“%(text)s” names no day of a month; each occurrence is due at the period's end.") % {
            "text": match[0]
        }
    if _PREVIOUS_PERIOD.search(squeeze(text)):
        return None, _(
            "“%(text)s” reports on the period before: each occurrence is due at its period's end, not on day "
            "%(day)s of it."
        ) % {"text": match[0], "day": day}
    return day, ""


def _recurring(frequencies: list[Frequency], year_end: dt.date, *texts: str) -> Deadline:
    deadline = _recurring_frequency(frequencies, year_end)
    for text in texts:
        day, warning = frequency_day(text)
        if day is not None or warning:
            warnings = " ".join(w for w in (deadline.warning, warning) if w)
            return Deadline(deadline.kind, deadline.due_date, deadline.frequency, warnings, day=day)
    return deadline


def _recurring_frequency(frequencies: list[Frequency], year_end: dt.date) -> Deadline:
    if not frequencies:
        return Deadline(
            DeadlineKind.RECURRING,
            year_end,
            None,
            _(
                "Recurring, but neither the deadline nor the task says how often (每月, 每两月, 每季度, 每半年, "
                "每年): set the frequency on the task."
            ),
        )
    warning = ""
    if len(frequencies) > 1:
        warning = _("Several frequencies are named (%(found)s); the most frequent, %(chosen)s, is used.") % {
            "found": ", ".join(str(f.label) for f in frequencies),
            "chosen": frequencies[0].label,
        }
    return Deadline(DeadlineKind.RECURRING, year_end, frequencies[0], warning)


def parse_deadline(written: str, *, year: int, task_text: str = "") -> Deadline:
    """Read a 完成时限 cell for a plan of ``year``; ``task_text`` gives the frequency of recurring work."""
    _check_year(year)
    text = squeeze(written)
    if not text:
        raise DeadlineError(_("The deadline is empty."))
    if len(text) > 100:
        raise DeadlineError(
            _("The deadline is too long to be a deadline (%(length)s characters).") % {"length": len(text)}
        )
    year_end = dt.date(year, 12, 31)
    if text in DONE_WORDS:
        return Deadline(DeadlineKind.DONE, None)
    if text.startswith(RECURRING_WORDS):
        own = detect_frequencies(text)
        return _recurring(own or detect_frequencies(task_text), year_end, text, *([] if own else [task_text]))
    due = _period_end(_TRAILING.sub("", text), year=year, written=written)
    if due is None:
        due = _range_end(_TRAILING.sub("", text), year=year, written=written)
    if due is not None:
        warning = ""
        if due.year != year:
            warning = _("The deadline %(date)s is outside the plan year %(year)s.") % {
                "date": due.isoformat(),
                "year": year,
            }
        return Deadline(DeadlineKind.DATE, due, None, warning)
    if own := detect_frequencies(text):
        return _recurring(own, year_end, text)
    if staged := _stages(text, year=year, task_text=task_text, written=written):
        return staged
    if (until := _ONGOING_UNTIL.match(text)) and (
        due := _period_end(_TRAILING.sub("", until[1]), year=year, written=written)
    ):
        return Deadline(DeadlineKind.ONGOING, due)
    if text.startswith(ONGOING_WORDS):
        return Deadline(DeadlineKind.ONGOING, year_end)
    raise DeadlineError(
        _(
            "“%(text)s” is not a deadline this system can read: write a date (8月31日, 2023年8月31日, "
            "2023-08-31), a month (9月底), a quarter or half year, 已完成, 持续推进 or 按频次要求持续推进."
        )
        % {"text": written}
    )


def parse_period_end(written: str, *, year: int) -> dt.date:
    """The due date of a milestone column: the end of the period its header names (“2022-2024年” → 2024-12-31)."""
    _check_year(year)
    text = _TRAILING.sub("", squeeze(written))
    due = _period_end(text, year=year, written=written)
    if due is None:
        # Headers often wrap the period in words: “近期目标(2023年)”, “2024-2025年预期目标”.
        candidates = re.findall(
            r"\d{4}年?[-—–~至到]\d{4}年?|\d{4}年(?:[上下]半年|第?[一二三四1-4]季度|\d{1,2}月(?:\d{1,2}日)?)?", text
        )
        for candidate in reversed(candidates):
            due = _period_end(candidate, year=year, written=written)
            if due is not None:
                break
    if due is None:
        raise DeadlineError(_("“%(text)s” does not name a period (such as 2023年 or 2022-2024年).") % {"text": written})
    return due
