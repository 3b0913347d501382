"""Where the characters of a PDF stand, in millimetres from the top-left corner of their page, with their font and
size: what a layout test measures (GB/T 9704 gives its figures in mm and pt)."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTPage

MM = 72 / 25.4  # PDF points in a millimetre


@dataclass(frozen=True)
class Char:
    text: str
    left: float  # mm from the page's left edge
    right: float
    top: float  # mm from the page's top edge (the glyph box)
    bottom: float
    size: float  # pt
    font: str


@dataclass
class Line:
    chars: list[Char]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)

    @property
    def left(self) -> float:
        return min(c.left for c in self.chars)

    @property
    def right(self) -> float:
        return max(c.right for c in self.chars)

    @property
    def baseline(self) -> float:
        return max(c.bottom for c in self.chars)


def _walk(item: object) -> list[LTChar]:
    if isinstance(item, LTChar):
        return [item]
    found: list[LTChar] = []
    for child in getattr(item, "_objs", []) or []:
        found += _walk(child)
    return found


def pages(pdf: bytes) -> list[list[Char]]:
    result = []
    for page in extract_pages(io.BytesIO(pdf)):
        assert isinstance(page, LTPage)
        height = page.height
        result.append(
            [
                Char(
                    text=c.get_text(),
                    left=c.x0 / MM,
                    right=c.x1 / MM,
                    top=(height - c.y1) / MM,
                    bottom=(height - c.y0) / MM,
                    size=round(c.size, 2),
                    font=c.fontname,
                )
                for c in _walk(page)
                if c.get_text().strip()
            ]
        )
    return result


def lines(chars: list[Char], *, size: float | None = None) -> list[Line]:
    """The characters (of one font size, if given) grouped into lines by their baseline, top to bottom."""
    grouped: dict[int, list[Char]] = defaultdict(list)
    for char in chars:
        if size is None or abs(char.size - size) < 0.3:
            grouped[round(char.bottom * 2)].append(char)
    return [Line(sorted(group, key=lambda c: c.left)) for _key, group in sorted(grouped.items())]


def rules(pdf: bytes) -> list[list[tuple[float, float, float]]]:
    """The horizontal rules of each page as (top in mm, left, right), top to bottom."""
    from pdfminer.layout import LTCurve, LTLine, LTRect

    found = []
    for page in extract_pages(io.BytesIO(pdf)):
        height = page.height
        here = set()
        stack: list[object] = [page]
        while stack:
            item = stack.pop()
            stack.extend(getattr(item, "_objs", []) or [])
            if isinstance(item, (LTRect, LTLine, LTCurve)) and item.width > 10 and item.height < 2:
                here.add((round((height - item.y0) / MM, 1), round(item.x0 / MM, 1), round(item.x1 / MM, 1)))
        found.append(sorted(here))
    return found
