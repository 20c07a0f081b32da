"""Header rows: where they are, what each column means, and which table kind a sheet is.

Bureau sheets start with title rows (``2021年XX县中小学基本情况表``, ``单位：人、平方米、万元``)
above a header of one or two rows. :func:`find_header` scans the first rows for the row whose
cells best match the known column names of ``analysis/data/synonyms.yaml``, then tries the row
below and the row above as the other half of a two-row header (an upper cell merged over a
group: ``在校生数`` over ``小学 | 初中 | 高中``) and keeps the reading that recognises the most
columns. :func:`recognise_kind` maps the header onto the synonyms of every table kind and
picks the kind that matches best among those whose required columns are all there.

Examples
--------
>>> normalise_header("教学仪器设备资产值（万元）")
('教学仪器设备资产值', ['万元'])
>>> normalise_header(" 县（市、区） ")
('县', ['市、区'])
>>> syn = load_synonyms()
>>> rows = [["2021年城东区中小学基本情况表"], ["学校标识码", "学校名称", "在校生数", "", ""],
...         ["", "", "小学", "初中", "高中"], ["4101020001", "一小", 300, 0, 0]]
>>> h = find_header(rows, syn)
>>> (h.top, h.bottom), [c.raw for c in h.cells]
((1, 2), ['学校标识码', '学校名称', '在校生数/小学', '在校生数/初中', '在校生数/高中'])
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.clean.parse import (
    cell_text,
    lookup_keys,
    lookup_table,
    missing_tokens,
    norm_key,
    on_uniques,
    value_maps,
)
from analysis.config import load_yaml
from analysis.dictionary import value_labels

_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")", "{": "(", "}": ")",
                           "<": "(", ">": ")", "《": "(", "》": ")"})
_PUNCT_RE = re.compile(r"[\s\u200b\ufeff:;,.、。·•'\"“”‘’_\-—–－/\\|*#※△▲?？!！~]+")
_UNIT_PREFIX_RE = re.compile(r"^(单位|计量单位)[:：]?")

#: pseudo-fields of a match
IGNORED = "_ignore"
ATTESTED = "attested_item"
QUESTION = "question"


def normalise_header(text: Any) -> tuple[str, list[str]]:
    """Matching key of a header cell and the bracketed parts (units) it carried.

    NFKC, brackets unified to ``()`` and their content dropped (remembered as units),
    whitespace and punctuation removed, Latin letters upper-cased.

    >>> normalise_header("多媒体教室(间)"), normalise_header("G1 说明")
    (('多媒体教室', ['间']), ('G1说明', []))
    """
    t = unicodedata.normalize("NFKC", cell_text(text) or "").translate(_BRACKETS)
    units = [_UNIT_PREFIX_RE.sub("", re.sub(r"\s+", "", u)) for u in re.findall(r"\(([^()]*)\)", t)]
    key = re.sub(r"\([^()]*\)", "", t)
    key = _PUNCT_RE.sub("", key).replace("(", "").replace(")", "").upper()
    return key, [u for u in units if u]


# ------------------------------------------------------------------ synonyms


@dataclass(frozen=True)
class KindSpec:
    """One raw table kind of synonyms.yaml."""

    name: str
    label: str
    target: str
    fields: dict[str, list[str]]
    lookup: dict[str, str]
    required: tuple[str, ...] = ()
    required_any: tuple[tuple[str, ...], ...] = ()
    year_field: str | None = None
    sectioned: bool = False
    name_hints: tuple[str, ...] = ()
    default_units: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def raw_name(self, fld: str) -> str:
        """The first (preferred) header name of a field, for messages."""
        names = self.fields.get(fld)
        return names[0] if names else fld


@dataclass(frozen=True)
class Synonyms:
    """All kinds, the ignore list and the derived lookups."""

    kinds: dict[str, KindSpec]
    ignore: frozenset[str]
    all_keys: frozenset[str]
    sections: dict[str, str]
    units: dict[str, dict[str, float]]
    unit_suffixes: dict[str, str]
    attested: dict[str, str]
    attested_wordings: dict[str, str]
    note_words: tuple[str, ...]
    header_scan_rows: int = 20
    min_header_matches: int = 2
    #: lower cells of a two-row header that stand for the group's own field (在校生数 over 计)
    group_total_words: frozenset[str] = frozenset()
    #: prefixes of a lower cell that name a part of the group (其中：随迁子女 means 随迁子女)
    part_prefixes: tuple[str, ...] = ()
    #: words of a sheet name that mark instructions, covers, contents or notes (not tables)
    non_table_sheet_words: tuple[str, ...] = ()


@functools.cache
def load_synonyms(path: str | None = None) -> Synonyms:
    """Load ``analysis/data/synonyms.yaml`` (or ``path``) into lookups of normalised names.

    Raises ValueError when a kind maps one normalised name to two fields.
    """
    raw = load_yaml(Path(path).resolve() if path else "synonyms.yaml")  # a given path is the user's file
    values = value_maps()
    kinds: dict[str, KindSpec] = {}
    all_keys: set[str] = set()
    for name, spec in raw["kinds"].items():
        lookup: dict[str, str] = {}
        for fld, names in spec["fields"].items():
            for n in names:
                key = normalise_header(n)[0]
                if lookup.get(key, fld) != fld:
                    raise ValueError(f"synonyms.yaml: {name}: {n!r} maps to both {lookup[key]!r} and {fld!r}")
                lookup.setdefault(key, fld)
        all_keys |= set(lookup)
        extra = {k: v for k, v in spec.items() if k not in {
            "label", "target", "fields", "required", "required_any", "year_field", "sectioned",
            "name_hints", "default_units"}}
        kinds[name] = KindSpec(
            name=name,
            label=spec.get("label", name),
            target=spec["target"],
            fields={k: list(v) for k, v in spec["fields"].items()},
            lookup=lookup,
            required=tuple(spec.get("required", ())),
            required_any=tuple(tuple(x) for x in spec.get("required_any", ())),
            year_field=spec.get("year_field"),
            sectioned=bool(spec.get("sectioned", False)),
            name_hints=tuple(spec.get("name_hints", ())),
            default_units=dict(spec.get("default_units", {})),
            extra=extra,
        )
    sections = lookup_table(values["values"]["section"])
    attested = {norm_key(k): k for k in value_labels("item")}
    wordings: dict[str, str] = {}
    note_words: list[str] = []
    for spec in kinds.values():
        for item, words in spec.extra.get("attested_item_wordings", {}).items():
            for w in words:
                wordings[normalise_header(w)[0]] = item
        note_words += [normalise_header(w)[0] for w in spec.extra.get("note_words", ())]
    for item, label in value_labels("item").items():
        wordings[normalise_header(label)[0]] = item
    return Synonyms(
        kinds=kinds,
        ignore=frozenset(normalise_header(n)[0] for n in raw.get("ignore", ())),
        all_keys=frozenset(all_keys),
        sections=sections,
        units={g: {norm_key(u): float(f) for u, f in us.items()} for g, us in values["units"].items()},
        unit_suffixes=dict(values["unit_suffixes"]),
        attested=attested,
        attested_wordings=wordings,
        note_words=tuple(sorted(set(note_words), key=len, reverse=True)),
        header_scan_rows=int(raw.get("header_scan_rows", 20)),
        min_header_matches=int(raw.get("min_header_matches", 2)),
        group_total_words=frozenset(normalise_header(w)[0] for w in raw.get("group_total_words", ())),
        part_prefixes=tuple(normalise_header(w)[0] for w in raw.get("part_prefixes", ())),
        non_table_sheet_words=tuple(norm_key(w) for w in raw.get("non_table_sheet_words", ())),
    )


# ------------------------------------------------------------------ header cells and matches


@dataclass(frozen=True)
class HeaderCell:
    """One column of a header: its position, its text as shown and the keys to match."""

    position: int
    raw: str
    candidates: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Match:
    """What a header cell means in one kind."""

    field: str
    synonym: str
    section: str | None = None
    units: tuple[str, ...] = ()
    item: str | None = None
    part: str | None = None


@dataclass
class Header:
    """The header of a sheet: grid rows ``top`` .. ``bottom`` (0-based, inclusive);
    ``hidden``: the positions of columns hidden in the workbook."""

    top: int
    bottom: int
    cells: list[HeaderCell]
    above: list[str]
    hidden: frozenset[int] = frozenset()


_UNITS_CACHE: dict[int, list[str]] = {}


def _all_units(syn: Synonyms) -> list[str]:
    if id(syn) not in _UNITS_CACHE:
        _UNITS_CACHE[id(syn)] = sorted({u for us in syn.units.values() for u in us}, key=len, reverse=True)
    return _UNITS_CACHE[id(syn)]


_MATCH_CACHE: dict[tuple, Match | None] = {}
_NUMERIC_KEY = re.compile(r"[\d.,%+\-E]+")


def _match_key(key: str, units: tuple[str, ...], spec: KindSpec | None, syn: Synonyms) -> Match | None:
    """Match one normalised key in a kind (``spec``) or in any kind (``spec`` None); cached."""
    if not key or _NUMERIC_KEY.fullmatch(key):
        return None  # data, never a header
    ident = (id(syn), spec.name if spec is not None else None, key, units)
    if ident not in _MATCH_CACHE:
        if len(_MATCH_CACHE) > 100_000:
            _MATCH_CACHE.clear()
        _MATCH_CACHE[ident] = _match_key_uncached(key, units, spec, syn)
    return _MATCH_CACHE[ident]


def _match_key_uncached(key: str, units: tuple[str, ...], spec: KindSpec | None, syn: Synonyms) -> Match | None:
    lookup = spec.lookup if spec is not None else None

    def find(k: str) -> str | None:
        if lookup is None:
            return "?" if k in syn.all_keys else None
        return lookup.get(k)

    # a qualifier in brackets that is part of the name in kinds that say so (births):
    # "出生人口（城区）" is 出生人口城区 when the kind knows that, else 出生人口 in 城区 units
    if lookup is not None and units and spec.extra.get("bracket_qualifies"):
        for i, u in enumerate(units):
            for k in (key + norm_key(u), norm_key(u) + key):
                if (fld := lookup.get(k)):
                    return Match(fld, k, units=units[:i] + units[i + 1:])
    fld = find(key)
    if fld:
        # a section in brackets on a sectioned field: "专任教师数（小学）"
        if spec is not None and _section_ok(spec, fld):
            for i, u in enumerate(units):
                if (sec := syn.sections.get(norm_key(u))) is not None:
                    return Match(fld, key, section=sec, units=units[:i] + units[i + 1:])
        return Match(fld, key, units=units)
    # a unit written without brackets: "教学仪器设备资产值万元"
    for u in _all_units(syn):
        if key.endswith(u) and len(key) > len(u) and (fld := find(key[: -len(u)])):
            return Match(fld, key[: -len(u)], units=(*units, u))
    # a section in brackets of a field that names it: "在校生数（小学）" is 在校生数小学
    for i, u in enumerate(units):
        if norm_key(u) in syn.sections:
            for k in (key + norm_key(u), norm_key(u) + key):
                if (fld := find(k)):
                    return Match(fld, k, units=units[:i] + units[i + 1:])
    if key in syn.ignore:
        return Match(IGNORED, key, units=units)
    # a section prefix or suffix on a sectioned kind: "小学专任教师数"
    kinds = [spec] if spec is not None else list(syn.kinds.values())
    for k in kinds:
        if not k.sectioned and not k.extra.get("sectioned_fields"):
            continue
        for token, sec in syn.sections.items():
            for rest in (key[len(token):] if key.startswith(token) else None,
                         key[: -len(token)] if key.endswith(token) else None):
                if rest and (f := k.lookup.get(rest)) and _section_ok(k, f):
                    return Match(f, rest, section=sec, units=units)
    # attested items (county figures): "G1 学校规划布局合理", "G1 说明", or the Chinese wording
    if spec is None or "attested_item_wordings" in spec.extra:
        m = re.match(r"^(G10|G\d|Q\d|V\d)(?!\d)(.*)$", key)
        # a bare Q3 is more likely a survey question number than an attested item, and "Q3满意"
        # is a question header joined with an answer, not an item's wording
        if (m and m.group(1) in syn.attested and (m.group(2) or not m.group(1).startswith("Q"))
                and not _is_value_word(m.group(2))):
            item, rest = syn.attested[m.group(1)], m.group(2)
            part = "note" if rest and any(rest.endswith(w) for w in syn.note_words) else "is_met"
            return Match(ATTESTED, m.group(1), item=item, part=part, units=units)
        for word in syn.note_words:
            if key.endswith(word) and len(key) > len(word) and (item := _wording(key[: -len(word)], syn)):
                return Match(ATTESTED, key, item=item, part="note", units=units)
        if item := _wording(key, syn):
            return Match(ATTESTED, key, item=item, part="is_met", units=units)
    return None


def _section_ok(spec: KindSpec, fld: str) -> bool:
    """Whether field ``fld`` of kind ``spec`` may carry a section (小学专任教师数)."""
    if spec.sectioned:
        return fld not in ("section", "year", "school_id", "county", "school_name")
    return fld in spec.extra.get("sectioned_fields", ())


@functools.cache
def _value_words() -> frozenset[str]:
    maps = value_maps()
    words = set(lookup_table(maps["boolean"])) | set(lookup_table(maps["answers"]))
    return frozenset(words | {norm_key(t) for t in maps["missing"]} - {""})


def _is_value_word(text: str) -> bool:
    """True for a cell value rather than header wording: 是/否, 满意, a number."""
    return text in _value_words() or re.fullmatch(r"[\d.,%-]+", text) is not None


def _wording(key: str, syn: Synonyms) -> str | None:
    """Attested item whose Chinese wording ``key`` is, or begins (at least 6 characters)."""
    if key in syn.attested_wordings:
        return syn.attested_wordings[key]
    if len(key) >= 6:
        for words, item in syn.attested_wordings.items():
            if len(words) >= 6 and (words.startswith(key) or key.startswith(words)):
                return item
    return None


def match_cell(cell: HeaderCell, spec: KindSpec | None, syn: Synonyms) -> Match | None:
    """The first candidate of ``cell`` that matches in kind ``spec`` (any kind when None)."""
    for key, units in cell.candidates:
        m = _match_key(key, units, spec, syn)
        if m is not None:
            return m
    return None


# ------------------------------------------------------------------ finding the header


def _text_rows(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    out = []
    for r in rows:
        out.append([(cell_text(v) or "").strip() for v in r])
    width = max((len(r) for r in out), default=0)
    return [r + [""] * (width - len(r)) for r in out]


def _single(row: list[str]) -> list[HeaderCell]:
    cells = []
    for i, t in enumerate(row):
        key, units = normalise_header(t)
        cells.append(HeaderCell(i, t, ((key, tuple(units)),) if key else ()))
    return cells


def _fill_groups(upper: list[str], lower: list[str]) -> list[str]:
    """The upper row of a two-row header with each group cell repeated over its group: in a
    CSV (or an unmerged workbook) an upper group cell is followed by empty cells."""
    up = list(upper)
    for i in range(1, len(up)):
        if not up[i] and lower[i] and lower[i - 1] and up[i - 1]:
            up[i] = up[i - 1]
    return up


def _pair(upper: list[str], lower: list[str], syn: Synonyms) -> list[HeaderCell]:
    """Cells of a two-row header: upper + lower, lower + upper, then lower alone. A lower
    cell 计 / 合计 (``group_total_words``) also reads as the upper cell alone (the group's own
    field: 在校生数 over 计); a lower cell 其中：X (``part_prefixes``) also as X.

    >>> syn = load_synonyms()
    >>> [c.candidates[-1][0] for c in _pair(["在校生数", "", ""], ["计", "其中：随迁子女", "残疾学生"], syn)]
    ['在校生数', '随迁子女', '残疾学生']
    """
    up = _fill_groups(upper, lower)
    cells = []
    for i, (u, lo) in enumerate(zip(up, lower, strict=True)):
        if not lo or lo == u:
            cells.append(HeaderCell(i, u, _single([u])[0].candidates))
            continue
        if not u:
            cells.append(HeaderCell(i, lo, _single([lo])[0].candidates))
            continue
        ku, uu = normalise_header(u)
        kl, ul = normalise_header(lo)
        units = tuple(uu + ul)
        cands = [(ku + kl, units), (kl + ku, units)]
        if kl in syn.group_total_words:
            cands.append((ku, units))
        else:
            cands.append((kl, tuple(ul)))
            cands += [(kl[len(p):], tuple(ul)) for p in syn.part_prefixes if kl.startswith(p) and len(kl) > len(p)]
        cells.append(HeaderCell(i, f"{u}/{lo}", tuple(cands)))
    return cells


def _splits_a_group(upper: list[str], lower: list[str], cells: list[HeaderCell], syn: Synonyms) -> bool:
    """True when the lower row names the parts of a group of the upper row (``专任教师``
    merged over ``计 | 本科 | 专科``): under an upper cell spanning two or more columns, a
    lower cell that some kind knows read together with the upper one. Such a lower row is
    part of the header even where it adds no field of its own."""
    up = _fill_groups(upper, lower)
    for i, cell in enumerate(cells):
        u, lo = up[i], lower[i]
        if not u or not lo or lo == u:
            continue
        if not ((i > 0 and up[i - 1] == u) or (i + 1 < len(up) and up[i + 1] == u)):
            continue
        combined = cell.candidates[:2]
        if normalise_header(lo)[0] in syn.group_total_words:
            combined = cell.candidates[:3]
        if any(_match_key(k, units, None, syn) is not None for k, units in combined):
            return True
    return False


def _score(cells: list[HeaderCell], syn: Synonyms) -> int:
    """How well a header reading fits: the most distinct fields any one kind recognises."""
    best = 0
    # only cells that some kind knows can count (a cheap, cached filter for data rows)
    cells = [c for c in cells if match_cell(c, None, syn) is not None]
    if not cells:
        return 0
    for spec in syn.kinds.values():
        seen = set()
        for c in cells:
            m = match_cell(c, spec, syn)
            if m is not None and m.field != IGNORED:
                seen.add((m.field, m.section, m.item, m.part))
        best = max(best, len(seen))
    return best


def _looks_like_data(row: Sequence[Any]) -> bool:
    """A row with two or more numbers (typed numbers or dates, or digit strings of 3+ digits:
    years, ids, counts) is data, not the lower row of a header."""
    n = 0
    for v in row:
        if isinstance(v, (int, float)) and not isinstance(v, bool) or hasattr(v, "year") or isinstance(v, str) and re.fullmatch(r"\s*[\d,.]{3,}\s*", unicodedata.normalize("NFKC", v)):
            n += 1
    return n >= 2


def _is_unit_row(row: list[str], syn: Synonyms) -> bool:
    """A row under the header that only gives units: ``(万元)``, ``平方米``, ``人``."""
    units = set(_all_units(syn))
    cells = [c for c in row if c]
    if not cells:
        return False
    for c in cells:
        key, brackets = normalise_header(c)
        if not ((not key and brackets) or key in units):
            return False
    return True


def find_header(
    rows: Sequence[Sequence[Any]], syn: Synonyms, hidden_columns: Iterable[int] = ()
) -> Header | None:
    """The header of a sheet from its first rows (``None`` when no row looks like one).

    ``rows`` are the first :attr:`Synonyms.header_scan_rows` rows of the grid (merged cells
    already filled). Ties go to the earlier row and to a one-row header. ``hidden_columns``:
    positions of the columns hidden in the workbook (kept in :attr:`Header.hidden`, see
    :func:`match_kind`).
    """
    text = _text_rows(rows[: syn.header_scan_rows])
    if not text:
        return None
    scores: list[int] = []
    data_run = 0
    for i, r in enumerate(text):
        is_data = _looks_like_data(rows[i])
        # a data row is never the header (and scoring its cells is the slow part)
        scores.append(0 if is_data else _score(_single(r), syn))
        # three data rows below a plausible header: the header is above, stop scanning
        data_run = data_run + 1 if is_data else 0
        if data_run >= 3 and max(scores) >= syn.min_header_matches:
            break
    text = text[: len(scores)]
    best = max(range(len(text)), key=lambda i: (scores[i], -i))
    if scores[best] < syn.min_header_matches:
        return None
    options = [(scores[best], 0, best, best, _single(text[best]))]
    if best + 1 < len(text) and not _looks_like_data(rows[best + 1]):
        cells = _pair(text[best], text[best + 1], syn)
        bonus = 1 if _is_unit_row(text[best + 1], syn) else 0
        # a lower row that splits a group wins a tie with the one-row reading
        prefer = 1 if _splits_a_group(text[best], text[best + 1], cells, syn) else -1
        options.append((_score(cells, syn) + bonus, prefer, best, best + 1, cells))
    # an upper header row has several distinct cells; a title (one cell, or one text merged
    # across the width) is not the upper half of the header
    if best > 0 and len({t for t in text[best - 1] if t}) >= 2 and not _looks_like_data(rows[best]):
        cells = _pair(text[best - 1], text[best], syn)
        options.append((_score(cells, syn), -2, best - 1, best, cells))
    score, _, top, bottom, cells = max(options, key=lambda o: (o[0], o[1]))
    above = [t for r in text[:top] for t in dict.fromkeys(r) if t]
    return Header(top=top, bottom=bottom, cells=cells, above=above, hidden=frozenset(hidden_columns))


# ------------------------------------------------------------------ kinds


@dataclass
class KindMatch:
    """A kind's reading of a header: field matches by column position."""

    kind: str
    matches: dict[int, Match]
    score: int
    missing: list[str]
    #: columns not read because an earlier column (or a visible one, see :func:`match_kind`)
    #: gives the same field: ``{position: position read instead}``
    duplicates: dict[int, int] = field(default_factory=dict)

    @property
    def fields(self) -> set[str]:
        return {m.field for m in self.matches.values()}


