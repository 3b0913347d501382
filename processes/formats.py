"""How documents write dates: 2023年10月11日 (GB/T 9704-2012 7.3.5.5: Arabic numerals, the year in full, month and day
without a leading zero), never 2023-10-11."""

from __future__ import annotations

import datetime as dt


def chinese_date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_month_span(start: dt.date, end: dt.date) -> str:
    """2023年7—9月, 2023年7月3日—9月29日, 2023年12月—2024年1月: a period as a document names it."""
    if start.year != end.year:
        return f"{chinese_date(start)}—{chinese_date(end)}"
    if start.day == 1 and (end + dt.timedelta(days=1)).day == 1:
        if start.month == end.month:
            return f"{start.year}年{start.month}月"
        return f"{start.year}年{start.month}—{end.month}月"
    return f"{chinese_date(start)}—{end.month}月{end.day}日"
