"""How documents write dates: 2023年10月11日 (GB/T 9704-2012 7.3.5.5: Arabic numerals, the year in full, month and day
without a leading zero), never 2023-10-11."""

from __future__ import annotations

import datetime as dt


def chinese_date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


QUARTERS = "一二三四"


def period_name(start: dt.date, end: dt.date) -> str:
    """The period as Chinese documents name it: 2023年度 (a calendar year), 2023年第三季度 (a calendar quarter),
    2023年7—9月 or 2023年7月 (whole months), otherwise its dates, 2023年7月3日—9月29日 (the year written once when
    both ends share it). Not translated: a form of dates, as the exports' dates are."""
    whole_months = start.day == 1 and (end + dt.timedelta(days=1)).day == 1
    if whole_months and start.year == end.year:
        year = f"{start.year}年"
        if (start.month, end.month) == (1, 12):
            return f"{start.year}年度"
        if start.month % 3 == 1 and end.month == start.month + 2:
            return f"{year}第{QUARTERS[start.month // 3]}季度"
        if start.month == end.month:
            return f"{year}{start.month}月"
        return f"{year}{start.month}—{end.month}月"
    if whole_months:
        return f"{start.year}年{start.month}月—{end.year}年{end.month}月"
    if start == end:
        return chinese_date(start)
    if start.year == end.year:
        return f"{chinese_date(start)}—{end.month}月{end.day}日"
    return f"{chinese_date(start)}—{chinese_date(end)}"
