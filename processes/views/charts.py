"""Charts drawn as inline SVG on the server: readable without scripts, printable, and testable as HTML."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any


def burndown_chart(points: list[Any], *, width: int = 640, height: int = 200) -> dict[str, Any]:
    """Coordinates for the inline SVG of the 销号清零 curve."""
    if not points:
        return {}
    top = max(point.open for point in points) or 1
    step = (width - 60) / max(len(points) - 1, 1)
    placed = [
        {
            "x": round(40 + index * step, 1),
            "y": round(20 + (height - 60) * (1 - point.open / top), 1),
            "open": point.open,
            "label": point.label,
            "day": point.day,
        }
        for index, point in enumerate(points)
    ]
    return {
        "width": width,
        "height": height,
        "points": placed,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in placed),
        "top": top,
        "baseline": height - 40,
    }


def stacked_bars(
    rows: list[tuple[str, list[int]]], colours: list[str], *, width: int = 640, bar: int = 18, label_width: int = 150
) -> dict[str, Any]:
    """Coordinates for horizontal stacked bars, one per row: ``(label, [segment values])``, scaled to the
    largest total; each segment carries its value for a title and for tests."""
    if not rows:
        return {}
    top = max(sum(values) for _label, values in rows) or 1
    span = width - label_width - 50
    placed = []
    for index, (label, values) in enumerate(rows):
        x = float(label_width)
        y = 10 + index * (bar + 8)
        segments = []
        for value, colour in zip(values, colours, strict=True):
            w = round(span * value / top, 1)
            segments.append({"x": round(x, 1), "w": w, "value": value, "colour": colour})
            x += w
        placed.append({"label": label, "y": y, "text_y": y + bar - 5, "segments": segments, "total": sum(values),
                       "end": round(x + 4, 1)})  # fmt: skip
    return {
        "width": width,
        "height": 20 + len(rows) * (bar + 8),
        "bar": bar,
        "rows": placed,
        "label_x": label_width - 6,
    }


def project_gantt(
    rows: list[Any],
    *,
    first_year: int,
    last_year: int,
    today: dt.date,
    width: int = 1000,
    label_width: int = 240,
    row_height: int = 30,
) -> dict[str, Any]:
    """Coordinates for the 挂图作战 chart: a time axis of the months of ``first_year``..``last_year``, one row per
    project (``ProjectLine``: its construction years as a bar, each milestone's planned date as an outlined diamond
    and its actual date as a filled one, red when it was reached late or is overdue, with a red line from the plan to
    the day it was reached or to today), and the ``today`` line when it falls on the axis."""
    months = (last_year - first_year + 1) * 12
    top = 40
    span = width - label_width - 10
    month_width = span / months

    def x(day: dt.date) -> float:
        index = (day.year - first_year) * 12 + day.month - 1
        days = calendar.monthrange(day.year, day.month)[1]
        return round(label_width + (index + (day.day - 1) / days) * month_width, 1)

    start, end = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
    axis_end = round(label_width + months * month_width, 1)
    years = [
        {"year": year, "x": x(dt.date(year, 1, 1)), "mid": round(x(dt.date(year, 7, 1)), 1)}
        for year in range(first_year, last_year + 1)
    ]
    ticks = [
        {"x": x(dt.date(first_year + index // 12, index % 12 + 1, 1)), "month": index % 12 + 1}
        for index in range(months)
    ]
    placed = []
    for index, row in enumerate(rows):
        y = top + index * row_height
        middle = y + row_height / 2
        project = row.project
        bar_start = x(max(start, dt.date(project.start_year, 1, 1)))
        bar_end = x(min(end, dt.date(project.end_year, 12, 31)))
        markers = []
        under_way = row.state in ("admitted", "building")  # a project 建成投运 owes no milestone any more
        for milestone in row.milestones:
            late = bool(milestone.late_days) or (under_way and milestone.actual is None and milestone.planned < today)
            planned_x = x(min(max(milestone.planned, start), end))
            actual_x = x(min(max(milestone.actual, start), end)) if milestone.actual else None
            late_to = actual_x if actual_x is not None else (x(min(today, end)) if late else None)
            markers.append(
                {
                    "pk": milestone.pk,
                    "kind": milestone.kind,
                    "label": milestone.label,
                    "planned": milestone.planned,
                    "actual": milestone.actual,
                    "confirmed": milestone.confirmed,
                    "late": late,
                    "planned_x": planned_x,
                    "actual_x": actual_x,
                    "late_to": late_to if late else None,
                    "diamond_planned": _diamond(planned_x, middle),
                    "diamond_actual": _diamond(actual_x, middle) if actual_x is not None else "",
                }
            )
        placed.append(
            {
                "line": row,
                "y": y,
                "middle": round(middle, 1),
                "text_y": round(middle + 4, 1),
                "bar_x": bar_start,
                "bar_w": round(max(bar_end - bar_start, 1), 1),
                "bar_y": round(middle - 5, 1),
                "markers": markers,
            }
        )
    height = top + len(rows) * row_height + 10
    return {
        "width": width,
        "height": height,
        "label_width": label_width,
        "axis_end": axis_end,
        "years": years,
        "ticks": ticks,
        "month_width": round(month_width, 2),
        "rows": placed,
        "bottom": top + len(rows) * row_height,
        "today": today,
        "today_x": x(today) if start <= today <= end else None,
    }


def _diamond(cx: float, cy: float, r: float = 6) -> str:
    return f"{cx},{round(cy - r, 1)} {round(cx + r, 1)},{cy} {cx},{round(cy + r, 1)} {round(cx - r, 1)},{cy}"
