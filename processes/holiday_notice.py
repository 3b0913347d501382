"""Reading the State Council's yearly holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) as published.

``parse_holiday_notice(text)`` returns the year, the days off and the make-up working days (调休上班) the notice
names, festival by festival. It reads every wording the notices have used: 周一 or 星期一, 放假调休, 补休, 与周末连休,
不调休, a range across months (4月29日至5月3日) or across the year (2022年12月31日至2023年1月2日, or a December day in
the 元旦 item), and bracketed notes such as （农历除夕、周二）. It reads nothing else: text it cannot account for is
refused with a ``HolidayNoticeError`` that quotes the sentence, so that what is confirmed is exactly what was
published. The module is pure: no database, no clock.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
NEW_YEAR = "元旦"
WEEKDAYS = "一二三四五六日"  # Monday … Sunday, as written after 周 or 星期
QUOTE_MAX = 120  # characters of a sentence quoted in an error

# Pasted text mixes full-width and ASCII punctuation; the notice is read (and quoted) in its published form.
_PUNCTUATION = str.maketrans(
    {":": "：", ",": "，", "(": "（", ")": "）", ";": "；", **{chr(0xFF10 + digit): str(digit) for digit in range(10)}}
)
_WHITESPACE = re.compile(r"\s+")
_FESTIVAL = "(?:" + "|".join(FESTIVALS) + ")"
_TITLE_YEAR = re.compile(r"关于(\d{4})年部分节假日安排")
_BODY_YEAR = re.compile(r"现将(\d{4})年(?:元旦|春节|清明节|劳动节|端午节|中秋节|国庆节|部分节假日)")
_SIGNATURE = re.compile(r"国务院办公厅\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
# A numbered item: one naming festivals wherever it stands, or any other at the start of a line or sentence (so
# that an item this module does not know is refused rather than read as part of the item before it).
_ITEM = re.compile(
    rf"([一二三四五六七八九十]{{1,3}})\s*、\s*({_FESTIVAL}(?:\s*[、和及]\s*{_FESTIVAL})*)\s*："
    r"|(?:^|(?<=[\s。：；]))([一二三四五六七八九十]{1,3})、([^：，。、\s]{1,12}(?:、[^：，。、\s]{1,12})*)："
)
_DATE = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:（([^（）]*)）)?")
_WEEKDAY = re.compile(r"(?:星期|周)([一二三四五六日天])")
_COUNT = re.compile(r"(?:共|放假)(\d{1,2}|[一二三四五六七八九十]{1,2})天")
_CHINESE_NUMBERS = {char: value for value, char in enumerate("一二三四五六七八九十", start=1)}


class HolidayNoticeError(ValueError):
    """The text is not a holiday notice this module can read; ``sentence`` is the part it could not read."""

    def __init__(self, message: str, sentence: str = "") -> None:
        super().__init__(message)
        self.sentence = sentence


@dataclass(frozen=True)
class FestivalDays:
    """One numbered item of the notice: 六、中秋节、国庆节：… names two festivals and one stretch of days off."""

    names: tuple[str, ...]
    holidays: tuple[dt.date, ...]
    workdays: tuple[dt.date, ...]
    joins_weekend: bool  # 与周末连休: the weekend next to the days off is a plain weekend, not named
    text: str


@dataclass(frozen=True)
class ParsedNotice:
    year: int
    holidays: list[dt.date]
    workdays: list[dt.date]
    festivals: tuple[FestivalDays, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "holidays": [day.isoformat() for day in self.holidays],
            "workdays": [day.isoformat() for day in self.workdays],
        }


def _quote(sentence: str) -> str:
    return sentence if len(sentence) <= QUOTE_MAX else sentence[: QUOTE_MAX - 1] + "…"


def _fail(message: str, sentence: str, **values: object) -> HolidayNoticeError:
    quoted = _quote(sentence)
    return HolidayNoticeError(message % {"sentence": quoted, **values}, quoted)


def _number(text: str) -> int:
    """A count of days as written: 7, 七, 十, 十一, 二十."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _CHINESE_NUMBERS[text]
    tens, units = text.split("十", 1)
    return (_CHINESE_NUMBERS[tens] if tens else 1) * 10 + (_CHINESE_NUMBERS[units] if units else 0)


