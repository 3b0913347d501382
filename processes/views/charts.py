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
