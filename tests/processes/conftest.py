"""Fixtures shared by the ladder's tests and the signing tests: the 2023 annex imported on 1 July 2023, and the
people the ladder tells. A module that defines its own ``plan`` or ``people`` uses its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from processes.models import Plan, Role, Unit, User

from ..conftest import ANNEX_XLSX, ImportFile
from ..factories import UserFactory
from .test_rounds import at


@pytest.fixture
def people(
    units: dict[str, Unit], reporter: User, leader: User, supervisor: User, office_admin: User
) -> dict[str, User]:
    upper = UserFactory(username="eeb_leader", unit=units["JL-EEB"], role=Role.LEADER)  # 松原's parent unit
    return {"reporter": reporter, "leader": leader, "supervisor": supervisor, "office": office_admin, "upper": upper}


@pytest.fixture
def plan(units: dict[str, Unit], import_file: ImportFile) -> Iterator[Plan]:
    with at("2023-07-01 09:00"):
        assert import_file(ANNEX_XLSX, doc_no="吉环固体字〔2023〕15号").applied
        yield Plan.objects.get(year=2023)
