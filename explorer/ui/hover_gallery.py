"""Hover shows the image: a small HTML component beside a plotly chart that shows the hovered
point's input, enlarged.

Plotly hover labels cannot hold images. This component ships every thumbnail in ONE sprite sheet
(a PNG data URI, tiles in reading order), finds the chart in the page (the element with the
chart's key class ``st-key-<key>``; an ``st.iframe`` of HTML shares the app's origin — all the
text it shows is set with ``textContent``, never parsed as HTML) and listens to
plotly's own ``plotly_hover`` event: the point's ``customdata`` (its index) picks the tile, drawn on
a canvas with crisp pixels. No network, no plotly bundle, nothing sent back to Python, so hovering
costs no rerun. It re-attaches whenever Streamlit remounts the chart.
"""
from __future__ import annotations

import base64
import io
import json
import math

import numpy as np
import streamlit as st
from PIL import Image

from explorer.viz.images import to_rgb_uint8

TILE_MAX = 5000


def sprite(images: np.ndarray) -> tuple[str, int, int, int]:
    """Images ``[N, C, H, W]`` in [0, 1] → (PNG data URI of a grid of tiles, columns, H, W)."""
    imgs = np.asarray(images)[:TILE_MAX]
    n, c, h, w = imgs.shape
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    grey = c == 1
    sheet = np.zeros((rows * h, cols * w) if grey else (rows * h, cols * w, 3), dtype=np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        tile = to_rgb_uint8(imgs[i])
        sheet[r * h:(r + 1) * h, k * w:(k + 1) * w] = tile[..., 0] if grey else tile
    buf = io.BytesIO()
    Image.fromarray(sheet, "L" if grey else "RGB").save(buf, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(), cols, h, w


def page_html(chart_key: str, uri: str, cols: int, h: int, w: int, captions: list[str], size: int = 168) -> str:
    """The component's HTML: a canvas, a caption line and the script that follows the chart's hover."""
    key = json.dumps(f".st-key-{chart_key}")
    caps = json.dumps(list(captions)).replace("</", "<\\/")  # shown with textContent: never parsed as HTML
    return f"""
<div style="font-family: 'Source Sans Pro', sans-serif; color: #1b1f24; text-align: center">
  <div style="font-size: 14px; color: #6b7480; margin-bottom: 6px">hovered input</div>
  <canvas id="c" width="{size}" height="{size}"
          style="image-rendering: pixelated; border: 1px solid #d5dae1; border-radius: 6px; background: #f6f7f9">
  </canvas>
  <div id="t" style="font-size: 14px; margin-top: 6px; min-height: 40px; white-space: pre-line">hover a point on the map</div>
</div>
<script>
const CAPS = {caps}, COLS = {cols}, H = {h}, W = {w}, SIZE = {size};
const img = new Image();
img.src = "{uri}";
const cv = document.getElementById("c"), ctx = cv.getContext("2d"), t = document.getElementById("t");
ctx.imageSmoothingEnabled = false;
function show(i) {{
  if (!(i >= 0 && i < CAPS.length)) return;
  const r = Math.floor(i / COLS), k = i % COLS;
  ctx.clearRect(0, 0, SIZE, SIZE);
  ctx.drawImage(img, k * W, r * H, W, H, 0, 0, SIZE, SIZE);
  t.textContent = CAPS[i];
}}
function attach() {{
  let doc;
  try {{ doc = window.parent.document; }} catch (e) {{ t.textContent = "hover preview unavailable"; return; }}
  const gd = doc.querySelector({key} + " .js-plotly-plot");
  if (gd && gd.on && !gd.__embHover) {{
    gd.__embHover = true;
    gd.on("plotly_hover", (ev) => {{
      const p = ev && ev.points && ev.points[0];
      if (!p) return;
      let i = p.customdata;
      if (Array.isArray(i)) i = i[0];
      show(Number(i));
    }});
  }}
}}
setInterval(attach, 400);
img.onload = attach;
</script>
"""


def hover_preview(chart_key: str, sheet: tuple[str, int, int, int], captions: list[str], size: int = 168) -> None:
    """Draw the preview for the chart with key ``chart_key`` whose points carry indices into
    the images of ``sheet`` (from :func:`sprite`) and ``captions`` as ``customdata``."""
    uri, cols, h, w = sheet
    st.iframe(page_html(chart_key, uri, cols, h, w, list(captions), size), height=size + 90)
