"""A CJK font for matplotlib, so Chinese titles and labels render on any machine.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs: every character becomes a
box and matplotlib warns "Glyph … missing from font(s)". :func:`configure_cjk_font` finds an
installed CJK font through matplotlib's font manager (rescanning the system font folders
if the font was installed after matplotlib built its cache) and puts it first in
``font.sans-serif``, with DejaVu Sans behind it for the symbols a CJK font lacks, and turns
off ``axes.unicode_minus`` (CJK fonts rarely have U+2212). If no CJK font is installed it
raises :class:`FontNotFoundError`, which says to run ``make font``.

Examples
--------
>>> name = configure_cjk_font()
>>> name in CJK_FONTS
True
>>> import matplotlib as mpl
>>> mpl.rcParams["font.sans-serif"][0] == name, mpl.rcParams["axes.unicode_minus"]
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
from matplotlib import font_manager

__all__ = ["CJK_FONTS", "FALLBACK_FONT", "FontNotFoundError", "configure_cjk_font", "find_cjk_font"]

#: CJK font families tried in order (Simplified Chinese first).
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "AR PL UMing CN",
)
#: Font behind the CJK font, for Latin symbols the CJK font lacks.
FALLBACK_FONT = "DejaVu Sans"

#: File-name fragments of the candidate fonts, used when rescanning system folders.
_FILE_HINTS = (
    "notosanscjk",
    "notosanssc",
    "sourcehansans",
    "wqy",
    "msyh",
    "simhei",
    "pingfang",
    "hiragino",
    "uming",
)


class FontNotFoundError(RuntimeError):
    """No CJK font is installed; Chinese text would render as boxes."""


def _installed() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


def _rescan() -> None:
    """Register system fonts matplotlib's cache does not know (installed after it was built)."""
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        low = path.lower().replace("-", "").replace("_", "")
        if path not in known and any(h in low for h in _FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # unreadable font file: skip it
                continue


def find_cjk_font(candidates: Sequence[str] = CJK_FONTS) -> str:
    """Name of the first installed font family of ``candidates``.

    Raises
    ------
    FontNotFoundError
        If none is installed (message says to run ``make font``).
    """
    names = _installed()
    for name in candidates:
        if name in names:
            return name
    _rescan()
    names = _installed()
    for name in candidates:
        if name in names:
            return name
    raise FontNotFoundError(
        "no CJK font found for Chinese chart text (looked for: "
        + ", ".join(candidates)
        + "); run `make font` (installs fonts-wqy-microhei) and try again"
    )


def configure_cjk_font(candidates: Sequence[str] = CJK_FONTS) -> str:
    """Make matplotlib draw text with an installed CJK font; return the font's name."""
    name = find_cjk_font(candidates)
    rest = [f for f in mpl.rcParams["font.sans-serif"] if f not in (name, FALLBACK_FONT)]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [name, FALLBACK_FONT, *rest]
    mpl.rcParams["axes.unicode_minus"] = False
    return name