def _split_outside_brackets(text: str, separators: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += char == "（"
        depth -= char == "）"
        if char in separators and depth <= 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part]


def _notice_year(text: str) -> int:
    title = {int(year) for year in _TITLE_YEAR.findall(text)}
    body = {int(year) for year in _BODY_YEAR.findall(text)}
    years = title | body
    first = text[: text.find("。") + 1] if "。" in text else text
    if not years:
        raise _fail(
            _("The notice does not say its year (国务院办公厅关于YYYY年部分节假日安排的通知): “%(sentence)s”"),
            first,
        )
    if len(years) > 1:
        raise _fail(
            _("The notice names more than one year (%(years)s): “%(sentence)s”"),
            first,
            years="、".join(str(year) for year in sorted(years)),
        )
    return years.pop()


class _Item:
    """Reads one numbered festival item, sentence by sentence and clause by clause."""

    def __init__(self, year: int, names: tuple[str, ...], text: str) -> None:
        self.year = year
        self.names = names
        self.text = text
        self.holidays: list[dt.date] = []
        self.workdays: list[dt.date] = []
        self.joins_weekend = False
        self.workday_sentences: dict[dt.date, str] = {}

    def read(self, header: str, body: str) -> FestivalDays:
        sentences = re.findall(r"[^。]+。?", body)
        for position, sentence in enumerate(sentences):
            quoted = header + sentence if position == 0 else sentence
            self._sentence(sentence.rstrip("。"), quoted)
        if not self.holidays:
            raise _fail(_("No days off in “%(sentence)s”."), header + (sentences[0] if sentences else ""))
        return FestivalDays(
            names=self.names,
            holidays=tuple(sorted(set(self.holidays))),
            workdays=tuple(sorted(set(self.workdays))),
            joins_weekend=self.joins_weekend,
            text=self.text,
        )

    def _sentence(self, sentence: str, quoted: str) -> None:
        if not _DATE.search(sentence) or sentence.startswith("鼓励"):
            return  # 节假日期间… or 鼓励…安排职工在除夕（2月9日）休息: advice, not a day off
        count: int | None = None
        named: list[dt.date] = []
        for clause in _split_outside_brackets(sentence, "，；"):
            matches = list(_DATE.finditer(clause))
            if not matches:
                if found := _COUNT.fullmatch(clause):
                    count = _number(found.group(1))
                self.joins_weekend |= "连休" in clause
                continue
            kind, days, clause_count = self._clause(clause, matches, quoted)
            count = clause_count if clause_count is not None else count
            if kind == "off":
                named.extend(days)
                self.holidays.extend(days)
            else:
                self.workdays.extend(days)
                self.workday_sentences.update(dict.fromkeys(days, quoted))
        if count is not None and named and "连休" not in sentence and count != len(set(named)):
            raise _fail(
                _("“%(sentence)s” says %(count)s days but names %(named)s."), quoted, count=count, named=len(set(named))
            )

    def _clause(self, clause: str, matches: list[re.Match[str]], quoted: str) -> tuple[str, list[dt.date], int | None]:
        unreadable = _("Cannot read the dates in “%(sentence)s”.")
        if matches[0].start() != 0:
            raise _fail(unreadable, quoted)
        suffix = clause[matches[-1].end() :]
        count = None
        if suffix.startswith("放假") or suffix.startswith("补休"):
            kind = "off"
            if found := _COUNT.search(suffix):
                count = _number(found.group(1))
        elif suffix == "上班":
            kind = "work"
        else:
            raise _fail(unreadable, quoted)
        days: list[dt.date] = []
        previous: dt.date | None = None
        range_from: dt.date | None = None
        for position, match in enumerate(matches):
            if position:
                joint = clause[matches[position - 1].end() : match.start()]
                if joint not in ("至", "、", "和", "及"):
                    raise _fail(unreadable, quoted)
                range_from = previous if joint == "至" else None
            day = self._date(match, previous, quoted)
            if range_from is not None:
                if day < range_from:
                    raise _fail(unreadable, quoted)
                days.extend(range_from + dt.timedelta(days=offset) for offset in range(1, (day - range_from).days + 1))
            else:
                days.append(day)
            previous = day
        if kind == "work":
            for day in days:
                if day.weekday() < 5:
                    raise _fail(
                        _("“%(sentence)s”: %(date)s is a working day anyway, not a Saturday or Sunday."),
                        quoted,
                        date=day.isoformat(),
                    )
        return kind, days, count

    def _date(self, match: re.Match[str], previous: dt.date | None, quoted: str) -> dt.date:
        year_text, month_text, day_text, note = match.groups()
        if month_text is None:
            if previous is None:
                raise _fail(_("Cannot read the dates in “%(sentence)s”."), quoted)
            year, month = previous.year, previous.month
        else:
            month = int(month_text)
            year = self.year - 1 if month == 12 and NEW_YEAR in self.names else self.year
        if year_text is not None:
            year = int(year_text)
        try:
            day = dt.date(year, month, int(day_text))
        except ValueError as exc:
            raise _fail(_("“%(sentence)s”: %(date)s is not a date."), quoted, date=match.group(0)) from exc
        if not dt.date(self.year - 1, 12, 1) <= day <= dt.date(self.year, 12, 31):
            raise _fail(
                _("“%(sentence)s”: %(date)s is outside the notice's year %(year)s."),
                quoted,
                date=day.isoformat(),
                year=self.year,
            )
        if note and (written := _WEEKDAY.search(note)):
            expected = written.group(1).replace("天", "日")
            actual = WEEKDAYS[day.weekday()]
            if expected != actual:
                raise _fail(
                    _("“%(sentence)s”: %(date)s is a 星期%(actual)s, not a 星期%(written)s."),
                    quoted,
                    date=day.isoformat(),
                    actual=actual,
                    written=expected,
                )
        return day


