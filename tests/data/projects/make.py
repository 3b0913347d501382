"""Builds the project tables (项目库清单) the project import tests read, in the shapes districts publish them.

Run from the project root to regenerate them (the tests read the files, not this script):

    .venv/bin/python tests/data/projects/make.py

- ``chaoyang-yi.xlsx``: 长春市朝阳区, amounts in 亿元; a title row merged across the table, a header two rows high
  (序号 … merged down, 分年度计划投资（亿元） merged across 2023年 and 2024年), a project whose 序号 and name are
  merged over two rows (its 建设规模及内容 goes on in the second), and a 合计 row.
- ``nanguan-wan.xlsx``: 长春市南关区, amounts in 万元 with one cell in 亿元 and one in 万元, yearly columns
  “2023年计划投资（万元）”, 联系人, 联系电话, 批次, a unit and a field the tables do not know, and a 合计 row.
- ``ningjiang.csv``: 松原市宁江区, UTF-8 with BOM, a title row, 领域 and amounts in 万元 (one written “5,400”).
- ``lvyuan.docx``: 长春市绿园区, a Word table under its heading, amounts in 万元, a 合计 row.

Expected figures, checked by hand (万元):
  chaoyang-yi.xlsx  12000 + 3500 + 8625 + 6000 + 2000        = 32125.00; 2023: 13500, 2024: 15625
  nanguan-wan.xlsx  4800 + 12000 + 1650.5 + 3500 + 300       = 22250.50; 2023: 17750.50, 2024: 3500
  ningjiang.csv     12000 + 2600 + 5400 + 3250.75 + 1800     = 25050.75
  lvyuan.docx       9800 + 1260 + 15000 + 2200.25 + 680      = 28940.25; 2023: 11740
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHAOYANG_TITLE = "长春市朝阳区“无废城市”建设项目清单"
CHAOYANG_HEADER = [
    [
        "序号",
        "企业名称",
        "项目名称",
        "项目建设规模及内容",
        "建设年限",
        "计划总投资（亿元）",
        "分年度计划投资（亿元）",
        None,
        "责任单位",
        "所属领域",
    ],
    [None, None, None, None, None, None, "2023年", "2024年", None, None],
]
CHAOYANG_ROWS = [
    [
        1,
        "长春某环保科技有限公司",
        "朝阳区建筑垃圾资源化利用项目",
        "年处理建筑垃圾30万吨，建设破碎筛分生产线2条",
        "2022-2024年",
        1.2,
        0.5,
        0.4,
        "长春市生态环境局",
        "建筑垃圾",
    ],
    [
        2,
        "长春某再生资源有限公司",
        "朝阳区废旧物资回收网点建设项目",
        "新建回收网点50个、分拣中心1处",
        "2023年",
        0.35,
        0.35,
        None,
        "长春市住建局",
        "生活垃圾",
    ],
    [
        3,
        "长春某新材料有限公司",
        "朝阳区一般工业固体废物综合利用项目",
        "年综合利用粉煤灰、炉渣20万吨",
        "2023—2024年",
        0.8625,
        0.3,
        0.5625,
        "长春市生态环境局",
        "工业固废",
    ],
    [None, None, None, "配套建设原料堆场1处", None, None, None, None, None, None],
    [
        4,
        "长春某生物科技有限公司",
        "朝阳区餐厨垃圾资源化处理项目",
        "日处理餐厨垃圾100吨",
        "2023-2024",
        0.6,
        0.2,
        0.4,
        "长春市生态环境局",
        "餐厨垃圾",
    ],
    [
        5,
        "长春某医疗废物处置有限公司",
        "朝阳区医疗废物集中处置中心扩建项目",
        "新增医疗废物处置能力10吨/日",
        "2024年",
        0.2,
        None,
        0.2,
        "长春市生态环境局",
        "危险废物",
    ],
    ["合计", None, None, None, None, 3.2125, 1.35, 1.5625, None, None],
]
# Title across the table; the header's cells merged down over its two rows, 分年度 across its two years; project 3
# over rows 6 and 7 (its 序号, company, name, years, amounts, unit and field merged down); 合计 across A:E.
CHAOYANG_MERGES = [
    "A1:J1",
    *(f"{c}2:{c}3" for c in "ABCDEFIJ"),
    "G2:H2",
    *(f"{c}6:{c}7" for c in "ABCEFGHIJ"),
    "A10:E10",
]

NANGUAN_HEADER = [
    "序号",
    "企业名称",
    "项目名称",
    "建设规模及内容",
    "建设年限",
    "计划总投资（万元）",
    "2023年计划投资（万元）",
    "2024年计划投资（万元）",
    "责任单位",
    "所属领域",
    "联系人",
    "联系电话",
    "批次",
]
NANGUAN_ROWS = [
    [
        1,
        "长春某固废处置有限公司",
        "南关区建筑垃圾消纳场建设项目",
        "建设建筑垃圾消纳场1处，库容50万立方米",
        "2023-2024年",
        4800,
        2800,
        2000,
        "长春市生态环境局",
        "建筑垃圾",
        "王某",
        "0431-88888888",
        "第一批",
    ],
    [
        2,
        "长春某农业发展有限公司",
        "南关区秸秆综合利用项目",
        "年利用秸秆5万吨",
        "2023年",
        "1.2亿元",
        "1.2亿元",
        None,
        "长春市生态环境局",
        "秸秆",
        "李某",
        "13800000000",
        "第一批",
    ],
    [
        3,
        "长春某环境工程有限公司",
        "南关区生活垃圾分类收运体系建设项目",
        "购置分类收运车辆20辆",
        "2023年",
        1650.5,
        1650.5,
        None,
        "长春市生态环境局",
        "生活垃圾",
        "张某",
        "0431-86666666",
        "第一批",
    ],
    [
        4,
        "长春某新能源有限公司",
        "南关区废旧动力电池回收利用项目",
        "年回收废旧动力电池1万吨",
        "2023-2025年",
        "3500万元",
        1000,
        1500,
        "长春市生态环境局",
        "工业固体废物",
        "赵某",
        "0431-85555555",
        "第一批",
    ],
    [
        5,
        "长春某再生资源有限公司",
        "南关区“无废细胞”示范创建项目",
        "建设“无废”社区5个",
        "2023年",
        300,
        300,
        None,
        "南关区政府",
        "无废细胞",
        "刘某",
        "0431-84444444",
        "第一批",
    ],
    ["合计", None, None, None, None, 22250.5, 17750.5, 3500, None, None, None, None, None],
]

NINGJIANG_ROWS = [
    ["松原市宁江区“无废城市”建设项目清单", "", "", "", "", "", "", "", "", ""],
    [
        "序号",
        "企业名称",
        "项目名称",
        "建设内容",
        "建设年限",
        "计划总投资（万元）",
        "责任单位",
        "领域",
        "联系人",
        "联系电话",
    ],
    [
        "1",
        "松原某环保科技有限公司",
        "宁江区废弃风电叶片综合利用项目",
        "年处理废弃风电叶片2万吨",
        "2023—2024年",
        "12000",
        "松原市生态环境局",
        "工业固体废物",
        "陈某",
        "0438-1234567",
    ],
    [
        "2",
        "松原某农业科技有限公司",
        "宁江区畜禽粪污资源化利用项目",
        "年处理畜禽粪污10万吨",
        "2023年",
        "2600",
        "松原市生态环境局",
        "农业固体废物",
        "周某",
        "0438-2345678",
    ],
    [
        "3",
        "松原某建材有限公司",
        "宁江区建筑垃圾再生骨料项目",
        "年产再生骨料20万吨",
        "2022-2024年",
        "5,400",
        "松原市生态环境局",
        "建筑垃圾",
        "吴某",
        "0438-3456789",
    ],
    [
        "4",
        "松原某石化环保有限公司",
        "宁江区含油污泥无害化处置项目",
        "年处置含油污泥3万吨",
        "2024年",
        "3250.75",
        "松原市生态环境局",
        "危废",
        "郑某",
        "0438-4567890",
    ],
    [
        "5",
        "松原某再生资源有限公司",
        "宁江区再生资源回收分拣中心项目",
        "建设分拣中心1处",
        "2023-2024",
        "1800",
        "松原市生态环境局",
        "生活垃圾",
        "孙某",
        "0438-5678901",
    ],
    ["合计", "", "", "", "", "25050.75", "", "", "", ""],
]

LVYUAN_HEADING = "长春市绿园区“无废城市”建设项目库清单（第一批）"
LVYUAN_ROWS = [
    [
        "序号",
        "企业名称",
        "项目名称",
        "建设规模及内容",
        "建设年限",
        "计划总投资（万元）",
        "2023年计划投资（万元）",
        "责任单位",
        "所属领域",
        "批次",
    ],
    [
        "1",
        "长春某循环科技有限公司",
        "绿园区废塑料再生利用项目",
        "年再生利用废塑料3万吨",
        "2023-2024年",
        "9800",
        "4800",
        "长春市生态环境局",
        "工业固体废物",
        "第一批",
    ],
    [
        "2",
        "长春某环卫服务有限公司",
        "绿园区厨余垃圾就地处理项目",
        "建设厨余垃圾就地处理站3座",
        "2023年",
        "1260",
        "1260",
        "长春市生态环境局",
        "生活垃圾",
        "第一批",
    ],
    [
        "3",
        "长春某汽车零部件有限公司",
        "绿园区汽车零部件再制造项目",
        "年再制造零部件5万件",
        "2022—2024年",
        "15000",
        "5000",
        "长春市生态环境局",
        "工业固体废物",
        "第一批",
    ],
    [
        "4",
        "长春某建筑工程有限公司",
        "绿园区装修垃圾分拣中心项目",
        "建设装修垃圾分拣中心1处",
        "2024年",
        "2200.25",
        "",
        "长春市生态环境局",
        "建筑垃圾",
        "第一批",
    ],
    [
        "5",
        "长春某医疗科技有限公司",
        "绿园区小微企业危险废物收集试点项目",
        "建设危险废物收集贮存设施1处",
        "2023年",
        "680",
        "680",
        "长春市生态环境局",
        "危险废物",
        "第一批",
    ],
    ["合计", "", "", "", "", "28940.25", "11740", "", "", ""],
]


def make_chaoyang(path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "项目清单"
    sheet.append([CHAOYANG_TITLE] + [None] * 9)
    for row in CHAOYANG_HEADER + CHAOYANG_ROWS:
        sheet.append(row)
    for cell_range in CHAOYANG_MERGES:
        sheet.merge_cells(cell_range)
    workbook.save(path)


def make_nanguan(path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "南关区"
    sheet.append(["附件", *[None] * 12])
    sheet.append(["长春市南关区“无废城市”建设项目清单", *[None] * 12])
    sheet.append(NANGUAN_HEADER)
    for row in NANGUAN_ROWS:
        sheet.append(row)
    sheet.merge_cells("A2:M2")
    sheet.merge_cells("A9:E9")
    workbook.save(path)


def make_ningjiang(path: Path) -> None:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(NINGJIANG_ROWS)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))  # as Excel on Windows saves “CSV UTF-8”


def make_lvyuan(path: Path) -> None:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    document.add_paragraph(LVYUAN_HEADING).alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = document.add_table(rows=len(LVYUAN_ROWS), cols=len(LVYUAN_ROWS[0]))
    table.style = "Table Grid"
    for r, row in enumerate(LVYUAN_ROWS):
        for c, text in enumerate(row):
            if text:
                table.cell(r, c).text = text
    last = len(LVYUAN_ROWS) - 1
    table.cell(last, 0).merge(table.cell(last, 4)).text = "合计"
    document.save(path)


def main() -> None:
    make_chaoyang(HERE / "chaoyang-yi.xlsx")
    make_nanguan(HERE / "nanguan-wan.xlsx")
    make_ningjiang(HERE / "ningjiang.csv")
    make_lvyuan(HERE / "lvyuan.docx")


if __name__ == "__main__":
    main()
