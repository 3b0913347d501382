"""Reading the State Council's holiday notice: the real notices of 2023–2026 give exactly chinesecalendar's days,
every wording read, bad or partial text refused naming its sentence; the command and the admin's paste, read and
confirm."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import chinese_calendar
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from processes import workdays
from processes.holiday_notice import FESTIVALS, HolidayNoticeError, ParsedNotice, parse_holiday_notice
from processes.models import CalendarYear, Role, User

from ..factories import UserFactory
from .test_rounds import at
from .test_views import client_for

D = dt.date
NOTICES = Path(settings.BASE_DIR) / "tests" / "data" / "holiday_notices"
TITLE = "国务院办公厅关于{year}年部分节假日安排的通知\n"

# A notice for 2027 worded as the real ones are; its days are made up for these tests (the State Council's 2027
# notice is not in chinesecalendar 1.11).
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：

经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。

一、元旦：1月1日（周五）至3日（周日）放假，共3天。

二、春节：2月5日（农历除夕、周五）至12日（农历正月初七、周五）放假调休，共8天。2月20日（周六）上班。

三、清明节：4月3日（周六）至5日（周一）放假，共3天。

四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。

五、端午节：6月9日（周三）放假1天，不调休。

六、中秋节：9月15日（周三）放假1天，不调休。

七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。

国务院办公厅
2026年11月5日
"""


