"""``python -m analysis template``: the data-entry workbook a bureau fills in (填报模板).

One sheet per raw table kind the cleaner reads (``analysis/data/synonyms.yaml``), with the
Chinese header of every field (its first synonym, so the cleaner reads it back) and its unit
in brackets (the kind's default unit, else the column dictionary's), dropdown validation for
every coded field (the spellings of ``clean_values.yaml`` / ``school_types.yaml`` that parse
back to each code, the same data the cleaner uses), an instructions sheet (填表说明) that also
holds the dropdown lists, and, given processed data, the county's school list prefilled.

Nothing here is a hand-written list of columns: add a field to synonyms.yaml and the
template has it.

Examples
--------
>>> sheets = template_sheets()
>>> [s.label for s in sheets][:3]
['学校基本情况', '专任教师名册', '分校教师汇总']
>>> school = sheets[0]
>>> [c.header for c in school.columns][:4]
['年份', '学校标识码', '学校名称', '市']
>>> next(c for c in school.columns if c.field == "equipment_value_yuan").header
'教学仪器设备资产值（万元）'
>>> next(c for c in school.columns if c.field == "school_type").choices[:3]
['小学', '初中', '九年一贯制学校']
"""

from __future__ import annotations

import argparse
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# INSTRUCTIONS_MARK (first cell of the instructions sheet) belongs to the cleaner, which
# recognises the template's own instructions by it and skips the sheet with a note.
from analysis.clean.sheets import INSTRUCTIONS_MARK
from analysis.config import atomic_write, load_yaml

INSTRUCTIONS_SHEET = "填表说明"
#: Kinds that are not filled in by a bureau (published figures are transcribed from documents).
EXCLUDED_KINDS = ("published",)
#: Question columns of the survey sheet (delete the ones a questionnaire does not have).
SURVEY_QUESTIONS = 10
#: Rows given the dropdown validation below the header.
VALIDATION_ROWS = 2000
HEADER_ROW = 2  # row 1 is the sheet's title


@dataclass
class TemplateColumn:
    """One column of a template sheet."""

    field: str
    header: str
    required: bool = False
    choices: list[str] | None = None
    note: str = ""


@dataclass
class TemplateSheet:
    """One sheet of the template: a raw table kind."""

    kind: str
    label: str
    columns: list[TemplateColumn] = field(default_factory=list)
    note: str = ""


# ------------------------------------------------------------------ allowed values


def _norm(text: str) -> str:
    # deferred: keeps the command line's start-up light
    from analysis.clean.parse import norm_key

    return norm_key(text)


@functools.cache
def choices(fld: str) -> list[str] | None:
    """Dropdown values of a coded field, one per code, each of which the cleaner reads back
    as that code (the column dictionary's label where it parses, else the first spelling of
    clean_values.yaml); 是/否 for yes/no fields; None for a free field.

    >>> choices("degree")
    ['研究生', '本科', '专科', '高中阶段', '高中以下']
    >>> choices("is_boarding"), choices("is_private")
    (['是', '否'], ['公办', '民办'])
    >>> choices("achievement_level")
    ['水平Ⅰ', '水平Ⅱ', '水平Ⅲ', '水平Ⅳ']
    >>> choices("school_name") is None
    True
    """
    # deferred: keeps the command line's start-up light
    from analysis.clean import kinds as K

    # deferred: keeps the command line's start-up light
    from analysis.clean import parse as P

    # deferred: keeps the command line's start-up light
    from analysis.dictionary import column, value_labels

    maps = P.value_maps()
    if fld == "school_type":
        names, _ = K.school_type_maps()
        out = []
        for code in value_labels("school_type"):
            # the first name of the code that the cleaner reads back as that code
            spelled = [raw for raw, c in _school_type_names().items() if c == code and names.get(_norm(raw)) == code]
            if spelled:
                out.append(spelled[0])
        return out
    if fld == "urban_rural_code":
        return list(value_labels("urban_rural_code"))
    if fld == "grade":
        return [spellings[0] for _, spellings in sorted(maps["grades"].items(), key=lambda kv: int(kv[0]))
                if int(_) <= 9]
    if fld in maps["values"]:
        table = K.category_table(fld)
        out = []
        col = column(fld)
        labels = value_labels(fld) if col.values else {}
        spellings = maps["values"][fld]
        codes = list(labels) if labels else list(spellings)
        if col.dtype in ("bool", "boolean"):
            codes = [False, True] if fld == "is_private" else [True, False]
        for code in codes:
            label = labels.get(code) if labels else None
            if isinstance(label, str) and table.get(_norm(label)) == code:
                out.append(label)
                continue
            raw = spellings.get(code) or spellings.get(str(code)) or []
            if raw:
                out.append(str(raw[0]))
        return out
    try:
        col = column(fld)
    except KeyError:
        return None
    if col.dtype in ("bool", "boolean"):
        b = maps["boolean"]
        return [str(b[True][0]), str(b[False][0])]
    return None


