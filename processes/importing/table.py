"""Find the task table in a grid and read its rows: header names as offices write them, title rows above the
header, a two-level header whose sub-columns are milestones, section rows that give the category below them,
vertically merged rows that continue a task, and extra columns kept as task fields."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from .deadlines import DeadlineError, parse_period_end
from .problems import Problems
from .readers import Cell, Grid, column_letter

HEADER_SCAN_ROWS = 30


class ColumnRole(StrEnum):
    NUMBER = "number"
    TASK = "task"
    UNITS = "units"
    CO_UNITS = "co_units"
    DEADLINE = "deadline"
    CATEGORY = "category"


REQUIRED_ROLES = (ColumnRole.NUMBER, ColumnRole.TASK, ColumnRole.UNITS, ColumnRole.DEADLINE)
ROLE_NAMES = {
    ColumnRole.NUMBER: "序号",
    ColumnRole.TASK: "任务",
    ColumnRole.UNITS: "责任单位",
    ColumnRole.CO_UNITS: "配合单位",
    ColumnRole.DEADLINE: "完成时限",
    ColumnRole.CATEGORY: "类别",
}
_EXACT = {
    ColumnRole.NUMBER: {"序号", "编号", "序列号", "no", "no."},
    ColumnRole.TASK: {
        "任务",
        "任务清单",
        "工作任务",
        "重点任务",
        "主要任务",
        "具体任务",
        "任务内容",
        "工作内容",
        "工作要点",
    },
    ColumnRole.UNITS: {"责任单位", "责任主体", "牵头单位", "责任部门", "牵头部门", "牵头责任单位", "主责单位"},
    ColumnRole.CO_UNITS: {"配合单位", "协办单位", "配合部门", "参与单位", "协同单位", "协作单位"},
    ColumnRole.DEADLINE: {"完成时限", "完成时间", "时间节点", "完成期限", "时限", "时限要求", "完成时限要求"},
    ColumnRole.CATEGORY: {"类别", "分类", "领域", "类型", "任务类别"},
}
_SECTION_MARK = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|[IVXⅠⅡⅢⅣⅤ]+[-.、]|第[一二三四五六七八九十]+[部分章节])"
)
_NUMBER = re.compile(r"^\d{1,4}(?:[.\-]\d{1,3})*$")
_NOTE_ROW = re.compile(r"^(?:注|备注|说明)[::\d]")


def header_key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def header_role(text: str) -> ColumnRole | None:
    key = header_key(re.sub(r"\(.*?\)", "", text)) or header_key(text)
    for role, names in _EXACT.items():
        if key in names:
            return role
    if "序号" in key:
        return ColumnRole.NUMBER
    if any(word in key for word in ("配合", "协办", "协同")):
        return ColumnRole.CO_UNITS
    if any(word in key for word in ("责任", "牵头")) and any(word in key for word in ("单位", "部门", "主体")):
        return ColumnRole.UNITS
    if any(word in key for word in ("时限", "完成时间", "时间节点", "完成期限")):
        return ColumnRole.DEADLINE
    if "任务" in key:
        return ColumnRole.TASK
    return None


@dataclass
class MilestoneCell:
    label: str
    due_date: dt.date
    outcome: str


@dataclass
class ParsedTask:
    number: str
    row: int
    text: str
    category: str
    units_text: str
    co_units_text: str
    deadline_text: str
    milestones: list[MilestoneCell] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    continuation_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, units, co-units)


@dataclass
class Layout:
    header_row: int  # index into grid.rows
    first_data_row: int
    roles: dict[ColumnRole, int]
    milestone_columns: list[tuple[int, str, dt.date]]  # (column, label, due date)
    co_unit_columns: list[int]
    extra_columns: list[tuple[int, str]]
    title: str


@dataclass
class ParsedTable:
    grid: Grid
    layout: Layout
    tasks: list[ParsedTask]


def _row_texts(row: list[Cell]) -> list[str]:
    return [cell.text for cell in row]


def _score(row: list[Cell]) -> dict[ColumnRole, int]:
    roles: dict[ColumnRole, int] = {}
    for index, cell in enumerate(row):
        role = header_role(cell.text) if cell.text and len(cell.text) <= 30 else None
        if role is not None and role not in roles:
            roles[role] = index
    return roles


def find_layout(grid: Grid, *, year: int, problems: Problems) -> Layout | None:
    """Locate the header row (possibly two-level) and what each column holds. None if this grid has none."""
    best: tuple[int, dict[ColumnRole, int]] | None = None
    for index, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        roles = _score(row)
        if best is None or len(roles) > len(best[1]):
            best = (index, roles)
        if ColumnRole.NUMBER in roles and ColumnRole.TASK in roles and len(roles) >= 3:
            return _layout_from(grid, index, roles, year=year, problems=problems)
    return None


def missing_columns_problem(grid: Grid, problems: Problems) -> None:
    """Report the columns missing from the row that looks most like a header."""
    best_index, best_roles = 0, dict[ColumnRole, int]()
    for index, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        roles = _score(row)
        if len(roles) > len(best_roles):
            best_index, best_roles = index, roles
    missing = [ROLE_NAMES[role] for role in REQUIRED_ROLES if role not in best_roles]
    if best_roles:
        problems.error(
            _("Required column missing: %(columns)s (the header row has %(found)s).")
            % {
                "columns": "、".join(missing),
                "found": "、".join(t for t in _row_texts(grid.rows[best_index]) if t) or _("nothing"),
            },
            row=grid.numbers[best_index],
        )
    else:
        problems.error(
            _("No header row found in the first %(rows)s rows: the table needs the columns %(columns)s.")
            % {"rows": HEADER_SCAN_ROWS, "columns": "、".join(ROLE_NAMES[role] for role in REQUIRED_ROLES)}
        )


def _title_above(grid: Grid, header_index: int) -> str:
    for row in grid.rows[:header_index]:
        texts = {cell.text for cell in row if cell.text}
        if len(texts) == 1:
            title = texts.pop().replace("\n", "")
            title = re.sub(r"^附件\s*\d*\s*[::]?\s*", "", title).strip()
            if title:
                return title
    return ""


def _layout_from(
    grid: Grid, header_index: int, detected: dict[ColumnRole, int], *, year: int, problems: Problems
) -> Layout:
    header = grid.rows[header_index]
    width = max(len(row) for row in grid.rows)
    line = grid.numbers[header_index]
    header_cells = header + [Cell("")] * (width - len(header))
    # A parent header covers the empty cells to its right, as a CSV writes a merged parent (完成时限,,).
    parents: list[str] = []
    for cell in header_cells:
        parents.append(cell.text or (parents[-1] if parents else ""))

    # A second header row: the 序号 column is empty there (or the vertical continuation of 序号), and some
    # column has a text of its own (a sub-column such as 2022-2024年).
    sub_index = header_index + 1
    sub_row = grid.rows[sub_index] if sub_index < len(grid.rows) else []
    sub_cells = sub_row + [Cell("")] * (width - len(sub_row))

    def own_sub(col: int) -> str:
        cell = sub_cells[col]
        if not cell.text or (cell.merged and cell.text == header_cells[col].text):
            return ""
        return cell.text

    def spanned(col: int) -> bool:
        """The column sits under a parent header that covers more than one column."""

        def continues(c: int) -> bool:
            return c < width and bool(parents[c]) and (not header_cells[c].text or header_cells[c].merged)

        return continues(col) or continues(col + 1)

    two_level = (
        bool(sub_row)
        and not own_sub(detected[ColumnRole.NUMBER])
        and any(own_sub(col) and spanned(col) for col in range(width))
    )

    roles: dict[ColumnRole, int] = {}
    milestone_columns: list[tuple[int, str, dt.date]] = []
    co_unit_columns: list[int] = []
    extra_columns: list[tuple[int, str]] = []
    for col in range(width):
        header_cell = header_cells[col]
        sub = own_sub(col) if two_level else ""
        parent_role = header_role(parents[col]) if parents[col] else None
        if sub and parent_role == ColumnRole.DEADLINE:
            try:
                due = parse_period_end(sub, year=year)
            except DeadlineError as exc:
                problems.error(str(exc), row=grid.numbers[sub_index], column=column_letter(col), field=parents[col])
                continue
            milestone_columns.append((col, sub, due))
            continue
        if sub and parent_role in (ColumnRole.UNITS, ColumnRole.CO_UNITS):
            if header_role(sub) == ColumnRole.CO_UNITS or parent_role == ColumnRole.CO_UNITS:
                co_unit_columns.append(col)
            else:
                roles.setdefault(ColumnRole.UNITS, col)
            continue
        if sub:
            extra_columns.append((col, f"{parents[col]}/{sub}" if parents[col] else sub))
            continue
        if not header_cell.text or header_cell.merged:
            continue
        role = header_role(header_cell.text)
        if role is None:
            extra_columns.append((col, header_cell.text))
        elif role == ColumnRole.CO_UNITS:
            co_unit_columns.append(col)
        elif role in roles:
            problems.error(
                _("Two columns are read as %(role)s: %(first)s and %(second)s; rename one of them.")
                % {"role": ROLE_NAMES[role], "first": column_letter(roles[role]), "second": column_letter(col)},
                row=line,
                column=column_letter(col),
                field=header_cell.text,
            )
        else:
            roles[role] = col

    for role in REQUIRED_ROLES:
        if role not in roles and not (role == ColumnRole.DEADLINE and milestone_columns):
            problems.error(_("Required column missing: %(columns)s.") % {"columns": ROLE_NAMES[role]}, row=line)
    if ColumnRole.DEADLINE in roles and milestone_columns:
        roles.pop(ColumnRole.DEADLINE)
    return Layout(
        header_row=header_index,
        first_data_row=header_index + (2 if two_level else 1),
        roles=roles,
        milestone_columns=milestone_columns,
        co_unit_columns=co_unit_columns,
        extra_columns=extra_columns,
        title=_title_above(grid, header_index),
    )


def _cell(row: list[Cell], col: int | None) -> Cell:
    if col is None or col >= len(row):
        return Cell("")
    return row[col]


def normalise_number(text: str) -> str:
    text = text.strip().rstrip(".、")
    return text


def read_tasks(grid: Grid, layout: Layout, problems: Problems) -> list[ParsedTask]:
    tasks: list[ParsedTask] = []
    category = ""
    seen: dict[str, int] = {}
    number_col = layout.roles[ColumnRole.NUMBER]
    task_col = layout.roles[ColumnRole.TASK]
    units_col = layout.roles.get(ColumnRole.UNITS)
    deadline_col = layout.roles.get(ColumnRole.DEADLINE)
    category_col = layout.roles.get(ColumnRole.CATEGORY)
    field_names = {col: text for col, text in layout.extra_columns}
    for index in range(layout.first_data_row, len(grid.rows)):
        row = grid.rows[index]
        line = grid.numbers[index]
        texts = [cell.text for cell in row]
        filled = [text for text in texts if text]
        if not filled:
            continue
        number_cell = _cell(row, number_col)
        number = normalise_number(number_cell.text)
        distinct = set(filled)
        if _NOTE_ROW.match(filled[0]) and len(distinct) == 1:
            problems.warning(
                _("A note row is not a task and was skipped: %(text)s") % {"text": filled[0][:60]}, row=line
            )
            continue
        if len(distinct) == 1 and (not number or not _NUMBER.match(number)):
            category = filled[0].replace("\n", "")
            continue
        if number and _SECTION_MARK.match(number) and not _cell(row, task_col).text:
            category = " ".join(t for t in dict.fromkeys(filled)).replace("\n", "")
            continue
        if number_cell.merged and tasks and number == tasks[-1].number:
            tasks[-1].continuation_rows.append(
                (
                    line,
                    _cell(row, units_col).text,
                    "、".join(_cell(row, c).text for c in layout.co_unit_columns if _cell(row, c).text),
                )
            )
            deadline_text = _cell(row, deadline_col).text
            if deadline_col is not None and deadline_text and deadline_text != tasks[-1].deadline_text:
                problems.error(
                    _(
                        "This row continues task %(number)s but gives another deadline (%(this)s, not %(that)s); "
                        "give the unit its own row with its own 序号."
                    )
                    % {"number": number, "this": deadline_text, "that": tasks[-1].deadline_text},
                    row=line,
                    column=column_letter(deadline_col),
                    field=grid.rows[layout.header_row][deadline_col].text,
                )
            continue
        if not number:
            problems.error(
                _("The row has no 序号."),
                row=line,
                column=column_letter(number_col),
                field=_cell(grid.rows[layout.header_row], number_col).text,
            )
            continue
        if not _NUMBER.match(number):
            problems.error(
                _("“%(number)s” is not a 序号 (expected a number such as 12 or 3.1).") % {"number": number},
                row=line,
                column=column_letter(number_col),
                field=_cell(grid.rows[layout.header_row], number_col).text,
            )
            continue
        if number in seen:
            problems.error(
                _("Duplicate 序号 %(number)s: row %(first)s has it too.") % {"number": number, "first": seen[number]},
                row=line,
                column=column_letter(number_col),
                field=_cell(grid.rows[layout.header_row], number_col).text,
            )
            continue
        seen[number] = line
        task = ParsedTask(
            number=number,
            row=line,
            text=_cell(row, task_col).text,
            category=_cell(row, category_col).text.replace("\n", "") or category,
            units_text=_cell(row, units_col).text,
            co_units_text="、".join(_cell(row, c).text for c in layout.co_unit_columns if _cell(row, c).text),
            deadline_text=_cell(row, deadline_col).text,
            extra={name: _cell(row, col).text for col, name in field_names.items() if _cell(row, col).text},
        )
        for col, label, due in layout.milestone_columns:
            outcome = _cell(row, col).text
            if outcome:
                task.milestones.append(MilestoneCell(label=label, due_date=due, outcome=outcome))
        tasks.append(task)
    return tasks


def parse_grids(grids: list[Grid], *, year: int, problems: Problems) -> ParsedTable | None:
    """The first grid that holds a task table, read. Reports missing columns when none does."""
    for grid in grids:
        layout = find_layout(grid, year=year, problems=problems)
        if layout is not None:
            return ParsedTable(grid=grid, layout=layout, tasks=read_tasks(grid, layout, problems))
    if grids:
        missing_columns_problem(max(grids, key=lambda g: len(g.rows)), problems)
    else:
        problems.error(_("The file holds no table."))
    return None
