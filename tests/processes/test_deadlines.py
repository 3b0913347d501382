import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes.importing.deadlines import DeadlineError, detect_frequencies, parse_deadline, parse_period_end
from processes.models import DeadlineKind, Frequency

D = dt.date


@pytest.mark.parametrize(
    ("written", "due"),
    [
        ("8月31日", D(2023, 8, 31)),
        ("8月31日前", D(2023, 8, 31)),
        ("8月31日前完成", D(2023, 8, 31)),
        (" 12月31日 ", D(2023, 12, 31)),
        ("１０月３０日", D(2023, 10, 30)),  # full-width digits, as Word writes them
        ("2023年9月30日", D(2023, 9, 30)),
        ("2023-07-31", D(2023, 7, 31)),
        ("2023/7/31", D(2023, 7, 31)),
        ("2023.11.30", D(2023, 11, 30)),
        ("9月底", D(2023, 9, 30)),
        ("2023年2月底前", D(2023, 2, 28)),
        ("年底前", D(2023, 12, 31)),
        ("2023年底", D(2023, 12, 31)),
        ("第三季度", D(2023, 9, 30)),
        ("二季度末", D(2023, 6, 30)),
        ("上半年", D(2023, 6, 30)),
        ("下半年", D(2023, 12, 31)),
        ("9月上旬", D(2023, 9, 10)),
        ("9月中旬", D(2023, 9, 20)),
        ("9月下旬", D(2023, 9, 30)),
    ],
)
def test_dates_as_offices_write_them(written: str, due: dt.date) -> None:
    deadline = parse_deadline(written, year=2023)
    assert deadline.kind == DeadlineKind.DATE
    assert deadline.due_date == due
    assert deadline.warning == ""


def test_a_date_without_a_year_takes_the_plan_year() -> None:
    assert parse_deadline("8月31日", year=2024).due_date == D(2024, 8, 31)


def test_a_date_outside_the_plan_year_is_kept_with_a_warning() -> None:
    deadline = parse_deadline("2024年3月31日", year=2023)
    assert deadline.due_date == D(2024, 3, 31)
    assert "2024-03-31" in deadline.warning


def test_already_completed_has_no_due_date() -> None:
    deadline = parse_deadline("已完成", year=2023)
    assert (deadline.kind, deadline.due_date) == (DeadlineKind.DONE, None)


@pytest.mark.parametrize(
    ("written", "due"), [("持续到2024年底", D(2024, 12, 31)), ("持续推进至2025年6月", D(2025, 6, 30))]
)
def test_ongoing_until_a_later_date(written: str, due: dt.date) -> None:
    deadline = parse_deadline(written, year=2023)
    assert (deadline.kind, deadline.due_date) == (DeadlineKind.ONGOING, due)


def test_ongoing_is_due_at_year_end() -> None:
    deadline = parse_deadline("持续推进", year=2023)
    assert (deadline.kind, deadline.due_date, deadline.frequency) == (DeadlineKind.ONGOING, D(2023, 12, 31), None)


@pytest.mark.parametrize(
    ("task_text", "frequency"),
    [
        ("分管领导每季度现场督导推进", Frequency.QUARTERLY),
        ("每两月对包保地区现场督导一次", Frequency.BIMONTHLY),
        ("实行双月调度、拉条挂账、销号清零", Frequency.BIMONTHLY),
        ("每月5日前报送进展", Frequency.MONTHLY),
        ("实行逐月调度", Frequency.MONTHLY),
        ("每半年报告一次", Frequency.HALF_YEARLY),
        ("每年开展一次评估", Frequency.YEARLY),
    ],
)
def test_recurring_takes_its_frequency_from_the_task_text(task_text: str, frequency: Frequency) -> None:
    deadline = parse_deadline("按频次要求持续推进", year=2023, task_text=task_text)
    assert deadline.kind == DeadlineKind.RECURRING
    assert deadline.frequency == frequency
    assert deadline.due_date == D(2023, 12, 31)
    assert deadline.warning == ""


def test_recurring_without_a_frequency_in_the_text_warns() -> None:
    deadline = parse_deadline("按频次要求持续推进", year=2023, task_text="各地健全完善项目滚动推进机制。")
    assert deadline.kind == DeadlineKind.RECURRING
    assert deadline.frequency is None
    assert "每季度" in deadline.warning


def test_several_frequencies_take_the_most_frequent_and_warn() -> None:
    deadline = parse_deadline("按频次要求持续推进", year=2023, task_text="每季度会商,每月调度")
    assert deadline.frequency == Frequency.MONTHLY
    assert deadline.warning


def test_a_frequency_written_as_the_deadline_itself_is_recurring() -> None:
    deadline = parse_deadline("每季度", year=2023)
    assert (deadline.kind, deadline.frequency) == (DeadlineKind.RECURRING, Frequency.QUARTERLY)


