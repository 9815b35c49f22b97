"""Uploaded images, checked before they are decoded, then turned into a model's input.

:func:`open_checked` refuses, with a message a user can act on (``ValueError``):

1. an empty file, or one over the byte cap (:class:`Limits`, 5 MB like the server's
   ``maxUploadSize``);
2. anything but PNG or JPEG, told apart by their first bytes (magic numbers), never by
   the file name; a known other kind (GIF, PDF, ZIP, …) is named;
3. a width × height over the pixel cap, read from the PNG ``IHDR`` chunk or the JPEG
   start-of-frame marker by this module *before* Pillow decodes anything (a few KB of
   PNG can declare gigapixels: a decompression bomb);
4. whatever Pillow cannot decode (damaged or truncated data), or flags as a bomb
   (its own ``MAX_IMAGE_PIXELS`` check stays on as a second line; its warning is an error here).

:func:`to_input` converts a decoded image to what a model reads, float32 ``[C, H, W]`` in
[0, 1] (:class:`InputSpec`): orientation from EXIF, transparency flattened onto white,
grey or RGB; for digit models a light background is inverted (MNIST is white ink on
black), the contrast is stretched (background 0, ink up to 1), the ink is cropped, fitted
into a 20×20 box and centred by its centre of mass in 28×28, as MNIST was made; other
images are resized with their aspect ratio kept and padded with their own border colour.
"""
from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from explorer.engines.contract import check

