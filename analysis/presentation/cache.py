"""Reuse of pure, expensive results across the notebooks a warm kernel runs.

A county's reports evaluate the same county with the same data several times (the county
report, the urban-rural gaps' engine figures, the county plan) and load the standards files
again and again. The presentation layer calls :func:`evaluate` and :func:`load_standards`
of this module explicitly (nothing is patched at run time); the runner hands a worker a
county's notebooks one after another (:func:`analysis.publish.runner.next_job`), so in a
warm publish kernel the second evaluation of a county is a copy of the first.

The memos cannot serve stale or shared results:

- an evaluation is keyed by the *content* of its input tables (a hash of every frame,
  its columns and dtypes, about 6 ms for a county), the other arguments and the
  standards' thresholds, so changed data or standards are a miss;
- standards are keyed by name and overrides and checked against the size and mtime of
  every file they were merged from;
- the engine's inputs (:func:`load_inputs`) and a context's tables (:func:`read_table`)
  are keyed by their arguments and the size, mtime and inode of the Parquet files, so a
  rebuilt table is a miss; a hit is a copy of every frame (a few milliseconds instead of
  reading and decoding the files again);
- every hit is a deep copy, so a notebook that modifies its result changes nothing
  for the next one;
- arguments the memo cannot key (anything unexpected) go straight to the function.

Examples
--------
>>> calls = []
>>> def evaluate(inputs, year=None, counties=None, standards=None):
...     calls.append(year)
...     return {"n": len(inputs["t"])}
>>> memo = EvaluationMemo(evaluate)
>>> frame = pd.DataFrame({"a": [1, 2]})
>>> memo({"t": frame}, 2024), memo({"t": frame.copy()}, 2024), calls
({'n': 2}, {'n': 2}, [2024])
>>> _ = memo({"t": frame.assign(a=[1, 3])}, 2024); calls  # other data: computed again
[2024, 2024]
"""

from __future__ import annotations

import collections
import copy
import functools
import inspect
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from analysis.standards import as_standards

#: evaluations kept per kernel (a county's are needed only while its notebooks run)
MAX_EVALUATIONS = 4
#: standards kept per kernel
MAX_STANDARDS = 16
#: input sets and tables kept per kernel (a county's notebooks read the same ones)
MAX_READS = 48
#: a frame larger than this is read again rather than kept
MAX_KEPT_BYTES = 64 * 2**20


class _Unkeyable(Exception):
    """An argument the memo cannot turn into a key: call the function directly."""


def frame_key(frame: pd.DataFrame) -> tuple:
    """A key of a frame's content: shape, columns, dtypes and a hash of its rows.

    >>> a = pd.DataFrame({"x": [1, 2]})
    >>> frame_key(a) == frame_key(a.copy()), frame_key(a) == frame_key(a.assign(x=[2, 1]))
    (True, False)
    """
    hashed = pd.util.hash_pandas_object(frame, index=True)
    # order matters: the sum of row hashes ignores it, so add a position-weighted sum too
    weights = pd.Series(range(1, len(hashed) + 1), index=hashed.index, dtype="uint64")
    return (frame.shape, tuple(map(str, frame.columns)), tuple(map(str, frame.dtypes)),
            int(hashed.sum()), int((hashed * weights).sum()))


def _inputs_key(inputs: Any) -> tuple:
    if not isinstance(inputs, Mapping):
        raise _Unkeyable
    parts = []
    for name in sorted(inputs):
        frame = inputs[name]
        if not isinstance(frame, pd.DataFrame):
            raise _Unkeyable
        parts.append((str(name), frame_key(frame)))
    extra = tuple(sorted((k, repr(v)) for k, v in vars(inputs).items())) if hasattr(inputs, "__dict__") else ()
    return type(inputs).__name__, tuple(parts), extra


def _plain_key(value: Any) -> str:
    if isinstance(value, pd.DataFrame | pd.Series) or (
        isinstance(value, Mapping) and any(isinstance(v, pd.DataFrame | pd.Series) for v in value.values())
    ):
        raise _Unkeyable
    return repr(value)


