"""Find the task tables in a grid and read their rows: header names as offices write them, title rows above the
header, a two-level header whose sub-columns are milestones, section rows that give the category below them,
vertically merged rows that continue a task, rows split at a page break, and extra columns kept as task fields.

A file may hold several task tables (a Word notice's tables 7–9, a workbook's sheets, tables one under another in
a sheet or a CSV), each numbering its tasks from 1: the tasks are then numbered “8-3” in the plan and keep their
table's label (表8). A Word notice's text above its first table gives the plan's title and 文号."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from .deadlines import DeadlineError, parse_period_end
from .problems import Problems
from .readers import Cell, Grid, Paragraph, column_letter

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
    SERVES = "serves"  # a city's or district's plan: the provincial task (序号) a row refines (细化)


REQUIRED_ROLES = (ColumnRole.NUMBER, ColumnRole.TASK, ColumnRole.UNITS, ColumnRole.DEADLINE)
ROLE_NAMES = {
    ColumnRole.NUMBER: "序号",
    ColumnRole.TASK: "任务",
    ColumnRole.UNITS: "责任单位",
    ColumnRole.CO_UNITS: "配合单位",
    ColumnRole.DEADLINE: "完成时限",
    ColumnRole.CATEGORY: "类别",
    ColumnRole.SERVES: "对应省级任务",
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
    ColumnRole.SERVES: {"对应省级任务", "对应省级任务序号", "省级任务序号", "对应省级序号", "省级任务编号"},
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
    if "省级" in key and any(word in key for word in ("任务", "序号", "编号")):
        return ColumnRole.SERVES
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
    end_row: int = 0  # index into grid.rows past the table's last row (the next table's title or header)
    skip_rows: frozenset[int] = frozenset()  # header rows repeated after a page break
    label: str = ""  # the table as the file names it: 表8, a worksheet's name, or 表1, 表2 … in order

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
    table: str = ""  # the table's label (表8) when the file holds several tables or names its table so
    written_number: str = ""  # the 序号 as the table gives it; ``number`` is “8-3” when the file holds several tables
    serves: str = ""  # the provincial 序号 the row refines (ColumnRole.SERVES), as written


@dataclass
class ParsedTable:
    """Every task of the file, from every sheet or table that has a task header, in order; with what the text
    around the tables says of the plan (a Word notice's title and 文号)."""

    title: str
    tasks: list[ParsedTask]
    layouts: list[Layout]
    doc_no: str = ""
    title_from: str = ""  # where the title was read, for messages: “the notice's heading”, a table's title row


def _score(row: list[Cell]) -> dict[ColumnRole, int]:
    roles: dict[ColumnRole, int] = {}
    for index, cell in enumerate(row):
        role = header_role(cell.text) if cell.text and len(cell.text) <= 30 else None
        if role is not None and role not in roles:
            roles[role] = index
    return roles


def _header_roles(row: list[Cell]) -> dict[ColumnRole, int] | None:
    roles = _score(row)
    return roles if ColumnRole.NUMBER in roles and ColumnRole.TASK in roles and len(roles) >= 3 else None


def _texts(row: list[Cell]) -> list[str]:
    return [cell.text for cell in row if cell.text]


def find_layout(grid: Grid, *, year: int, problems: Problems) -> Layout | None:
    """Locate the header row (possibly two-level) and what each column holds. None if this grid has none."""
    layouts = find_layouts(grid, year=year, problems=problems)
    return layouts[0] if layouts else None


def find_layouts(grid: Grid, *, year: int, problems: Problems) -> list[Layout]:
    """Every task table of the grid: a sheet or a CSV may hold several one under another, each with its own title
    row (“表8 …”) and header. A header row repeated without a title between (a table continued after a page break)
    continues the table above and is skipped."""
    first: tuple[int, dict[ColumnRole, int]] | None = None
    for index, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        if roles := _header_roles(row):
            first = (index, roles)
            break
    if first is None:
        return []
    starts: list[tuple[int, int, dict[ColumnRole, int]]] = [(0, first[0], first[1])]  # (title start, header, roles)
    skipped: set[int] = set()
    for index in range(first[0] + 1, len(grid.rows)):
        roles = _header_roles(grid.rows[index])
        if roles is None or grid.rows[index][roles[ColumnRole.NUMBER]].merged:
            continue  # no header, or the lower half of a header merged over two rows
        previous_header = starts[-1][1]
        top = index
        for above in range(index - 1, previous_header + 1, -1):
            texts = _texts(grid.rows[above])
            if not texts:
                continue
            if len(set(texts)) != 1 or _NOTE_ROW.match(texts[0]) or _NUMBER.match(normalise_number(texts[0])):
                break
            top = above
        if top == index and _texts(grid.rows[index]) == _texts(grid.rows[previous_header]):
            skipped.add(index)
            problems.warning(
                _("The header row is repeated here (a table continued on a new page); the row is skipped."),
                row=grid.numbers[index],
                sheet=grid.sheet,
            )
            continue
        starts.append((top, index, roles))
    layouts = []
    for number, (top, header, roles) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(grid.rows)
        layout = _layout_from(grid, header, roles, year=year, problems=problems, top=top)
        layout.end_row = end
        two_level = layout.first_data_row - layout.header_row == 2
        layout.skip_rows = frozenset(
            {row for row in skipped if header < row < end}
            | {row + 1 for row in skipped if two_level and header < row < end}
        )
        layouts.append(layout)
    return layouts


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


def _title_above(grid: Grid, header_index: int, problems: Problems, *, top: int = 0) -> str:
    for line, row in zip(grid.numbers[top:header_index], grid.rows[top:header_index], strict=False):
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
    grid: Grid, header_index: int, detected: dict[ColumnRole, int], *, year: int, problems: Problems, top: int = 0
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
        title=_title_above(grid, header_index, problems, top=top),
        end_row=len(grid.rows),
    )


