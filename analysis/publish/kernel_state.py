"""Process state of a reused ("warm") Jupyter kernel: snapshot once, restore before each run.

This module is imported *inside* the kernel by :mod:`analysis.publish.kernel`. After
start-up the kernel imports the heavy modules once (:func:`warm_up`) and records the
state a fresh kernel would have after those imports. Before every notebook run
:func:`restore` clears the user namespace (``%reset -f``), closes figures, puts back
matplotlib's rcParams, pandas options, environment variables, ``sys.path``, warning
filters and numpy error settings, changes to the run's working folder and restarts the
execution counter at 1, so a notebook cannot see what the previous one left behind.
The objects alive after the warm-up are frozen out of the garbage collector
(``gc.freeze``): a reset then costs milliseconds instead of three full collections of
pandas and matplotlib (about 1 s on a busy 2-core machine).

Examples
--------
>>> snap = snapshot()
>>> sorted(snap)[:3]
['cwd', 'environ', 'numpy_err']
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
import warnings
from collections.abc import Iterable
from typing import Any

#: the snapshot taken by :func:`warm_up`; :func:`restore` puts it back
_SNAPSHOT: dict[str, Any] = {}


def _pandas_options() -> dict[str, Any]:
    pd = sys.modules.get("pandas")
    if pd is None:
        return {}
    try:
        keys = list(pd._config.config._registered_options)  # noqa: SLF001 - no public listing
    except AttributeError:
        return {}
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in keys:
            with contextlib.suppress(Exception):
                out[key] = pd.get_option(key)
    return out


def snapshot() -> dict[str, Any]:
    """The restorable process state of this interpreter, as plain Python values."""
    snap: dict[str, Any] = {
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "sys_path": list(sys.path),
        "warning_filters": list(warnings.filters),
        "pandas_options": _pandas_options(),
        "numpy_err": None,
        "rc_params": None,
    }
    if "numpy" in sys.modules:
        snap["numpy_err"] = sys.modules["numpy"].geterr()
    if "matplotlib" in sys.modules:
        snap["rc_params"] = dict(sys.modules["matplotlib"].rcParams)
    return snap


def warm_up(modules: Iterable[str] = (), memo: bool = False) -> list[str]:
    """Import ``modules`` (missing ones are skipped), then take the snapshot.

    With ``memo``, the evaluation cache (:mod:`analysis.presentation.cache`, which the
    notebooks' evaluations go through) is imported too. Returns the modules that could
    not be imported.
    """
    missing: list[str] = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if memo:
        try:
            importlib.import_module("analysis.presentation.cache")
        except ImportError:  # pragma: no cover - the engine is not there
            missing.append("analysis.presentation.cache")
    _SNAPSHOT.clear()
    _SNAPSHOT.update(snapshot())
    # What is alive now (the imported modules) lives as long as the kernel: keep it out of
    # the collector's way, so the collections of every reset (IPython's %reset runs two)
    # only walk what the notebooks left, not the whole of pandas and matplotlib.
    gc.collect()
    gc.freeze()
    return missing


def _restore_environ(saved: dict[str, str]) -> None:
    for key in [k for k in os.environ if k not in saved]:
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def restore(cwd: str | None = None) -> None:
    """Reset the kernel to the warm-up snapshot and change to ``cwd``.

    Must be called from inside IPython (the kernel); outside it, only the process state
    is restored.
    """
    snap = _SNAPSHOT or snapshot()
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - the kernel always has IPython
        shell = None
    if shell is not None:
        shell.run_line_magic("reset", "-f")
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if snap["rc_params"] is not None:
        mpl = sys.modules["matplotlib"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mpl.rcParams.clear()
            mpl.rcParams.update(snap["rc_params"])
    pd = sys.modules.get("pandas")
    if pd is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, value in snap["pandas_options"].items():
                if pd.get_option(key) != value:
                    with contextlib.suppress(Exception):
                        pd.set_option(key, value)
    if snap["numpy_err"] is not None:
        sys.modules["numpy"].seterr(**snap["numpy_err"])
    _restore_environ(snap["environ"])
    sys.path[:] = snap["sys_path"]
    warnings.filters[:] = snap["warning_filters"]
    warnings._filters_mutated()  # noqa: SLF001 - invalidate the warnings cache
    os.chdir(cwd if cwd and os.path.isdir(cwd) else snap["cwd"])
    gc.collect()
    if shell is not None:
        shell.execution_count = 1