class _LruMemo:
    """A function with an LRU memo of its results: a subclass says how to key a call
    (:meth:`_key`, raising ``_Unkeyable`` to call the function directly), how to copy a
    result (:meth:`_copy`; every hit and every kept result is a copy) and which results
    to keep (:meth:`_keeps`)."""

    def __init__(self, fn: Callable[..., Any], size: int) -> None:
        self.fn = fn
        self.size = size
        self.hits = 0
        self.misses = 0
        self._cache: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
        self._lock = threading.Lock()
        try:
            self._signature = inspect.signature(fn)
        except (TypeError, ValueError):  # pragma: no cover - builtins
            self._signature = None
        functools.update_wrapper(self, fn)

    def _bound(self, args: tuple, kwargs: dict) -> inspect.BoundArguments:
        if self._signature is None:
            raise _Unkeyable
        try:
            return self._signature.bind(*args, **kwargs)
        except TypeError:
            raise _Unkeyable from None

    def _key(self, args: tuple, kwargs: dict) -> tuple:
        raise NotImplementedError

    def _copy(self, result: Any) -> Any:
        return copy.deepcopy(result)

    def _keeps(self, result: Any) -> bool:
        return True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            key = self._key(args, kwargs)
        except _Unkeyable:
            return self.fn(*args, **kwargs)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                self.hits += 1
                return self._copy(self._cache[key])
        result = self.fn(*args, **kwargs)
        with self._lock:
            self.misses += 1
            if self._keeps(result):
                self._cache[key] = self._copy(result)
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return result


class EvaluationMemo(_LruMemo):
    """``evaluate`` with an LRU memo of its results (see the module docstring)."""

    def __init__(self, evaluate: Callable[..., Any], size: int = MAX_EVALUATIONS) -> None:
        super().__init__(evaluate, size)

    def _key(self, args: tuple, kwargs: dict) -> tuple:
        parts = []
        for name, value in self._bound(args, kwargs).arguments.items():
            if name == "inputs":
                parts.append((name, _inputs_key(value)))
            elif name == "standards":
                parts.append((name, _standards_key(value)))
            else:
                parts.append((name, _plain_key(value)))
        return tuple(parts)


def _files_state(files: Any) -> tuple:
    out = []
    for path in files or ():
        st = os.stat(path)
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


def _standards_key(standards: Any) -> str:
    """The thresholds themselves (a name is resolved, so edited files are a new key)."""
    try:
        return repr(as_standards(standards))
    except Exception:  # noqa: BLE001 - let the function itself report a bad name
        raise _Unkeyable from None


class StandardsMemo:
    """``load_standards`` that keeps what it loaded while its files stay the same."""

    def __init__(self, load: Callable[..., Any], size: int = MAX_STANDARDS) -> None:
        self.load = load
        self.size = size
        self.hits = 0
        self._cache: collections.OrderedDict[tuple, tuple[Any, tuple]] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._signature = inspect.signature(load)
        functools.update_wrapper(self, load)

    def _key(self, args: tuple, kwargs: dict) -> tuple:
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError:
            raise _Unkeyable from None
        bound.apply_defaults()
        values = list(bound.arguments.values())
        if values and not isinstance(values[0], str | os.PathLike):
            raise _Unkeyable  # a Standards object is returned as is (or changed): no need
        return tuple((name, _plain_key(value)) for name, value in bound.arguments.items())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            key = self._key(args, kwargs)
        except _Unkeyable:
            return self.load(*args, **kwargs)
        with self._lock:
            entry = self._cache.get(key)
        if entry is not None:
            try:
                fresh = _files_state(getattr(entry[0], "files", ())) == entry[1]
            except OSError:
                fresh = False
            if fresh:
                self.hits += 1
                return copy.deepcopy(entry[0])
        result = self.load(*args, **kwargs)
        try:
            state = _files_state(getattr(result, "files", ()))
        except OSError:
            return result
        with self._lock:
            self._cache[key] = (copy.deepcopy(result), state)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return result


