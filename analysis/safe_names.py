"""Names from data made into harmless file-system path components.

County names come from bureau files, so they are data, not code: a county called ``../x``
must not write outside its folder. Used when saving charts and tables from notebooks and
when publishing (:mod:`analysis.publish.safety` checks the resolved report folders).

Examples
--------
>>> safe_component("城东区")
'城东区'
>>> safe_component("../x").startswith("_x-")
True
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["MAX_COMPONENT_BYTES", "assign_dirs", "safe_component"]

#: longest path component written, in UTF-8 bytes (file systems allow 255)
MAX_COMPONENT_BYTES = 120

#: characters never kept in a path component (separators, controls, Windows-reserved)
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')

#: device names Windows refuses as file names, whatever the extension
_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)


def safe_component(name: object, *, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """One file-system path component for ``name`` that cannot leave its folder.

    Ordinary names (Chinese county names, letters, digits, ``-``, ``_``) are kept as
    they are, so folders read like the data. A name that has to be changed (separators,
    ``..``, control or reserved characters, leading dots, a Windows device name, too
    long) gets ``-`` and 8 hex digits of its SHA-1 appended, so two different names never
    end up in the same folder.

    Parameters
    ----------
    name : object
        The name as it comes from the data (converted with ``str``).
    max_bytes : int
        Longest result in UTF-8 bytes.

    Returns
    -------
    str
        A non-empty component without separators that is neither ``.`` nor ``..``.

    Examples
    --------
    >>> safe_component("示例县")
    '示例县'
    >>> [safe_component(n) for n in ["../x", "<script>", "a/b", "..", "CON"]]
    ['_x-72e4d01d', '_script_-fb1c2d66', 'a_b-3ec69c85', '_-9d891e73', 'CON-7679a072']
    """
    text = unicodedata.normalize("NFC", str(name))
    cleaned = _UNSAFE_CHARS.sub("_", text).strip().strip(".").strip()
    cleaned = cleaned or "_"
    changed = cleaned != str(name) or cleaned.split(".")[0].upper() in _RESERVED_NAMES
    encoded = cleaned.encode("utf-8")
    if len(encoded) > max_bytes - 9:
        cleaned = encoded[: max_bytes - 9].decode("utf-8", errors="ignore")
        changed = True
    if changed:
        digest = hashlib.sha1(str(name).encode("utf-8")).hexdigest()[:8]
        cleaned = f"{cleaned}-{digest}"
    return cleaned


def assign_dirs(names: Iterable[object]) -> dict[str, str]:
    """Map each name to its folder name, failing if two names would share one.

    >>> assign_dirs(["城东区", "<b>"])["城东区"]
    '城东区'
    """
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        component = safe_component(name)
        key = component.casefold()  # case-insensitive file systems (macOS, Windows)
        if key in seen and seen[key] != str(name):
            raise ValueError(
                f"names {seen[key]!r} and {str(name)!r} would share the folder {component!r}"
            )
        seen[key] = str(name)
        out[str(name)] = component
    return out