def _festival_names(names_text: str, quoted: str) -> tuple[str, ...]:
    names = tuple(name for name in re.split("[、和及]", names_text) if name)
    unknown = [name for name in names if name not in FESTIVALS]
    if unknown:
        raise _fail(_("Unknown festival “%(name)s” in “%(sentence)s”."), quoted, name="、".join(unknown))
    return names


def parse_holiday_notice(text: str) -> ParsedNotice:
    """The year, days off and make-up working days of the notice ``text`` (the notice as published, pasted).

    Raises ``HolidayNoticeError`` naming the sentence it could not read."""
    text = text.translate(_PUNCTUATION).replace("\ufeff", "").strip()
    if not text:
        raise HolidayNoticeError(_("The notice is empty."))
    year = _notice_year(_WHITESPACE.sub("", text))
    text = _SIGNATURE.sub("", text)  # 国务院办公厅 2023年10月25日: the date it was signed, not a holiday
    items = list(_ITEM.finditer(text))
    if not items:
        flat = _WHITESPACE.sub("", text)
        raise _fail(_("No festival items (一、元旦：…) found in “%(sentence)s”."), flat)
    festivals: list[FestivalDays] = []
    workday_sentences: dict[dt.date, str] = {}
    for position, match in enumerate(items):
        end = items[position + 1].start() if position + 1 < len(items) else len(text)
        header = _WHITESPACE.sub("", match.group(0))
        body = _WHITESPACE.sub("", text[match.end() : end])
        quoted = header + body.split("。")[0] + "。"
        names = _festival_names(_WHITESPACE.sub("", match.group(2) or match.group(4)), quoted)
        item = _Item(year, names, header + body)
        festivals.append(item.read(header, body))
        workday_sentences.update(item.workday_sentences)
    holidays = sorted({day for festival in festivals for day in festival.holidays})
    workdays = sorted({day for festival in festivals for day in festival.workdays})
    if both := sorted(set(holidays) & set(workdays)):
        raise _fail(
            _("“%(sentence)s”: %(date)s is both a day off and a working day."),
            workday_sentences[both[0]],
            date=both[0].isoformat(),
        )
    return ParsedNotice(year=year, holidays=holidays, workdays=workdays, festivals=tuple(festivals))