@functools.cache
def _school_type_names() -> dict[str, str]:
    raw = load_yaml("school_types.yaml")
    return {name: code for code, names in raw["names"].items() for name in names}


# ------------------------------------------------------------------ sheets


def _unit(kind_spec: Any, fld: str) -> str | None:
    # deferred: keeps the command line's start-up light
    from analysis.dictionary import column

    if fld in kind_spec.default_units:
        return kind_spec.default_units[fld]
    try:
        col = column(fld)
    except KeyError:
        return None
    if col.unit in (None, "%") or col.dtype not in ("Int64", "int64", "float64"):
        return None
    return col.unit


def template_sheets(kinds: list[str] | None = None) -> list[TemplateSheet]:
    """The sheets of the template, generated from synonyms.yaml and the column dictionary.

    Parameters
    ----------
    kinds : raw table kinds to include (default: every kind but :data:`EXCLUDED_KINDS`).
    """
    # deferred: keeps the command line's start-up light
    from analysis.clean.header import load_synonyms

    # deferred: keeps the command line's start-up light
    from analysis.dictionary import column, value_labels

    syn = load_synonyms()
    names = list(kinds) if kinds is not None else [k for k in syn.kinds if k not in EXCLUDED_KINDS]
    unknown = [k for k in names if k not in syn.kinds]
    if unknown:
        raise ValueError(f"unknown table kind(s) {', '.join(unknown)}; allowed: {', '.join(syn.kinds)}")
    sheets = []
    for name in names:
        spec = syn.kinds[name]
        required = set(spec.required)
        if spec.year_field:
            required.add(spec.year_field)
        sheet = TemplateSheet(kind=name, label=spec.label)
        # fields a section may qualify in an otherwise unsectioned sheet (小学专任教师数 on the
        # school sheet): one column per section of compulsory education
        per_section = set(spec.extra.get("sectioned_fields", ()))
        for fld, synonyms in spec.fields.items():
            unit = _unit(spec, fld)
            try:
                desc = column(fld).label
            except KeyError:
                desc = ""
            if fld in per_section:
                for sec, word in (("primary", "小学"), ("junior", "初中")):
                    sheet.columns.append(TemplateColumn(f"{fld}@{sec}", f"{word}{synonyms[0]}" + (f"（{unit}）" if unit else ""),
                                                        False, None, f"{word}{desc}（无教师名册和分校教师汇总时填写）"))
                continue
            header = synonyms[0] + (f"（{unit}）" if unit else "")
            sheet.columns.append(TemplateColumn(fld, header, fld in required, choices(fld), desc))
        if name == "county_figures":
            items = value_labels("item")
            for item, label in items.items():
                sheet.columns.append(TemplateColumn(f"item:{item}:is_met", f"{item} {label}", False, choices("is_boarding"),
                                                    "是/否" + ("（是 = 存在该情形）" if item.startswith("V") else "")))
                sheet.columns.append(TemplateColumn(f"item:{item}:note", f"{item} 说明", False, None, "佐证或说明"))
        if name == "survey":
            answers = [v[0] for v in _answers().values()]
            for i in range(1, SURVEY_QUESTIONS + 1):
                sheet.columns.append(TemplateColumn(f"q:{i}", f"第{i}题", False, answers, "满意/基本满意/不满意"))
        sheets.append(sheet)
    return sheets


def _answers() -> dict[str, list[str]]:
    # deferred: keeps the command line's start-up light
    from analysis.clean import parse as P

    return P.value_maps()["answers"]


# ------------------------------------------------------------------ prefill


