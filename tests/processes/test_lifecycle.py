"""The lifecycle services: each step, who may take it, from which state, its audit row and its viewflow step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import STATUS

from processes.flows import CompletionFlow, EscalationFlow
from processes.models import (
    Assignment,
    AssignmentState,
    AssignmentTransition,
    CompletionProcess,
    Evidence,
    Plan,
    Report,
    Role,
    TransitionAction,
    Unit,
    User,
)
from processes.services.lifecycle import (
    AlreadyHandled,
    InvalidInput,
    NotAllowed,
    assignment_close,
    assignment_escalate,
    assignment_escalation_handle,
    assignment_reopen,
    assignment_report,
    assignment_return,
    assignment_sign_off,
    assignment_verify,
    assignments_bulk,
)

from ..factories import UserFactory
from ..lifecycle_helpers import JPEG, PDF, office_files, pdf, songyuan_item, upload

pytestmark = pytest.mark.django_db


def history(item: Assignment) -> list[tuple[str, str, str]]:
    return list(
        AssignmentTransition.objects.filter(assignment=item)
        .order_by("at", "pk")
        .values_list("action", "source", "target")
    )


def open_steps(flow_task: Any) -> list[FlowTask]:
    return list(FlowTask.objects.filter(flow_task=flow_task, status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]))


def test_report_verify_close_moves_the_item_and_its_process(
    plan_2023: Plan, reporter: User, supervisor: User, office_admin: User
) -> None:
    item = songyuan_item(plan_2023)
    report = assignment_report(assignment=item, by=reporter, text="已成立议事机构,印发通知。", files=office_files())
    item.refresh_from_db()
    assert item.state == AssignmentState.REPORTED
    assert report.evidence.count() == 5
    assert sorted(report.evidence.values_list("content_type", flat=True)) == ["docx", "jpeg", "pdf", "png", "xlsx"]
    [verify_step] = open_steps(CompletionFlow.verify)
    assert verify_step.owner_permission == f"processes.verify_unit_{item.unit_id}"

    assignment_verify(assignment=item, by=supervisor, comment="材料齐全")
    [close_step] = open_steps(CompletionFlow.close_out)
    assert not open_steps(CompletionFlow.verify)
    assignment_close(assignment=item, by=office_admin)

    item.refresh_from_db()
    assert item.state == AssignmentState.CLOSED
    assert history(item) == [
        ("created", "", "assigned"),
        ("reported", "assigned", "reported"),
        ("verified", "reported", "verified"),
        ("closed", "verified", "closed"),
    ]
    process = CompletionProcess.objects.get(assignment=item)
    assert process.status == STATUS.DONE and process.report == report
    done = FlowTask.objects.get(pk=close_step.pk)
    assert (done.status, done.owner) == (STATUS.DONE, office_admin)
    entry = AssignmentTransition.objects.get(assignment=item, action=TransitionAction.REPORTED)
    assert (entry.by, entry.report, entry.comment) == (reporter, report, "已成立议事机构,印发通知。")


def test_a_returned_report_goes_back_with_its_reason_and_can_be_resubmitted(
    plan_2023: Plan, reporter: User, supervisor: User
) -> None:
    item = songyuan_item(plan_2023)
    assignment_report(assignment=item, by=reporter, text="已完成", files=[pdf()])
    with pytest.raises(InvalidInput, match="reason"):
        assignment_return(assignment=item, by=supervisor, reason="   ")
    assignment_return(assignment=item, by=supervisor, reason="缺少印发文件的扫描件")
    item.refresh_from_db()
    assert item.state == AssignmentState.RETURNED
    assert not open_steps(CompletionFlow.verify)
    assert CompletionProcess.objects.get(assignment=item).status == STATUS.DONE  # ended at “returned”
    assignment_report(assignment=item, by=reporter, text="补充了扫描件", files=[pdf("通知扫描件.pdf")])
    item.refresh_from_db()
    assert item.state == AssignmentState.REPORTED
    assert len(open_steps(CompletionFlow.verify)) == 1
    assert [a for a, _s, _t in history(item)] == ["created", "reported", "returned", "reported"]
    assert AssignmentTransition.objects.get(assignment=item, action="returned").comment == "缺少印发文件的扫描件"


def test_a_unit_that_requires_sign_off_sends_reports_to_its_leader_first(
    plan_2023: Plan, reporter: User, leader: User, supervisor: User
) -> None:
    Unit.objects.filter(code="220700").update(requires_signoff=True)
    item = songyuan_item(plan_2023)
    assignment_report(assignment=item, by=reporter, text="已完成")
    item.refresh_from_db()
    assert item.state == AssignmentState.SIGNOFF
    assert FlowTask.objects.queue([CompletionFlow], leader).count() == 1
    assert FlowTask.objects.queue([CompletionFlow], supervisor).count() == 0  # not before the leader signs
    with pytest.raises(NotAllowed):
        assignment_verify(assignment=item, by=supervisor)
    with pytest.raises(NotAllowed):
        assignment_sign_off(assignment=item, by=reporter, approve=True)
    assignment_sign_off(assignment=item, by=leader, approve=True)
    item.refresh_from_db()
    assert item.state == AssignmentState.REPORTED
    assert FlowTask.objects.queue([CompletionFlow], supervisor).count() == 1

    other = songyuan_item(plan_2023, "3")
    assignment_report(assignment=other, by=reporter, text="已完成")
    with pytest.raises(InvalidInput):
        assignment_sign_off(assignment=other, by=leader, approve=False, comment="")
    assignment_sign_off(assignment=other, by=leader, approve=False, comment="请补充数据")
    other.refresh_from_db()
    assert other.state == AssignmentState.RETURNED
    assert [a for a, _s, _t in history(other)] == ["created", "submitted_for_signoff", "signoff_returned"]


def test_only_the_right_people_take_each_step(
    plan_2023: Plan, units: dict[str, Unit], reporter: User, supervisor: User
) -> None:
    item = songyuan_item(plan_2023)
    baicheng_reporter = UserFactory(unit=units["220800"], role=Role.REPORTER)
    changchun_supervisor = UserFactory(unit=units["220100"], role=Role.SUPERVISOR)
    with pytest.raises(NotAllowed):
        assignment_report(assignment=item, by=baicheng_reporter, text="冒名填报")
    with pytest.raises(NotAllowed):
        assignment_report(assignment=item, by=supervisor, text="代为填报")
    assignment_report(assignment=item, by=reporter, text="已完成")
    for outsider in (reporter, changchun_supervisor):
        with pytest.raises(NotAllowed):
            assignment_verify(assignment=item, by=outsider)
    assignment_verify(assignment=item, by=supervisor)
    with pytest.raises(NotAllowed):
        assignment_close(assignment=item, by=supervisor)  # only the office closes
    assert [a for a, _s, _t in history(item)] == ["created", "reported", "verified"]


def test_a_step_not_allowed_from_the_current_state_is_refused(
    plan_2023: Plan, reporter: User, supervisor: User
) -> None:
    item = songyuan_item(plan_2023)
    with pytest.raises(NotAllowed, match="cannot be taken while the item is"):
        assignment_verify(assignment=item, by=supervisor)
    closed = Assignment.objects.get(task__number="1")
    with pytest.raises(NotAllowed):
        assignment_report(assignment=closed, by=UserFactory(unit=closed.unit, role=Role.REPORTER), text="再报")
    assert history(item) == [("created", "", "assigned")]


def test_acting_on_what_someone_else_already_handled(plan_2023: Plan, reporter: User, supervisor: User) -> None:
    item = songyuan_item(plan_2023)
    assignment_report(assignment=item, by=reporter, text="已完成")
    assignment_verify(assignment=item, by=supervisor, expected_state=AssignmentState.REPORTED)
    with pytest.raises(AlreadyHandled) as caught:
        assignment_return(assignment=item, by=supervisor, reason="晚了一步", expected_state=AssignmentState.REPORTED)
    assert "该事项已被他人处理" in caught.value.message
    assert [a for a, _s, _t in history(item)] == ["created", "reported", "verified"]


def test_reopening_needs_a_reason_and_keeps_the_history(
    plan_2023: Plan, reporter: User, supervisor: User, office_admin: User
) -> None:
    item = songyuan_item(plan_2023)
    assignment_report(assignment=item, by=reporter, text="已完成")
    assignment_verify(assignment=item, by=supervisor)
    assignment_close(assignment=item, by=office_admin)
    with pytest.raises(InvalidInput):
        assignment_reopen(assignment=item, by=office_admin, reason="")
    with pytest.raises(NotAllowed):
        assignment_reopen(assignment=item, by=supervisor, reason="复核")
    assignment_reopen(assignment=item, by=office_admin, reason="复核发现材料不实")
    item.refresh_from_db()
    assert item.state == AssignmentState.ASSIGNED
    assert [a for a, _s, _t in history(item)] == ["created", "reported", "verified", "closed", "reopened"]


def test_escalation_lands_in_the_offices_to_do_and_shows_on_the_item(
    plan_2023: Plan, reporter: User, supervisor: User, office_admin: User
) -> None:
    item = songyuan_item(plan_2023)
    with pytest.raises(NotAllowed):
        assignment_escalate(assignment=item, by=reporter, comment="自己督办自己")
    with pytest.raises(InvalidInput):
        assignment_escalate(assignment=item, by=supervisor, comment="")
    assignment_escalate(assignment=item, by=supervisor, comment="进展缓慢,请办公室督办")
    item.refresh_from_db()
    assert item.escalated_at is not None and item.state == AssignmentState.ASSIGNED
    assert FlowTask.objects.queue([EscalationFlow], office_admin).count() == 1
    with pytest.raises(AlreadyHandled):
        assignment_escalate(assignment=item, by=supervisor, comment="再次督办")
    with pytest.raises(NotAllowed):
        assignment_escalation_handle(assignment=item, by=supervisor, comment="已处理")
    assignment_escalation_handle(assignment=item, by=office_admin, comment="已约谈松原市生态环境局")
    assert not open_steps(EscalationFlow.handle)
    assert [a for a, _s, _t in history(item)] == ["created", "escalated", "escalation_handled"]
    assignment_report(assignment=item, by=reporter, text="已完成")
    assignment_verify(assignment=item, by=supervisor)
    assignment_close(assignment=item, by=office_admin)
    item.refresh_from_db()
    assert item.escalated_at is None  # closing out ends the supervision


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([upload("说明.txt", b"text")], "cannot be attached"),
        ([upload("扫描件.pdf", JPEG)], "JPEG"),
        ([upload("照片.jpg", PDF)], "PDF"),
        ([upload("空文件.pdf", b"")], "empty"),
        ([upload("宏.docm", b"PK\x03\x04")], "cannot be attached"),
    ],
)
def test_bad_evidence_is_refused_with_its_name_and_nothing_is_written(
    plan_2023: Plan, reporter: User, settings: Any, files: list[Any], message: str
) -> None:
    item = songyuan_item(plan_2023)
    with pytest.raises(InvalidInput) as caught:
        assignment_report(assignment=item, by=reporter, text="已完成", files=[pdf(), *files])
    assert message in caught.value.message and files[0].name in caught.value.message
    assert not Report.objects.exists() and not Evidence.objects.exists()
    item.refresh_from_db()
    assert item.state == AssignmentState.ASSIGNED
    assert not list(Path(settings.PRIVATE_STORAGE_ROOT).rglob("*.*"))


def test_an_oversized_file_is_refused(plan_2023: Plan, reporter: User, settings: Any) -> None:
    settings.EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(InvalidInput, match="too large"):
        assignment_report(
            assignment=songyuan_item(plan_2023), by=reporter, text="已完成", files=[pdf(data=PDF + b" " * 2048)]
        )
    assert not Report.objects.exists()


def test_an_empty_report_is_refused(plan_2023: Plan, reporter: User) -> None:
    with pytest.raises(InvalidInput, match="cannot be empty"):
        assignment_report(assignment=songyuan_item(plan_2023), by=reporter, text="  \n ", files=[pdf()])
    assert not Report.objects.exists()


def test_a_failure_inside_the_step_writes_nothing(plan_2023: Plan, reporter: User, monkeypatch: Any) -> None:
    item = songyuan_item(plan_2023)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the flow could not start")

    monkeypatch.setattr(CompletionFlow.start, "run", broken)
    with pytest.raises(RuntimeError):
        assignment_report(assignment=item, by=reporter, text="已完成", files=[pdf()])
    item.refresh_from_db()
    assert item.state == AssignmentState.ASSIGNED
    assert not Report.objects.exists() and history(item) == [("created", "", "assigned")]


def test_the_history_cannot_be_edited_or_deleted(plan_2023: Plan) -> None:
    entry = AssignmentTransition.objects.first()
    assert entry is not None
    original = entry.comment
    entry.comment = "改写历史"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        AssignmentTransition.objects.filter(pk=entry.pk).update(comment="改写")
    with pytest.raises(ValidationError):
        AssignmentTransition.objects.filter(pk=entry.pk).delete()
    assert AssignmentTransition.objects.get(pk=entry.pk).comment == original


def test_bulk_verify_does_what_it_can_and_says_what_it_could_not(
    plan_2023: Plan, reporter: User, supervisor: User
) -> None:
    items = [songyuan_item(plan_2023, number) for number in ("2", "3", "4")]
    for item in items[:2]:
        assignment_report(assignment=item, by=reporter, text="已完成")
    result = assignments_bulk(step="verify", assignments=items, by=supervisor, expected_state=AssignmentState.REPORTED)
    assert [a.pk for a in result.done] == [items[0].pk, items[1].pk]
    assert [(a.pk, "该事项已被他人处理" in reason) for a, reason in result.refused] == [(items[2].pk, True)]
    assert Assignment.objects.filter(state=AssignmentState.VERIFIED).count() == 2
