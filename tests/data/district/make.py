"""Builds the district and city task lists the import tests read, in the shapes offices publish them.

Run from the project root to regenerate them (the tests read the files, not this script):

    .venv/bin/python tests/data/district/make.py

- ``changchun-2023.csv``: a city's plan (长春市, office 220100) as two tables one under another, each with its
  own title row (表1 …, 表2 …) and header, each numbered from 1; a row split at a page break.
- ``nanguan-2023.xlsx``: a district's plan (南关区, office 220102), one table per sheet (表3, 表4), each numbered
  from 1, with merged title, section, 序号 and deadline cells.
- ``chaoyang-2023.docx``: a district's Word notice (长春市朝阳区, office 220104): the notice text with its 文号
  长朝无废办〔2023〕3号 and title, then tables 7–9 of tasks, each under its caption, and table 10 of projects.

The units these files name are built by the tests (``tests/processes/test_district_tables.py``); the expected
counts are written out there, checked by hand against the rows below.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = ["序号", "重点任务", "责任单位", "完成时限"]

CSV_ROWS = [
    ["表1 长春市“无废城市”建设2023年度重点任务清单（制度体系）", "", "", ""],
    ["序号", "任务", "责任单位", "完成时限"],
    ["一、健全工作机制", "", "", ""],
    ["1", "制定长春市“无废城市”建设年度工作方案", "市发改委、市住建局", "2023年6月至12月"],
    ["2", "推进农业废弃物资源化利用，每季度末月20日前报送进展", "市农业农村局", "按频次要求持续推进"],
    ["二、强化监督管理", "", "", ""],
    ["3", "开展建筑垃圾专项整治", "市住建局、朝阳区、南关区", "2023年第四季度"],
    ["", "", "", ""],
    ["表2 长春市“无废城市”建设2023年度重点任务清单（市场体系）", "", "", ""],
    ["序号", "任务", "责任单位", "完成时限"],
    ["1", "培育固体废物综合利用骨干企业", "市发改委", "2021.10-2023.12"],
    ["2", "推动商贸领域“无废细胞”建设，形成可复制的经验", "市商务局与市住建局", "12月底前"],
    ["", "并于年底前报市领导小组办公室备案。", "", ""],
]

# (sheet, title, rows below the header, merged ranges)
XLSX_SHEETS = [
    (
        "制度体系",
        "表3 南关区“无废城市”建设制度体系任务清单",
        [
            ["一、健全工作机制", None, None, None],
            [1, "建立部门协同工作机制", "区发改局", "2023年6月30日"],
            [None, None, "区住建局", None],
            [2, "编制建筑垃圾污染防治规划", "区住建局", "2024年底前完成，2025年巩固提升"],
        ],
        ["A1:D1", "A3:D3", "A4:A5", "B4:B5", "D4:D5"],
    ),
    (
        "监管体系",
        "表4 南关区“无废城市”建设监管体系任务清单",
        [
            [1, "开展固体废物专项执法检查", "区生态环境分局", "每月25日前报送进展"],
            [2, "推进生活垃圾分类示范片区建设", "区住建局、区生态环境分局", "2023年第三季度"],
        ],
        ["A1:D1"],
    ),
]

NOTICE = [
    ("长春市朝阳区“无废城市”建设工作领导小组办公室文件", True),
    ("长朝无废办〔2023〕3号", True),
    ("关于印发《长春市朝阳区“无废城市”建设2023年度工作要点》的通知", True),
    ("区直各有关部门、各街道办事处：", False),
    ("现将《长春市朝阳区“无废城市”建设2023年度工作要点》印发给你们，请结合实际认真抓好落实。", False),
    ("长春市朝阳区“无废城市”建设工作领导小组办公室", False),
    ("2023年3月15日", False),
    ("长春市朝阳区“无废城市”建设2023年度工作要点", True),
    ("为深入推进“无废城市”建设，结合我区实际，制定本要点。", False),
    ("一、总体要求", False),
    ("以习近平生态文明思想为指导，统筹推进固体废物减量化、资源化、无害化。", False),
    ("二、重点任务", False),
]

# (caption, rows below the header, horizontally merged rows) — each numbered from 1.
DOCX_TABLES = [
    (
        "表7 朝阳区“无废城市”建设制度体系重点任务清单",
        [
            ["一、健全工作机制", "", "", ""],
            ["1", "建立区“无废城市”建设工作调度机制，每月25日前报送进展。", "区生态环境分局", "按频次要求持续推进"],
            ["2", "制定朝阳区“无废城市”建设实施方案。", "区生态环境分局及区发改局", "2023年6月至12月"],
            ["二、完善制度体系", "", "", ""],
            [
                "3",
                "完善建筑垃圾管理制度，明确产生、运输、消纳各环节责任",
                "区生态环境局分局、开发区管委会",
                "2024年底前完成，",
            ],
            ["", "，建立全过程监管台账。", "区城管局", "2025年巩固提升"],  # the rest of 3, after a page break
            ["4", "落实生活垃圾分类制度", "各乡镇（街道）", "持续推进"],
        ],
        [0, 3],
    ),
    (
        "表8 朝阳区“无废城市”建设技术体系重点任务清单",
        [
            ["1", "推进一般工业固体废物资源化利用项目", "区发改局", "2021.10-2023.12"],
            ["2", "开展“无废机关”“无废学校”等“无废细胞”创建", "区生态环境分局、区商务局等", "10月底前"],
            ["3", "开展塑料污染治理专项行动", "区发改局、各乡镇政府等部门按职责分工负责", "持续推进"],
        ],
        [],
    ),
    (
        "表9 朝阳区“无废城市”建设监管体系重点任务清单",
        [
            ["1", "建立固体废物信息化监管平台", "区生态环境分局", "2023年第三季度"],
            ["2", "开展固体废物联合执法检查", "区生态环境分局、区城管局", "下半年"],
            ["3", "配合完成市“无废城市”建设评估", "区生态环境分局、市“无废城市”建设工作领导小组成员单位", "12月31日"],
        ],
        [],
    ),
]
PROJECTS = (
    "表10 朝阳区“无废城市”建设重点项目清单",
    [
        ["序号", "项目名称", "建设内容", "责任单位", "总投资（万元）"],
        ["1", "朝阳区建筑垃圾资源化利用项目", "年处理建筑垃圾30万吨", "区住建局", "12000"],
    ],
)


def make_csv(path: Path) -> None:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(CSV_ROWS)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))  # as Excel on Windows saves “CSV UTF-8”


def make_xlsx(path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, title, rows, merges in XLSX_SHEETS:
        sheet = workbook.create_sheet(name)
        sheet.append([title, None, None, None])
        sheet.append(["序号", "工作任务", "责任单位", "完成时限"])
        for row in rows:
            sheet.append(row)
        for cell_range in merges:
            sheet.merge_cells(cell_range)
    workbook.save(path)


def make_docx(path: Path) -> None:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    for text, centred in NOTICE:
        paragraph = document.add_paragraph(text)
        if centred:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for caption, rows, merged_rows in DOCX_TABLES:
        document.add_paragraph(caption).alignment = WD_ALIGN_PARAGRAPH.CENTER
        table = document.add_table(rows=len(rows) + 1, cols=len(HEADER))
        table.style = "Table Grid"
        for c, text in enumerate(HEADER):
            table.cell(0, c).text = text
        for r, row in enumerate(rows, start=1):
            for c, text in enumerate(row):
                if text:
                    table.cell(r, c).text = text
        for r in merged_rows:
            origin = table.cell(r + 1, 0)
            text = origin.text
            origin.merge(table.cell(r + 1, len(HEADER) - 1)).text = text
    caption, rows = PROJECTS
    document.add_paragraph(caption).alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.save(path)


def main() -> None:
    make_csv(HERE / "changchun-2023.csv")
    make_xlsx(HERE / "nanguan-2023.xlsx")
    make_docx(HERE / "chaoyang-2023.docx")


if __name__ == "__main__":
    main()