def notice_text(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text("utf-8")


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def joined_weekends(notice: ParsedNotice) -> set[dt.date]:
    """The weekend next to a day off that the notice joins to it (与周末连休) without naming it: chinesecalendar lists
    those days as the festival's (2023-12-30 and 31 for 2024's 元旦), the notice names only the day off itself."""
    found: set[dt.date] = set()
    for festival in notice.festivals:
        if not festival.joins_weekend:
            continue
        for step in (-1, 1):
            day = (festival.holidays[0] if step < 0 else festival.holidays[-1]) + dt.timedelta(days=step)
            while day.weekday() >= 5 and day not in notice.holidays:
                found.add(day)
                day += dt.timedelta(days=step)
    return found


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    workdays.refresh()
    yield
    workdays.refresh()


# The real notices


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_a_published_notice_gives_exactly_chinesecalendars_days(year: int) -> None:
    notice = parse_holiday_notice(notice_text(year))
    assert notice.year == year
    # A notice's days run from late December of the year before (元旦) to before its own late December (the next
    # notice's 元旦 may take those).
    first, last = D(year - 1, 12, 20), D(year, 12, 20)
    official = set(chinese_calendar.get_holidays(first, last, include_weekends=False))
    assert set(notice.holidays) == official - joined_weekends(notice)
    assert notice.workdays == [day for day in chinese_calendar.get_workdays(first, last) if day.weekday() >= 5]
    for day in days_between(first, last):  # and so every day works, or not, as chinesecalendar says
        by_notice = day in notice.workdays or (day.weekday() < 5 and day not in notice.holidays)
        assert by_notice == chinese_calendar.is_workday(day), day


def test_what_the_notices_say_festival_by_festival() -> None:
    notice_2023 = parse_holiday_notice(notice_text(2023))
    new_year, spring, *_, autumn = notice_2023.festivals
    assert new_year.holidays == (D(2022, 12, 31), D(2023, 1, 1), D(2023, 1, 2))  # 2022年12月31日至2023年1月2日
    assert spring.workdays == (D(2023, 1, 28), D(2023, 1, 29))
    assert autumn.names == ("中秋节", "国庆节") and autumn.holidays == tuple(
        days_between(D(2023, 9, 29), D(2023, 10, 6))
    )
    notice_2024 = parse_holiday_notice(notice_text(2024))
    assert notice_2024.festivals[0].holidays == (D(2024, 1, 1),) and notice_2024.festivals[0].joins_weekend
    assert D(2024, 2, 9) not in notice_2024.holidays  # 鼓励…安排职工在除夕（2月9日）休息: advice, not a day off
    labour = parse_holiday_notice(notice_text(2025)).festivals[3]
    assert labour.holidays == tuple(days_between(D(2025, 5, 1), D(2025, 5, 5))) and labour.workdays == (D(2025, 4, 27),)
    spring_2026 = parse_holiday_notice(notice_text(2026)).festivals[1]
    assert len(spring_2026.holidays) == 9 and spring_2026.workdays == (D(2026, 2, 14), D(2026, 2, 28))


def test_a_notice_pasted_from_a_web_page_reads_the_same() -> None:
    """ASCII punctuation, full-width digits, the whole notice on one line, lines broken in the middle of a date."""
    for year in (2023, 2024, 2025, 2026):
        text = notice_text(year)
        expected = parse_holiday_notice(text).as_dict()
        ascii_text = text.translate(str.maketrans({"：": ":", "，": ",", "（": "(", "）": ")"}))
        assert parse_holiday_notice(ascii_text).as_dict() == expected
        assert parse_holiday_notice(" ".join(text.split())).as_dict() == expected
        assert parse_holiday_notice(text.replace("月", "月\n", 3)).as_dict() == expected
        wide = text.translate({ord(digit): chr(0xFF10 + int(digit)) for digit in "0123456789"})
        assert parse_holiday_notice(wide).as_dict() == expected


# Every wording


@pytest.mark.parametrize(
    ("item", "holidays", "workdays"),
    [
        ("一、元旦：1月1日（周日）放假，与周末连休。", [D(2017, 1, 1)], []),
        ("一、元旦：1月1日（星期日）放假，与周末连休。", [D(2017, 1, 1)], []),
        ("一、元旦：1月1日放假，1月2日（星期一）补休。", [D(2017, 1, 1), D(2017, 1, 2)], []),
        ("一、元旦：2017年1月1日（周日）放假1天，不调休。", [D(2017, 1, 1)], []),
        ("一、元旦：12月30日至1月1日放假调休，共3天。", [D(2016, 12, 30), D(2016, 12, 31), D(2017, 1, 1)], []),
        (
            "一、元旦：2016年12月31日至2017年1月2日放假调休，共3天。2016年12月25日（星期日）上班。",
            [D(2016, 12, 31), D(2017, 1, 1), D(2017, 1, 2)],
            [D(2016, 12, 25)],
        ),
        (
            "四、劳动节：4月29日至5月3日放假调休，共5天。4月23日（周日）、5月6日（周六）上班。",
            days_between(D(2017, 4, 29), D(2017, 5, 3)),
            [D(2017, 4, 23), D(2017, 5, 6)],
        ),
        (
            "二、春节：1月27日（农历除夕、周五）至2月2日（农历正月初六、周四）放假调休，共7天。"
            "1月22日（周日）、2月4日（周六）上班。",
            days_between(D(2017, 1, 27), D(2017, 2, 2)),
            [D(2017, 1, 22), D(2017, 2, 4)],
        ),
        ("二、春节：1月27日至2月2日放假调休，共7天。1月22日（星期日）、2月4日（星期六）上班。", None, None),
        ("六、中秋节、国庆节：10月1日至8日放假调休，共8天。9月30日（星期六）上班。", None, None),
        ("二、春节：1月27日至2月2日放假调休，共七天。1月22日（星期日）、2月4日（星期六）上班。", None, None),
        (
            "四、劳动节：4月29日至5月1日放假调休，共3天。4月15日（星期六）、16日（星期日）上班。",
            days_between(D(2017, 4, 29), D(2017, 5, 1)),
            [D(2017, 4, 15), D(2017, 4, 16)],
        ),
    ],
)
def test_every_wording_the_notices_have_used(
    item: str, holidays: list[dt.date] | None, workdays: list[dt.date] | None
) -> None:
    notice = parse_holiday_notice(TITLE.format(year=2017) + item)
    if holidays is not None:
        assert (notice.holidays, notice.workdays) == (holidays, workdays)
    else:  # checked against chinesecalendar, which knows 2017
        assert notice.holidays and notice.workdays
        assert all(not chinese_calendar.is_workday(day) for day in notice.holidays)
        assert all(chinese_calendar.is_workday(day) and day.weekday() >= 5 for day in notice.workdays)


def test_the_year_is_read_from_the_title_or_the_body() -> None:
    body = "经国务院批准，现将2024年元旦、春节放假调休日期的具体安排通知如下。\n一、元旦：1月1日放假，与周末连休。"
    assert parse_holiday_notice(body).year == 2024
    assert parse_holiday_notice(TITLE.format(year=2024) + body).holidays == [D(2024, 1, 1)]


# Refusals, naming the sentence


@pytest.mark.parametrize(
    ("text", "message", "sentence"),
    [
        ("", "empty", ""),
        ("一、元旦：1月1日放假，与周末连休。", "does not say its year", "一、元旦：1月1日放假，与周末连休。"),
        (
            TITLE.format(year=2024) + "经国务院批准，现将2025年元旦放假安排通知如下。一、元旦：1月1日放假。",
            "more than one year",
            "",
        ),
        (TITLE.format(year=2024) + "各省、自治区：经国务院批准。", "No festival items", "经国务院批准"),
        (TITLE.format(year=2024) + "一、元旦：与周末连休。", "No days off", "一、元旦：与周末连休。"),
        (TITLE.format(year=2024) + "二、植树节：3月12日放假。", "Unknown festival", "二、植树节：3月12日放假。"),
        (TITLE.format(year=2024) + "一、元旦：1月32日放假。", "is not a date", "一、元旦：1月32日放假。"),
        (
            TITLE.format(year=2024) + "二、春节：2月10日至17日放假调休，共8天。2月4日（星期六）上班。",
            "is a 星期日, not a 星期六",
            "2月4日（星期六）上班。",
        ),
        (
            TITLE.format(year=2024) + "二、春节：2月10日（周五）至17日（周六）放假调休，共8天。",
            "is a 星期六, not a 星期五",
            "二、春节：2月10日（周五）至17日（周六）放假调休，共8天。",
        ),
        (
            TITLE.format(year=2024) + "二、春节：2月10日至17日放假调休，共7天。",
            "says 7 days but names 8",
            "二、春节：2月10日至17日放假调休，共7天。",
        ),
        (
            TITLE.format(year=2024) + "二、春节：2月10日至17日放假调休，共8天。2月4日（星期日）或另行通知上班。",
            "Cannot read the dates",
            "2月4日（星期日）或另行通知上班。",
        ),
        (
            TITLE.format(year=2024) + "二、春节：2月10日至17日放假调休，共8天。2月5日上班。",
            "not a Saturday or Sunday",
            "2月5日上班。",
        ),
        (
            TITLE.format(year=2024) + "二、春节：2月17日至10日放假调休。",
            "Cannot read the dates",
            "二、春节：2月17日至10日放假调休。",
        ),
        (
            TITLE.format(year=2024) + "一、元旦：2026年1月1日放假。",
            "outside the notice's year",
            "一、元旦：2026年1月1日放假。",
        ),
        (
            TITLE.format(year=2024)
            + "二、春节：2月10日至17日放假调休。三、清明节：4月4日放假。2月17日（星期六）上班。",
            "both a day off and a working day",
            "2月17日（星期六）上班。",
        ),
        (
            TITLE.format(year=2024)
            + "一、元旦：1月1日放假，与周末连休。国务院办公厅 2023年10月25日 为你推荐：12月13日",
            "Cannot read the dates",
            "为你推荐：12月13日",
        ),
    ],
)
def test_bad_or_partial_text_is_refused_naming_the_sentence(text: str, message: str, sentence: str) -> None:
    with pytest.raises(HolidayNoticeError) as refused:
        parse_holiday_notice(text)
    assert message in str(refused.value)
    assert sentence in refused.value.sentence and sentence in str(refused.value)
    if sentence.endswith("。"):  # the sentence itself, not the item it stands in
        assert refused.value.sentence.endswith(sentence)


def test_a_published_notice_with_one_date_changed_is_refused() -> None:
    text = notice_text(2024).replace("4月28日（星期日）", "4月27日（星期日）")
    with pytest.raises(HolidayNoticeError) as refused:
        parse_holiday_notice(text)
    assert refused.value.sentence == "4月27日（星期日）、5月11日（星期六）上班。"


# Properties: any notice written in the notices' wording reads back as written


WEEKDAY_NAMES = "一二三四五六日"


@st.composite
def notices(draw: st.DrawFn) -> tuple[str, int, list[dt.date], list[dt.date]]:
    """A notice of up to six festivals (no 元旦: its December rule is tested above), each a stretch of one to nine
    days off with up to two make-up days on the weekends within a week of it, written in a drawn style."""
    year = draw(st.integers(min_value=2005, max_value=2099))
    word = draw(st.sampled_from(["周", "星期"]))

    def written(day: dt.date, *, month: bool = True, weekday: bool = True) -> str:
        text = (f"{day.month}月" if month else "") + f"{day.day}日"
        return text + (f"（{word}{WEEKDAY_NAMES[day.weekday()]}）" if weekday else "")

    items: list[str] = []
    holidays: list[dt.date] = []
    workdays_: list[dt.date] = []
    first = D(year, 1, 10)
    for position, festival in enumerate(FESTIVALS[1:]):
        first += dt.timedelta(days=draw(st.integers(min_value=0, max_value=30)))
        last = first + dt.timedelta(days=draw(st.integers(min_value=0, max_value=8)))
        if last > D(year, 12, 10):
            break
        days = days_between(first, last)
        weekday = draw(st.booleans())
        span = written(first, weekday=weekday)
        if last > first:
            span += "至" + written(last, month=last.month != first.month or draw(st.booleans()), weekday=weekday)
        sentence = f"{span}放假调休，共{len(days)}天。"
        near = days_between(first - dt.timedelta(days=7), last + dt.timedelta(days=7))
        weekends = [day for day in near if day.weekday() >= 5 and day not in days]
        chosen = sorted(draw(st.sets(st.sampled_from(weekends), max_size=2))) if weekends else []
        if chosen:
            sentence += "、".join(written(day) for day in chosen) + "上班。"
        items.append(f"{'一二三四五六'[position]}、{festival}：{sentence}")
        holidays += days
        workdays_ += chosen
        first = last + dt.timedelta(days=20)  # the next stretch and its make-up days come after these
    return TITLE.format(year=year) + "\n".join(items), year, holidays, workdays_


@hypothesis_settings(max_examples=200, deadline=None)
@given(notices())
def test_a_notice_reads_back_as_written(case: tuple[str, int, list[dt.date], list[dt.date]]) -> None:
    text, year, holidays, workdays_ = case
    if not holidays:
        return
    notice = parse_holiday_notice(text)
    assert (notice.year, notice.holidays, notice.workdays) == (year, holidays, workdays_)


@hypothesis_settings(max_examples=200, deadline=None)
@given(notices(), st.data())
def test_a_wrong_weekday_anywhere_is_refused(
    case: tuple[str, int, list[dt.date], list[dt.date]], data: st.DataObject
) -> None:
    text = case[0]
    brackets = list(re.finditer(r"（(周|星期)([一二三四五六日])）", text))
    if not brackets:
        return
    chosen = data.draw(st.sampled_from(brackets))
    wrong = data.draw(st.sampled_from([name for name in WEEKDAY_NAMES if name != chosen.group(2)]))
    changed = text[: chosen.start(2)] + wrong + text[chosen.end(2) :]
    with pytest.raises(HolidayNoticeError) as refused:
        parse_holiday_notice(changed)
    assert chosen.group(1) + wrong in refused.value.sentence


# The command


def test_the_command_prints_what_the_notice_says_and_stores_nothing(db: None) -> None:
    out = io.StringIO()
    call_command("load_holiday_notice", str(NOTICES / "2026.txt"), "--json", stdout=out)
    read = json.loads(out.getvalue())
    expected = parse_holiday_notice(notice_text(2026)).as_dict()
    assert {key: read[key] for key in ("year", "holidays", "workdays")} == expected
    assert read["confirmed"] is True and read["disagreements"] == []  # chinesecalendar knows 2026 and agrees
    assert "2026-10-10" in read["workdays"] and "2026-02-16" in read["holidays"]
    assert not CalendarYear.objects.exists()
    out = io.StringIO()
    call_command("load_holiday_notice", str(NOTICES / "2026.txt"), stdout=out)
    assert "Year: 2026" in out.getvalue() and "2026-02-14、2026-02-28" in out.getvalue()


def test_the_command_confirms_a_year_and_again_replaces_its_days(db: None, tmp_path: Path) -> None:
    path = tmp_path / "2027.txt"
    path.write_text(NOTICE_2027, "utf-8")
    with at("2026-12-01 10:00"):
        out = io.StringIO()
        call_command("load_holiday_notice", str(path), "--json", stdout=out)
        assert json.loads(out.getvalue())["confirmed"] is False and not CalendarYear.objects.exists()
        assert workdays.is_provisional(2027) and workdays.is_workday(D(2027, 10, 7))  # a Thursday, provisionally
        out = io.StringIO()
        call_command("load_holiday_notice", str(path), "--confirm", "--json", stdout=out)
    read = json.loads(out.getvalue())
    assert read["year"] == 2027 and read["confirmed"] is True
    stored = CalendarYear.objects.get()
    assert (stored.holidays, stored.workdays, stored.confirmed_by) == (read["holidays"], read["workdays"], None)
    assert not workdays.is_provisional(2027) and not workdays.is_workday(D(2027, 10, 7))
    path.write_text(NOTICE_2027.replace("2月20日（周六）上班。", "2月13日（周六）、2月20日（周六）上班。"), "utf-8")
    call_command("load_holiday_notice", str(path), "--confirm", stdout=io.StringIO())
    call_command("load_holiday_notice", str(path), "--confirm", stdout=io.StringIO())
    stored = CalendarYear.objects.get()
    assert stored.workdays[:2] == ["2027-02-13", "2027-02-20"]
    assert workdays.is_workday(D(2027, 2, 13))


def test_the_command_refuses_bad_text_and_days_that_disagree_with_chinesecalendar(db: None, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(TITLE.format(year=2027) + "二、春节：2月5日至12日放假调休，共8天。2月20日（周日）上班。", "utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("load_holiday_notice", str(bad), "--confirm", stdout=io.StringIO())
    assert "2月20日（周日）上班。" in str(refused.value) and not CalendarYear.objects.exists()
    wrong = tmp_path / "2026.txt"  # one day off moved: the weekdays still match, chinesecalendar does not
    wrong.write_text(notice_text(2026).replace("5月9日（周六）上班", "5月16日（周六）上班"), "utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("load_holiday_notice", str(wrong), "--confirm", stdout=io.StringIO())
    assert "2026-05-09" in str(refused.value) and "2026-05-16" in str(refused.value)
    assert not CalendarYear.objects.exists()
    with pytest.raises(CommandError):
        call_command("load_holiday_notice", str(tmp_path / "missing.txt"), stdout=io.StringIO())


# The admin: paste, read, confirm


@pytest.fixture
def root(db: None) -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True, unit=None)


def test_the_office_pastes_reads_and_confirms_a_year_in_the_admin(root: User) -> None:
    client = client_for(root, language="en")
    with at("2026-12-01 10:00"):
        listing = client.get("/admin/processes/calendaroverride/").content.decode()
        assert "The holiday arrangements of 2027 are not confirmed yet" in listing
        assert "/admin/processes/calendaryear/add/" in listing
        assert client.get("/admin/processes/calendaryear/add/").status_code == 200
        page = client.post("/admin/processes/calendaryear/add/", {"text": NOTICE_2027, "parse": "1"})
        html = page.content.decode()
        assert 'data-year="2027"' in html and 'data-day="2027-10-07"' in html and 'data-workday="2027-10-09"' in html
        assert 'data-testid="confirm-notice"' in html and not CalendarYear.objects.exists()
        read = re.search(r'name="read" value="(\w+)"', html)
        assert read is not None
        edited = NOTICE_2027.replace("共7天", "共7天。")
        page = client.post(
            "/admin/processes/calendaryear/add/", {"text": edited, "confirm": "1", "read": read.group(1)}
        )
        assert page.status_code == 200 and not CalendarYear.objects.exists()  # changed since read: read again
        response = client.post(
            "/admin/processes/calendaryear/add/", {"text": NOTICE_2027, "confirm": "1", "read": read.group(1)}
        )
        assert response.status_code == 302 and response["Location"] == "/admin/processes/calendaryear/"
        stored = CalendarYear.objects.get(year=2027)
        assert stored.confirmed_by == root and stored.notice_text.startswith("国务院办公厅关于2027年")
        assert not workdays.is_provisional(2027) and workdays.is_workday(D(2027, 10, 9))  # refreshed at once
        assert "2027 are not confirmed yet" not in client.get("/admin/processes/calendaroverride/").content.decode()
        assert "2027" in client.get("/admin/processes/calendaryear/").content.decode()


def test_the_admin_shows_the_sentence_it_cannot_read_and_stores_nothing(root: User) -> None:
    client = client_for(root)  # Chinese, as the office reads it
    text = NOTICE_2027.replace("10月9日（周六）上班", "10月9日（周日）上班")
    html = client.post("/admin/processes/calendaryear/add/", {"text": text, "parse": "1"}).content.decode()
    assert 'data-testid="notice-error"' in html and "9月26日（周日）、10月9日（周日）上班。" in html
    assert "是星期六，不是星期日" in html and 'data-testid="confirm-notice"' not in html
    assert not CalendarYear.objects.exists()


def test_the_admin_will_not_confirm_days_that_disagree_with_chinesecalendar(root: User) -> None:
    text = notice_text(2026).replace("5月9日（周六）上班", "5月16日（周六）上班")
    html = (
        client_for(root, language="en")
        .post("/admin/processes/calendaryear/add/", {"text": text, "parse": "1"})
        .content.decode()
    )
    assert 'data-testid="notice-disagreements"' in html and "2026-05-16" in html
    assert 'data-testid="confirm-notice"' not in html


def test_only_the_office_admins_confirm_a_year(db: None) -> None:
    staff = UserFactory(username="staff_supervisor", is_staff=True, role=Role.SUPERVISOR)
    response = client_for(staff).post("/admin/processes/calendaryear/add/", {"text": NOTICE_2027, "confirm": "1"})
    assert response.status_code == 403 and not CalendarYear.objects.exists()