def test_every_two_months_is_not_monthly() -> None:
    assert detect_frequencies("每两月调度一次") == [Frequency.BIMONTHLY]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("", "empty"),
        ("2月30日", "not a valid date"),
        ("13月1日", "not a valid date"),
        ("尽快", "尽快"),
        ("2025-2023年", "ends before it starts"),
        ("0000年", "plausible year"),
        ("1900年12月31日", "plausible year"),
    ],
)
def test_unreadable_deadlines_say_what_is_wrong(written: str, message: str) -> None:
    with pytest.raises(DeadlineError, match=message):
        parse_deadline(written, year=2023)


@pytest.mark.parametrize(
    ("label", "due"),
    [
        ("2022-2024年", D(2024, 12, 31)),
        ("2024-2025年", D(2025, 12, 31)),
        ("2023年", D(2023, 12, 31)),
        ("2023年上半年", D(2023, 6, 30)),
        ("近期目标(2023年)", D(2023, 12, 31)),
        ("2024—2025年预期目标", D(2025, 12, 31)),
    ],
)
def test_milestone_periods_end_at_the_end_of_their_last_year(label: str, due: dt.date) -> None:
    assert parse_period_end(label, year=2023) == due


def test_a_milestone_header_without_a_period_is_refused() -> None:
    with pytest.raises(DeadlineError, match="does not name a period"):
        parse_period_end("预期目标", year=2023)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60), st.text(max_size=80), st.integers(min_value=1990, max_value=2110))
def test_any_text_either_parses_or_gives_a_clear_error(written: str, task_text: str, year: int) -> None:
    try:
        deadline = parse_deadline(written, year=year, task_text=task_text)
    except DeadlineError as exc:
        assert str(exc).strip()
    else:
        assert deadline.kind in DeadlineKind.values
        assert deadline.kind == DeadlineKind.DONE or isinstance(deadline.due_date, dt.date)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A(20[0-9]{2}年)?(1[0-2]|[1-9])月([12][0-9]|3[01]|[1-9])日\Z"))
def test_month_day_dates_parse_or_are_refused_as_invalid(written: str) -> None:
    try:
        deadline = parse_deadline(written, year=2023)
    except DeadlineError as exc:
        assert "not a valid date" in str(exc)
    else:
        assert deadline.kind == DeadlineKind.DATE
        assert deadline.due_date is not None and deadline.due_date.day == int(written.split("月")[1].rstrip("日"))


@pytest.mark.parametrize(
    ("written", "due"),
    [
        ("2021.10-2023.12", D(2023, 12, 31)),
        ("2023年6月至12月", D(2023, 12, 31)),
        ("2023年3-6月", D(2023, 6, 30)),
        ("6月至9月底", D(2023, 9, 30)),
        ("2023年6月-2024年3月", D(2024, 3, 31)),
        ("2023.11", D(2023, 11, 30)),
    ],
)
def test_a_range_is_due_at_its_end(written: str, due: dt.date) -> None:
    deadline = parse_deadline(written, year=2023)
    assert (deadline.kind, deadline.due_date) == (DeadlineKind.DATE, due)


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(DeadlineError, match="ends before it starts"):
        parse_deadline("2023年9月至6月", year=2023)


def test_two_stages_give_a_deadline_and_a_milestone() -> None:
    deadline = parse_deadline("2024年底前完成，2025年巩固提升", year=2024)
    assert (deadline.kind, deadline.due_date, deadline.warning) == (DeadlineKind.DATE, D(2024, 12, 31), "")
    [stage] = deadline.stages
    assert (stage.label, stage.due_date, stage.outcome) == ("2025年", D(2025, 12, 31), "2025年巩固提升")


def test_a_second_stage_without_a_period_is_not_a_deadline() -> None:
    with pytest.raises(DeadlineError):
        parse_deadline("2024年底前完成,巩固提升", year=2024)


@pytest.mark.parametrize(
    ("written", "task_text", "frequency", "day"),
    [
        ("每月25日前报送进展", "", Frequency.MONTHLY, 25),
        ("按频次要求持续推进", "每月25日前报送进展", Frequency.MONTHLY, 25),
        ("按频次要求持续推进", "每季度末月20日前报送", Frequency.QUARTERLY, 20),
        ("每两月10日前", "", Frequency.BIMONTHLY, 10),
        ("按频次要求持续推进", "每季度调度", Frequency.QUARTERLY, None),
    ],
)
def test_the_day_within_a_frequency_is_kept(
    written: str, task_text: str, frequency: Frequency, day: int | None
) -> None:
    deadline = parse_deadline(written, year=2023, task_text=task_text)
    assert (deadline.kind, deadline.frequency, deadline.day, deadline.warning) == (
        DeadlineKind.RECURRING,
        frequency,
        day,
        "",
    )


def test_a_day_for_the_period_before_is_not_kept_and_says_so() -> None:
    deadline = parse_deadline("按频次要求持续推进", year=2023, task_text="每月5日前报送上月进展")
    assert deadline.day is None and "period before" in deadline.warning