def _answers(syn: Synonyms) -> frozenset[str]:
    return frozenset(lookup_table(value_maps()["answers"]))


def question_columns(
    header: Header, data: Any, taken: set[int], spec: KindSpec, syn: Synonyms
) -> dict[int, Match]:
    """Survey question columns among the columns not otherwise matched.

    A question column has a header like ``1``, ``第1题``, ``Q1`` or ``1.您对…``, or holds
    only survey answers (满意 / 基本满意 / 不满意, blanks allowed) and at least one answer.
    """
    pattern = re.compile(spec.extra.get("question_header_pattern", r"^$"))
    answers = _answers(syn) | missing_tokens()
    out = {}
    for cell in header.cells:
        if cell.position in taken or not cell.raw:
            continue
        key = cell.candidates[0][0] if cell.candidates else ""
        if pattern.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell.raw))) or pattern.match(key):
            out[cell.position] = Match(QUESTION, key)
            continue
        col = data.get(cell.position)
        if col is not None:
            keys = on_uniques(col, lambda u: lookup_keys(u).fillna(""))
            if keys.isin(answers).all() and (~keys.isin(missing_tokens() | {""})).any():
                out[cell.position] = Match(QUESTION, key)
    return out


def match_kind(header: Header, spec: KindSpec, syn: Synonyms) -> KindMatch:
    """Map every header cell in kind ``spec``; a field matched twice keeps its first column,
    unless that column is hidden (:attr:`Header.hidden`) and a later one is not: a visible
    column wins over a hidden one (often a stale copy: 小学在校生数(上年)).

    >>> syn = load_synonyms()
    >>> h = find_header([["学校代码", "校名", "学校名称", "县"], ["4101020001", "一小", "一小", "城东区"]], syn)
    >>> km = match_kind(h, syn.kinds["schools"], syn)
    >>> {p: m.field for p, m in km.matches.items()}, km.missing, km.duplicates
    ({0: 'school_id', 1: 'school_name', 3: 'county'}, ['urban_rural_code', 'school_type', 'is_private'], {2: 1})
    >>> h.hidden = frozenset({1})
    >>> km = match_kind(h, syn.kinds["schools"], syn)
    >>> {p: m.field for p, m in km.matches.items()}, km.duplicates
    ({0: 'school_id', 2: 'school_name', 3: 'county'}, {1: 2})
    """
    matches: dict[int, Match] = {}
    seen: dict[tuple, int] = {}
    duplicates: dict[int, int] = {}
    for cell in header.cells:
        m = match_cell(cell, spec, syn)
        if m is None:
            continue
        ident = (m.field, m.section, m.item, m.part)
        if m.field != IGNORED and ident in seen:
            first = seen[ident]
            if first in header.hidden and cell.position not in header.hidden:
                # the visible column is read; the hidden one is reported as the duplicate
                del matches[first]
                duplicates = {p: (cell.position if q == first else q) for p, q in duplicates.items()}
                duplicates[first] = cell.position
            else:
                duplicates[cell.position] = first  # reported as unmapped by the caller
                continue
        seen[ident] = cell.position
        matches[cell.position] = m
    matches = dict(sorted(matches.items()))
    fields = {m.field for m in matches.values()}
    missing = [f for f in spec.required if f not in fields and not _has_section_group(matches, f)]
    for group in spec.required_any:
        if not any(f in fields for f in group):
            missing.append(" / ".join(group))
    score = len({(m.field, m.section, m.item, m.part) for m in matches.values() if m.field != IGNORED})
    return KindMatch(spec.name, matches, score, missing, duplicates)


