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
MAX_TITLE = 300  # Plan.title
MAX_CATEGORY = 200  # Task.category


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
class Layout:
    """Where a grid's header is and what each of its columns holds."""

    sheet: str
    header_row: int  # index into grid.rows
    header_line: int  # the row number people see
    first_data_row: int
    roles: dict[ColumnRole, int]
    milestone_columns: list[tuple[int, str, dt.date]]  # (column, label, due date)
    co_unit_columns: list[int]
    extra_columns: list[tuple[int, str]]
    headers: list[str]  # the header text over each column, for messages
    title: str

    @property
    def complete(self) -> bool:
        roles = self.roles.keys()
        has_deadline = ColumnRole.DEADLINE in roles or bool(self.milestone_columns)
        return {ColumnRole.NUMBER, ColumnRole.TASK, ColumnRole.UNITS} <= roles and has_deadline

    def where(self, role: ColumnRole) -> dict[str, str]:
        """The column of ``role`` as problem keywords (column letter, header text, sheet)."""
        col = self.co_unit_columns[0] if role == ColumnRole.CO_UNITS and self.co_unit_columns else self.roles.get(role)
        if col is None:
            return {"column": "", "field": ROLE_NAMES[role], "sheet": self.sheet}
        return {"column": column_letter(col), "field": self.headers[col], "sheet": self.sheet}


@dataclass
class ParsedTask:
    number: str
    row: int
    text: str
    category: str
    units_text: str
    co_units_text: str
    deadline_text: str
    layout: Layout
    milestones: list[MilestoneCell] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    continuation_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, units, co-units)


@dataclass
class ParsedTable:
    """Every task of the file, from every sheet or table that has a task header, in order."""

    title: str
    tasks: list[ParsedTask]
    layouts: list[Layout]


def _score(row: list[Cell]) -> dict[ColumnRole, int]:
    roles: dict[ColumnRole, int] = {}
    for index, cell in enumerate(row):
        role = header_role(cell.text) if cell.text and len(cell.text) <= 30 else None
        if role is not None and role not in roles:
            roles[role] = index
    return roles


def find_layout(grid: Grid, *, year: int, problems: Problems) -> Layout | None:
    """Locate the header row (possibly two-level) and what each column holds. None if this grid has none."""
    for index, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        roles = _score(row)
        if ColumnRole.NUMBER in roles and ColumnRole.TASK in roles and len(roles) >= 3:
            return _layout_from(grid, index, roles, year=year, problems=problems)
    return None


def missing_columns_problem(grids: list[Grid], problems: Problems) -> None:
    """Report the columns missing from the row that looks most like a header."""
    best: tuple[Grid, int, dict[ColumnRole, int]] | None = None
    for grid in grids:
        for index, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
            roles = _score(row)
            if roles and (best is None or len(roles) > len(best[2])):
                best = (grid, index, roles)
    if best is None:
        problems.error(
            _("No header row found in the first %(rows)s rows: the table needs the columns %(columns)s.")
            % {"rows": HEADER_SCAN_ROWS, "columns": "、".join(ROLE_NAMES[role] for role in REQUIRED_ROLES)}
        )
        return
    grid, index, roles = best
    problems.error(
        _("Required column missing: %(columns)s (the header row has %(found)s).")
        % {
            "columns": "、".join(ROLE_NAMES[role] for role in REQUIRED_ROLES if role not in roles),
            "found": "、".join(cell.text for cell in grid.rows[index] if cell.text),
        },
        row=grid.numbers[index],
        sheet=grid.sheet,
    )


def _title_above(grid: Grid, header_index: int, problems: Problems) -> str:
    for line, row in zip(grid.numbers, grid.rows[:header_index], strict=False):
        texts = {cell.text for cell in row if cell.text}
        if len(texts) == 1:
            title = texts.pop().replace("\n", "")
            title = re.sub(r"^附件\s*\d*\s*[::]?\s*", "", title).strip()
            if len(title) > MAX_TITLE:
                problems.warning(
                    _(
                        "The text above the header is too long to be the plan's title (%(length)s characters); give "
                        "the title when importing."
                    )
                    % {"length": len(title)},
                    row=line,
                    sheet=grid.sheet,
                )
                continue
            if title:
                return title
    return ""


