"""Standards of the evaluation as data: national thresholds and jurisdiction overrides.

Every threshold of the 2017 method lives in ``analysis/data/standards/national.yaml``. A
jurisdiction file (``shanxi.yaml``) says ``extends: national`` and overrides single values;
which standards apply is a parameter everywhere (CLI, functions, notebooks). Every key of a
standards file is checked: an unknown key is an error naming the key and the file.

Examples
--------
>>> std = load_standards("national")
>>> std.get("resource.standards.L1.primary"), std.get("guarantee.G14.min_share_pct")
(4.2, 50)
>>> load_standards("shanxi").get("guarantee.G14.min_share_pct")
70
>>> "shanxi" in list_standards()
True
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.config import DEFAULT_PROCESSED, data_path, load_yaml
from analysis.errors import InputError
from analysis.indicator_catalog import INDICATORS_PATH, catalog, codes

STANDARDS_DIR = data_path("standards")
#: the standards used when none is given
DEFAULT_STANDARDS = "national"
#: keys describing a standards file rather than a threshold
META_KEYS = ("name", "label", "extends", "source", "notes")

_SECTIONS = ("primary", "junior")
_SCHOOL_TYPES = (
    "primary", "junior", "nine_year", "twelve_year", "complete_secondary", "teaching_point",
    "special", "vocational",
)
_AREA_TYPES = ("urban", "town", "rural")
_ANSWERS = ("satisfied", "basically_satisfied", "unsatisfied")
_JUDGED_PASSES = ("met", "met_by_judgement", "met_after_rectification")


def vocabularies() -> dict[str, tuple[str, ...]]:
    """The code lists a threshold's type may name (``list of school_type``, ``school_type -> number``).

    >>> vocabularies()["band_edge"]
    ('normal', 'above_normal', 'large')
    """
    return {
        "section": _SECTIONS,
        "school_type": _SCHOOL_TYPES,
        "area_type": _AREA_TYPES,
        "backbone_level": ("none", "school", "county", "city", "province", "national"),
        "answer": _ANSWERS,
        "judged_pass": _JUDGED_PASSES,
        "band_edge": ("normal", "above_normal", "large"),
        "indicator": tuple(codes()),
    }


@dataclass(frozen=True)
class _Leaf:
    """Type of a leaf value: ``number``, ``bool``, or a list of allowed codes."""

    kind: str
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class _MapOf:
    """A mapping whose keys are drawn from ``keys`` (not all required) onto one leaf type."""

    keys: tuple[str, ...]
    leaf: _Leaf
    required: tuple[str, ...] = ()


_NUM = _Leaf("number")
_BOOL = _Leaf("bool")


def _codes(allowed: tuple[str, ...]) -> _Leaf:
    return _Leaf("codes", allowed)


def _per_section(leaf: _Leaf = _NUM) -> _MapOf:
    return _MapOf(_SECTIONS, leaf, required=_SECTIONS)


def parse_type(text: str, where: str = "") -> _Leaf | _MapOf:
    """The type of a threshold written in indicators.yaml's ``standards`` field.

    ``number``, ``bool``, ``per_section``, ``list of <codes>``, ``<codes> -> <leaf>`` or
    ``each <codes> -> <leaf>`` (every code required), where ``<leaf>`` is ``number``,
    ``bool`` or a vocabulary (one code of it).

    >>> parse_type("school_type -> section").leaf.allowed
    ('primary', 'junior')
    >>> parse_type("each band_edge -> number").required
    ('normal', 'above_normal', 'large')
    >>> parse_type("list of colour")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown vocabulary 'colour' in threshold type 'list of colour'; known: section, school_type, ...
    """
    vocab = vocabularies()
    words = str(text).split()

    def codes_of(name: str) -> tuple[str, ...]:
        if name not in vocab:
            raise ValueError(f"unknown vocabulary {name!r} in threshold type {text!r}{where}; known: "
                             f"{', '.join(vocab)}")
        return vocab[name]

    def leaf(name: str) -> _Leaf:
        return {"number": _NUM, "bool": _BOOL}.get(name) or _codes(codes_of(name))

    if words in (["number"], ["bool"]):
        return leaf(words[0])
    if words == ["per_section"]:
        return _per_section()
    if len(words) == 3 and words[:2] == ["list", "of"]:
        return _codes(codes_of(words[2]))
    each = words[:1] == ["each"]
    rest = words[1:] if each else words
    if len(rest) == 3 and rest[1] == "->":
        keys = codes_of(rest[0])
        return _MapOf(keys, leaf(rest[2]), required=keys if each else ())
    raise ValueError(f"unknown threshold type {text!r}{where}; write number, bool, per_section, "
                     f"list of <codes>, <codes> -> <type> or each <codes> -> <type>")


def schema() -> dict[str, Any]:
    """The structure every complete standards file has (leaf types; values live in the YAML).

    The thresholds of each indicator come from its ``standards`` field in
    ``analysis/data/indicators.yaml`` (placed at its ``standards_at`` path); the rest (the
    per-school rule, the CV limits, the 2024 procedure, counting, judgements) is here.

    >>> list(schema()["guarantee"])[:3], schema()["resource"]["standards"]["L1"].required
    (['G3', 'G4', 'G5'], ('primary', 'junior'))
    """
    out: dict[str, Any] = {
        "resource": {"include_private": _BOOL, "standards": {}},
        "guarantee": {},
        "quality": {},
        "recognition": {},
    }
    for ind in catalog().values():
        if ind.standards is None:
            continue
        where = f" (indicator {ind.code} in {INDICATORS_PATH})"
        node = (parse_type(ind.standards, where) if isinstance(ind.standards, str)
                else {k: parse_type(v, where) for k, v in ind.standards.items()})
        *parents, last = ind.standards_at.split(".")
        target = out
        for name in parents:
            target = target.setdefault(name, {})
        if isinstance(node, dict) and isinstance(target.get(last), dict):
            target[last].update(node)
        else:
            target[last] = node
    out["resource"].update({
        "school_rule": {"min_indicators_met": _NUM, "min_ratio_others": _NUM},
        "cv_max": _per_section(),
        "composite_cv_max": _per_section(),
    })
    out.update({
        "procedure": {
            "g3_count_only_built_before": {"enabled": _BOOL, "year": _NUM},
            "g3_small_rural_schools": {"enabled": _BOOL, "max_class_size_below": _NUM,
                                       "area_types": _codes(_AREA_TYPES)},
            "l5_central_city_space": {"enabled": _BOOL, "require_contract_note": _BOOL},
        },
        "counting": {
            "all_units": _codes(vocabularies()["indicator"]),
            "per_section_types": _codes(_SCHOOL_TYPES),
        },
        "judgement": {
            "accepted": _codes(_JUDGED_PASSES),
        },
    })
    return out


#: The schema as built from the shipped indicators.yaml (:func:`schema` builds it afresh).
SCHEMA: dict[str, Any] = schema()


@dataclass(frozen=True)
class Standards:
    """A complete, checked set of thresholds.

    Attributes
    ----------
    name : short name (``national``, ``shanxi`` or the file stem).
    label : Chinese label shown in reports.
    data : nested thresholds (a private copy; read with :meth:`get`).
    files : the YAML files merged, base first.
    """

    name: str
    label: str
    data: Mapping[str, Any] = field(repr=False)
    files: tuple[str, ...] = ()
    source: str = ""
    #: the evaluation year the year-dependent thresholds were resolved for (None: not resolved)
    year: int | None = None
    #: per year-dependent threshold, the period chosen (Chinese text for reports)
    periods: tuple[str, ...] = ()

    @property
    def has_periods(self) -> bool:
        """True when some threshold depends on the year (``by_year`` in the file).

        >>> load_standards().has_periods
        True
        """
        return bool(_period_nodes(self.data))

    def for_year(self, year: int) -> Standards:
        """These standards with every year-dependent threshold resolved for ``year``.

        >>> std = load_standards().for_year(2020)
        >>> std.get("guarantee.G6.per_student_yuan"), std.periods[0].split("：")[1][:10]
        ({'primary': 600, 'junior': 800}, '2016–2023年')
        >>> load_standards().for_year(2024).get("guarantee.G6.per_student_yuan")
        {'primary': 720, 'junior': 940}
        """
        data, periods = _resolve_periods(self.data, int(year))
        return Standards(name=self.name, label=self.label, data=data, files=self.files, source=self.source,
                         year=int(year), periods=tuple(periods))

    def get(self, path: str) -> Any:
        """Value at a dotted ``path`` (e.g. ``"resource.cv_max.primary"``).

        >>> load_standards().get("resource.cv_max.junior")
        0.45
        """
        node: Any = self.data
        for part in path.split("."):
            node = _current(node)
            if not isinstance(node, Mapping) or part not in node:
                raise KeyError(f"standards {self.name!r} have no key {path!r}")
            node = node[part]
        node = _current(node)
        if isinstance(node, Mapping) and _period_nodes(node):
            node, _ = _resolve_periods(node, None)
        return copy.deepcopy(node)

    def resource_table(self) -> pd.DataFrame:
        """L1-L7 standards as a long frame (indicator, section, standard).

        >>> load_standards().resource_table().head(2).values.tolist()
        [['L1', 'primary', 4.2], ['L1', 'junior', 5.3]]
        """
        rows = [
            (ind, sec, float(val))
            for ind, per in self.get("resource.standards").items()
            for sec, val in per.items()
        ]
        return pd.DataFrame(rows, columns=["indicator", "section", "standard"])

    def to_frame(self) -> pd.DataFrame:
        """Every threshold as a flat frame (``key``, ``value``) for display and export.

        >>> load_standards().to_frame().iloc[0].tolist()
        ['resource.include_private', 'True']
        """
        rows = [(k, _fmt_leaf(v)) for k, v in _flatten(self.data)]
        return pd.DataFrame(rows, columns=["key", "value"])


PERIODS_KEY = "by_year"


def _is_periods(node: Any) -> bool:
    return isinstance(node, Mapping) and set(node) == {PERIODS_KEY}


def _current(node: Any) -> Any:
    """A ``by_year`` node's latest period value (what an unresolved lookup reads)."""
    if _is_periods(node):
        entries = sorted(node[PERIODS_KEY], key=lambda e: e["from"])
        return entries[-1]["value"]
    return node