def column_letter(position: int) -> str:
    """Excel column letters of a 0-based column position.

    >>> column_letter(0), column_letter(25), column_letter(27)
    ('A', 'Z', 'AB')
    """
    out = ""
    n = position + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def duplicate_column_warning(header: Header, km: KindMatch, position: int, fld: str, where: str) -> str:
    """The warning about a column not read because another column gives the same field
    ``fld`` (see :attr:`KindMatch.duplicates`); it names both columns when one is hidden.

    >>> syn = load_synonyms()
    >>> h = find_header([["学校代码", "小学在校生数(上年)", "小学在校生数"], ["4101020001", 111, 555]], syn,
    ...                 hidden_columns=[1])
    >>> km = match_kind(h, syn.kinds["schools"], syn)
    >>> duplicate_column_warning(h, km, 1, "students_primary", "a.xlsx [学校]")  # doctest: +NORMALIZE_WHITESPACE
    "a.xlsx [学校]: hidden column '小学在校生数(上年)' (column B) and visible column '小学在校生数' (column C)
     both give field students_primary; the visible one is read, the hidden one ignored"
    """
    raw = {c.position: c.raw for c in header.cells}
    other = km.duplicates.get(position)
    if other is None or (position in header.hidden) == (other in header.hidden):
        return f"{where}: column {raw.get(position)!r} repeats field {fld} of an earlier column; ignored"
    hidden, visible = (position, other) if position in header.hidden else (other, position)
    return (f"{where}: hidden column {raw.get(hidden)!r} (column {column_letter(hidden)}) and visible column "
            f"{raw.get(visible)!r} (column {column_letter(visible)}) both give field {fld}; "
            "the visible one is read, the hidden one ignored")


