"""The responsible-unit cells of the 2023 annex, and what else offices write there, against the published units."""

import csv
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from processes.importing.units import GroupEntry, UnitEntry, UnitIndex

DATA = Path(settings.BASE_DIR) / "data"
LOCAL_BUREAUS = [
    "220100",
    "220200",
    "220300",
    "220400",
    "220500",
    "220600",
    "220700",
    "220800",
    "222400",
    "JL-CBS",
    "220581",
]


def _index() -> UnitIndex:
    """The index the database would give, built straight from the data files."""
    with open(DATA / "jilin-units.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    units = [
        UnitEntry(r["code"], r["name"], r["short_name"], tuple(a for a in r["aliases"].split(";") if a)) for r in rows
    ]
    with open(DATA / "jilin-unit-groups.csv", encoding="utf-8") as f:
        groups = [
            GroupEntry(
                g["name"],
                tuple(
                    r["code"] for r in rows if r["level"] == g["member_level"] or r["code"] in g["members"].split(";")
                ),
                tuple(a for a in g["aliases"].split(";") if a),
            )
            for g in csv.DictReader(f)
        ]
    return UnitIndex(units, groups)


INDEX = _index()


def test_the_long_form_with_its_note_means_the_eleven_local_bureaus() -> None:
    result = INDEX.resolve("各市(州)、长白山管委会、梅河新区(梅河口市)生态环境局(以下简称“各地生态环境局”)")
    assert result.codes == LOCAL_BUREAUS
    assert result.errors == [] and result.warnings == []


def test_full_width_brackets_are_the_same_name() -> None:
    assert INDEX.resolve("各市（州）、长白山管委会、梅河新区（梅河口市）生态环境局").codes == LOCAL_BUREAUS


def test_the_group_name_means_the_same_eleven() -> None:
    assert INDEX.resolve("各地生态环境局").codes == LOCAL_BUREAUS


def test_a_unit_and_a_group_give_twelve() -> None:
    result = INDEX.resolve("省生态环境厅、各地生态环境局")
    assert result.codes == ["JL-EEB", *LOCAL_BUREAUS]


def test_places_share_the_suffix_of_the_last_name() -> None:
    result = INDEX.resolve("松原市、白城市生态环境局")
    assert result.codes == ["220700", "220800"]
    assert result.errors == []


def test_a_known_slip_resolves_through_the_alias_table_with_a_warning() -> None:
    result = INDEX.resolve("长春市生态环境厅")
    assert result.codes == ["220100"]
    assert len(result.warnings) == 1
    assert "长春市生态环境厅" in result.warnings[0] and "长春市生态环境局" in result.warnings[0]


def test_a_trailing_etc_is_dropped_with_a_warning() -> None:
    result = INDEX.resolve("长春市生态环境局、吉林市生态环境局等")
    assert result.codes == ["220100", "220200"]
    assert any("等" in warning for warning in result.warnings)


def test_repeated_units_are_named_once() -> None:
    assert INDEX.resolve("省生态环境厅、吉林省生态环境厅,省厅").codes == ["JL-EEB"]


def test_an_unknown_unit_lists_the_closest_known_names() -> None:
    result = INDEX.resolve("白城市生态环境厅局")
    assert result.codes == []
    assert result.unknown == ["白城市生态环境厅局"]
    assert "白城市生态环境局" in result.errors[0]


def test_a_place_of_another_kind_of_organ_is_not_read_as_its_bureau() -> None:
    # “长春市” alone is the short name of the bureau, but here it means 长春市人民政府, which is not a unit.
    result = INDEX.resolve("长春市、吉林市人民政府")
    assert "220100" not in result.codes
    assert {"长春市人民政府", "吉林市人民政府"} <= set(result.unknown)


