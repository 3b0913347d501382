"""Files that cannot hurt the server: a zip bomb refused from its directory within 2 seconds and 100 MB, through the
import service and through the preview page; a sheet too long or too wide refused by the worker that reads it,
which is stopped past its time or memory; and an upload read once, whatever its previews and the confirmation."""

from __future__ import annotations

import dataclasses
import io
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command

from processes.importing import worker
from processes.importing.problems import FileRefused
from processes.importing.readers import read_grids
from processes.models import Assignment, Plan, Unit, User

from ..builders import (
    SHEET_HEAD,
    SHEET_TAIL,
    deflated,
    deflated_repeat,
    docx_bytes,
    xlsx_bytes,
    xlsx_with_sheet,
    zip_bytes,
)
from ..conftest import ANNEX_XLSX, ImportFile
from .test_import_views import upload
from .test_views import client_for, counts

GB = 1024**3
MB = 1024**2
ROW = b'<row><c t="inlineStr"><is><t>\xe7\x82\xb8</t></is></c></row>'  # 炸
CHUNK = ROW * (4 * MB // len(ROW))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A valid workbook of 3 MB whose one sheet unpacks to 1 GB of rows, as the one that took 239 s and 1.24 GB."""
    sheet = deflated_repeat(SHEET_HEAD, CHUNK, GB // len(CHUNK), SHEET_TAIL)
    assert sheet.size >= GB - len(CHUNK) and len(sheet.data) < 4 * MB
    return xlsx_with_sheet(sheet)


@dataclasses.dataclass
class Cost:
    seconds: float = 0.0
    peak_mb: float = 0.0


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise LookupError(key)


@contextmanager
def cost() -> Iterator[Cost]:
    """The wall time of the block and the most memory this process held during it beyond what it held before: its
    peak resident size (VmHWM) is reset first through /proc/self/clear_refs (Linux), so the peak is the block's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pytest.skip("needs Linux's /proc/self/clear_refs to measure the peak memory of the check")
    measured = Cost()
    before = _status_kb("VmRSS")
    start = time.perf_counter()
    yield measured
    measured.seconds = time.perf_counter() - start
    measured.peak_mb = (_status_kb("VmHWM") - before) / 1024


@pytest.fixture
def parses() -> Iterator[mock.MagicMock]:
    """Each start of the worker that reads a file's rows."""
    with mock.patch.object(worker, "parse_in_worker", wraps=worker.parse_in_worker) as spy:
        yield spy


def one_error(report: Any) -> Any:
    assert not report.applied and len(report.errors) == 1, report.errors
    return report.errors[0]


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_by_the_import_within_2_seconds_and_100_mb(
    units: dict[str, Unit], import_file: ImportFile, bomb: bytes, parses: mock.MagicMock
) -> None:
    with cost() as spent:
        report = import_file(bomb, "bomb.xlsx")
    error = one_error(report)
    assert (error.file, error.member) == ("bomb.xlsx", "xl/worksheets/sheet1.xml")
    assert "unpacks to 1024.0 MB, more than the 50.0 MB allowed" in error.message
    assert str(error).startswith("bomb.xlsx [xl/worksheets/sheet1.xml]: ")
    assert spent.seconds < 2 and spent.peak_mb < 100, spent
    assert not parses.called  # refused from the zip's directory: nothing was unpacked
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_by_the_preview_within_2_seconds_and_100_mb(
    units: dict[str, Unit], office_admin: User, bomb: bytes, parses: mock.MagicMock
) -> None:
    client = client_for(office_admin)
    with cost() as spent:
        preview_url = upload(client, bomb, "bomb.xlsx")
        html = client.get(preview_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert spent.seconds < 2 and spent.peak_mb < 100, spent
    assert counts(html)["errors"] == 1 and 'data-testid="confirm"' not in html
    assert "bomb.xlsx [xl/worksheets/sheet1.xml]" in html and "more than the 50.0 MB allowed" in html
    assert client.post(f"{preview_url}confirm/", {"action": "confirm"}).status_code == 422
    assert not parses.called and not Plan.objects.exists()


def many_parts(declared_entries: int | None = None) -> bytes:
    """A workbook of 60 000 empty parts besides its 9 (a directory of 3.9 MB, seconds to read)."""
    workbook = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["序号", "任务"]])))
    own = [(info.filename, deflated(workbook.read(info))) for info in workbook.infolist()]
    empty = deflated(b"")
    members = [*own, *((f"customXml/item{n}.xml", empty) for n in range(60_000))]
    return zip_bytes(members, declared_entries=declared_entries)


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (None, "The file holds 60009 parts, more than the 1000 a document may hold"),
        (9, "The file's list of parts takes 3.9 MB, far more than a document's"),
    ],
)
def test_a_zip_of_many_parts_is_refused_before_its_directory_is_read(declared: int | None, message: str) -> None:
    data = many_parts(declared)
    with cost() as spent, pytest.raises(FileRefused) as refused:
        read_grids(data, "parts.xlsx", max_bytes=10 * MB)
    assert message in refused.value.problem.message
    assert spent.seconds < 0.5 and spent.peak_mb < 100, spent


