"""Files refused before any row is read: what they are, whatever their names say."""

import pytest

from processes.importing.problems import FileRefused
from processes.importing.readers import column_letter, read_grids

from ..builders import csv_bytes, docx_bytes, xlsx_bytes

ROWS = [["序号", "任务", "责任单位", "完成时限"], [1, "任务甲", "省生态环境厅", "8月31日"]]
LIMIT = 1024 * 1024


def refused(data: bytes, filename: str, max_bytes: int = LIMIT) -> str:
    with pytest.raises(FileRefused) as caught:
        read_grids(data, filename, max_bytes=max_bytes)
    assert caught.value.problem.file == filename
    return caught.value.problem.message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding_offices_use(encoding: str) -> None:
    [grid] = read_grids(csv_bytes(ROWS, encoding=encoding), "plan.csv", max_bytes=LIMIT)
    assert [cell.text for cell in grid.rows[1]] == ["1", "任务甲", "省生态环境厅", "8月31日"]


def test_xlsx_merged_cells_repeat_their_value_marked_as_merged() -> None:
    data = xlsx_bytes([["附件 任务清单", None, None, None], *ROWS], merges=["A1:D1"])
    [grid] = read_grids(data, "plan.xlsx", max_bytes=LIMIT)
    assert [cell.text for cell in grid.rows[0]] == ["附件 任务清单"] * 4
    assert [cell.merged for cell in grid.rows[0]] == [False, True, True, True]
    assert grid.rows[2][0].text == "1"  # a number cell reads as the number people see


def test_docx_tables_are_read_with_their_merges() -> None:
    data = docx_bytes([["一、加强组织领导", "", "", ""], *ROWS], paragraphs=["关于印发……的通知"], merges=[(0, 0, 0, 3)])
    [grid] = read_grids(data, "notice.docx", max_bytes=LIMIT)
    assert [cell.text for cell in grid.rows[0]] == ["一、加强组织领导"] * 4
    assert grid.rows[2][1].text == "任务甲"


def test_an_empty_file_is_refused() -> None:
    assert "empty" in refused(b"", "plan.csv")


def test_an_oversized_file_is_refused() -> None:
    assert "too large" in refused(b"x" * 2048, "plan.csv", max_bytes=1024)


@pytest.mark.parametrize("filename", ["plan.txt", "plan.xls", "plan.pdf", "plan"])
def test_an_unsupported_type_is_refused(filename: str) -> None:
    assert "Unsupported file type" in refused(b"whatever", filename)


@pytest.mark.parametrize(
    ("data", "filename", "claimed", "found"),
    [
        (csv_bytes(ROWS), "plan.xlsx", ".xlsx", "plain text"),
        (xlsx_bytes(ROWS), "plan.csv", ".csv", "Excel (.xlsx)"),
        (docx_bytes(ROWS), "plan.xlsx", ".xlsx", "Word (.docx)"),
        (b"%PDF-1.7 ...", "plan.docx", ".docx", "PDF"),
        (b"PK\x03\x04 not really a zip", "plan.xlsx", ".xlsx", "plain text"),
    ],
)
def test_content_that_is_not_what_its_extension_says_is_refused(
    data: bytes, filename: str, claimed: str, found: str
) -> None:
    message = refused(data, filename)
    assert claimed in message and found in message


def test_text_that_is_neither_utf8_nor_gb18030_is_refused() -> None:
    assert "GB18030" in refused("序号,任务".encode("utf-16-le").replace(b"\x00", b"\xff"), "plan.csv")


def test_column_letters_are_those_a_spreadsheet_shows() -> None:
    assert [column_letter(i) for i in (0, 3, 25, 26, 27)] == ["A", "D", "Z", "AA", "AB"]


def test_a_word_notice_keeps_the_paragraphs_above_each_table() -> None:
    from pathlib import Path

    from django.conf import settings

    data = (Path(settings.BASE_DIR) / "tests" / "data" / "district" / "chaoyang-2023.docx").read_bytes()
    grids = read_grids(data, "chaoyang-2023.docx", max_bytes=LIMIT)
    assert [grid.sheet for grid in grids] == ["table 1", "table 2", "table 3", "table 4"]
    first = grids[0].before
    assert first[1].text == "长朝无废办〔2023〕3号" and first[1].heading
    assert not first[3].heading  # the addressees, not centred
    assert first[-1].text.startswith("表7")
    assert [grid.before[-1].text[:3] for grid in grids[1:]] == ["表8 ", "表9 ", "表10"]
    assert not any(grid.worksheet for grid in grids)