def school_list(processed_dir: str | os.PathLike, county: str | None = None, year: int | None = None) -> pd.DataFrame:
    """The schools of the processed data (latest year, or ``year`` if present) as template
    rows: identity columns written the way the template's dropdowns spell them.

    >>> import tempfile
    >>> from analysis.indicators.evaluation import example_inputs
    >>> from analysis.tables import write_tables
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = write_tables({"core_schools": example_inputs()["core_schools"]}, d)
    ...     rows = school_list(d, "示例县")
    >>> rows[["school_name", "school_type", "is_private"]].values.tolist()[0]
    ['示例一小', '小学', '公办']
    """
    # deferred: keeps the command line's start-up light
    from analysis.tables import read_table

    schools = read_table("core_schools", processed_dir)
    if county is not None:
        schools = schools.loc[schools["county"].astype(str) == county]
        if not len(schools):
            raise ValueError(f"{processed_dir}: no school of {county!r} in core_schools")
    if not len(schools):
        return pd.DataFrame()
    years = schools["year"].astype(int)
    pick = year if year is not None and (years == year).any() else int(years.max())
    schools = schools.loc[years == pick].sort_values(["county", "school_id"]).reset_index(drop=True)
    keep = ["school_id", "school_name", "city", "county", "urban_rural_code", "school_type", "is_private",
            "is_boarding", "is_counted_school", "parent_school_id"]
    out = schools[[c for c in keep if c in schools]].astype(object).copy()
    for fld in ("school_type", "is_private", "is_boarding", "is_counted_school"):
        if fld in out:
            out[fld] = [_spell(fld, v) for v in out[fld]]
    return out.where(out.notna(), None)


