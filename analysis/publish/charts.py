"""Smaller chart files for the published folder, with the same picture.

Every chart of a report is one PNG (shown in the page and offered as a download) and one
SVG (the download for print and editing). :func:`shrink_png` stores an opaque chart as an
indexed-colour PNG (at most 256 colours, each palette entry the exact colour most of its
pixels had — found on an even sample of the pixels, which every flat area shows in — so
backgrounds, grid lines and bars keep their colours; about a third of the size); :func:`shrink_svg` drops the whitespace matplotlib writes between elements and inside
path data (the drawing is unchanged). Either returns its input when it cannot do better.

Examples
--------
>>> shrink_svg(b'<svg>\\n  <path d="M 0 1 \\nL 2 3 \\nz\\n"/>\\n</svg>\\n')
b'<svg><path d="M 0 1 L 2 3 z"/></svg>\\n'
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

_BETWEEN_TAGS = re.compile(rb">\s+<")
#: pixels looked at to find each palette entry's exact colour (a chart has ~500,000)
SAMPLE_PIXELS = 60_000
_PATH_DATA = re.compile(rb' d="([^"]*)"')


def shrink_svg(data: bytes) -> bytes:
    """``data`` (a matplotlib SVG) without layout whitespace; text content is kept."""
    out = _PATH_DATA.sub(lambda m: b' d="' + b" ".join(m.group(1).split()) + b'"', data)
    out = _BETWEEN_TAGS.sub(b"><", out)
    return out if len(out) < len(data) else data


def shrink_png(data: bytes) -> bytes:
    """``data`` as an indexed-colour PNG when the image is opaque and that is smaller.

    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (40, 30), (238, 238, 238)).save(buf, "PNG")
    >>> small = shrink_png(buf.getvalue())
    >>> Image.open(io.BytesIO(small)).convert("RGB").getpixel((3, 3)), len(small) <= len(buf.getvalue())
    ((238, 238, 238), True)
    """
    try:
        import numpy as np
        from PIL import Image

        image = Image.open(io.BytesIO(data))
        image.load()
        if image.mode in ("RGBA", "LA") or "transparency" in image.info:
            alpha = image.convert("RGBA").getchannel("A")
            if alpha.getextrema()[0] < 255:
                return data  # transparent parts: keep as drawn
        rgb = image.convert("RGB")
        indexed = rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        # each palette entry: the exact colour most of its pixels had (not the bucket's mean)
        idx = np.asarray(indexed, dtype=np.int64).ravel()
        pixels = np.asarray(rgb, dtype=np.int64).reshape(-1, 3)
        step = max(1, len(idx) // SAMPLE_PIXELS)  # the colours of flat areas show in any sample
        idx, pixels = idx[::step], pixels[::step]
        packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]
        keys, counts = np.unique((idx << 24) | packed, return_counts=True)
        entry = keys >> 24
        order = np.lexsort((-counts, entry))
        first = order[np.r_[True, entry[order][1:] != entry[order][:-1]]]
        palette = list(indexed.getpalette() or [])[:768]
        palette += [0] * (768 - len(palette))
        for k in first:
            i, colour = int(entry[k]), int(keys[k] & 0xFFFFFF)
            palette[3 * i: 3 * i + 3] = [colour >> 16, (colour >> 8) & 0xFF, colour & 0xFF]
        indexed.putpalette(palette)
        buf = io.BytesIO()
        indexed.save(buf, "PNG")
    except Exception:  # noqa: BLE001 - a chart is published as drawn rather than not at all
        return data
    out = buf.getvalue()
    return out if len(out) < len(data) else data


def shrink_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """``files`` (``{relative path: bytes}``) with every ``.png`` and ``.svg`` shrunk."""
    out = {}
    for rel, data in files.items():
        lower = rel.lower()
        out[rel] = shrink_png(data) if lower.endswith(".png") else shrink_svg(data) if lower.endswith(".svg") else data
    return out
