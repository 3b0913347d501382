"""Charts drawn as inline SVG on the server: readable without scripts, printable, and testable as HTML."""

from __future__ import annotations

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