def _has_section_group(matches: dict[int, Match], fld: str) -> bool:
    return fld == "section" and any(m.section for m in matches.values())


def recognise_kind(
    header: Header, data: Any, syn: Synonyms, *, names: Sequence[str] = ()
) -> tuple[KindMatch | None, list[KindMatch]]:
    """The kind of a sheet: the best-scoring kind whose required columns are all present.

    Returns ``(chosen, ranked)``; ``chosen`` is None when no kind has its required columns
    (``ranked[0]`` is then the closest kind) or when two kinds tie (both ranked first).
    ``names`` (file and sheet name) settle ties through each kind's ``name_hints``.
    ``data``: the data columns by position (a DataFrame or ``{position: column}``), used to
    recognise survey questions by their answers.
    """
    ranked = []
    for spec in syn.kinds.values():
        km = match_kind(header, spec, syn)
        if "question_header_pattern" in spec.extra and km.fields & {"questionnaire_id", "respondent_group", "overall_answer"}:
            q = question_columns(header, data, set(km.matches), spec, syn)
            km.matches.update(q)
            km.score += len(q)
        ranked.append(km)
    hint_text = "".join(names)

    def hinted(km: KindMatch) -> int:
        return int(any(h in hint_text for h in syn.kinds[km.kind].name_hints))

    ranked.sort(key=lambda k: (not k.missing, k.score, hinted(k)), reverse=True)
    complete = [k for k in ranked if not k.missing]
    if not complete:
        return None, ranked
    top = complete[0]
    rivals = [k for k in complete[1:] if k.score == top.score and hinted(k) == hinted(top)]
    if rivals:
        return None, [top, *rivals]
    return top, ranked
