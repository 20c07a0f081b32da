"""Standards as data: every threshold of the method, jurisdiction overrides, checked keys."""

from __future__ import annotations

import pytest

from analysis.errors import InputError
from analysis.standards import SCHEMA, Standards, list_standards, load_standards


def test_list_standards_has_national_first_and_shanxi():
    names = list_standards()
    assert names[0] == "national"
    assert "shanxi" in names


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("resource.standards.L1.primary", 4.2, id="L1-primary"),
        pytest.param("resource.standards.L1.junior", 5.3, id="L1-junior"),
        pytest.param("resource.standards.L2.primary", 1.0, id="L2"),
        pytest.param("resource.standards.L3.junior", 0.9, id="L3"),
        pytest.param("resource.standards.L4.primary", 4.5, id="L4-primary"),
        pytest.param("resource.standards.L4.junior", 5.8, id="L4-junior"),
        pytest.param("resource.standards.L5.primary", 7.5, id="L5-primary"),
        pytest.param("resource.standards.L5.junior", 10.2, id="L5-junior"),
        pytest.param("resource.standards.L6.primary", 2000, id="L6-primary"),
        pytest.param("resource.standards.L6.junior", 2500, id="L6-junior"),
        pytest.param("resource.standards.L7.primary", 2.3, id="L7-primary"),
        pytest.param("resource.standards.L7.junior", 2.4, id="L7-junior"),
        pytest.param("resource.school_rule.min_indicators_met", 6, id="6-of-7"),
        pytest.param("resource.school_rule.min_ratio_others", 0.85, id="85pct"),
        pytest.param("resource.cv_max.primary", 0.50, id="cv-primary"),
        pytest.param("resource.cv_max.junior", 0.45, id="cv-junior"),
        pytest.param("resource.composite_cv_max.primary", 0.65, id="composite-primary"),
        pytest.param("resource.composite_cv_max.junior", 0.55, id="composite-junior"),
        pytest.param("resource.include_private", True, id="private-included"),
        pytest.param("guarantee.G3.classes_per_room", 12, id="G3-12-classes"),
        pytest.param("guarantee.G3.music_room_min_m2", 96, id="G3-music-96"),
        pytest.param("guarantee.G3.art_room_min_m2", 90, id="G3-art-90"),
        pytest.param("guarantee.G4.max_students.primary", 2000, id="G4-2000"),
        pytest.param("guarantee.G4.max_students.nine_year", 2500, id="G4-2500"),
        pytest.param("guarantee.G5.max_class_size.primary", 45, id="G5-45"),
        pytest.param("guarantee.G5.max_class_size.junior", 50, id="G5-50"),
        pytest.param("guarantee.G5.band_edges.large", 65, id="G5-bands"),
        pytest.param("guarantee.G6.funded_students", 100, id="G6-100"),
        pytest.param("guarantee.G7.min_per_student_yuan", 6000, id="G7-6000"),
        pytest.param("guarantee.G9.min_hours_5y", 360, id="G9-360h"),
        pytest.param("guarantee.G11.min_exchange_pct", 10, id="G11-10pct"),
        pytest.param("guarantee.G11.min_backbone_pct", 20, id="G11-20pct"),
        pytest.param("guarantee.G12.min_share_pct", 100, id="G12-100pct"),
        pytest.param("guarantee.G13.min_share_pct.primary", 100, id="G13-primary"),
        pytest.param("guarantee.G13.min_share_pct.junior", 95, id="G13-junior"),
        pytest.param("guarantee.G14.min_share_pct", 50, id="G14-50pct"),
        pytest.param("guarantee.G15.min_share_pct", 85, id="G15-85pct"),
        pytest.param("quality.Q1.min_rate_pct", 95, id="Q1"),
        pytest.param("quality.Q2.min_rate_pct", 95, id="Q2"),
        pytest.param("quality.Q4.min_share_pct", 5, id="Q4"),
        pytest.param("quality.Q8.max_daily_hours.primary", 6, id="Q8-primary"),
        pytest.param("quality.Q8.max_daily_hours.junior", 7, id="Q8-junior"),
        pytest.param("quality.Q9.max_difference_rate", 0.15, id="Q9"),
        pytest.param("recognition.min_rate_pct", 85, id="survey-85pct"),
    ],
)
def test_national_standards_hold_every_threshold_of_the_method(key, expected):
    assert load_standards("national").get(key) == expected


