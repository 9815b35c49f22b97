"""Reading plotly charts out of an AppTest run (shared by the page tests).

A chart's spec is the figure JSON; plotly ≥ 6 encodes numeric arrays as base64
``{"dtype", "bdata", "shape"?}``, which :func:`array` decodes.
"""
from __future__ import annotations

import base64
import json

import numpy as np


def charts(at) -> list[dict]:
    """Every plotly chart's spec, in page order."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def charts_by_key(at) -> dict[str, dict]:
    """Chart element id (contains the widget ``key=``) → spec."""
    return {el.proto.id: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def by_key(at, key: str) -> dict:
    """The chart whose element id contains ``key``."""
    found = [s for k, s in charts_by_key(at).items() if key in k]
    assert found, f"no chart {key} among {list(charts_by_key(at))}"
    return found[0]


def title_of(spec: dict) -> str:
    return ((spec.get("layout") or {}).get("title") or {}).get("text", "") or ""


def titled(at, words: str) -> dict:
    """The first chart whose title contains ``words``."""
    specs = charts(at)
    found = [c for c in specs if words in title_of(c)]
    assert found, f"no chart titled …{words}… among {[title_of(c) for c in specs]}"
    return found[0]


def array(v) -> np.ndarray:
    """A plotly JSON array as numpy: a plain list (None → NaN) or a base64 typed array."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        return a.reshape([int(s) for s in str(shape).split(",")]) if shape else a
    return np.array([[np.nan if e is None else e for e in row] if isinstance(row, list) else
                     (np.nan if row is None else row) for row in v], dtype=float)