def test_a_name_two_units_claim_is_reported_as_ambiguous() -> None:
    index = UnitIndex([UnitEntry("A", "甲局", aliases=("某局",)), UnitEntry("B", "乙局", aliases=("某局",))])
    result = index.resolve("某局")
    assert result.codes == []
    assert "ambiguous" in result.errors[0]


def test_conjunctions_split_only_when_the_whole_is_unknown() -> None:
    assert INDEX.resolve("长春市和吉林市生态环境局").codes == ["220100", "220200"]
    assert INDEX.resolve("吉林省发展和改革委员会").codes == ["JL-DRC"]


def _names_for(code: str) -> set[str]:
    """Every name that can bring ``code`` into a resolution: its own names, and the names of groups holding it."""
    with open(DATA / "jilin-units.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["code"] == code)
    names = {row["name"], row["short_name"], *row["aliases"].split(";")} - {""}
    with open(DATA / "jilin-unit-groups.csv", encoding="utf-8") as f:
        for group in csv.DictReader(f):
            if row["level"] == group["member_level"] or code in group["members"].split(";"):
                names |= {group["name"], *group["aliases"].split(";")} - {""}
    return names


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_resolves_or_says_why_not(text: str) -> None:
    result = INDEX.resolve(text)
    assert len(result.codes) == len(set(result.codes))
    assert all(message.strip() for message in result.errors + result.warnings)
    squeezed = "".join(text.split())
    for code in result.codes:  # nothing is read that the text does not name, in full or as its place
        assert any(name[:2] in squeezed for name in _names_for(code)), (text, code)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "省生态环境厅",
                "松原市",
                "白城市",
                "长春市生态环境厅",
                "各地生态环境局",
                "火星市",
                "等",
                "、",
                "(以下简称“各地”)",
                "和",
            ]
        ),
        max_size=6,
    )
)
def test_any_mix_of_real_fragments_resolves_or_says_why_not(parts: list[str]) -> None:
    text = "".join(parts)
    result = INDEX.resolve(text)
    assert len(result.codes) == len(set(result.codes))
    assert all(message.strip() for message in result.errors + result.warnings)
    if "火星市" in text:  # no unit is called that: whatever surrounds it, the cell cannot pass silently
        assert any("火星市" in error for error in result.errors), (text, result)


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市"]),
        min_size=1,
        max_size=6,
        unique=True,
    )
)
def test_any_list_of_cities_with_one_suffix_names_those_cities(places: list[str]) -> None:
    result = INDEX.resolve("、".join(places) + "生态环境局")
    assert [INDEX.name_of(code) for code in result.codes] == [place + "生态环境局" for place in places]
    assert result.errors == []


@pytest.mark.parametrize("cell", ["", "   ", "、、"])
def test_an_empty_cell_names_nobody(cell: str) -> None:
    result = INDEX.resolve(cell)
    assert result.codes == [] and result.errors == []


# ---- lists as districts and cities write them ---------------------------------------------------------------------


def _district_index(*, within: str | None = None) -> UnitIndex:
    units = [
        UnitEntry("CY-ST", "长春市生态环境局朝阳区分局", "区生态环境分局", ("区生态环境局分局",)),
        UnitEntry("CY-FG", "朝阳区发展和改革局", "区发改局"),
        UnitEntry("CY-KFQ", "长春朝阳经济开发区管理委员会", "开发区管委会"),
        UnitEntry("NG-FG", "南关区发展和改革局", "区发改局"),
        UnitEntry("CY-GOV", "朝阳区区政府", "区政府"),
    ]
    preferred = {"CY": {"CY-ST", "CY-FG", "CY-KFQ", "CY-GOV"}, "NG": {"NG-FG"}}.get(within or "")
    return UnitIndex(units, [GroupEntry("朝阳区各街道", ("CY-ST",), ("各乡镇(街道)",))], preferred=preferred)


def test_a_list_joined_by_及_names_two_units() -> None:
    result = _district_index(within="CY").resolve("区生态环境分局及区发改局")
    assert (result.codes, result.errors) == (["CY-ST", "CY-FG"], [])