def _period_nodes(node: Any, prefix: str = "") -> list[str]:
    if _is_periods(node):
        return [prefix.rstrip(".")]
    if isinstance(node, Mapping):
        return [k for key, v in node.items() for k in _period_nodes(v, f"{prefix}{key}.")]
    return []


def _period_text(entry: Mapping[str, Any]) -> str:
    until = entry.get("until")
    span = f"{int(entry['from'])}–{int(until)}年" if until is not None else f"{int(entry['from'])}年起"
    value = entry["value"]
    names = {"primary": "小学", "junior": "初中"}
    shown = "、".join(f"{names.get(k, k)}{v}" for k, v in value.items()) if isinstance(value, Mapping) else str(value)
    note = f"，{entry['source']}" if entry.get("source") else ""
    return f"{span}（{shown}{note}）"


def _key_label(key: str) -> str:
    """A standards key as a reader knows it: the indicator it belongs to (its code and name).

    >>> _key_label("guarantee.G6.per_student_yuan").startswith("G6 不足100名学生")
    True
    """
    import re

    # deferred: keeps the command line's start-up light
    from analysis.indicators import indicator_label

    for part in key.split("."):
        if re.fullmatch(r"[LGQV]\d{1,2}", part):
            try:
                return f"{part} {indicator_label(part)}"
            except (KeyError, ValueError):
                break
    return key


