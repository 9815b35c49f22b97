"""Figures for the transformer page: labelled matrices of self-attention step by step,
multi-head weights, masks, positional encodings, the live run's attention maps (every
layer × head in one figure) and curves, BERT/GPT/T5 predictions, and ViT patches with the
attention of the class token.

Inputs are numpy arrays and plain lists; shapes are in each docstring.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from explorer.viz import panels, theme

WEIGHTS = [[0.0, "#ffffff"], [0.35, "#9ecae1"], [1.0, "#08306b"]]   # attention weights, 0 … 1
ALLOWED = [[0.0, "#f2f2f2"], [0.5, "#f2f2f2"], [0.5, theme.POSITIVE], [1.0, theme.POSITIVE]]
HEAT = "Viridis"


def _clean(a) -> list:
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


def _log_axis(ax: dict, *arrays) -> None:
    """A log axis over the positive finite values of ``arrays``, ticked at 1, 2, 5 × 10^k (or the
    powers of ten alone when those are too many)."""
    v = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    v = v[np.isfinite(v) & (v > 0)]
    ax.update(type="log")
    if not v.size:
        return
    lo, hi = v.min() / 1.3, v.max() * 1.3
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in ((1, 2, 5), (1,)):
        ticks = [m * 10.0 ** k for k in range(k0, k1 + 1) for m in mantissas if lo <= m * 10.0 ** k <= hi]
        if len(ticks) <= 7:
            break
    ax.update(range=[math.log10(lo), math.log10(hi)], tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])


def _grid_values(m: np.ndarray) -> list[list]:
    """Rows of floats with None where not finite (plotly leaves those cells blank)."""
    return [[None if not math.isfinite(v) else float(v) for v in row] for row in np.asarray(m, dtype=float)]


def _cell_text(m: np.ndarray, fmt: str) -> list[list[str]]:
    def one(v):
        if v == float("-inf"):
            return "−∞"
        if not math.isfinite(v):
            return ""
        s = format(v, fmt)
        if float(s) == 0:
            s = s.lstrip("-")   # no "−0.00" for a tiny negative number
        return s.replace("-", "−")
    return [[one(float(v)) for v in row] for row in np.asarray(m, dtype=float)]


def _safe(label) -> str:
    """A token as plotly text: plotly reads <…> as markup, so <pad>, <s>, </s> would vanish or break
    the layout; angle brackets become ⟨ ⟩."""
    return str(label).replace("<", "⟨").replace(">", "⟩")


def _uniq(labels) -> list[str]:
    """Category labels made unique (a repeated word gets its position), for bar charts."""
    out = []
    for i, lab in enumerate(labels):
        lab = _safe(lab)
        out.append(f"{lab} ({i})" if list(labels).count(labels[i]) > 1 else lab)
    return out


def _ticks(labels) -> dict:
    """Axis settings that write ``labels`` at 0, 1, 2, …"""
    return {"tickmode": "array", "tickvals": list(range(len(labels))), "ticktext": [_safe(a) for a in labels]}


def _heat(m, x, y, *, kind: str = "value", fmt: str = ".2f", numbers: bool = True, zmax: float | None = None,
          name: str = "", hover: str = "value") -> dict:
    """A heatmap trace dict on integer coordinates (0…c−1, 0…r−1); x, y: the column and row labels
    (shown through :func:`_ticks` and in the hover text, so repeated labels stay apart).
    kind: 'value' (diverging around 0), 'weights' (0…1), 'mask' (0/1)."""
    m = np.asarray(m, dtype=float)
    x, y = [_safe(a) for a in x], [_safe(b) for b in y]
    trace = {"type": "heatmap", "z": _grid_values(m), "x": list(range(len(x))), "y": list(range(len(y))),
             "showscale": False, "xgap": 1, "ygap": 1, "name": name,
             "customdata": [[[yy, xx] for xx in x] for yy in y],
             "hovertemplate": f"row %{{customdata[0]}}<br>column %{{customdata[1]}}<br>{hover} %{{z:.3f}}"
                              f"<extra>{name}</extra>"}
    if kind == "weights":
        trace.update(colorscale=WEIGHTS, zmin=0.0, zmax=1.0)
    elif kind == "mask":
        trace.update(colorscale=ALLOWED, zmin=0.0, zmax=1.0,
                     hovertemplate="query %{customdata[0]}<br>key %{customdata[1]}<br>%{z:.0f} (1 = may attend)"
                                   "<extra></extra>")
    else:
        finite = m[np.isfinite(m)]
        lim = zmax if zmax is not None else (float(np.abs(finite).max()) if finite.size else 1.0) or 1.0
        trace.update(colorscale=theme.DIVERGING, zmin=-lim, zmax=lim)
    if numbers:
        trace.update(text=_cell_text(m, fmt), texttemplate="%{text}", textfont={"size": 12})
    return trace


def _matrix_axes(lay: dict, r: int, c: int, cols: int, x_title: str, y_title: str, xlab, ylab,
                 tick_size: int = 13) -> None:
    panels.axis(lay, r, c, cols, "x").update(title={"text": x_title, "font": {"size": 13}}, showgrid=False,
                                              tickfont={"size": tick_size}, ticks="", **_ticks(xlab))
    panels.axis(lay, r, c, cols, "y").update(title={"text": y_title, "font": {"size": 13}}, showgrid=False,
                                              autorange="reversed", tickfont={"size": tick_size}, ticks="",
                                              **_ticks(ylab))


def matrices_figure(title: str, items: list[dict], height: int = 330, hgap: float = 0.06) -> go.Figure:
    """Several labelled matrices side by side. Each item: m [r, c], title, rows (r labels),
    cols (c labels), x_title, y_title, kind ('value' | 'weights' | 'mask'), fmt."""
    n = len(items)
    lay = panels.grid(1, n, tuple(it["title"] for it in items), hgap=hgap)
    data = []
    for j, it in enumerate(items, start=1):
        data.append({**_heat(it["m"], it["cols"], it["rows"], kind=it.get("kind", "value"),
                             fmt=it.get("fmt", ".2f"), numbers=it.get("numbers", True), name=it["title"],
                             zmax=it.get("zmax")),
                     **panels.cell(1, j, n)})
        _matrix_axes(lay, 1, j, n, it.get("x_title", ""), it.get("y_title", ""), it["cols"], it["rows"])
    lay.update(height=height, title={"text": title}, margin={"l": 70, "r": 20, "t": 80, "b": 60})
    return panels.figure(data, lay)


def heads_figure(weights: np.ndarray, tokens: list[str], title: str, causal: bool) -> go.Figure:
    """One attention-weight panel per head. weights [H, L, L]."""
    h = len(weights)
    items = [{"m": weights[i], "title": f"head {i + 1}", "rows": tokens, "cols": tokens, "kind": "weights",
              "x_title": "key (attended to)", "y_title": "query" if i == 0 else ""} for i in range(h)]
    fig = matrices_figure(title, items, height=360 if h < 4 else 330, hgap=0.05)
    if causal:
        fig.update_layout(title={"text": title + " — causal: the upper triangle is exactly 0"})
    return fig


def future_figure(tokens: list[str], causal: np.ndarray, bidirectional: np.ndarray) -> go.Figure:
    """max |Δ output| per position when only the last word changes. causal, bidirectional [L]."""
    x = _uniq(tokens)
    fig = go.Figure([go.Bar(x=x, y=_clean(causal), name="causal (decoder)", marker_color=theme.CATEGORICAL[0],
                            hovertemplate="%{x}<br>max |Δ| %{y:.3g}<extra>causal</extra>"),
                     go.Bar(x=x, y=_clean(bidirectional), name="bidirectional (encoder)",
                            marker_color=theme.CATEGORICAL[1],
                            hovertemplate="%{x}<br>max |Δ| %{y:.3g}<extra>bidirectional</extra>")])
    fig.update_layout(template=theme.NAME, barmode="group", height=320,
                      title="Change only the last word: which outputs move?",
                      xaxis_title="position (its word)", yaxis_title="max |Δ output|",
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return fig


def masks_figure(items: list[dict]) -> go.Figure:
    """Boolean masks side by side (1 = may attend, blank = forbidden). Items as in
    :func:`matrices_figure` with m bool [Lq, Lk]."""
    for it in items:
        it.update(kind="mask", fmt=".0f")
    return matrices_figure("Who may attend to whom (blue 1 = allowed, grey 0 = masked to −∞ before the softmax)",
                           items, height=400, hgap=0.07)


# -- positions ------------------------------------------------------------------------------------

def sinusoidal_figure(pe: np.ndarray, sim: np.ndarray) -> go.Figure:
    """The sinusoidal table [n, d] as a heatmap and its dot-product similarity PPᵀ [n, n]."""
    n, d = pe.shape
    lay = panels.grid(1, 2, (f"PE[position, dimension] ({n} positions × {d} dims)",
                             "PE·PEᵀ: similarity of two positions"), hgap=0.16)
    right_of_first = lay["xaxis"]["domain"][1] + 0.01
    data = [{"type": "heatmap", "z": pe.T.tolist(), "x": list(range(n)), "y": list(range(d)), "zmin": -1, "zmax": 1,
             "colorscale": theme.DIVERGING, "colorbar": {"x": right_of_first, "xanchor": "left", "len": 0.9,
                                                         "thickness": 12},
             "hovertemplate": "position %{x}<br>dimension %{y}<br>%{z:.3f}<extra></extra>", **panels.cell(1, 1, 2)},
            {"type": "heatmap", "z": sim.tolist(), "x": list(range(n)), "y": list(range(n)), "colorscale": HEAT,
             "colorbar": {"x": 1.0, "len": 0.9, "thickness": 12},
             "hovertemplate": "position %{y} · position %{x}<br>dot product %{z:.2f}<extra></extra>",
             **panels.cell(1, 2, 2)}]
    panels.axis(lay, 1, 1, 2, "x").update(title={"text": "position"}, showgrid=False)
    panels.axis(lay, 1, 1, 2, "y").update(title={"text": "dimension (even: sin, odd: cos)"}, showgrid=False,
                                          autorange="reversed")
    panels.axis(lay, 1, 2, 2, "x").update(title={"text": "position"}, showgrid=False, range=[-0.5, n - 0.5],
                                          constrain="domain")
    panels.axis(lay, 1, 2, 2, "y").update(title={"text": "position"}, showgrid=False, range=[n - 0.5, -0.5],
                                          scaleanchor=panels.cell(1, 2, 2)["xaxis"], constrain="domain")
    lay.update(height=430, title={"text": "Sinusoidal positions: each dimension a wave of its own frequency"})
    return panels.figure(data, lay)


def learned_figure(trained: np.ndarray, initial: np.ndarray) -> go.Figure:
    """Cosine similarity of learned position vectors before and after training [n, n] each."""
    n = len(trained)
    lay = panels.grid(1, 2, ("at initialization (random)", "after training (GPT on the toy corpus)"), hgap=0.1)
    data = []
    for c, m in ((1, initial), (2, trained)):
        data.append({"type": "heatmap", "z": m.tolist(), "x": list(range(n)), "y": list(range(n)), "zmin": -1,
                     "zmax": 1, "colorscale": theme.DIVERGING, "showscale": c == 2,
                     "colorbar": {"thickness": 12, "len": 0.9},
                     "hovertemplate": "position %{y} · position %{x}<br>cosine %{z:.2f}<extra></extra>",
                     **panels.cell(1, c, 2)})
        panels.axis(lay, 1, c, 2, "x").update(title={"text": "position"}, showgrid=False, dtick=1,
                                              range=[-0.5, n - 0.5], constrain="domain")
        panels.axis(lay, 1, c, 2, "y").update(title={"text": "position"}, showgrid=False, range=[n - 0.5, -0.5],
                                              dtick=1, scaleanchor=panels.cell(1, c, 2)["xaxis"], constrain="domain")
    lay.update(height=400, title={"text": "Learned positions: cosine similarity of the position vectors"})
    return panels.figure(data, lay)


def rope_figure(tracks: list[np.ndarray], labels: list[str], scores: np.ndarray) -> go.Figure:
    """Left: pairs of one vector rotated by RoPE at positions 0…n−1 (tracks: [n, 2] each).
    Right: ⟨rope(q, m), rope(k, m′)⟩ [n, n], constant along diagonals."""
    n = len(scores)
    lay = panels.grid(1, 2, ("one 2-D pair of a vector at positions 0, 1, 2, …", "q·k score at positions (m, m′)"),
                      hgap=0.12)
    data = []
    for i, (t, lab) in enumerate(zip(tracks, labels)):
        col = theme.CATEGORICAL[i % len(theme.CATEGORICAL)]
        data.append({"type": "scatter", "x": _clean(t[:, 0]), "y": _clean(t[:, 1]), "mode": "lines+markers+text",
                     "text": [str(p) if p < 4 or p == len(t) - 1 else "" for p in range(len(t))],
                     "textposition": "top center", "name": lab, "line": {"color": col, "width": 1.5},
                     "marker": {"size": 8, "color": col},
                     "hovertemplate": f"{lab}<br>position %{{text}}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
                     **panels.cell(1, 1, 2)})
    data.append({"type": "heatmap", "z": scores.tolist(), "x": list(range(n)), "y": list(range(n)),
                 "colorscale": theme.DIVERGING, "zmid": 0, "colorbar": {"thickness": 12, "len": 0.9},
                 "hovertemplate": "query at %{y}, key at %{x}<br>score %{z:.3f}<extra></extra>",
                 **panels.cell(1, 2, 2)})
    panels.axis(lay, 1, 1, 2, "x").update(title={"text": "first coordinate of the pair"}, zeroline=True)
    panels.axis(lay, 1, 1, 2, "y").update(title={"text": "second coordinate"}, zeroline=True,
                                          scaleanchor=panels.cell(1, 1, 2)["xaxis"])
    panels.axis(lay, 1, 2, 2, "x").update(title={"text": "key position m′"}, showgrid=False)
    panels.axis(lay, 1, 2, 2, "y").update(title={"text": "query position m"}, showgrid=False, autorange="reversed",
                                          scaleanchor=panels.cell(1, 2, 2)["xaxis"])
    lay.update(height=430, title={"text": "RoPE: positions as rotations, scores that depend on m − m′ only"},
               legend={"orientation": "h", "y": -0.25, "x": 0})
    return panels.figure(data, lay)


# -- the live run ---------------------------------------------------------------------------------

def attention_grid(cells: list[list[tuple]], title: str = "Every layer's and head's attention for the chosen input",
                   row_height: int = 270) -> go.Figure:
    """Attention maps in a grid, one panel per map. cells: rows of (panel title, weights [Lq, Lk] in
    [0, 1], query labels, key labels, y title, x title); darker = more attention. Axis titles
    are drawn on the first panel of each row."""
    n_rows, cols = len(cells), max(len(r) for r in cells)
    titles = tuple(row[j][0] if j < len(row) else "" for row in cells for j in range(cols))
    lay = panels.grid(n_rows, cols, titles, hgap=0.05 if cols > 3 else 0.08,
                      vgap=min(0.32 / max(n_rows - 1, 1), 0.12))
    tick = 12 if cols <= 3 else 11
    data = []
    for r, row in enumerate(cells, start=1):
        for c, (name, w, qlab, klab, ytitle, xtitle) in enumerate(row, start=1):
            tr = _heat(w, klab, qlab, kind="weights", numbers=False, name=name, hover="weight")
            tr["hovertemplate"] = (f"query %{{customdata[0]}} → key %{{customdata[1]}}<br>weight %{{z:.3f}}"
                                   f"<extra>{name}</extra>")
            data.append({**tr, **panels.cell(r, c, cols)})
            first = c == 1
            panels.axis(lay, r, c, cols, "x").update(
                showgrid=False, tickfont={"size": tick}, tickangle=0, ticks="", **_ticks(klab),
                title={"text": xtitle if first else "", "font": {"size": 12}})
            panels.axis(lay, r, c, cols, "y").update(
                showgrid=False, autorange="reversed", tickfont={"size": tick}, ticks="", **_ticks(qlab),
                title={"text": ytitle if first else "", "font": {"size": 12}})
    for a in lay.get("annotations", ()):
        a["font"] = {"size": 13}
    lay.update(height=100 + row_height * n_rows, title={"text": title}, margin={"l": 70, "r": 10, "t": 80, "b": 40})
    return panels.figure(data, lay)


def curves_figure(step: np.ndarray, train: np.ndarray, test: np.ndarray, acc: np.ndarray,
                  greedy: np.ndarray, height: int = 320) -> go.Figure:
    """Loss (log scale) and accuracy against Adam updates. All arrays [T]."""
    lay = panels.grid(1, 2, ("Cross-entropy", "Held-out token accuracy"), hgap=0.1)
    x = [int(s) for s in step]
    pos = lambda a: _clean(np.where(np.asarray(a, float) > 0, a, np.nan))  # noqa: E731
    spec = ((1, train, "training batches", theme.TRAIN_COLOR, "solid", pos),
            (1, test, "held-out (teacher forcing)", theme.TEST_COLOR, "solid", pos),
            (2, acc, "teacher forcing", theme.CATEGORICAL[2], "dash", _clean),
            (2, greedy, "greedy decoding", theme.CATEGORICAL[3], "solid", _clean))
    data = [{"type": "scatter", "x": x, "y": f(y), "name": name, "mode": "lines",
             "line": {"color": color, "width": 2.5, "dash": dash}, **panels.cell(1, c, 2),
             "hovertemplate": f"{name}<br>update %{{x}}<br>%{{y:.4f}}<extra></extra>"}
            for c, y, name, color, dash, f in spec]
    for c in (1, 2):
        panels.axis(lay, 1, c, 2, "x").update(title={"text": "Adam updates"}, rangemode="tozero")
    yloss = panels.axis(lay, 1, 1, 2, "y")
    yloss.update(title={"text": "loss (log scale)"})
    _log_axis(yloss, train, test)
    panels.axis(lay, 1, 2, 2, "y").update(title={"text": "share of target tokens right"}, tickformat=".0%",
                                          range=[0, 1.03])
    lay.update(height=height, title={"text": "Training"},
               legend={"orientation": "h", "y": 1.12, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
               margin={"l": 60, "r": 20, "t": 90, "b": 50})
    return panels.figure(data, lay)


# -- BERT · GPT · T5 -------------------------------------------------------------------------------

def objectives_figure(words: list[str], p_bert: np.ndarray, p_gpt: np.ndarray) -> go.Figure:
    """Probability each model gives to the true word at each position. p_bert [L] (word i
    masked, the rest visible); p_gpt [L] (only the words before i visible)."""
    x = _uniq(words)
    fig = go.Figure([
        go.Bar(x=x, y=_clean(p_bert), name="BERT: word masked, both sides visible", marker_color=theme.CATEGORICAL[0],
               hovertemplate="%{x}<br>P(true word) %{y:.3f}<extra>BERT</extra>"),
        go.Bar(x=x, y=_clean(p_gpt), name="GPT: only the words before it", marker_color=theme.CATEGORICAL[1],
               hovertemplate="%{x}<br>P(true word) %{y:.3f}<extra>GPT</extra>")])
    fig.update_layout(template=theme.NAME, barmode="group", height=340,
                      title="Probability of the true word at each position",
                      xaxis_title="the word being predicted", yaxis=dict(title="probability", range=[0, 1.02]),
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return fig


def pretrain_losses_figure(losses: dict, labels: dict) -> go.Figure:
    """Training loss per update of each objective (losses: name → [steps])."""
    fig = go.Figure()
    ys = []
    for i, (name, curve) in enumerate(losses.items()):
        c = np.asarray(curve, dtype=float)
        k = max(1, len(c) // 60)
        smooth = np.convolve(c, np.ones(k) / k, mode="valid") if len(c) >= k else c
        ys.append(smooth)
        fig.add_scatter(x=list(range(k, k + len(smooth))), y=_clean(smooth), name=labels.get(name, name),
                        mode="lines", line={"color": theme.CATEGORICAL[i], "width": 2.5},
                        hovertemplate="update %{x}<br>loss %{y:.3f}<extra></extra>")
    fig.update_layout(template=theme.NAME, height=300, title="Training loss of each objective (running mean)",
                      xaxis_title="Adam updates", yaxis=dict(title="cross-entropy (log scale)"),
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    y: dict = {}
    if ys:
        _log_axis(y, *ys)
    fig.update_yaxes(**y)
    return fig


# -- ViT -----------------------------------------------------------------------------------------

def _image_trace(img: np.ndarray, cell: dict) -> dict:
    side = img.shape[0]
    return {"type": "heatmap", "z": img.tolist(), "x": list(range(side)), "y": list(range(side)),
            "colorscale": "Greys", "zmin": 0, "zmax": 1, "showscale": False, "hoverinfo": "skip", **cell}


def _patch_shapes(side: int, p: int, xref: str, yref: str) -> list[dict]:
    lines = []
    for k in range(0, side + 1, p):
        v = k - 0.5
        lines.append({"type": "line", "x0": v, "x1": v, "y0": -0.5, "y1": side - 0.5, "xref": xref, "yref": yref,
                      "line": {"color": theme.NEGATIVE, "width": 1.5}})
        lines.append({"type": "line", "y0": v, "y1": v, "x0": -0.5, "x1": side - 0.5, "xref": xref, "yref": yref,
                      "line": {"color": theme.NEGATIVE, "width": 1.5}})
    return lines


def _square(lay: dict, r: int, c: int, cols: int, side: int) -> None:
    ax = panels.cell(r, c, cols)["xaxis"]
    panels.axis(lay, r, c, cols, "x").update(showgrid=False, showticklabels=False, ticks="", range=[-0.5, side - 0.5])
    panels.axis(lay, r, c, cols, "y").update(showgrid=False, showticklabels=False, ticks="", scaleanchor=ax,
                                             range=[side - 0.5, -0.5])


def patches_figure(image: np.ndarray, patches: np.ndarray, embedded: np.ndarray, p: int) -> go.Figure:
    """The image cut into p×p patches (numbered), the flattened patches [N, p²] and their
    embeddings [N, d]."""
    side = image.shape[0]
    g = side // p
    lay = panels.grid(1, 3, (f"{g}×{g} = {g * g} patches of {p}×{p} pixels", f"flattened: {g * g} × {p * p} pixels",
                             f"patch embeddings: {g * g} × {embedded.shape[1]}"), hgap=0.08)
    data = [_image_trace(image, panels.cell(1, 1, 3))]
    centers = [(c * p + (p - 1) / 2, r * p + (p - 1) / 2, r * g + c) for r in range(g) for c in range(g)]
    data.append({"type": "scatter", "x": [a for a, _, _ in centers], "y": [b for _, b, _ in centers],
                 "text": [str(i) for *_, i in centers], "mode": "text", "hoverinfo": "skip", "showlegend": False,
                 "textfont": {"color": theme.CATEGORICAL[6], "size": 11 if g > 4 else 14}, **panels.cell(1, 1, 3)})
    _square(lay, 1, 1, 3, side)
    lay["shapes"] = _patch_shapes(side, p, "x", "y")
    for c, (m, xt) in enumerate(((patches, "pixel inside the patch"), (embedded, "embedding dimension")), start=2):
        kind = {"colorscale": "Greys", "zmin": 0, "zmax": 1} if c == 2 else {"colorscale": theme.DIVERGING, "zmid": 0}
        data.append({"type": "heatmap", "z": m.tolist(), "showscale": False, **kind, **panels.cell(1, c, 3),
                     "hovertemplate": "patch %{y}<br>" + xt + " %{x}<br>%{z:.2f}<extra></extra>"})
        panels.axis(lay, 1, c, 3, "x").update(title={"text": xt}, showgrid=False)
        panels.axis(lay, 1, c, 3, "y").update(title={"text": "patch (token)"}, showgrid=False, autorange="reversed")
    lay.update(height=380, title={"text": "An image becomes a sequence of tokens"}, showlegend=False)
    return panels.figure(data, lay)


def cls_attention_figure(image: np.ndarray, cls: np.ndarray, rollout: np.ndarray, p: int) -> go.Figure:
    """Attention from [CLS] to each patch over the image: one panel per layer × head
    (cls [layers, H, g, g]) and the rollout through all layers (rollout [g, g]) last."""
    layers, heads, g, _ = cls.shape
    side = image.shape[0]
    cols = heads + 1
    titles = []
    for li in range(layers):
        titles += [f"layer {li + 1} · head {h + 1}" for h in range(heads)]
        titles.append("rollout, all layers" if li == layers - 1 else "")
    lay = panels.grid(layers, cols, tuple(titles), hgap=0.03, vgap=0.08)
    centers = [c * p + (p - 1) / 2 for c in range(g)]
    data = []
    for li in range(layers):
        for c in range(cols):
            if c == heads and li != layers - 1:
                ax = panels.axis(lay, li + 1, c + 1, cols, "x")
                ax.update(visible=False)
                panels.axis(lay, li + 1, c + 1, cols, "y").update(visible=False)
                continue
            m = rollout if c == heads else cls[li, c]
            cell = panels.cell(li + 1, c + 1, cols)
            data.append(_image_trace(image, cell))
            data.append({"type": "heatmap", "z": _grid_values(m), "x": centers, "y": centers, "opacity": 0.6,
                         "colorscale": "Inferno", "zmin": 0, "zmax": float(np.nanmax(m)) or 1.0,
                         "showscale": False, **cell,
                         "hovertemplate": "patch row %{y:.0f}, col %{x:.0f}<br>attention %{z:.3f}<extra></extra>"})
            _square(lay, li + 1, c + 1, cols, side)
    lay.update(height=80 + 230 * layers, title={"text": "Where the class token looks (brighter = more attention)"},
               showlegend=False, margin={"l": 20, "r": 20, "t": 80, "b": 20})
    return panels.figure(data, lay)


def vit_losses_figure(losses: np.ndarray) -> go.Figure:
    """Training loss per update [n] with a running mean."""
    c = np.asarray(losses, dtype=float)
    k = max(1, len(c) // 40)
    smooth = np.convolve(c, np.ones(k) / k, mode="valid") if len(c) >= k else c
    fig = go.Figure([go.Scatter(y=_clean(c), mode="lines", name="each batch", line={"color": "#c7ccd1", "width": 1}),
                     go.Scatter(x=list(range(k - 1, k - 1 + len(smooth))), y=_clean(smooth), mode="lines",
                                name="running mean", line={"color": theme.TRAIN_COLOR, "width": 2.5})])
    fig.update_layout(template=theme.NAME, height=280, title="ViT training loss", xaxis_title="Adam updates",
                      yaxis_title="cross-entropy",
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return fig