# Header roles that take one column: under a parent spanning several sub-columns, the first sub-column holds the
# role and the others are kept as extra fields.
_SINGLE_COLUMN_ROLES = (ColumnRole.NUMBER, ColumnRole.TASK, ColumnRole.CATEGORY)


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
    # column under a parent spanning several columns has a text of its own (a sub-column such as 2022-2024年).
    sub_index = header_index + 1
    sub_row = grid.rows[sub_index] if sub_index < len(grid.rows) else []
    sub_cells = sub_row + [Cell("")] * (width - len(sub_row))

    def own_sub(col: int) -> str:
        cell = sub_cells[col]
        if not cell.text or (cell.merged and cell.text == header_cells[col].text):
            return ""
        return cell.text

    def continues(col: int) -> bool:
        return col < width and bool(parents[col]) and (not header_cells[col].text or header_cells[col].merged)

    two_level = (
        bool(sub_row)
        and not own_sub(detected[ColumnRole.NUMBER])
        and any(own_sub(col) and (continues(col) or continues(col + 1)) for col in range(width))
    )
    sub_line = grid.numbers[sub_index] if two_level else line

    roles: dict[ColumnRole, int] = {}
    milestone_columns: list[tuple[int, str, dt.date]] = []
    co_unit_columns: list[int] = []
    extra_columns: list[tuple[int, str]] = []
    headers: list[str] = []
    for col in range(width):
        header_cell = header_cells[col]
        sub = own_sub(col) if two_level else ""
        parent = parents[col]
        parent_role = header_role(parent) if parent else None
        headers.append(f"{parent}/{sub}" if sub else header_cell.text or parent)
        if sub and parent_role == ColumnRole.DEADLINE:
            try:
                due = parse_period_end(sub, year=year)
            except DeadlineError as exc:
                problems.error(str(exc), row=sub_line, column=column_letter(col), field=parent, sheet=grid.sheet)
                continue
            if any(label == sub for _c, label, _d in milestone_columns):
                problems.error(
                    _("Two milestone columns are both called “%(label)s”; name each period once.") % {"label": sub},
                    row=sub_line,
                    column=column_letter(col),
                    field=parent,
                    sheet=grid.sheet,
                )
                continue
            milestone_columns.append((col, sub, due))
        elif sub and parent_role in (ColumnRole.UNITS, ColumnRole.CO_UNITS):
            if header_role(sub) == ColumnRole.CO_UNITS or parent_role == ColumnRole.CO_UNITS:
                co_unit_columns.append(col)
            else:
                roles.setdefault(ColumnRole.UNITS, col)
        elif sub and parent_role in _SINGLE_COLUMN_ROLES and parent_role not in roles:
            roles[parent_role] = col
        elif sub:
            extra_columns.append((col, headers[col]))
        elif not header_cell.text or header_cell.merged:
            continue
        elif (role := header_role(header_cell.text)) is None:
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
                sheet=grid.sheet,
            )
        else:
            roles[role] = col

    for role in REQUIRED_ROLES:
        if role not in roles and not (role == ColumnRole.DEADLINE and milestone_columns):
            problems.error(
                _("Required column missing: %(columns)s.") % {"columns": ROLE_NAMES[role]}, row=line, sheet=grid.sheet
            )
    if ColumnRole.DEADLINE in roles and milestone_columns:
        roles.pop(ColumnRole.DEADLINE)
    return Layout(
        sheet=grid.sheet,
        header_row=header_index,
        header_line=line,
        first_data_row=header_index + (2 if two_level else 1),
        roles=roles,
        milestone_columns=milestone_columns,
        co_unit_columns=co_unit_columns,
        extra_columns=extra_columns,
        headers=headers,
        title=_title_above(grid, header_index, problems),
    )


def _cell(row: list[Cell], col: int | None) -> Cell:
    if col is None or col >= len(row):
        return Cell("")
    return row[col]


def normalise_number(text: str) -> str:
    return text.strip().rstrip(".、")


