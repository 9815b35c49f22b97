"""Validated image uploads for any page: Streamlit's uploader, the engine's checks
(:mod:`explorer.engines.image_io`), and a clear ``st.error`` for anything refused.

The uploader's ``type`` filter is only a hint to the browser: the bytes are checked again
here (size before reading, then magic bytes, header dimensions, decoding). The file name
is user text: it is reduced to safe characters before it is shown.
"""
from __future__ import annotations

import re
from typing import Any

import streamlit as st

from explorer.engines import image_io

SAFE_NAME = re.compile(r"[^\w .()-]+")


def safe_name(name: Any, limit: int = 40) -> str:
    """A file name fit to show: letters, digits, space, . ( ) - and _ only, at most ``limit`` characters."""
    text = SAFE_NAME.sub("", str(name or "")).strip() or "the file"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_upload(file: Any, spec: image_io.InputSpec, limits: image_io.Limits = image_io.LIMITS) -> image_io.Prepared:
    """The model input of an uploaded file (anything with ``getvalue()`` or ``read()``, and
    optionally ``size``); ``ValueError`` with a user-readable message when it is refused.
    The declared size is checked before the bytes are read."""
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > limits.max_bytes:
        raise ValueError(f"The file is {size / 1024 / 1024:.1f} MB; uploads are limited to "
                         f"{limits.max_bytes / 1024 / 1024:.1f} MB.")
    if hasattr(file, "getvalue"):
        data = file.getvalue()
    elif hasattr(file, "read"):
        data = file.read(limits.max_bytes + 1)
    else:
        raise ValueError("No file data was received.")
    return image_io.read_image(data, spec, limits)


def image_uploader(label: str, key: str, spec: image_io.InputSpec, limits: image_io.Limits = image_io.LIMITS,
                   where: Any = st, help: str | None = None) -> image_io.Prepared | None:
    """Draw an uploader for PNG/JPEG; the prepared model input of a good upload, else None
    (a refused file is explained with ``where.error``)."""
    help = help or (f"PNG or JPEG, at most {limits.max_bytes / 1024 / 1024:.0f} MB and "
                    f"{limits.max_pixels / 1e6:g} megapixels. It is converted to what the model reads.")
    file = where.file_uploader(label, type=list(image_io.EXTENSIONS), key=key, help=help)
    if file is None:
        return None
    try:
        return read_upload(file, spec, limits)
    except ValueError as e:
        where.error(f"Could not use {safe_name(getattr(file, 'name', ''))}: {e}", icon="🚫")
        return None