@pytest.mark.parametrize("joined", ["和", "与", "并", "及"])
def test_every_conjunction_joins_two_whole_names(joined: str) -> None:
    assert _district_index(within="CY").resolve(f"开发区管委会{joined}区发改局").codes == ["CY-KFQ", "CY-FG"]


def test_a_whole_name_does_not_take_the_suffix_of_the_last() -> None:
    # Once glued into “区生态环境局分局管委会”: the first name ends as an organ's name does, so it is whole.
    result = _district_index(within="CY").resolve("区生态环境局分局、开发区管委会")
    assert (result.codes, result.errors) == (["CY-ST", "CY-KFQ"], [])


def test_a_place_without_its_level_word_takes_the_level_and_the_suffix() -> None:
    result = INDEX.resolve("松原、白城市生态环境局")
    assert (result.codes, result.errors) == (["220700", "220800"], [])


def test_a_group_phrase_takes_no_suffix_and_is_reported_not_made_a_unit() -> None:
    result = INDEX.resolve("省直有关部门、各地生态环境局")
    assert result.codes == LOCAL_BUREAUS
    assert result.unknown == [] and result.errors == []
    assert result.phrases == ["省直有关部门"]
    assert "省直有关部门" in result.warnings[0] and "省直有关部门生态环境局" not in " ".join(result.warnings)


@pytest.mark.parametrize(
    "cell", ["各乡镇政府等部门按职责分工负责", "市“无废城市”建设工作领导小组成员单位", "有关部门", "按职责分工负责"]
)
def test_phrases_without_a_group_are_warnings_naming_them(cell: str) -> None:
    result = _district_index(within="CY").resolve(cell)
    assert (result.codes, result.unknown, result.errors) == ([], [], [])
    assert result.phrases and cell in result.warnings[-1]


def test_a_phrase_with_a_group_of_its_name_is_the_group() -> None:
    index = UnitIndex(
        [UnitEntry("A", "甲街道办事处"), UnitEntry("B", "乙街道办事处")],
        [GroupEntry("各乡镇政府", ("A", "B"))],
    )
    result = index.resolve("各乡镇政府等部门按职责分工负责")
    assert result.codes == ["A", "B"] and result.phrases == []
    assert _district_index().resolve("各乡镇（街道）").codes == ["CY-ST"]  # an alias of a group, full-width brackets


def test_a_shared_short_name_is_read_inside_the_issuers_subtree() -> None:
    assert _district_index(within="CY").resolve("区发改局").codes == ["CY-FG"]
    assert _district_index(within="NG").resolve("区发改局").codes == ["NG-FG"]
    everywhere = _district_index().resolve("区发改局")  # the province's plan: either district's
    assert everywhere.codes == [] and "ambiguous" in everywhere.errors[0]


def test_another_districts_generic_name_is_not_this_plans() -> None:
    result = _district_index(within="NG").resolve("区政府")
    assert (result.codes, result.unknown) == ([], ["区政府"])
    assert _district_index(within="CY").resolve("区政府").codes == ["CY-GOV"]


def test_a_name_broken_over_two_lines_is_joined() -> None:
    assert _district_index(within="CY").resolve("区生态环境\n分局").codes == ["CY-ST"]


def test_a_group_named_with_its_等_is_read_whole() -> None:
    index = UnitIndex([UnitEntry("A", "甲街道办事处")], [GroupEntry("各乡镇政府等部门", ("A",))])
    result = index.resolve("各乡镇政府等部门")
    assert (result.codes, result.warnings) == (["A"], [])


def test_towns_share_the_suffix_of_their_government() -> None:
    index = UnitIndex([UnitEntry("A", "兴隆镇人民政府"), UnitEntry("B", "永安镇人民政府")])
    assert index.resolve("兴隆镇、永安镇人民政府").codes == ["A", "B"]