def _spell(fld: str, value: Any) -> Any:
    """The dropdown spelling of a stored code."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    opts = choices(fld) or []
    if fld == "school_type":
        # deferred: keeps the command line's start-up light
        from analysis.clean.kinds import school_type_maps

        names, _ = school_type_maps()
        return next((o for o in opts if names.get(_norm(o)) == value), value)
    if fld == "is_private":
        return opts[1] if bool(value) else opts[0]
    return opts[0] if bool(value) else opts[1]


# ------------------------------------------------------------------ writing


def _instructions(sheets: list[TemplateSheet], county: str | None, year: int | None) -> list[list[Any]]:
    # deferred: keeps the command line's start-up light
    from analysis.indicators.sources import indicator_sources

    feeds: dict[str, list[str]] = {}
    # deferred: keeps the command line's start-up light
    from analysis.indicators.common import indicators

    for key in indicators():
        for group in indicator_sources(key):
            for kind in group:
                feeds.setdefault(kind, []).append(key)
    where = "、".join(filter(None, [county, f"{year}年" if year else None]))
    rows: list[list[Any]] = [
        [INSTRUCTIONS_MARK],
        [f"填报单位：{where}" if where else "填报单位：（县、市、区）"],
        ["1. 每个工作表是一类数据，表头（第2行）不要修改、不要合并单元格；一行填一条记录，不要插入合计行、小计行或说明行。"],
        ["2. 红色表头为必填项；带下拉箭头的列请从下拉列表中选择（可选值见本表右侧）；金额、面积按表头括号内的单位填写。"],
        ["3. 没有的数据整表留空即可（评估中相应指标显示“数据缺失”），不要填0代替未知。"],
        ["4. 专任教师名册与分校教师汇总二选一：有名册的学校不必填汇总表（同一学校两者都有时以名册为准）。"],
        ["5. 县级保障表中以 G、Q、V 开头的列是县级认定项目：填“是”或“否”，V1-V6 填“是”表示存在该情形；说明列填佐证材料。"],
        ["6. 社会认可度问卷每行一份问卷；第N题列填 满意/基本满意/不满意，问卷题目少于10题时删除多余的题目列。"],
        ["7. 质量监测表填最近一次国家（或省级）义务教育质量监测结果：每个学段、学科一行，填校际差异率和学业水平等级。"],
    ]
    labels = {s.kind: s.label for s in sheets}
    if "resource_sheet" in labels:
        rows.append([f"8. {labels['resource_sheet']}是资源配置7项指标的另一种填法（每校每学段一行，填原始数据或指标值）；"
                     "已在学校基本情况和教师表中填报的可不填。"])
    if "schools" in labels:
        rows.append(["9. 学校基本情况中的小学/初中专任教师数等列，只在没有专任教师名册和分校教师汇总的学校填写。"])
    rows += [
        [],
        ["工作表", "用于指标", "必填列"],
    ]
    for s in sheets:
        rows.append([s.label, "、".join(feeds.get(s.kind, [])) or "（分析用）",
                     "、".join(c.header for c in s.columns if c.required)])
    return rows


def write_template(
    out: str | os.PathLike,
    county: str | None = None,
    year: int | None = None,
    processed_dir: str | os.PathLike | None = None,
    kinds: list[str] | None = None,
) -> Path:
    """Write the data-entry workbook to ``out`` (.xlsx) and return its path.

    Parameters
    ----------
    out : the workbook to write (its folder is created).
    county, year : shown in the title rows; ``year`` also fills the 年份 of prefilled schools.
    processed_dir : processed data whose school list (of ``county``, or all) prefills the
        school sheet.
    kinds : table kinds to include (default: all a bureau fills in).
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise ValueError(f"{out}: the template is an .xlsx workbook")
    sheets = template_sheets(kinds)
    prefill = school_list(processed_dir, county, year) if processed_dir is not None else None

    wb = Workbook()
    ins = wb.active
    ins.title = INSTRUCTIONS_SHEET
    for r in _instructions(sheets, county, year):
        ins.append(r)
    ins["A1"].font = Font(bold=True, size=14)
    ins.column_dimensions["A"].width = 22
    ins.column_dimensions["B"].width = 40
    ins.column_dimensions["C"].width = 60
    # the dropdown lists, on the instructions sheet (a hidden list sheet would be one more
    # sheet for the cleaner to skip): one column per coded field, from column F
    lists: dict[tuple[str, ...], str] = {}
    col = 6
    for s in sheets:
        for c in s.columns:
            if c.choices and tuple(c.choices) not in lists:
                letter = get_column_letter(col)
                ins.cell(row=1, column=col, value=c.note or c.header).font = Font(bold=True)
                for i, v in enumerate(c.choices, start=2):
                    ins.cell(row=i, column=col, value=v)
                lists[tuple(c.choices)] = f"'{INSTRUCTIONS_SHEET}'!${letter}$2:${letter}${len(c.choices) + 1}"
                ins.column_dimensions[letter].width = 14
                col += 1

    red = Font(bold=True, color="C00000")
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    title_where = "".join(filter(None, [county, f"{year}年" if year else None]))
    for s in sheets:
        ws = wb.create_sheet(s.label)
        ws.cell(row=1, column=1, value=f"{title_where}{s.label}").font = Font(bold=True, size=12)
        for j, c in enumerate(s.columns, start=1):
            cell = ws.cell(row=HEADER_ROW, column=j, value=c.header)
            cell.font = red if c.required else bold
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if c.note and c.note != c.header:
                cell.comment = Comment(("必填。" if c.required else "") + c.note, "填报模板")
            ws.column_dimensions[get_column_letter(j)].width = max(10, min(30, 2 * len(c.header) + 2))
            if c.choices:
                dv = DataValidation(type="list", formula1=f"={lists[tuple(c.choices)]}", allow_blank=True,
                                    showErrorMessage=True, errorTitle="请从下拉列表选择",
                                    error=f"{c.header}：请从下拉列表中选择")
                letter = get_column_letter(j)
                dv.add(f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + VALIDATION_ROWS}")
                ws.add_data_validation(dv)
            if c.field in ("school_id", "parent_school_id", "urban_rural_code", "teacher_id", "questionnaire_id"):
                letter = get_column_letter(j)
                for r in range(HEADER_ROW + 1, HEADER_ROW + 1 + max(len(prefill) if prefill is not None else 0, 200)):
                    ws[f"{letter}{r}"].number_format = "@"  # codes as text (leading zeros, 10 digits)
        ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
        if s.kind == "schools" and prefill is not None and len(prefill):
            positions = {c.field: j for j, c in enumerate(s.columns, start=1)}
            for i, rec in enumerate(prefill.to_dict("records"), start=HEADER_ROW + 1):
                if year is not None and "year" in positions:
                    ws.cell(row=i, column=positions["year"], value=int(year))
                for fld, v in rec.items():
                    if fld in positions and v is not None:
                        ws.cell(row=i, column=positions[fld], value=v)
    return atomic_write(out, wb.save)


# ------------------------------------------------------------------ command line


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``template`` command."""
    p = subparsers.add_parser(
        "template",
        help="write the data-entry workbook a bureau fills in (填报模板.xlsx)",
        description="Write the data-entry workbook: one sheet per table kind with the Chinese headers "
        "and units the cleaner reads, dropdowns for coded fields, an instructions sheet (填表说明) and, "
        "given processed data, the county's school list prefilled.",
    )
    p.add_argument("--out", type=Path, default=Path("填报模板.xlsx"), help="workbook to write (default: %(default)s)")
    p.add_argument("--county", help="county the template is for (title rows; filters the prefilled school list)")
    p.add_argument("--year", type=int, help="statistics year being filled in (title rows, 年份 of prefilled schools)")
    p.add_argument("--processed", type=Path,
                   help="processed data folder: prefill the school list from its core_schools")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the template; returns the exit status."""
    processed = args.processed
    if processed is not None and not (Path(processed) / "core_schools.parquet").exists():
        raise FileNotFoundError(f"{processed}: no core_schools table to prefill the school list from; run `make data` first")
    path = write_template(args.out, args.county, args.year, processed)
    print(f"wrote {path}")
    return 0