def _cell(row: list[Cell], col: int | None) -> Cell:
    if col is None or col >= len(row):
        return Cell("")
    return row[col]


def normalise_number(text: str) -> str:
    return text.strip().rstrip(".、")


# A table's label as files write it in its title or caption: 表8, 附表2, 表3-1.
_TABLE_LABEL = re.compile(r"^(附?表\s*\d+(?:[-—.]\d+)?)(?!\d)")
_TERMINAL = ("。", ";", ";", "!", "?")
# An unnumbered row holding only text in the task column continues the task above (a page break split it) when it
# reads as prose rather than a heading: it has sentence punctuation, or it is long and the task above is unfinished.
_PROSE = re.compile(r"[,。;:、]")
CONTINUATION_MIN_LENGTH = 16


def table_label(text: str) -> str:
    match = _TABLE_LABEL.match(re.sub(r"\s+", "", text))
    return match[1] if match else ""


def _table_number(label: str) -> str:
    match = re.search(r"\d+(?:[-.]\d+)?", label)
    return match[0] if match else ""


class _Reader:
    """Reads the rows below one layout's header into tasks; each table numbers its own tasks."""

    def __init__(self, grid: Grid, layout: Layout, problems: Problems) -> None:
        self.grid, self.layout, self.problems = grid, layout, problems
        self.seen: dict[str, int] = {}
        self.tasks: list[ParsedTask] = []
        self.category = ""

    def col(self, role: ColumnRole) -> int | None:
        return self.layout.roles.get(role)

    def error(self, message: str, line: int, role: ColumnRole) -> None:
        self.problems.error(message, row=line, **self.layout.where(role))

    def co_units(self, row: list[Cell]) -> str:
        return "、".join(_cell(row, c).text for c in self.layout.co_unit_columns if _cell(row, c).text)

    def read(self) -> list[ParsedTask]:
        for index in range(self.layout.first_data_row, self.layout.end_row):
            if index not in self.layout.skip_rows:
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
            self.read_unnumbered(row, line, number, task_cell, filled)
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
            written_number=number,
            serves=normalise_number(_cell(row, self.col(ColumnRole.SERVES)).text),
        )
        for c, label, due in self.layout.milestone_columns:
            if outcome := _cell(row, c).text:
                task.milestones.append(MilestoneCell(label=label, due_date=due, outcome=outcome))
        self.tasks.append(task)

    def _prose(self, text: str) -> bool:
        """Text in the task column of an unnumbered row that continues the task above rather than heading a section."""
        if not text or _SECTION_MARK.match(text):
            return False
        unfinished = not self.tasks[-1].text.endswith(_TERMINAL)
        return bool(_PROSE.search(text)) or (unfinished and len(text) >= CONTINUATION_MIN_LENGTH)

    def read_unnumbered(self, row: list[Cell], line: int, number: str, task_cell: Cell, filled: list[str]) -> None:
        """A row without a valid 序号: a section heading, the task above continued, or an error."""
        task_text = task_cell.text
        unit_columns = {self.col(ColumnRole.UNITS), *self.layout.co_unit_columns} - {None}
        filled_columns = {c for c, cell in enumerate(row) if cell.text}
        payload_columns = (
            unit_columns | {self.col(ColumnRole.DEADLINE)} | {c for c, *_ in self.layout.milestone_columns}
        ) - {None}
        spans = len(set(filled)) == 1 and len(filled_columns) > 1  # one text merged across the row: a heading
        if not number and not task_text and filled_columns <= unit_columns and self.tasks:
            self.problems.warning(
                _("This row has no 序号 and names only units: they are added to task %(number)s above.")
                % {"number": self.tasks[-1].number},
                row=line,
                **self.layout.where(ColumnRole.UNITS),
            )
            self.continue_task(row, line)
        elif (
            not number
            and self.tasks
            and not spans
            and not _SECTION_MARK.match(task_text)
            and (
                filled_columns & payload_columns
                or (filled_columns <= {self.col(ColumnRole.TASK)} and self._prose(task_text))
            )
        ):
            self.join_task(row, line)
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

    def join_task(self, row: list[Cell], line: int) -> None:
        """A row without 序号 below a task, as a page break leaves it: its task text, deadline and other cells are
        the rest of the task's, its units more units of the task."""
        task = self.tasks[-1]
        text = _cell(row, self.col(ColumnRole.TASK)).text
        if text and text != task.text:
            task.text = task.text + text
        deadline = _cell(row, self.col(ColumnRole.DEADLINE)).text
        if deadline and deadline != task.deadline_text:
            task.deadline_text = task.deadline_text + deadline
        for c, name in self.layout.extra_columns:
            if (value := _cell(row, c).text) and value != task.extra.get(name):
                task.extra[name] = task.extra.get(name, "") + value
        for c, label, due in self.layout.milestone_columns:
            if outcome := _cell(row, c).text:
                found = next((m for m in task.milestones if m.label == label), None)
                if found is None:
                    task.milestones.append(MilestoneCell(label=label, due_date=due, outcome=outcome))
                elif outcome != found.outcome:
                    found.outcome += outcome
        units, co_units = _cell(row, self.col(ColumnRole.UNITS)).text, self.co_units(row)
        if units or co_units:
            task.continuation_rows.append((line, units, co_units))
        self.problems.warning(
            _(
                "This row has no 序号: it is read as the rest of task %(number)s above (a row split at a page "
                "break), its text, units and deadline added to that task's."
            )
            % {"number": task.number},
            row=line,
            **self.layout.where(ColumnRole.NUMBER),
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


# 文号 as notices print them: 长朝无废办〔2023〕3号, 吉环固体字〔2023〕15号 (the year in 〔〕, [], () or 【】).
DOC_NO = re.compile(r"[\u4e00-\u9fffA-Za-z]{1,20}[〔\[(【]\s*(\d{4})\s*[〕\])】]\s*\d{1,5}\s*号")
_MASTHEAD = re.compile(r"(?:文件|简报|通报|便函)$")
_NOTICE = re.compile(r"关于印发?[《<“\"](.+?)[》>”\"]的?(?:通知|函)")
_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
MAX_NOTICE_TITLE = 120


def find_doc_no(texts: list[str]) -> str:
    """The notice's own 文号: a line that starts with one (“长朝无废办〔2023〕3号 签发人：…”), not one the text
    cites (“根据《…》（吉环固体字〔2023〕15号）”)."""
    for text in texts:
        if match := DOC_NO.match(re.sub(r"\s+", "", text)):
            return match[0]
    return ""


def notice_title(paragraphs: list[Paragraph]) -> str:
    """The plan's title from a Word notice's text: the first heading-like paragraph — the title of the 工作要点
    itself, or the document named by “关于印发《…》的通知” — skipping the masthead, the 文号, the addressees, dates,
    sentences and table captions."""

    def usable(text: str) -> bool:
        return bool(
            text
            and len(text) <= MAX_NOTICE_TITLE
            and not DOC_NO.search(text)
            and not _MASTHEAD.search(text)
            and not _DATE_LINE.match(text)
            and not text.endswith((":", ":"))
            and not text.endswith(_TERMINAL)
            and not table_label(text)
            and not _NOTE_ROW.match(text)
            and not _SECTION_MARK.match(text)
            and not text.startswith("附件")
        )

    candidates = [p for p in paragraphs if usable(re.sub(r"\s+", "", p.text))]
    chosen = next((p for p in candidates if p.heading), candidates[0] if candidates else None)
    if chosen is None:
        return ""
    text = re.sub(r"\s+", "", chosen.text)
    if match := _NOTICE.search(text):
        return match[1]
    return text


def _label_from(grid: Grid, layout: Layout, first_in_grid: bool, alone_in_grid: bool) -> tuple[str, str]:
    """The table's label and title: from its title row (表8 …), else the caption above a Word table, else the name
    of the worksheet it fills alone."""
    if label := table_label(layout.title):
        return label, layout.title
    caption = grid.before[-1].text if first_in_grid and grid.before else ""
    if label := table_label(caption):
        return label, layout.title or re.sub(r"\s+", " ", caption).strip()
    if grid.worksheet and alone_in_grid:
        return grid.sheet, layout.title
    return "", layout.title


def _plain_title(title: str) -> str:
    """A table's title as the plan's: without its “表8” and the punctuation after it."""
    match = re.match(r"^\s*附?表\s*\d+(?:[-—.]\d+)?\s*[::、.]?\s*", title)
    return title[match.end() :].strip() if match and table_label(title) else title


def parse_grids(grids: list[Grid], *, year: int, problems: Problems) -> ParsedTable | None:
    """The tasks of every task table in the file: every sheet of a workbook, every table of a notice, several
    tables one under another in a sheet or a CSV. Reports the missing columns when none holds one.

    When the file holds several task tables, each numbers its own tasks (from 1): a task's number becomes the
    table's number and its 序号, “8-3”, and the task keeps its table's label (表8)."""
    found: list[tuple[Grid, Layout]] = []
    unread: list[Grid] = []
    for grid in grids:
        layouts = find_layouts(grid, year=year, problems=problems)
        if not layouts and any(_texts(row) for row in grid.rows):
            unread.append(grid)
        for position, layout in enumerate(layouts):
            layout.label, layout.title = _label_from(grid, layout, position == 0, len(layouts) == 1)
            if layout.label and layout.label != grid.sheet:
                # Problems name the table as the file does too: “table 2 (表8)”, “制度体系 (表3)”, “表2” in a CSV.
                layout.sheet = f"{grid.sheet} ({layout.label})" if grid.sheet else layout.label
            found.append((grid, layout))
    if not found:
        if any(grid.rows for grid in grids):
            missing_columns_problem(grids, problems)
        else:
            problems.error(_("The file holds no table."))
        return None
    for grid in unread:
        problems.warning(
            _("This part of the file has no task header (序号, 任务, 责任单位, 完成时限) and was not read."),
            sheet=grid.sheet,
        )
    per_table: list[tuple[Layout, list[ParsedTask]]] = []
    for grid, layout in found:
        if layout.complete and (read := _Reader(grid, layout, problems).read()):
            per_table.append((layout, read))
    tasks = _number_tables(per_table, problems)
    layouts = [layout for _grid, layout in found]
    preamble = list(grids[0].before) if grids and grids[0].before else []
    title, title_from = "", ""
    own = layouts[0].title if len(per_table) <= 1 and layouts else ""
    if own and not table_label(own):
        # One task list with a title row of its own (附件 吉林省2023年度…任务清单): that names the plan.
        title, title_from = own, _("the title above the table")
    elif preamble and (title := notice_title(preamble)):
        title_from = _("the notice's heading")
    if not title:
        title = next((_plain_title(layout.title) for layout in layouts if layout.title), "")
        title_from = _("the title above the table") if title else ""
    titles = [p.text for p in preamble] + [layout.title for layout in layouts if layout.title]
    return ParsedTable(title=title, tasks=tasks, layouts=layouts, doc_no=find_doc_no(titles), title_from=title_from)


MAX_NUMBER = 20  # Task.number


def _number_tables(per_table: list[tuple[Layout, list[ParsedTask]]], problems: Problems) -> list[ParsedTask]:
    tasks = [task for _layout, read in per_table for task in read]
    if len(per_table) == 1:
        layout = per_table[0][0]
        if table_label(layout.label):
            for task in tasks:
                task.table = layout.label
        return tasks
    numbers = [_table_number(table_label(layout.label)) for layout, _read in per_table]
    if not all(numbers) or len(set(numbers)) != len(numbers):
        numbers = [str(position) for position in range(1, len(per_table) + 1)]
    for (layout, read), number in zip(per_table, numbers, strict=True):
        label = layout.label or _("表%(number)s") % {"number": number}
        for task in read:
            task.table = label[:100]
            task.number = f"{number}-{task.written_number}"
            if len(task.number) > MAX_NUMBER:
                problems.error(
                    _(
                        "The task number %(number)s (table %(table)s, 序号 %(written)s) is longer than %(limit)s "
                        "characters."
                    )
                    % {"number": task.number, "table": label, "written": task.written_number, "limit": MAX_NUMBER},
                    row=task.row,
                    **layout.where(ColumnRole.NUMBER),
                )
    return tasks
