"""The process charts in the README are drawn from the flows as they are; the flows are wired as documented."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation
from viewflow.workflow import chart

from processes.flows import CompletionFlow, EscalationFlow
from processes.models import Assignment, Plan

DOCS = Path(settings.BASE_DIR) / "docs"


@pytest.mark.parametrize(
    ("flow", "name"), [(CompletionFlow, "completion-flow.svg"), (EscalationFlow, "escalation-flow.svg")]
)
def test_the_readme_chart_is_current(flow: type, name: str) -> None:
    with translation.override("en"):
        drawn = chart.grid_to_svg(chart.calc_layout_data(flow))
    assert (DOCS / name).read_text("utf-8") == drawn, "the flow changed: run `make charts` and commit docs/"


@pytest.mark.django_db
def test_each_human_step_is_offered_by_a_per_unit_permission(plan_2023: Plan) -> None:
    """On the province's plan, per unit (a city's plan adds its office: tests/processes/test_rules.py)."""
    item = Assignment.objects.filter(task__plan=plan_2023).first()
    assert item is not None
    activation = SimpleNamespace(process=SimpleNamespace(assignment=item))
    unit = item.unit_id
    offered = {
        node.name: node.calc_owner_permission(activation)
        for flow in (CompletionFlow, EscalationFlow)
        for node in flow.instance.nodes()
        if node.task_type == "HUMAN"
    }
    assert offered == {
        "signoff": f"processes.signoff_unit_{unit}",
        "verify": f"processes.verify_unit_{unit}",
        "close_out": f"processes.close_unit_{unit}",
        "handle": f"processes.close_unit_{unit}",
    }
