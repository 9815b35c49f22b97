"""The convolution page's controls table, cached computations and the four lesson sections."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from explorer.engines import convolution as eng
from explorer.engines.device import cap_threads
from explorer.ui import params
from explorer.ui.params import Param
from explorer.viz import convolution as vz

PAGE = "convolution"
A = eng.Arith()
MAX_POS = 400  # 20 × 20 output cells: 12 rows + 2·4 padding with a 1×1 kernel
PHOTO_SIDE = 192
RF_SIDE = 224
DEFAULT_STACK = "conv3,conv3,pool2,conv3,conv3,pool2,conv3,conv3"
CHART = {"width": "stretch", "config": {"displayModeBar": False}}
SHARE_NOTE = "This link reopens this view: the same sizes, output position, photo, kernel, pooling and layer stack."
COLUMN_PX = 680  # about the width of the right-hand column in a 1400 px window

SPEC = [
    # arithmetic
    Param("rows", "Input rows", "int", A.rows, lo=1, hi=12),
    Param("cols", "Input columns", "int", A.cols, lo=1, hi=12),
    Param("kh", "Kernel rows", "int", A.kh, lo=1, hi=7),
    Param("kw", "Kernel columns", "int", A.kw, lo=1, hi=7),
    Param("pad", "Padding p", "int", A.padding, lo=0, hi=4, help="Rows and columns of zeros added on every side."),
    Param("stride", "Stride s", "int", A.stride, lo=1, hi=4, help="How far the kernel moves between outputs."),
    Param("dil", "Dilation d", "int", A.dilation, lo=1, hi=4,
          help="Spacing between the kernel's taps: d = 2 leaves one cell out between taps (atrous convolution)."),
    Param("pos", "Output position (row by row)", "int", 1, lo=1, hi=MAX_POS,
          help="Which output cell to highlight; ▶ Animate in the chart steps through all of them."),
    # kernels on photos
    Param("photo", "Photo", "choice", "camera", choices=tuple(eng.PHOTOS), fmt=eng.PHOTOS.get,
          help="Images bundled with scikit-image (skimage.data), in gray, scaled to 192 px."),
    Param("kernel", "Kernel", "choice", "sobel_x", choices=tuple(eng.KERNEL_NAMES), fmt=eng.KERNEL_NAMES.get),
    Param("custom", "Custom 3×3 kernel", "text", eng.DEFAULT_CUSTOM, max_len=80, pattern=r"[\w .,;:+\-/]*",
          help=eng.CUSTOM_HELP),
    # pooling
    Param("pool", "Pooling window", "int", 2, lo=2, hi=4),
    Param("pstride", "Pooling stride", "int", 2, lo=1, hi=4),
    # receptive field
    Param("stack", "Layer stack", "text", DEFAULT_STACK, max_len=64, help=eng.STACK_HELP),
]
BY_NAME = {p.name: p for p in SPEC}
W = BY_NAME


def arith_config(v: dict) -> eng.Arith:
    return eng.Arith(rows=v["rows"], cols=v["cols"], kh=v["kh"], kw=v["kw"], padding=v["pad"], stride=v["stride"],
                     dilation=v["dil"])


# -- cached computations -------------------------------------------------------------------

@st.cache_data(max_entries=64, show_spinner=False)
def example(cfg: eng.Arith) -> eng.ArithExample:
    return eng.arithmetic(cfg)


@st.cache_resource(max_entries=32, show_spinner=False)
def arith_figure(cfg: eng.Arith, pos: int):
    """cache_resource, not cache_data: a Figure from cache_data is unpickled, i.e. re-validated
    with all its frames, each rerun. The Figure is read-only once built (plotly_chart only reads it)."""
    ex = example(cfg)
    title = f"Which input cells each output cell reads (padding {cfg.padding}, stride {cfg.stride}, " \
            f"dilation {cfg.dilation})"
    return vz.arithmetic_figure(ex.xp, ex.w, ex.y, ex.taps, cfg.padding, pos, title=title, width_px=COLUMN_PX)


@st.cache_data(max_entries=16, show_spinner=False)
def photo(name: str) -> np.ndarray:
    return eng.photo(name, PHOTO_SIDE)


@st.cache_data(max_entries=32, show_spinner=False)
def filtered(name: str, kernel: tuple) -> tuple[np.ndarray, np.ndarray]:
    """(result, Sobel gradient magnitude) of a kernel (as nested tuples) on a photo."""
    img = photo(name)
    return eng.filter_image(img, np.array(kernel)), eng.gradient_magnitude(img)


@st.cache_resource(max_entries=16, show_spinner=False)
def kernel_figure(name: str, kernel_name: str, kernel: tuple):
    """Photo | kernel | result [| Sobel magnitude]; a read-only Figure (see :func:`arith_figure`)."""
    img = photo(name)
    k = np.array(kernel)
    result, mag = filtered(name, kernel)
    title = f"{eng.KERNEL_NAMES[kernel_name]} on “{eng.PHOTOS[name]}”"
    return vz.kernel_photo_figure(img, k, result, mag if kernel_name in ("sobel_x", "sobel_y") else None,
                                  title=title, signed=abs(float(k.sum())) < 1e-6)


@st.cache_data(max_entries=32, show_spinner=False)
def pooled(name: str, size: int, stride: int) -> dict:
    img = photo(name)
    patch = eng.busy_patch(img, 8)
    return {"patch": patch, "pmax": eng.pool2d(patch, size, stride, "max"),
            "pavg": eng.pool2d(patch, size, stride, "avg"), "won": eng.max_winners(patch, size, stride),
            "max": eng.pool2d(img, size, stride, "max"), "avg": eng.pool2d(img, size, stride, "avg")}


@st.cache_data(max_entries=16, show_spinner=False)
def square_photo(name: str) -> np.ndarray:
    return eng.square_photo(name, RF_SIDE)


@st.cache_data(max_entries=32, show_spinner=False)
def erf(layers: tuple) -> eng.GradMap:
    cap_threads()
    return eng.gradient_map(layers, mode="random", samples=32, channels=4, seed=0)


# -- 1 · arithmetic ------------------------------------------------------------------------

def _frac(n, k, p, s, d) -> str:
    top = n + 2 * p - d * (k - 1) - 1
    o = eng.out_size(n, k, p, s, d)
    return (rf"\left\lfloor \frac{{{n} + 2\cdot{p} - {d}\cdot({k}-1) - 1}}{{{s}}} \right\rfloor + 1"
            rf" = \left\lfloor \tfrac{{{top}}}{{{s}}} \right\rfloor + 1 = {o}")


def formula(cfg: eng.Arith) -> list[str]:
    """LaTeX lines: the general formula, then rows (and columns when they differ) with numbers."""
    lines = [r"o = \left\lfloor \frac{i + 2p - d\,(k-1) - 1}{s} \right\rfloor + 1"]
    same = cfg.rows == cfg.cols and cfg.kh == cfg.kw
    lab = r"o_{\text{rows}} = o_{\text{cols}}" if same else r"o_{\text{rows}}"
    lines.append(lab + " = " + _frac(cfg.rows, cfg.kh, cfg.padding, cfg.stride, cfg.dilation))
    if not same:
        lines.append(r"o_{\text{cols}} = " + _frac(cfg.cols, cfg.kw, cfg.padding, cfg.stride, cfg.dilation))
    return lines


def arithmetic_section(v: dict) -> None:
    st.subheader("1 · Convolution arithmetic")
    left, right = st.columns([1, 3.3], gap="medium")
    for name in ("rows", "cols", "kh", "kw", "pad", "stride", "dil"):
        params.widget(W[name], left)
    cfg = arith_config(params.current(SPEC))
    with right:
        for line in formula(cfg):
            st.latex(line)
        bad = eng.problem(cfg)
        if bad:
            st.warning(bad, icon="🚫")
            st.caption("Nothing to draw: the kernel has no place to sit. The formula above gives an output size of "
                       "0 or less.")
            return
        n = cfg.out_rows * cfg.out_cols
        if st.session_state.get("pos", 1) > n:
            st.caption(f"ℹ️ Output position {st.session_state['pos']} does not exist here ({n} outputs); "
                       f"showing {n}.")
        st.session_state["pos"] = int(min(max(st.session_state.get("pos", 1), 1), n))
        if n > 1:
            params.widget(replace(W["pos"], hi=n))
        pos = st.session_state["pos"]
        st.plotly_chart(arith_figure(cfg, pos - 1), key="chart_arith", **CHART)
        r, c = divmod(pos - 1, cfg.out_cols)
        span_r, span_c = cfg.span
        st.caption(f"Output cell {pos} of {n} is out[{r}, {c}] (0-based): it reads rows {r * cfg.stride}…"
                   f"{r * cfg.stride + span_r - 1} and columns {c * cfg.stride}…{c * cfg.stride + span_c - 1} of the "
                   f"padded grid, its taps {cfg.dilation} cell{'s' if cfg.dilation > 1 else ''} apart. Grey cells are "
                   "padding (zeros). The numbers are a small integer input and a kernel of −1/0/1; the output is "
                   "their cross-correlation, exactly what `torch.nn.functional.conv2d` computes.")


# -- 2 · kernels ---------------------------------------------------------------------------

def current_kernel(v: dict) -> tuple[np.ndarray, str | None]:
    """The chosen kernel, and a message when the custom text cannot be read (then the
    default custom kernel is used)."""
    if v["kernel"] != "custom":
        return eng.KERNELS[v["kernel"]], None
    raw = str(st.session_state.get("custom", eng.DEFAULT_CUSTOM))
    try:
        return eng.parse_kernel(raw), None
    except ValueError as e:
        msg = str(e).removeprefix("kernel: ")
        return eng.parse_kernel(eng.DEFAULT_CUSTOM), (f"Custom kernel: {msg} Showing {eng.DEFAULT_CUSTOM} "
                                                      "(sharpen) meanwhile.")


def kernels_section(v: dict) -> None:
    st.subheader("2 · Classic kernels on a photo")
    c = st.columns([1, 1, 1.4])
    params.widget(W["photo"], c[0])
    params.widget(W["kernel"], c[1])
    params.widget(W["custom"], c[2], disabled=st.session_state.get("kernel") != "custom")
    v = params.current(SPEC)
    kernel, msg = current_kernel(v)
    if msg:
        st.warning(msg, icon="✏️")
    result, _ = filtered(v["photo"], tuple(map(tuple, kernel.tolist())))
    signed = abs(float(kernel.sum())) < 1e-6
    sobel = v["kernel"] in ("sobel_x", "sobel_y")
    st.plotly_chart(kernel_figure(v["photo"], v["kernel"], tuple(map(tuple, kernel.tolist()))),
                    key="chart_kernels", **CHART)
    lo, hi = float(result.min()), float(result.max())
    note = ("The weights sum to 0, so flat regions give 0 (grey) and only changes light up: orange where the "
            "response is negative, blue where positive." if signed else
            "The weights sum to " + vz.num(kernel.sum()) + ": a flat region keeps " +
            ("its brightness." if abs(kernel.sum() - 1) < 1e-6 else "a scaled brightness."))
    st.caption(f"Each result pixel is the sum of the kernel times the {kernel.shape[0]}×{kernel.shape[1]} "
               f"neighbourhood around it (borders mirrored). Result range {lo:.2f} … {hi:.2f}. {note}"
               + (" Sobel x responds to left–right changes (vertical edges), Sobel y to top–bottom changes; the "
                  "magnitude combines both and is large on every edge." if sobel else ""))


# -- 3 · pooling ---------------------------------------------------------------------------

def pooling_section(v: dict) -> None:
    st.subheader("3 · Max vs average pooling")
    left, right = st.columns([1, 3.3], gap="medium")
    params.widget(W["pool"], left)
    params.widget(W["pstride"], left)
    v = params.current(SPEC)
    size, stride = v["pool"], v["pstride"]
    d = pooled(v["photo"], size, stride)
    left.caption(f"Output side ⌊(8 − {size})/{stride}⌋ + 1 = {d['pmax'].shape[0]} for the 8×8 patch. "
                 + ("Windows overlap (stride < window)." if stride < size else
                    "Some cells belong to no window (stride > window)." if stride > size else
                    "Windows tile the patch."))
    with right:
        st.plotly_chart(vz.pool_patch_figure(d["patch"], d["pmax"], d["pavg"], d["won"], size=size, stride=stride,
                                             width_px=COLUMN_PX),
                        key="chart_pool_patch", **CHART)
    st.plotly_chart(vz.pool_photo_figure(photo(v["photo"]), d["max"], d["avg"], size=size, stride=stride),
                    key="chart_pool_photo", **CHART)
    kept = int(d["won"].sum())
    st.caption(f"Max pooling passes on {kept} of the patch's 64 cells (outlined) and backpropagates gradient only "
               "to them; average pooling passes a share of every cell in a window. Both shrink the map; neither "
               "has weights to learn.")


# -- 4 · receptive field -------------------------------------------------------------------

def current_stack() -> tuple[tuple, str | None]:
    raw = str(st.session_state.get("stack", DEFAULT_STACK))
    try:
        return eng.parse_stack(raw), None
    except ValueError as e:
        msg = str(e).removeprefix("stack: ")
        return eng.parse_stack(DEFAULT_STACK), f"Layer stack: {msg} Showing the default stack meanwhile."


def rf_rows(layers: tuple, t: eng.RF) -> list[dict]:
    rows = [{"layer": "input", "output size": f"{t.size[0]}×{t.size[0]}", "jump j": 1, "receptive field r": "1×1",
             "start": 0, "pixels connected": "100 %"}]
    for i, L in enumerate(layers, 1):
        n = int(t.size[i])
        rows.append({"layer": f"{i}: {L.label}" + (f", padding {L.p}" if L.p else ""),
                     "output size": f"{n}×{n}" if n > 0 else "— (nothing left)", "jump j": int(t.jump[i]),
                     "receptive field r": f"{t.rf[i]}×{t.rf[i]}", "start": int(t.start[i]),
                     "pixels connected": f"{100 * t.reached[i]:.0f} %"})
    return rows


def receptive_section(v: dict) -> None:
    st.subheader("4 · Receptive field through a stack of layers")
    c = st.columns([2.2, 1])
    params.widget(W["stack"], c[0])
    c[1].caption("convK = K×K convolution (stride 1, 'same' padding); add s2 for stride 2, d2 for dilation 2; "
                 "poolK = K×K pooling with stride K.")
    layers, msg = current_stack()
    if msg:
        st.warning(msg, icon="✏️")
    t = eng.rf_table(layers, RF_SIDE)
    st.dataframe(rf_rows(layers, t), hide_index=True, width="stretch")
    st.caption(f"Output sizes for a {RF_SIDE}×{RF_SIDE} input. Jump j: input pixels between neighbouring units. "
               "Start: the input coordinate where unit 0's receptive field begins (negative = in the padding). "
               "Pixels connected: the share of the r×r square that actually reaches the unit (dilation can leave "
               "holes).")
    if (t.size[1:] == 0).any():
        first = int(np.argmax(t.size[1:] == 0)) + 1
        st.caption(f"ℹ️ A {RF_SIDE}×{RF_SIDE} input shrinks to nothing at layer {first}; the receptive-field "
                   "arithmetic does not depend on the input size, so r and j are still shown.")
    left, right = st.columns(2, gap="medium")
    labels = [f"{i}: {L.label} → {r} px" for i, (L, r) in enumerate(zip(layers, t.rf[1:]), 1)]
    left.plotly_chart(vz.rf_squares_figure(square_photo(v["photo"]), [int(r) for r in t.rf[1:]], labels),
                      key="chart_rf_squares", **CHART)
    with right:
        try:
            with st.spinner("Backpropagating from the centre unit of random networks…"):
                g = erf(layers)
        except ValueError as e:
            st.info(str(e).removeprefix("stack: ") + " Shorten the stack to see the effective receptive field.",
                    icon="ℹ️")
            return
        side, inside = eng.erf_extent(g, 0.9)
        st.plotly_chart(vz.erf_figure(g.grad, g.box, side, mass=0.9,
                                      title=f"Effective receptive field ({g.samples} random nets)"),
                        key="chart_erf", **CHART)
    r = int(t.rf[-1])
    st.caption(f"Theoretical receptive field {r}×{r} px (the recursion r ← r + (k−1)·d·j, j ← j·s). "
               f"With random weights, 90 % of the gradient falls inside a centred {side}×{side} square — "
               f"{100 * side * side / (r * r):.0f} % of the theoretical area — and {100 * inside:.1f} % inside the "
               "theoretical square (nothing outside it is connected). Pixels near the centre reach the unit through "
               "many more paths, so the effective field is roughly Gaussian and smaller than the theoretical one.")
