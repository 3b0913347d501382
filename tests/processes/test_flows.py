"""The process charts in the README are drawn from the flows as they are; the flows are wired as documented."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation
from viewflow.workflow import chart

from processes.flows import CompletionFlow, EscalationFlow

DOCS = Path(settings.BASE_DIR) / "docs"


@pytest.mark.parametrize(
    ("flow", "name"), [(CompletionFlow, "completion-flow.svg"), (EscalationFlow, "escalation-flow.svg")]
)
def test_the_readme_chart_is_current(flow: type, name: str) -> None:
    with translation.override("en"):
        drawn = chart.grid_to_svg(chart.calc_layout_data(flow))
    assert (DOCS / name).read_text("utf-8") == drawn, "the flow changed: run `make charts` and commit docs/"


def test_each_human_step_is_offered_by_a_per_unit_permission() -> None:
    activation = SimpleNamespace(process=SimpleNamespace(assignment=SimpleNamespace(unit_id=7)))
    offered = {
        node.name: node.calc_owner_permission(activation)
        for flow in (CompletionFlow, EscalationFlow)
        for node in flow.instance.nodes()
        if node.task_type == "HUMAN"
    }
    assert offered == {
        "signoff": "processes.signoff_unit_7",
        "verify": "processes.verify_unit_7",
        "close_out": "processes.close_unit_7",
        "handle": "processes.close_unit_7",
    }
