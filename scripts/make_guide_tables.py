"""Write docs/填报模板字段.md: the template's sheets and columns, generated from the code.

Everything comes from what the cleaner and the template use: the sheets and their headers
from ``analysis.entry_template.template_sheets`` (itself generated from
``analysis/data/synonyms.yaml``), the meaning, type and limits of each column from the column
dictionary (``analysis/data/columns*.yaml``), the dropdown values from
``analysis.entry_template.choices``, the other header spellings the cleaner accepts from
synonyms.yaml and the indicators each sheet feeds from the ``inputs`` of ``indicators.yaml``.

Usage::

    make guide                                     # or
    .venv/bin/python scripts/make_guide_tables.py [--out docs/填报模板字段.md] [--check]

``--check`` writes nothing and exits 1 when the checked-in file differs from what the code
gives now (``tests/test_docs.py`` runs the same comparison).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "填报模板字段.md"
#: other header spellings listed per column (the rest are still read)
MAX_SYNONYMS = 6

#: what the kinds that no indicator lists in its `inputs` (indicators.yaml) are for
OTHER_USES = {
    "section_facilities": "L4–L7（一贯制学校按学段分开的设施，代替按学生数拆分）",
    "enrolment": "在校生趋势、年级推移预测",
    "judgements": "评估认定结论（显示在计算结果旁）",
    "resource_sheet": "L1–L7（资源配置7项指标的另一种填法）",
    "births": "按出生人口预测入学人数",
    "plan_edits": "整改方案（修改后读回）",
}

DTYPE_WORDS = {"str": "文字", "int64": "整数", "Int64": "整数", "float64": "数值", "bool": "是/否",
               "boolean": "是/否", "date": "日期"}


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _rule(fld: str) -> str:
    """Type and limits of a field in Chinese, from the column dictionary ('' when unknown)."""
    from analysis.dictionary import column

    try:
        col = column(fld)
    except KeyError:
        return ""
    if fld == "year" or fld.endswith("_year"):
        return "年份（4位）"
    if col.pattern == r"^\d{10}$":
        return "10位数字（按文本填写，保留开头的0）"
    word = DTYPE_WORDS.get(col.dtype, col.dtype)
    limits = []
    if col.ge is not None and col.le is not None:
        limits.append(f"{col.ge:g}–{col.le:g}")
    elif col.ge is not None:
        limits.append("不小于0" if col.ge == 0 else f"≥{col.ge:g}")
    elif col.le is not None:
        limits.append(f"≤{col.le:g}")
    return word + (f"，{'，'.join(limits)}" if limits else "")


def _feeds() -> dict[str, list[str]]:
    """Indicators each raw kind supplies (the `inputs` of indicators.yaml)."""
    from analysis.indicators.common import indicators
    from analysis.indicators.sources import indicator_sources

    feeds: dict[str, list[str]] = {}
    for key in indicators():
        for group in indicator_sources(key):
            for kind in group:
                feeds.setdefault(kind, []).append(key)
    return feeds


def render() -> str:
    """The whole Markdown file."""
    from analysis.clean.header import load_synonyms
    from analysis.entry_template import INSTRUCTIONS_SHEET, template_sheets

    syn = load_synonyms()
    sheets = template_sheets()
    feeds = _feeds()
    lines = [
        "# 填报模板的工作表和列",
        "",
        "<!-- 本文件由 scripts/make_guide_tables.py 生成（make guide），请勿手工修改。 -->",
        "",
        "本文件由 `make guide`（`scripts/make_guide_tables.py`）根据清洗程序实际使用的配置生成："
        "工作表和表头来自 `analysis/entry_template.py` 与 `analysis/data/synonyms.yaml`，含义、类型和取值范围来自列字典"
        " `analysis/data/columns*.yaml`，下拉可选值与模板中的下拉列表相同。"
        "“也认作同一列的表头”是清洗程序同样能识别的其他写法（最多列出"
        f"{MAX_SYNONYMS}个；写法中的空格、标点、括号内的单位不影响识别）。"
        "使用方法见[用户指南](用户指南.md)。",
        "",
        f"模板第一个工作表“{INSTRUCTIONS_SHEET}”是填表说明和下拉列表，清洗时自动跳过；"
        "其余每个工作表是一类数据，表头在第2行，红色表头为必填列。",
        "",
        "## 工作表一览",
        "",
        "| 工作表 | 用于指标 | 必填列 |",
        "|---|---|---|",
    ]
    for s in sheets:
        req = "、".join(c.header for c in s.columns if c.required) or "—"
        lines.append(f"| [{s.label}](#{s.label}) | {_cell('、'.join(feeds.get(s.kind, [])) or OTHER_USES.get(s.kind, '—'))} | {_cell(req)} |")
    for s in sheets:
        spec = syn.kinds[s.kind]
        lines += ["", f"## {s.label}", ""]
        facts = [f"写入数据表 `{spec.target}`" if not spec.target.startswith("_") else "并入学校分学段数据"]
        if spec.year_field:
            facts.append("没有年份列时，从标题行、工作表名、文件名或文件夹名中的年份取得")
        if spec.sectioned:
            facts.append("各列可按学段分开填写（如“小学”“初中”作为上一行表头，或写成“小学专任教师数”）")
        if spec.required_any:
            for group in spec.required_any:
                names = [spec.raw_name(f) if f in spec.fields else "G/Q/V认定项目列" for f in group]
                facts.append("至少要有下表中的一列数据" if len(names) > 4 else "至少要有其中一列：" + "、".join(names))
        if spec.name_hints:
            facts.append("文件名或工作表名中的“" + "”“".join(spec.name_hints) + "”有助于识别这类表")
        lines += ["；".join(facts) + "。", ""]
        lines += ["| 列（模板表头） | 必填 | 含义 | 填写要求 | 可选值 | 也认作同一列的表头 |", "|---|---|---|---|---|---|"]
        for c in s.columns:
            fld = c.field.split("@")[0]
            others = [x for x in spec.fields.get(fld, [])[1:]][:MAX_SYNONYMS] if ":" not in fld else []
            rule = _rule(fld) if ":" not in fld else ""
            lines.append(
                f"| {_cell(c.header)} | {'是' if c.required else ''} | {_cell(c.note)} | {_cell(rule)} | "
                f"{_cell('、'.join(c.choices) if c.choices else '')} | {_cell('、'.join(others))} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="file to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only compare with the file; exit 1 if it differs")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        if not same:
            print(f"{args.out} is out of date: run `make guide`", file=sys.stderr)
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