def test_a_part_that_unpacks_past_what_it_declares_is_stopped_at_its_declared_size(bomb: bytes) -> None:
    """A zip whose directory says the 1 GB sheet is 4 KB passes the checks of the directory; Python's zipfile, which
    openpyxl reads through, stops at the declared size and finds the checksum wrong."""
    sheet = deflated_repeat(SHEET_HEAD, CHUNK, GB // len(CHUNK), SHEET_TAIL)
    liar = xlsx_with_sheet(dataclasses.replace(sheet, declared=4096))
    with cost() as spent, pytest.raises(FileRefused) as refused:
        read_grids(liar, "liar.xlsx", max_bytes=10 * MB)
    assert "The workbook cannot be opened" in refused.value.problem.message
    assert "CRC" in refused.value.problem.message
    assert spent.seconds < 5 and spent.peak_mb < 100, spent


def numbered_rows(count: int, columns: int = 1) -> bytes:
    """Rows 1…count of ``columns`` distinct numbers each: a sheet that compresses as real data does."""
    return b"".join(
        b'<row r="%d">' % r
        + b"".join(b"<c><v>%d</v></c>" % (r * 7919 + c * 104729) for c in range(columns))
        + b"</row>"
        for r in range(1, count + 1)
    )


@pytest.mark.django_db
def test_a_sheet_within_the_ratio_but_too_long_is_refused_where_it_goes_past_the_cap(
    units: dict[str, Unit], import_file: ImportFile, settings: Any
) -> None:
    settings.IMPORT_MAX_ROWS = 20000
    sheet = deflated(SHEET_HEAD + numbered_rows(200_000) + SHEET_TAIL)
    assert sheet.size / len(sheet.data) < settings.IMPORT_MAX_COMPRESSION_RATIO  # the directory lets it through
    error = one_error(import_file(xlsx_with_sheet(sheet), "long.xlsx"))
    assert (error.sheet, error.row) == ("Sheet1", 20001)
    assert "goes on past row 20000" in error.message
    assert str(error).startswith("long.xlsx [Sheet1], row 20001: ")


def test_a_value_far_right_of_the_table_is_refused_with_its_column() -> None:
    rows = b'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>2</v></c></row>'
    with pytest.raises(FileRefused) as refused:
        read_grids(xlsx_with_sheet(deflated(SHEET_HEAD + rows + SHEET_TAIL)), "wide.xlsx", max_bytes=MB)
    problem = refused.value.problem
    assert (problem.sheet, problem.row, problem.column) == ("Sheet1", 1, "XFD")
    assert "past column 100" in problem.message


def test_a_word_table_too_long_is_refused_with_its_table(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 5
    data = docx_bytes([["序号", "任务"], *([str(n), "任务"] for n in range(1, 10))])
    with pytest.raises(FileRefused) as refused:
        read_grids(data, "notice.docx", max_bytes=MB)
    problem = refused.value.problem
    assert (problem.sheet, problem.row) == ("table 1", 6) and "past row 5" in problem.message


def test_formatting_below_and_right_of_the_table_costs_nothing() -> None:
    """Empty cells, however formatted (a border drawn down to row 1 048 576), count for no row or column."""
    rows = (
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576" s="0"/></row>'
    )
    [grid] = read_grids(xlsx_with_sheet(deflated(SHEET_HEAD + rows + SHEET_TAIL)), "styled.xlsx", max_bytes=MB)
    assert [[cell.text for cell in row] for row in grid.rows] == [["x"]]


def slow_sheet() -> bytes:
    """19 000 rows of 100 numbers: within the caps, and more than a second's work (and many MB) to read."""
    row = b"<row>" + b"".join(b"<c><v>%d</v></c>" % (c * 104729) for c in range(100)) + b"</row>"
    return xlsx_with_sheet(deflated_repeat(SHEET_HEAD, row * 100, 190, SHEET_TAIL))


def test_the_worker_is_stopped_past_its_time(settings: Any) -> None:
    settings.IMPORT_MAX_COMPRESSION_RATIO = 10_000  # let it reach the worker
    settings.IMPORT_PARSE_SECONDS = 0.5
    with cost() as spent, pytest.raises(FileRefused) as refused:
        read_grids(slow_sheet(), "slow.xlsx", max_bytes=10 * MB)
    assert "took longer than the 0.5 seconds allowed" in refused.value.problem.message
    assert spent.seconds < 3, spent
    assert not [child for child in _children() if child.is_alive()]  # killed, not left running


def test_the_worker_is_stopped_past_its_memory(settings: Any) -> None:
    settings.IMPORT_MAX_COMPRESSION_RATIO = 10_000
    settings.IMPORT_PARSE_MEMORY_MB = 16
    settings.IMPORT_PARSE_SECONDS = 60
    with pytest.raises(FileRefused) as refused:
        read_grids(slow_sheet(), "big.xlsx", max_bytes=10 * MB)
    assert "needed more than the 16 MB of memory allowed" in refused.value.problem.message


def _children() -> list[Any]:
    import multiprocessing

    return multiprocessing.active_children()


@pytest.mark.django_db
def test_an_upload_is_read_once_for_its_previews_and_its_confirmation(
    units: dict[str, Unit], office_admin: User, parses: mock.MagicMock, settings: Any
) -> None:
    client = client_for(office_admin)
    preview_url = upload(client, ANNEX_XLSX.read_bytes(), "jilin-2023-tasks.xlsx")
    first = client.get(preview_url).content.decode()
    again = client.get(preview_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert counts(first) == counts(again) == {"tasks": 39, "assignments": 289, "closed": 1, "warnings": 1, "errors": 0}
    response = client.post(f"{preview_url}confirm/", {"action": "confirm"})
    assert response.status_code == 302 and Assignment.objects.count() == 289
    assert parses.call_count == 1
    assert list(Path(settings.IMPORT_STAGING_DIR).iterdir()) == []  # the file and what was read from it are gone


@pytest.mark.django_db
def test_a_refusal_by_the_worker_is_kept_too_and_told_in_each_readers_language(
    units: dict[str, Unit], office_admin: User, parses: mock.MagicMock, settings: Any
) -> None:
    settings.IMPORT_MAX_ROWS = 3
    client = client_for(office_admin)
    preview_url = upload(client, ANNEX_XLSX.read_bytes(), "jilin-2023-tasks.xlsx")
    english = client.get(preview_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(preview_url).content.decode()
    assert "goes on past row 3" in english and "表格超过第 3 行" in chinese
    assert parses.call_count == 1


@pytest.mark.django_db
def test_the_command_reads_the_annex_through_the_worker(units: dict[str, Unit], parses: mock.MagicMock) -> None:
    call_command("import_plan", str(ANNEX_XLSX), "--year", "2023", "--starts", "2023-07-10", "--json", stdout=None)
    assert Plan.objects.get(year=2023).tasks.count() == 39 and parses.call_count == 1
