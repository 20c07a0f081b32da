"""Smaller chart files for the published folder, with the same picture.

Every chart of a report is one PNG (shown in the page and offered as a download) and one
SVG (the download for print and editing). The charts of :func:`analysis.plotting.figure_png`
are already indexed-colour PNGs (:mod:`analysis.chart_png`); :func:`shrink_png` makes any
other opaque PNG one too, and :func:`shrink_svg` drops the whitespace matplotlib writes
between elements and inside path data (the drawing is unchanged). Either returns its input
when it cannot do better.

Examples
--------
>>> shrink_svg(b'<svg>\\n  <path d="M 0 1 \\nL 2 3 \\nz\\n"/>\\n</svg>\\n')
b'<svg><path d="M 0 1 L 2 3 z"/></svg>\\n'
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

from analysis.chart_png import indexed_png, is_indexed_png

_BETWEEN_TAGS = re.compile(rb">\s+<")
_PATH_DATA = re.compile(rb' d="([^"]*)"')


def shrink_svg(data: bytes) -> bytes:
    """``data`` (a matplotlib SVG) without layout whitespace; text content is kept."""
    out = _PATH_DATA.sub(lambda m: b' d="' + b" ".join(m.group(1).split()) + b'"', data)
    out = _BETWEEN_TAGS.sub(b"><", out)
    return out if len(out) < len(data) else data


def shrink_png(data: bytes) -> bytes:
    """``data`` as an indexed-colour PNG when the image is opaque and that is smaller
    (:func:`analysis.chart_png.indexed_png`); a PNG that already has a palette (every chart
    of :func:`analysis.plotting.figure_png`) is returned as it is, without decoding it.

    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (40, 30), (238, 238, 238)).save(buf, "PNG")
    >>> small = shrink_png(buf.getvalue())
    >>> Image.open(io.BytesIO(small)).convert("RGB").getpixel((3, 3)), len(small) <= len(buf.getvalue())
    ((238, 238, 238), True)
    >>> shrink_png(small) is small
    True
    """
    if is_indexed_png(data):
        return data
    try:
        import numpy as np
        from PIL import Image

        image = Image.open(io.BytesIO(data))
        image.load()
        if image.mode in ("RGBA", "LA") or "transparency" in image.info:
            alpha = image.convert("RGBA").getchannel("A")
            if alpha.getextrema()[0] < 255:
                return data  # transparent parts: keep as drawn
        out = indexed_png(np.asarray(image.convert("RGB")))
    except Exception:  # noqa: BLE001 - a chart is published as drawn rather than not at all
        return data
    return out if len(out) < len(data) else data


def shrink_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """``files`` (``{relative path: bytes}``) with every ``.png`` and ``.svg`` shrunk."""
    out = {}
    for rel, data in files.items():
        lower = rel.lower()
        out[rel] = shrink_png(data) if lower.endswith(".png") else shrink_svg(data) if lower.endswith(".svg") else data
    return out