class _Reader:
    """Reads the rows below one layout's header into tasks, sharing the 序号 seen across the whole file."""

    def __init__(self, grid: Grid, layout: Layout, problems: Problems, seen: dict[str, int]) -> None:
        self.grid, self.layout, self.problems, self.seen = grid, layout, problems, seen
        self.tasks: list[ParsedTask] = []
        self.category = ""

    def col(self, role: ColumnRole) -> int | None:
        return self.layout.roles.get(role)

    def error(self, message: str, line: int, role: ColumnRole) -> None:
        self.problems.error(message, row=line, **self.layout.where(role))

    def co_units(self, row: list[Cell]) -> str:
        return "、".join(_cell(row, c).text for c in self.layout.co_unit_columns if _cell(row, c).text)

    def read(self) -> list[ParsedTask]:
        for index in range(self.layout.first_data_row, len(self.grid.rows)):
            self.read_row(self.grid.rows[index], self.grid.numbers[index])
        return self.tasks

    def read_row(self, row: list[Cell], line: int) -> None:
        filled = [cell.text for cell in row if cell.text]
        if not filled:
            return
        number_cell = _cell(row, self.col(ColumnRole.NUMBER))
        number = normalise_number(number_cell.text)
        task_cell = _cell(row, self.col(ColumnRole.TASK))
        if _NOTE_ROW.match(filled[0]) and len(set(filled)) == 1:
            self.problems.warning(
                _("A note row is not a task and was skipped: %(text)s") % {"text": filled[0][:60]},
                row=line,
                sheet=self.layout.sheet,
            )
            return
        if number_cell.merged and self.tasks and number == self.tasks[-1].number:
            # 序号 merged with the row above: more units for the same task.
            if task_cell.text and not task_cell.merged and task_cell.text != self.tasks[-1].text:
                self.error(
                    _(
                        "The 序号 cell of this row is merged with task %(number)s above, but the row has a task "
                        "text of its own; give it its own 序号 or merge its task cell too."
                    )
                    % {"number": number},
                    line,
                    ColumnRole.TASK,
                )
                return
            self.continue_task(row, line)
            return
        if not _NUMBER.match(number):
            self.read_unnumbered(row, line, number, task_cell.text, filled)
            return
        if number in self.seen:
            self.error(
                _("Duplicate 序号 %(number)s: row %(first)s has it too.")
                % {"number": number, "first": self.seen[number]},
                line,
                ColumnRole.NUMBER,
            )
            return
        self.seen[number] = line
        category = _cell(row, self.col(ColumnRole.CATEGORY)).text.replace("\n", "") or self.category
        if len(category) > MAX_CATEGORY:
            self.error(
                _("The category is too long (%(length)s characters, at most %(limit)s).")
                % {"length": len(category), "limit": MAX_CATEGORY},
                line,
                ColumnRole.CATEGORY,
            )
        task = ParsedTask(
            number=number,
            row=line,
            text=task_cell.text,
            category=category[:MAX_CATEGORY],
            units_text=_cell(row, self.col(ColumnRole.UNITS)).text,
            co_units_text=self.co_units(row),
            deadline_text=_cell(row, self.col(ColumnRole.DEADLINE)).text,
            layout=self.layout,
            extra={name: _cell(row, c).text for c, name in self.layout.extra_columns if _cell(row, c).text},
        )
        for c, label, due in self.layout.milestone_columns:
            if outcome := _cell(row, c).text:
                task.milestones.append(MilestoneCell(label=label, due_date=due, outcome=outcome))
        self.tasks.append(task)

    def read_unnumbered(self, row: list[Cell], line: int, number: str, task_text: str, filled: list[str]) -> None:
        """A row without a valid 序号: a section heading, more units for the task above, or an error."""
        unit_columns = {self.col(ColumnRole.UNITS), *self.layout.co_unit_columns} - {None}
        filled_columns = {c for c, cell in enumerate(row) if cell.text}
        payload_columns = (
            unit_columns | {self.col(ColumnRole.DEADLINE)} | {c for c, *_ in self.layout.milestone_columns}
        )
        if not number and not task_text and filled_columns <= unit_columns and self.tasks:
            self.problems.warning(
                _("This row has no 序号 and names only units: they are added to task %(number)s above.")
                % {"number": self.tasks[-1].number},
                row=line,
                **self.layout.where(ColumnRole.UNITS),
            )
            self.continue_task(row, line)
        elif len(set(filled)) == 1 or not filled_columns & payload_columns:
            # A section heading: “一、加强组织领导” spanning the table, or “一” | “加强组织领导”, “I-1 建立…”.
            category = " ".join(dict.fromkeys(text.replace("\n", "") for text in filled))
            if len(category) > MAX_CATEGORY:
                self.error(
                    _("The section heading is too long (%(length)s characters, at most %(limit)s).")
                    % {"length": len(category), "limit": MAX_CATEGORY},
                    line,
                    ColumnRole.NUMBER,
                )
            self.category = category[:MAX_CATEGORY]
        elif not number:
            self.error(_("The row has no 序号."), line, ColumnRole.NUMBER)
        else:
            self.error(
                _("“%(number)s” is not a 序号 (expected a number such as 12 or 3.1).") % {"number": number},
                line,
                ColumnRole.NUMBER,
            )

    def continue_task(self, row: list[Cell], line: int) -> None:
        task = self.tasks[-1]
        task.continuation_rows.append((line, _cell(row, self.col(ColumnRole.UNITS)).text, self.co_units(row)))
        deadline = _cell(row, self.col(ColumnRole.DEADLINE)).text
        if self.col(ColumnRole.DEADLINE) is not None and deadline and deadline != task.deadline_text:
            self.error(
                _(
                    "This row continues task %(number)s but gives another deadline (%(this)s, not %(that)s); "
                    "give the unit its own row with its own 序号."
                )
                % {"number": task.number, "this": deadline, "that": task.deadline_text},
                line,
                ColumnRole.DEADLINE,
            )


def parse_grids(grids: list[Grid], *, year: int, problems: Problems) -> ParsedTable | None:
    """The tasks of every grid that holds a task table (every sheet of a workbook, every table of a notice).
    Reports the missing columns when none does."""
    layouts: list[Layout] = []
    tasks: list[ParsedTask] = []
    seen: dict[str, int] = {}
    for grid in grids:
        layout = find_layout(grid, year=year, problems=problems)
        if layout is None:
            continue
        layouts.append(layout)
        if layout.complete:
            tasks.extend(_Reader(grid, layout, problems, seen).read())
    if not layouts:
        if any(grid.rows for grid in grids):
            missing_columns_problem(grids, problems)
        else:
            problems.error(_("The file holds no table."))
        return None
    return ParsedTable(
        title=next((layout.title for layout in layouts if layout.title), ""), tasks=tasks, layouts=layouts
    )