def _parquet_state(folder: Any) -> tuple:
    """Size, mtime and inode of every Parquet file in ``folder`` (a rebuilt table changes it)."""
    out = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(".parquet"):
                st = entry.stat()
                out.append((entry.name, st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(sorted(out))


def _copy_frames(value: Any) -> Any:
    """A frame, or a mapping of frames of the same type with its attributes, copied."""
    if isinstance(value, pd.DataFrame):
        return value.copy()
    out = copy.copy(value)  # keeps the type and attributes (Inputs: processed_dir, data_label)
    for name, frame in value.items():
        out[name] = frame.copy()
    return out


class FileMemo(_LruMemo):
    """A reading function with an LRU memo keyed by its arguments and the state of the
    Parquet files of the folder it reads (see the module docstring)."""

    def __init__(self, read: Callable[..., Any], folder_argument: str, size: int = MAX_READS) -> None:
        super().__init__(read, size)
        self.folder_argument = folder_argument

    def _key(self, args: tuple, kwargs: dict) -> tuple:
        bound = self._bound(args, kwargs)
        bound.apply_defaults()
        folder = bound.arguments[self.folder_argument]
        try:
            state = _parquet_state(folder)
        except OSError:
            raise _Unkeyable from None
        plain = tuple((name, _plain_key(value)) for name, value in bound.arguments.items()
                      if name != self.folder_argument)
        return str(os.path.realpath(folder)), state, plain

    def _copy(self, result: Any) -> Any:
        return _copy_frames(result)

    def _keeps(self, result: Any) -> bool:
        frames = [result] if isinstance(result, pd.DataFrame) else list(result.values())
        return sum(int(f.memory_usage(index=True, deep=False).sum()) for f in frames) <= MAX_KEPT_BYTES


_MEMOS: dict[str, Any] = {}
_MEMOS_LOCK = threading.Lock()


def _memo(name: str) -> Any:
    with _MEMOS_LOCK:
        if name not in _MEMOS:
            if name == "evaluate":
                # local: the imported name is also one of this module's own
                from analysis.indicators.evaluation import evaluate

                _MEMOS[name] = EvaluationMemo(evaluate)
            elif name == "load_inputs":
                # local: the imported name is also one of this module's own
                from analysis.indicators.evaluation import load_inputs

                _MEMOS[name] = FileMemo(load_inputs, "processed_dir")
            elif name == "read_table":
                # local: the imported name is also one of this module's own
                from analysis.tables import read_table

                _MEMOS[name] = FileMemo(read_table, "processed_dir")
            else:
                # local: the imported name is also one of this module's own
                from analysis.standards import load_standards

                _MEMOS[name] = StandardsMemo(load_standards)
        return _MEMOS[name]


def evaluate(inputs: Any, year: Any = None, counties: Any = None, standards: Any = None, **kwargs: Any) -> Any:
    """:func:`analysis.indicators.evaluate` through this process's evaluation cache.

    The presentation layer and the county plan call this explicitly (no engine function is
    replaced at run time); in a publish kernel, the county's second report gets a copy of
    its first evaluation.
    """
    return _memo("evaluate")(inputs, year, counties, standards, **kwargs)


def load_inputs(processed_dir: Any, year: Any = None, counties: Any = None, **kwargs: Any) -> Any:
    """:func:`analysis.indicators.load_inputs` through this process's read cache: a county's
    later reports (and its plan) get copies of the frames its first one read."""
    return _memo("load_inputs")(processed_dir, year, counties, **kwargs)


def read_table(name: str, processed_dir: Any, columns: Any = None, filters: Any = None) -> Any:
    """:func:`analysis.tables.read_table` through this process's read cache (a copy on a hit)."""
    return _memo("read_table")(name, processed_dir, columns, filters)


def load_standards(*args: Any, **kwargs: Any) -> Any:
    """:func:`analysis.standards.load_standards` through this process's standards cache."""
    return _memo("load_standards")(*args, **kwargs)


def statistics() -> dict[str, dict[str, int]]:
    """Hits (and misses) of the caches used so far in this process."""
    return {name: {"hits": m.hits, "misses": getattr(m, "misses", 0)} for name, m in _MEMOS.items()}