MAGIC = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}
EXTENSIONS = ("png", "jpg", "jpeg")  # for the uploader's type filter (a hint; the bytes decide)
OTHER_KINDS = ((b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"BM", "a BMP image"),
               (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
               (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"), (b"\x00\x00\x01\x00", "an icon (ICO)"),
               (b"<svg", "an SVG drawing"), (b"<?xml", "an XML file"), (b"\x1f\x8b", "a gzip archive"),
               (b"\x80\x04", "a Python pickle"), (b"\x80\x05", "a Python pickle"))
PIL_DEFAULT_MAX_PIXELS = 89_478_485  # Pillow's own default bomb limit
if Image.MAX_IMAGE_PIXELS is None:  # someone switched Pillow's bomb check off: restore it
    Image.MAX_IMAGE_PIXELS = PIL_DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class Limits:
    """Caps checked before decoding: bytes, total pixels (width × height), longest side."""

    max_bytes: int = 5 * 1024 * 1024
    max_pixels: int = 12_000_000
    max_side: int = 10_000

    def __post_init__(self):
        check(isinstance(self.max_bytes, int) and self.max_bytes > 0, "max_bytes", "must be a positive integer")
        check(isinstance(self.max_pixels, int) and self.max_pixels > 0, "max_pixels", "must be a positive integer")
        check(isinstance(self.max_side, int) and self.max_side > 0, "max_side", "must be a positive integer")


LIMITS = Limits()


@dataclass(frozen=True)
class InputSpec:
    """What a model reads. channels: 1 (grey) or 3 (RGB); size: output side in pixels;
    invert: "auto" (when the border is light), "always" or "never"; digit: crop to the ink,
    fit its longer side into ``fit`` pixels and centre it by its centre of mass (MNIST's
    recipe), else fit the whole image into ``size`` and pad with the border colour."""

    channels: int = 1
    size: int = 28
    invert: str = "auto"
    digit: bool = True
    fit: int = 20

    def __post_init__(self):
        check(self.channels in (1, 3), "channels", "must be 1 or 3")
        check(isinstance(self.size, int) and 4 <= self.size <= 512, "size", "must be 4..512 pixels")
        check(self.invert in ("auto", "always", "never"), "invert", "must be auto, always or never")
        check(isinstance(self.fit, int) and 1 <= self.fit <= self.size, "fit", "must be 1..size")


SPECS = {"mnist": InputSpec(1, 28, "auto", True, 20), "digits": InputSpec(1, 8, "auto", True, 8),
         "shapes": InputSpec(3, 28, "never", False, 28), "shapes_gray": InputSpec(1, 28, "never", False, 28)}


@dataclass(frozen=True)
class Prepared:
    """A decoded upload as a model input: x float32 ``[C, H, W]`` in [0, 1]; the original
    format, width and height; whether the colours were inverted."""

    x: np.ndarray
    format: str
    width: int
    height: int
    inverted: bool


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def sniff(data: bytes) -> str:
    """"PNG" or "JPEG" from the first bytes; ``ValueError`` naming what it is otherwise."""
    for fmt, magic in MAGIC.items():
        if data.startswith(magic):
            return fmt
    head = data[:16].lstrip()
    kind = next((name for magic, name in OTHER_KINDS if head.startswith(magic)), None)
    if kind is None and head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        kind = "a WebP image"
    if kind is None:
        try:
            data[:512].decode("utf-8")
            kind = "text" if data[:512].strip() else None
        except UnicodeDecodeError:
            kind = None
    what = f" (it looks like {kind})" if kind else ""
    raise ValueError(f"This file is not a PNG or JPEG image{what}. Please upload a .png or .jpg picture.")


def _png_size(data: bytes) -> tuple[int, int]:
    # signature (8) | length (4) | b"IHDR" | width (4, big-endian) | height (4) | …
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ValueError("The file starts like a PNG but its header is damaged, so it cannot be read.")
    return struct.unpack(">II", data[16:24])


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from the first start-of-frame marker (walking the segments)."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in _SOF:
            if i + 9 > n:
                break
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        if length < 2:
            break
        i += 2 + length
    raise ValueError("The file starts like a JPEG but its header is damaged or incomplete, so it cannot be read.")


def header_size(data: bytes, fmt: str) -> tuple[int, int]:
    """(width, height) declared in the header, read without decoding any pixel."""
    return _png_size(data) if fmt == "PNG" else _jpeg_size(data)


BOMB_RATIO = 200  # declared pixels per byte of file beyond which we say "decompression bomb"


def check_size(width: int, height: int, limits: Limits = LIMITS, nbytes: int | None = None) -> None:
    """``ValueError`` when a declared size breaks the pixel or side cap (``nbytes``, the file
    size, lets the message call a tiny file with a huge declared size a bomb)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"The image header declares {width}×{height} pixels: the file is damaged.")
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        bomb = ""
        if nbytes and width * height > BOMB_RATIO * nbytes:
            bomb = (f" This {nbytes / 1024:,.0f} KB file would expand to {width * height / 1e6:,.0f} million pixels "
                    "(a decompression bomb).")
        raise ValueError(f"The image is {width:,}×{height:,} pixels ({width * height / 1e6:,.1f} megapixels); "
                         f"the limit is {limits.max_pixels / 1e6:g} megapixels and {limits.max_side:,} pixels a "
                         f"side.{bomb} Please upload a smaller image.")


BOMB_MESSAGE = ("The image would expand to far more pixels than its file size suggests (a decompression bomb), "
                "so it was refused.")
DAMAGED_MESSAGE = "The image data is damaged (truncated or corrupt) and could not be decoded."


def _pillow(step):
    """Run a Pillow step with its bomb warning as an error; map its failures to messages."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return step()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(BOMB_MESSAGE) from None
    except (UnidentifiedImageError, OSError, SyntaxError, EOFError, ValueError, struct.error, IndexError,
            TypeError, MemoryError):
        raise ValueError(DAMAGED_MESSAGE) from None


def open_checked(data: bytes, limits: Limits = LIMITS) -> Image.Image:
    """A fully decoded Pillow image from upload bytes, after every check in the module
    docstring; ``ValueError`` with a user-readable message otherwise."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError("No file data was received.")
    data = bytes(data)
    if not data:
        raise ValueError("The file is empty.")
    if len(data) > limits.max_bytes:
        raise ValueError(f"The file is {_mb(len(data))}; uploads are limited to {_mb(limits.max_bytes)}.")
    fmt = sniff(data)
    check_size(*header_size(data, fmt), limits, len(data))
    im = _pillow(lambda: Image.open(io.BytesIO(data), formats=[fmt]))  # lazy: reads the header only
    check_size(*im.size, limits, len(data))  # Pillow's own reading of the header, in case it differs
    _pillow(im.load)
    return im


# -- conversion ------------------------------------------------------------------------------------
def _flatten(im: Image.Image, channels: int) -> Image.Image:
    """EXIF orientation applied; transparency composited onto white; mode L or RGB."""
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit / float PNGs: scale to 8 bits
        a = np.asarray(im, dtype=np.float64)
        top = a.max() if a.max() > 0 else 1.0
        im = Image.fromarray((a / top * 255).round().astype(np.uint8))
    return im.convert("L" if channels == 1 else "RGB")


def border_mean(a: np.ndarray) -> float:
    """Mean of the outermost rows and columns of an ``[H, W]`` or ``[H, W, C]`` array."""
    edge = np.concatenate([a[0].reshape(-1), a[-1].reshape(-1), a[:, 0].reshape(-1), a[:, -1].reshape(-1)])
    return float(edge.mean())


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    """Resize a float ``[H, W]`` or ``[H, W, 3]`` array in [0, 1] with Lanczos (Pillow, float mode)."""
    if a.ndim == 2:
        out = np.asarray(Image.fromarray(a.astype(np.float32), mode="F").resize((w, h), Image.Resampling.LANCZOS))
    else:
        out = np.stack([_resize(a[..., c], w, h) for c in range(a.shape[-1])], axis=-1)
    return np.clip(out, 0.0, 1.0)


def _fit(w: int, h: int, box: int) -> tuple[int, int]:
    s = box / max(w, h)
    return max(1, round(w * s)), max(1, round(h * s))


def _digit(a: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Stretch the contrast so that the background (the border's median) is 0 and the
    brightest ink 1, as in MNIST; crop to the ink, fit into spec.fit, centre by the centre of
    mass in spec.size (grey)."""
    edge = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    bg, top = float(np.median(edge)), float(a.max())
    a = np.clip((a - bg) / (top - bg), 0.0, 1.0) if top > bg else np.zeros_like(a)
    ink = a > 0.2 if a.max() > 0 else np.zeros_like(a, dtype=bool)
    if ink.any():
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        a = a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    w, h = _fit(a.shape[1], a.shape[0], spec.fit)
    small = _resize(a, w, h)
    out = np.zeros((spec.size, spec.size), dtype=np.float64)
    total = small.sum()
    if total > 0:
        yy, xx = np.mgrid[0:h, 0:w]
        cy, cx = (yy * small).sum() / total, (xx * small).sum() / total
    else:
        cy, cx = (h - 1) / 2, (w - 1) / 2
    # MNIST's digits have their centre of mass at pixel (14, 14) of 28×28 (0-based): size / 2
    top = int(np.clip(round(spec.size / 2 - cy), 0, spec.size - h))
    left = int(np.clip(round(spec.size / 2 - cx), 0, spec.size - w))
    out[top:top + h, left:left + w] = small
    return out


def _letterbox(a: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Fit the whole image into spec.size keeping its aspect, padded with its border colour."""
    w, h = _fit(a.shape[1], a.shape[0], spec.size)
    small = _resize(a, w, h)
    if a.ndim == 2:
        pad = border_mean(small)
        out = np.full((spec.size, spec.size), pad)
    else:
        pad = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]]).mean(axis=0)
        out = np.tile(pad, (spec.size, spec.size, 1))
    top, left = (spec.size - h) // 2, (spec.size - w) // 2
    out[top:top + h, left:left + w] = small
    return out


def to_input(im: Image.Image, spec: InputSpec = SPECS["mnist"]) -> tuple[np.ndarray, bool]:
    """(x float32 ``[C, size, size]`` in [0, 1], inverted?) for a decoded image (module docstring)."""
    im = _flatten(im, spec.channels)
    a = np.asarray(im, dtype=np.float64) / 255.0
    lum = a if a.ndim == 2 else a @ np.array([0.299, 0.587, 0.114])
    inverted = spec.invert == "always" or (spec.invert == "auto" and border_mean(lum) > 0.5)
    if inverted:
        a = 1.0 - a
    out = _digit(a, spec) if spec.digit and spec.channels == 1 else _letterbox(a, spec)
    x = out[None] if out.ndim == 2 else out.transpose(2, 0, 1)
    return np.ascontiguousarray(x, dtype=np.float32), inverted


def read_image(data: bytes, spec: InputSpec = SPECS["mnist"], limits: Limits = LIMITS) -> Prepared:
    """Checked decoding (:func:`open_checked`) then :func:`to_input`: the whole upload path."""
    im = open_checked(data, limits)
    fmt, (w, h) = im.format or sniff(data), im.size
    x, inverted = to_input(im, spec)
    return Prepared(x, fmt, w, h, inverted)


def encode_png(x: np.ndarray) -> bytes:
    """PNG bytes of an ``[C, H, W]`` or ``[H, W]`` float image in [0, 1] (for tests and downloads)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 3:
        a = a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)
    buf = io.BytesIO()
    Image.fromarray((np.clip(a, 0, 1) * 255).round().astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()