def test_g6_benchmark_per_section_is_a_parameter():
    per = load_standards().get("guarantee.G6.per_student_yuan")
    assert set(per) == {"primary", "junior"} and all(v > 0 for v in per.values())


def test_shanxi_overrides_only_the_quota_and_inherits_the_rest():
    nat, sx = load_standards("national"), load_standards("shanxi")
    assert sx.get("guarantee.G14.min_share_pct") == 70
    assert nat.get("guarantee.G14.min_share_pct") == 50
    flat_nat = dict(nat.to_frame().values.tolist())
    flat_sx = dict(sx.to_frame().values.tolist())
    differing = {k for k in flat_nat if flat_nat[k] != flat_sx[k]}
    assert differing == {"guarantee.G14.min_share_pct"}
    assert sx.name == "shanxi" and len(sx.files) == 2


def test_unknown_name_lists_the_available_standards():
    with pytest.raises(ValueError, match=r"unknown standards 'nope'; available: national, shanxi"):
        load_standards("nope")


def test_unknown_key_in_a_jurisdiction_file_names_key_and_file(tmp_path):
    f = tmp_path / "demo.yaml"
    f.write_text("name: demo\nextends: national\nguarantee:\n  G14:\n    min_share_pcnt: 60\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_standards(f)
    assert "guarantee.G14.min_share_pcnt" in str(err.value)
    assert "demo.yaml" in str(err.value)


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        pytest.param("typo", "extends: national\ngurantee: {}\n", r"typo\.yaml.*unknown key 'gurantee'",
                     id="unknown-top-level-key"),
        pytest.param("partial", "name: partial\nrecognition:\n  min_rate_pct: 80\n", "lacks",
                     id="root-file-incomplete"),
        pytest.param("bad", "extends: national\nresource:\n  cv_max:\n    primary: half\n",
                     r"resource\.cv_max\.primary.*number", id="bad-value-type"),
        pytest.param("codes", "extends: national\nguarantee:\n  G13:\n    area_types: [urban, suburb]\n",
                     "suburb", id="unknown-code-in-list"),
    ],
)
def test_a_bad_standards_file_is_an_error_naming_the_problem(tmp_path, name, text, match):
    f = tmp_path / f"{name}.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        load_standards(f)


def test_a_path_file_extends_a_shipped_standard_and_overrides_values(tmp_path):
    f = tmp_path / "province.yaml"
    f.write_text("name: province\nlabel: 某省标准\nextends: national\nguarantee:\n  G7:\n    min_per_student_yuan: 8000\n"
                 "resource:\n  include_private: false\n", encoding="utf-8")
    std = load_standards(str(f))
    assert std.label == "某省标准"
    assert std.get("guarantee.G7.min_per_student_yuan") == 8000
    assert std.get("resource.include_private") is False
    assert std.get("resource.standards.L1.primary") == 4.2


def test_extends_chain_and_cycle(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(InputError, match="cycle"):
        load_standards(tmp_path / "a.yaml")
    (tmp_path / "c.yaml").write_text("extends: shanxi\nquality:\n  Q1:\n    min_rate_pct: 96\n", encoding="utf-8")
    std = load_standards(tmp_path / "c.yaml")
    assert std.get("guarantee.G14.min_share_pct") == 70 and std.get("quality.Q1.min_rate_pct") == 96


def test_overrides_argument_is_checked_like_a_file():
    std = load_standards("national", {"resource": {"cv_max": {"junior": 0.4}}})
    assert std.get("resource.cv_max.junior") == 0.4
    assert std.get("resource.cv_max.primary") == 0.5
    with pytest.raises(InputError, match="nonsense"):
        load_standards("national", {"nonsense": 1})


def test_get_unknown_path_is_a_key_error_and_values_are_copies():
    std = load_standards()
    with pytest.raises(KeyError, match="resource.nope"):
        std.get("resource.nope")
    types = std.get("guarantee.G3.school_types")
    types.append("vocational")
    assert "vocational" not in std.get("guarantee.G3.school_types")


def test_resource_table_and_schema_cover_l1_to_l7():
    table = load_standards().resource_table()
    assert sorted(table["indicator"].unique()) == [f"L{i}" for i in range(1, 8)]
    assert len(table) == 14
    assert set(SCHEMA) == {"resource", "guarantee", "quality", "recognition", "procedure", "counting", "judgement"}
    assert isinstance(load_standards(load_standards("shanxi")), Standards)
