"""Chart pictures as indexed-colour PNG: the same picture in about a third of the bytes.

A chart is a few flat colours (background, grid, bars, text) plus the anti-aliased edges
between them. :func:`indexed_png` stores it with a palette of at most 256 colours, each
entry the exact colour most of its pixels had (found on an even sample of the pixels,
which every flat area shows in), so backgrounds, grid lines and bars keep their colours
exactly and only edge pixels may move to a near colour. :func:`analysis.plotting.figure_png`
encodes every chart this way straight from matplotlib's pixels (one encoding, no RGBA PNG
made and decoded again); publishing leaves such a file as it is (:func:`is_indexed_png`).

Examples
--------
>>> import numpy as np
>>> pixels = np.full((30, 40, 3), 238, dtype=np.uint8); pixels[5:10, 5:30] = (76, 114, 176)
>>> data = indexed_png(pixels, dpi=120)
>>> is_indexed_png(data), decoded(data)[7, 7].tolist(), decoded(data)[0, 0].tolist()
(True, [76, 114, 176], [238, 238, 238])
"""

from __future__ import annotations

import io

import numpy as np

#: pixels looked at to find each palette entry's exact colour (a chart has ~500,000)
SAMPLE_PIXELS = 60_000

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PALETTE_COLOUR_TYPE = 3


def is_indexed_png(data: bytes) -> bool:
    """Whether ``data`` is a PNG with a colour palette (read from its header only).

    >>> is_indexed_png(b"not a png"), is_indexed_png(indexed_png(np.zeros((2, 2, 3), np.uint8)))
    (False, True)
    """
    return (len(data) > 25 and data[:8] == _PNG_SIGNATURE and data[12:16] == b"IHDR"
            and data[25] == _PALETTE_COLOUR_TYPE)


def indexed_png(rgb: np.ndarray, dpi: float | None = None) -> bytes:
    """``rgb`` (height × width × 3, ``uint8``) as an indexed-colour PNG, ``dpi`` recorded.

    At most 256 colours (fast octree quantisation, no dithering); each palette entry is
    then set to the exact colour most of its sampled pixels had.
    """
    from PIL import Image

    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    image = Image.fromarray(rgb, "RGB")
    indexed = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    idx = np.asarray(indexed, dtype=np.int64).ravel()
    pixels = rgb.reshape(-1, 3).astype(np.int64)
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
    indexed.save(buf, "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return buf.getvalue()


def decoded(data: bytes) -> np.ndarray:
    """The RGB pixels of PNG ``data`` (height × width × 3), e.g. to compare two charts."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