def _resolve_periods(node: Any, year: int | None, prefix: str = "") -> tuple[Any, list[str]]:
    """``node`` with every ``by_year`` period resolved for ``year`` (None: the latest), and
    a text per resolved threshold naming the period chosen."""
    if _is_periods(node):
        entries = sorted(node[PERIODS_KEY], key=lambda e: e["from"])
        key = prefix.rstrip(".")
        if year is None:
            chosen, why = entries[-1], "（未指定评估年份，取最新）"
        else:
            hits = [e for e in entries if e["from"] <= year and (e.get("until") is None or year <= e["until"])]
            if hits:
                chosen, why = hits[-1], ""
            else:  # no period covers the year: the nearest one, said so
                chosen = min(entries, key=lambda e: min(abs(year - e["from"]), abs(year - (e.get("until") or e["from"]))))
                why = f"（{year}年无适用期间，按最近期间）"
        return copy.deepcopy(chosen["value"]), [f"{_key_label(key)}：{_period_text(chosen)}{why}"]
    if isinstance(node, Mapping):
        out, texts = {}, []
        for k, v in node.items():
            out[k], t = _resolve_periods(v, year, f"{prefix}{k}.")
            texts.extend(t)
        return out, texts
    return node, []


def _fmt_leaf(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


def _flatten(node: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in node.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.extend(_flatten(v, key + "."))
        else:
            out.append((key, v))
    return out


def list_standards() -> list[str]:
    """Names of the standards files shipped in ``analysis/data/standards/``.

    >>> list_standards()[:2]
    ['national', 'shanxi']
    """
    names = sorted(p.stem for p in STANDARDS_DIR.glob("*.yaml") if not p.name.startswith("_"))
    # national first: it is the base of the others
    return sorted(names, key=lambda n: (n != DEFAULT_STANDARDS, n))


def _resolve(name_or_path: str | os.PathLike, relative_to: Path | None = None) -> Path:
    text = str(name_or_path)
    if text in list_standards():
        return STANDARDS_DIR / f"{text}.yaml"
    candidates = [Path(text)]
    if relative_to is not None:
        candidates.insert(0, relative_to / text)
        candidates.insert(1, relative_to / f"{text}.yaml")
    for cand in candidates:
        if cand.suffix in (".yaml", ".yml") and cand.is_file():
            return cand
    raise ValueError(
        f"unknown standards {text!r}; available: {', '.join(list_standards())} "
        f"(or give the path of a .yaml standards file)"
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        content = load_yaml(Path(path).resolve())
    except yaml.YAMLError as exc:
        raise InputError(str(path), f"not valid YAML: {exc}".splitlines()[0]) from None
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise InputError(str(path), "a standards file must be a mapping of keys to values")
    return content


def _check(node: Any, schema: Any, path: str, file: Path, *, complete: bool) -> None:
    """Check ``node`` against ``schema``; raise InputError naming the key and the file."""
    where = path or "(top level)"
    if isinstance(node, Mapping) and PERIODS_KEY in node:
        _check_periods(node, schema, path, file, complete=complete)
        return
    if isinstance(schema, dict):
        if not isinstance(node, Mapping):
            raise InputError(str(file), f"key {where!r} must be a mapping of {sorted(schema)}")
        for key, value in node.items():
            sub = f"{path}.{key}" if path else str(key)
            if key not in schema:
                raise InputError(
                    str(file), f"unknown key {sub!r}; allowed here: {', '.join(schema)}"
                )
            _check(value, schema[key], sub, file, complete=complete)
        if complete:
            missing = [k for k in schema if k not in node]
            if missing:
                raise InputError(str(file), f"key {where!r} lacks {', '.join(missing)}")
    elif isinstance(schema, _MapOf):
        if not isinstance(node, Mapping):
            raise InputError(str(file), f"key {where!r} must be a mapping with keys from {list(schema.keys)}")
        for key, value in node.items():
            if key not in schema.keys:
                raise InputError(
                    str(file), f"unknown key {path}.{key!s}; allowed here: {', '.join(schema.keys)}"
                )
            _check(value, schema.leaf, f"{path}.{key}", file, complete=complete)
        if complete:
            missing = [k for k in schema.required if k not in node]
            if missing:
                raise InputError(str(file), f"key {where!r} lacks {', '.join(missing)}")
    elif isinstance(schema, _Leaf):
        ok = True
        if schema.kind == "number":
            ok = isinstance(node, (int, float)) and not isinstance(node, bool)
        elif schema.kind == "bool":
            ok = isinstance(node, bool)
        elif schema.kind == "codes":
            values = node if isinstance(node, list) else [node]
            bad = [v for v in values if v not in schema.allowed]
            if bad:
                raise InputError(
                    str(file), f"key {where!r} has unknown values {bad}; allowed: {', '.join(schema.allowed)}"
                )
        if not ok:
            raise InputError(str(file), f"key {where!r} must be a {schema.kind}, got {node!r}")


def _check_periods(node: Mapping[str, Any], schema: Any, path: str, file: Path, *, complete: bool) -> None:
    """A year-dependent threshold: ``by_year: [{from, until?, value, source?}, ...]``, periods
    not overlapping, each value of the threshold's own type."""
    where = path or "(top level)"
    extra = set(node) - {PERIODS_KEY}
    if extra:
        raise InputError(str(file), f"key {where!r}: {PERIODS_KEY} cannot be mixed with {sorted(extra)}")
    entries = node[PERIODS_KEY]
    if not isinstance(entries, list) or not entries:
        raise InputError(str(file), f"key {where!r}: {PERIODS_KEY} must be a list of periods")
    spans = []
    for i, e in enumerate(entries):
        at = f"{where}.{PERIODS_KEY}[{i}]"
        if not isinstance(e, Mapping) or "from" not in e or "value" not in e:
            raise InputError(str(file), f"key {at!r} needs 'from' (first year) and 'value'")
        bad = set(e) - {"from", "until", "value", "source"}
        if bad:
            raise InputError(str(file), f"unknown key {at}.{sorted(bad)[0]}; allowed here: from, until, value, source")
        lo, hi = e["from"], e.get("until")
        if not isinstance(lo, int) or (hi is not None and (not isinstance(hi, int) or hi < lo)):
            raise InputError(str(file), f"key {at!r}: from/until must be years with until >= from")
        spans.append((lo, hi if hi is not None else 10**6, at))
        _check(e["value"], schema, f"{at}.value", file, complete=True)
    spans.sort()
    for (_, a_hi, a_at), (b_lo, _, b_at) in zip(spans, spans[1:], strict=False):
        if b_lo <= a_hi:
            raise InputError(str(file), f"key {where!r}: periods {a_at} and {b_at} overlap")


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and PERIODS_KEY in value:
            out[key] = copy.deepcopy(value)  # a year-dependent value replaces the base's whole
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict) and not _is_periods(out.get(key)):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_chain(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict[str, Any], tuple[Path, ...]]:
    """Merged thresholds, meta of the leaf file, and the files (base first)."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(p.name for p in (*seen, path))
        raise InputError(str(path), f"standards extend each other in a cycle: {chain}")
    content = _read_yaml(path)
    meta = {k: content.pop(k) for k in META_KEYS if k in content}
    parent = meta.get("extends")
    if parent:
        base, _, files = _load_chain(_resolve(parent, relative_to=path.parent), (*seen, path))
        _check(content, schema(), "", path, complete=False)
        return _merge(base, content), meta, (*files, path)
    _check(content, schema(), "", path, complete=True)
    return content, meta, (path,)


def load_standards(
    name_or_path: str | os.PathLike | Standards = DEFAULT_STANDARDS,
    overrides: Mapping[str, Any] | None = None,
) -> Standards:
    """Load a standards file by name (``national``, ``shanxi``) or path, checked.

    Parameters
    ----------
    name_or_path : name of a shipped standards file, a path to a YAML file, or a
        :class:`Standards` (returned as is unless ``overrides`` are given).
    overrides : optional nested mapping of single values to change (same keys as the file),
        e.g. ``{"guarantee": {"G14": {"min_share_pct": 60}}}``.

    Raises
    ------
    ValueError
        For an unknown name, listing the available standards.
    analysis.errors.InputError
        For an unknown key or a bad value, naming the key and the file.

    Examples
    --------
    >>> load_standards("national", {"guarantee": {"G14": {"min_share_pct": 60}}}).get(
    ...     "guarantee.G14.min_share_pct")
    60
    >>> load_standards("nope")
    Traceback (most recent call last):
    ...
    ValueError: unknown standards 'nope'; available: national, shanxi (or give the path of a .yaml standards file)
    """
    if isinstance(name_or_path, Standards):
        base = name_or_path
    else:
        path = _resolve(name_or_path)
        data, meta, files = _load_chain(path)
        base = Standards(
            name=str(meta.get("name") or path.stem),
            label=str(meta.get("label") or meta.get("name") or path.stem),
            data=data,
            files=tuple(str(f) for f in files),
            source=str(meta.get("source") or ""),
        )
    if not overrides:
        return base
    _check(overrides, schema(), "", Path("<overrides>"), complete=False)
    return Standards(
        name=f"{base.name}+overrides",
        label=f"{base.label}（调整）",
        data=_merge(dict(base.data), overrides),
        files=base.files,
        source=base.source,
    )


def as_standards(standards: str | os.PathLike | Standards | None) -> Standards:
    """Accept a name, a path, a :class:`Standards` or ``None`` (national).

    >>> as_standards(None).name
    'national'
    """
    if standards is None:
        return load_standards(DEFAULT_STANDARDS)
    return load_standards(standards)


def standards_periods_text(std: Standards) -> str | None:
    """Which period of each year-dependent threshold the standards were resolved to (None
    when they were not resolved for a year or no threshold depends on it).

    >>> standards_periods_text(load_standards()) is None
    True
    >>> standards_periods_text(load_standards().for_year(2024)).split("：")[1][:20]
    '2024年起（小学720、初中940，万'
    """
    periods = getattr(std, "periods", None) or ()
    return "；".join(periods) if periods else None


def add_selection_arguments(parser: Any, county_help: str, *, county_required: bool = True) -> None:
    """The arguments every per-county command takes: ``--county``, ``--year``, ``--standards``
    and ``--processed`` (one definition for ``indicators``, ``plan`` and ``selfeval``)."""
    parser.add_argument("--county", required=county_required, help=county_help)
    parser.add_argument("--year", type=int, help="statistics year (default: the latest year)")
    parser.add_argument("--standards", default=DEFAULT_STANDARDS,
                        help=f"standards name ({', '.join(list_standards())}) or path to a YAML file "
                        f"(default: {DEFAULT_STANDARDS})")
    parser.add_argument("--processed", type=Path, default=DEFAULT_PROCESSED,
                        help=f"folder of the core tables (default: {DEFAULT_PROCESSED})")
