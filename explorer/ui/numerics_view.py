"""The numerical-computing page's controls table, cached computations and its six views."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from explorer.engines import numerics as eng
from explorer.engines.device import cap_threads
from explorer.ui import params
from explorer.ui.params import Param
from explorer.viz import numerics as vz

PAGE = "numerics"
CHART = {"width": "stretch", "config": {"displayModeBar": False}}
LABELS = {k: f.label for k, f in eng.ALL.items()}
FN_LABELS = {"exp": "exp(x)", "square": "x²"}
CANC_LABELS = {"cos": "(1 − cos x)/x²", "var": "variance E[x²] − E[x]²", "sqrt": "√(x+1) − √x",
               "plus1": "(1 + x) − 1"}
STEP_LABELS = {"optimal": "η = 2/(L+μ)", "inv_l": "η = 1/L"}
DELTAS = (1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
TOLS = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12)
S, G = eng.SystemConfig(), eng.GDConfig()
NUMBER = r"[0-9A-Za-z.+\-/^ _]*"
DEFAULT_VALUE = "0.1"

SPEC = [
    Param("value", "Type a number x", "text", DEFAULT_VALUE, max_len=40, pattern=NUMBER,
          help=eng.HOW_TO_TYPE + " It is read exactly, then rounded into each format."),
    Param("fn", "Function", "choice", "exp", choices=eng.OVERFLOW_FNS, widget="segmented", fmt=FN_LABELS.get),
    Param("sm_fmt", "Softmax computed in", "choice", "fp16", choices=eng.SOFTMAX_FORMATS, widget="segmented",
          fmt=LABELS.get),
    Param("scale", "Logit scale", "float", 8.0, lo=0.5, hi=100.0, step=0.5,
          help="The logits are scale × (2.0, 1.3, 0.8, 0.2, −0.4, −1.0, −1.7, −2.5) + shift."),
    Param("shift", "Logit shift", "float", 0.0, lo=-300.0, hi=300.0, step=10.0,
          help="Adding a constant to every logit leaves softmax unchanged in exact arithmetic."),
    Param("canc", "Formula", "choice", "cos", choices=eng.CANCELLATIONS, widget="segmented", fmt=CANC_LABELS.get),
    Param("logk", "log₁₀ κ (condition number of A)", "float", S.log_kappa, lo=0.0, hi=16.0, step=0.5),
    Param("n", "Size n of A", "int", S.n, lo=2, hi=100),
    Param("delta", "Relative change δ in b", "choice", S.delta, choices=DELTAS, widget="select_slider",
          fmt=lambda v: f"{v:.0e}"),
    Param("seed", "Seed (U and V)", "int", S.seed, lo=0, hi=999, widget="number",
          help="A = U·diag(σ)·Vᵀ with random orthogonal U, V drawn from this seed."),
    Param("gd_kappa", "κ of the quadratic", "choice", G.kappa, choices=tuple(float(k) for k in eng.GD_KAPPAS),
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("gd_step", "Step size", "choice", G.step, choices=eng.GD_STEPS, widget="segmented", fmt=STEP_LABELS.get),
    Param("tol", "Tolerance ‖x_k‖/‖x₀‖", "choice", G.tol, choices=TOLS, widget="select_slider",
          fmt=lambda v: f"{v:.0e}"),
]
BY_NAME = {p.name: p for p in SPEC}


def controls(names: tuple, weights: list | None = None) -> None:
    """Draw the named controls side by side."""
    for col, name in zip(st.columns(weights or len(names)), names):
        params.widget(BY_NAME[name], col)


# -- cached computations ------------------------------------------------------------------------
@st.cache_data(max_entries=64, show_spinner=False)
def number_report(text: str) -> tuple[eng.Parsed, tuple]:
    cap_threads()
    p = eng.parse_number(text)
    if p.error:
        return p, ()
    return p, tuple(eng.store(p, eng.ALL[k]) for k in ("fp64",) + eng.ORDER)


@st.cache_data(max_entries=8, show_spinner=False)
def spacing(key: str) -> tuple[np.ndarray, np.ndarray]:
    return eng.relative_spacing(eng.FORMATS[key])


@st.cache_data(max_entries=4, show_spinner=False)
def range_study(fn: str) -> eng.RangeStudy:
    return eng.range_study(fn)


@st.cache_data(max_entries=64, show_spinner=False)
def softmax(fmt: str, scale: float, shift: float) -> eng.Softmax:
    cap_threads()
    return eng.softmax(fmt, scale, shift)


SCALES = np.geomspace(0.5, 100, 61)


@st.cache_data(max_entries=32, show_spinner=False)
def softmax_sweep(fmt: str, shift: float) -> tuple[np.ndarray, np.ndarray]:
    cap_threads()
    return eng.softmax_sweep(fmt, shift, SCALES)


@st.cache_data(max_entries=8, show_spinner=False)
def cancellation(kind: str) -> eng.Cancellation:
    return eng.cancellation(kind)


@st.cache_data(max_entries=32, show_spinner=False)
def conditioning(cfg: eng.SystemConfig) -> tuple[eng.Perturbation, eng.KappaSweep, eng.Plane]:
    return (eng.perturbation(cfg), eng.kappa_sweep(cfg.n, cfg.delta, cfg.seed),
            eng.plane(cfg.kappa, cfg.delta, cfg.seed))


@st.cache_data(max_entries=1, show_spinner=False)
def hilbert() -> eng.HilbertStudy:
    return eng.hilbert_study()


@st.cache_data(max_entries=32, show_spinner=False)
def gd(cfg: eng.GDConfig) -> tuple[eng.GDRun, tuple]:
    run = eng.gd_run(cfg)
    return run, eng.gd_grid(cfg, run)


@st.cache_data(max_entries=16, show_spinner=False)
def gd_sweep(step: str, tol: float) -> tuple:
    return eng.gd_sweep(step, tol)


# Figures are built once per input and shared read-only (st.plotly_chart only reads them): building
# a dozen validated plotly figures is most of a rerun's time otherwise.
FIGURES = dict(max_entries=32, show_spinner=False)


@st.cache_resource(**FIGURES)
def number_figures(text: str) -> tuple:
    parsed, stored = number_report(text)
    small = [s for s in stored if s.fmt != "fp64"]
    bits = vz.bits_figure([(s.fmt, LABELS[s.fmt], s.code, eng.FORMATS[s.fmt].exp_bits, eng.FORMATS[s.fmt].man_bits)
                           for s in small], title=f"The bits of x = {_short(parsed)} in each format")
    grid = vz.grid_figure([{"key": s.fmt, "label": LABELS[s.fmt], "neighbors": s.neighbors, "value": s.value,
                            "gap": s.gap} for s in small], parsed.value)
    curves = {k: spacing(k) for k in eng.ORDER}
    marks = {s.fmt: (abs(s.value), s.gap) for s in small}
    return bits, grid, vz.spacing_figure(curves, LABELS, marks, abs(parsed.value))


@st.cache_resource(**FIGURES)
def range_figure(fn: str):
    r = range_study(fn)
    return vz.range_figure(r.x, list(eng.ORDER), LABELS, r.rel_err, r.status, eng.STATUS_NAMES, FN_LABELS[fn],
                           log_x=fn == "square")


@st.cache_resource(**FIGURES)
def softmax_figures(fmt: str, scale: float, shift: float) -> tuple:
    sm = softmax(fmt, scale, shift)
    err_n, err_s = softmax_sweep(fmt, shift)
    return (vz.softmax_figure(sm.exact, sm.naive, sm.stable, LABELS[fmt]),
            vz.softmax_sweep_figure(SCALES, err_n, err_s, scale, LABELS[fmt]))


@st.cache_resource(**FIGURES)
def cancellation_figure(kind: str):
    c = cancellation(kind)
    title, x_title, naive_name, stable_name, _ = CANC_TEXT[kind]
    return vz.cancellation_figure(c.x, list(eng.ORDER), LABELS, c.naive, c.stable,
                                  {k: eng.FORMATS[k].eps for k in eng.ORDER}, title, x_title, naive_name, stable_name,
                                  hidden=("e4m3", "e5m2"))


@st.cache_resource(**FIGURES)
def conditioning_figures(cfg: eng.SystemConfig) -> tuple:
    _, sweep, pl = conditioning(cfg)
    h = hilbert()
    return (vz.conditioning_figure(sweep.kappa, sweep.worst, sweep.random, sweep.err32, sweep.err64, cfg.delta,
                                   cfg.kappa, eng.FP32.eps, eng.FP64.eps, (h.kappa, h.err32, h.err64)),
            vz.plane_figure(pl.a, pl.x, pl.ring, pl.worst, cfg.kappa, cfg.delta))


@st.cache_resource(**FIGURES)
def gd_figures(cfg: eng.GDConfig) -> tuple:
    run, (xs, ys, f) = gd(cfg)
    kap, measured, theory, rule = gd_sweep(cfg.step, cfg.tol)
    return (vz.gd_path_figure(xs, ys, f, run.path, cfg.kappa, STEP_LABELS[cfg.step]),
            vz.gd_loss_figure(run.loss, cfg.rate, cfg.tol),
            vz.gd_iters_figure(kap, measured, theory, rule, cfg.kappa, run.iters, _rule_label(cfg)))


def _rule_label(cfg: eng.GDConfig) -> str:
    return "κ·ln(1/tol)" if cfg.step == "inv_l" else "(κ/2)·ln(1/tol)"


# -- 1 · a typed number --------------------------------------------------------------------------
def _num(v: float, digits: int = 3) -> str:
    if math.isnan(v):
        return "—"
    if v == 0:
        return "0"
    return f"{v:.{digits}g}" if math.isfinite(v) else ("inf" if v > 0 else "−inf")


def _stored_text(s: eng.Stored) -> str:
    if s.exact is not None:
        return eng.exact_decimal(s.exact)
    return "NaN" if math.isnan(s.value) else ("inf" if s.value > 0 else "−inf")


def _torch_text(s: eng.Stored) -> str:
    same = (s.torch_value == s.value) or (math.isnan(s.torch_value) and math.isnan(s.value))
    return "same ✓" if same else f"{s.torch_value:.10g} (rounds twice, via float32)"


def number_rows(stored: tuple) -> list[dict]:
    rows = []
    for s in stored:
        f = eng.ALL[s.fmt]
        rows.append({"format": f.label, "stored value (exact decimal)": _stored_text(s),
                     "absolute error": _num(s.abs_err), "relative error": _num(s.rel_err),
                     "gap to next number": _num(s.gap), "what happened": s.status,
                     "torch .to(dtype) of float64(x)": _torch_text(s)})
    return rows


def format_rows() -> list[dict]:
    rows = []
    for key in ("fp64",) + eng.ORDER:
        f = eng.ALL[key]
        over = "±448 (also ±inf)" if f.saturate else "±inf"
        rows.append({"format": f.label, "bits s·e·m": f"1·{f.exp_bits}·{f.man_bits}", "bias": f.bias,
                     "max": f"{f.max:.6g}", "min normal": f"{f.min_normal:.4g}",
                     "min subnormal": f"{f.min_subnormal:.4g}", "ε = 2^−m": f"{f.eps:.4g}",
                     "decimal digits": f"{f.digits:.1f}", "torch cast overflows to": over})
    return rows


def number_view(text: str) -> None:
    """Bits, stored values, errors, neighbours, spacing, and the table of ranges."""
    parsed, stored = number_report(text)
    if parsed.error:
        st.warning(parsed.error + f" Showing x = {DEFAULT_VALUE} meanwhile.", icon="✍️")
        text = DEFAULT_VALUE
        parsed, stored = number_report(text)
    bits, grid, spaced = number_figures(text)
    st.plotly_chart(bits, key="chart_bits", **CHART)
    st.dataframe(pd.DataFrame(number_rows(stored)), hide_index=True, width="stretch",
                 column_config={"stored value (exact decimal)": st.column_config.TextColumn(width="medium")})
    st.caption("The value is read exactly (a fraction, not a float), so the errors above are exact. torch converts "
               "float64 to the 16- and 8-bit types through float32: for a number with more than 24 significant bits "
               "next to a tie this rounds twice and can differ from correct rounding (try the preset below).")
    st.plotly_chart(grid, key="chart_grid", **CHART)
    st.plotly_chart(spaced, key="chart_spacing", **CHART)
    st.caption("Within each binade [2ᵉ, 2ᵉ⁺¹) the gap is fixed, so gap/x saws down from ε to ε/2, then the gap "
               "doubles. Left of each sawtooth are the subnormals: a fixed gap, so the relative precision fades to "
               "100 % at the smallest one. Each curve ends at the format's largest number. fp16 has more precision "
               "than bf16 but far less range; fp8 has little of either.")
    st.dataframe(pd.DataFrame(format_rows()), hide_index=True, width="stretch")


def _short(p: eng.Parsed) -> str:
    t = p.text.strip()
    return t if len(t) <= 24 else t[:24] + "…"


# -- 2 · overflow and underflow -----------------------------------------------------------------
def range_view(fn: str) -> None:
    r = range_study(fn)
    st.plotly_chart(range_figure(fn), key="chart_range", **CHART)
    parts = []
    for i, key in enumerate(eng.ORDER):
        bad = np.isin(r.status[i], (eng.OVERFLOW, eng.SATURATED))
        if bad.any():
            x0 = r.x[np.argmax(bad)]
            how = "saturates at 448" if r.status[i][np.argmax(bad)] == eng.SATURATED else "overflows to inf"
            parts.append(f"{LABELS[key]} {how} from x ≈ {x0:.3g}")
    cond = ("For exp the error also grows with |x|: storing x costs a relative error up to ε/2, and exp "
            "multiplies it by |x| (its condition number). " if fn == "exp" else
            "x² doubles the relative error of the stored x (its condition number is 2). ")
    st.caption("x is stored in the format, f is computed exactly and the result stored again. " + "; ".join(parts)
               + ". Subnormals (yellow) keep tiny results non-zero but with fewer and fewer bits, until they "
               "flush to 0. " + cond + "fp8 e4m3fn has no infinity: torch saturates at ±448, hiding the overflow.")


# -- 3 · softmax ---------------------------------------------------------------------------------
def softmax_view(fmt: str, scale: float, shift: float) -> None:
    sm = softmax(fmt, scale, shift)
    c = st.columns(4)
    c[0].metric("largest logit", _num(float(sm.logits.max()), 4))
    c[1].metric("log Σ exp(l), naive", _num(sm.lse_naive, 6))
    c[2].metric("max + log Σ exp(l − max)", _num(sm.lse_stable, 6))
    c[3].metric("exact log-sum-exp", _num(sm.lse_exact, 6))
    left, right = st.columns(2)
    bars, sweep = softmax_figures(fmt, scale, shift)
    left.plotly_chart(bars, key="chart_softmax", **CHART)
    right.plotly_chart(sweep, key="chart_softmax_sweep", **CHART)
    big = np.isinf(sm.exps).sum()
    zero = (sm.exps == 0).sum()
    f = eng.FORMATS[fmt]
    if big:
        why = (f"{big} of the exp(lᵢ) overflow to inf (exp(l) > {f.max:.4g} once l > {math.log(f.max):.4g}), and "
               "inf/inf = NaN.")
    elif zero == len(sm.exps):
        why = (f"every exp(lᵢ) underflows to 0 (below {f.min_subnormal:.3g}), and 0/0 = NaN.")
    elif np.isnan(sm.naive).any():
        why = "the naive sum is not finite, so the division gives NaN."
    else:
        why = "no exp(lᵢ) overflows or underflows completely here, so the naive formula still works."
    st.caption(f"In {LABELS[fmt]}, {why} Subtracting the largest logit first makes every exponent ≤ 0: no term "
               "exceeds 1 and the largest is exactly 1, so the sum lies in [1, K] and neither overflows nor is 0.")


# -- 4 · cancellation ------------------------------------------------------------------------------
CANC_TEXT = {
    "cos": ("(1 − cos x)/x² → ½ as x → 0", "x (log scale)", "(1 − cos x)/x²", "½·(sin(x/2)/(x/2))²",
            "cos x rounds to a number within ε of 1, so 1 − cos x keeps only the few bits where they differ: once "
            "x²/2 < ε/2 it is exactly 0 (relative error 1). The rewrite 2 sin²(x/2) subtracts nothing."),
    "var": ("Variance of 64 samples with mean μ and σ = 1", "μ/σ (log scale)", "E[x²] − E[x]²",
            "Welford (one pass)",
            "E[x²] and E[x]² are both ≈ μ² and agree in almost every bit; their difference σ² is what is left in "
            "the last bits, so the error grows like ε·(μ/σ)². Welford's update subtracts the running mean from each "
            "sample first. In fp16, x² overflows past μ ≈ 256."),
    "sqrt": ("√(x+1) − √x for large x", "x (log scale)", "√(x+1) − √x", "1/(√(x+1) + √x)",
             "Both roots agree in their leading digits, so the subtraction cancels them; multiplying by the "
             "conjugate turns it into an addition, which loses nothing."),
    "plus1": ("(1 + x) − 1, whose exact value is x", "x (log scale)", "(1 + x) − 1", None,
              "1 + x keeps only the bits of x above 1's last bit: the relative error is about (ε/2)/x, and "
              "below x = ε/2 the result is 0. There is nothing to rewrite here except not doing it: use log1p, "
              "expm1 and friends, which avoid forming 1 + x."),
}


def cancellation_view(kind: str) -> None:
    st.plotly_chart(cancellation_figure(kind), key="chart_cancel", **CHART)
    st.caption(CANC_TEXT[kind][-1] + " Every operation is rounded to the format; gaps are where the input itself "
               "is 0 or infinite in that format. The fp8 formats start hidden (click them in the legend): at 2–3 significant "
               "bits they have almost nothing to lose.")


# -- 5 · conditioning --------------------------------------------------------------------------------
def system_config(v: dict) -> eng.SystemConfig:
    return eng.SystemConfig(log_kappa=float(v["logk"]), n=int(v["n"]), delta=float(v["delta"]), seed=int(v["seed"]))


def conditioning_view(cfg: eng.SystemConfig) -> None:
    pert = conditioning(cfg)[0]
    sweep_fig, plane_fig = conditioning_figures(cfg)
    c = st.columns(5)
    c[0].metric("κ₂(A) = σ₁/σₙ, measured", f"{pert.kappa:.3g}")
    c[1].metric("bound κ·‖Δb‖/‖b‖", f"{pert.bound:.3g}")
    c[2].metric("worst ‖Δx‖/‖x‖", f"{pert.worst:.3g}")
    c[3].metric("random ‖Δx‖/‖x‖", f"{pert.random:.3g}")
    c[4].metric("float32 solve error", f"{pert.err32:.3g}")
    st.plotly_chart(sweep_fig, key="chart_kappa", **CHART)
    st.caption(f"A is {cfg.n}×{cfg.n} with singular values from 1 down to 1/κ. Left: the worst Δb points along the "
               "direction A shrinks most (uₙ), so A⁻¹ stretches it by κ and the bound is met exactly; a random Δb "
               "is stretched less. Right: no perturbation at all, just LAPACK's solve with A and b stored in "
               "float32 or float64: the error tracks κ·ε until it reaches 1 (no correct digits). Diamonds: Hilbert "
               "matrices Hᵢⱼ = 1/(i+j−1), n = 2…12, the classic ill-conditioned family.")
    st.plotly_chart(plane_fig, key="chart_plane", **CHART)
    st.caption("Zoomed in around the solution of a 2×2 system with the same κ. Moving b by δ‖b‖ shifts each line by "
               "a hair; the crossing point slides along the lines by up to κ times as much, because the lines are "
               "nearly parallel (the ellipse's axes are δ‖b‖/σᵢ).")


# -- 6 · gradient descent ------------------------------------------------------------------------------
def gd_config(v: dict) -> eng.GDConfig:
    return eng.GDConfig(kappa=float(v["gd_kappa"]), step=v["gd_step"], tol=float(v["tol"]))


def gd_view(cfg: eng.GDConfig) -> None:
    run = gd(cfg)[0]
    path_fig, loss_fig, iters_fig = gd_figures(cfg)
    c = st.columns(4)
    c[0].metric("iterations, measured", f"{run.iters:,}")
    c[1].metric("theory ⌈ln(1/tol)/ln(1/q)⌉", f"{cfg.theory_iters:,}")
    c[2].metric(f"rule of thumb {_rule_label(cfg)}", f"{cfg.rule_of_thumb:,.0f}")
    c[3].metric("contraction per step q", f"{cfg.rate:.4g}")
    left, right = st.columns(2)
    left.plotly_chart(path_fig, key="chart_gd_path", **CHART)
    right.plotly_chart(loss_fig, key="chart_gd_loss", **CHART)
    st.plotly_chart(iters_fig, key="chart_gd_iters", **CHART)
    if not run.converged:
        st.caption(f"ℹ️ Stopped at the budget of {cfg.max_iter:,} steps before reaching the tolerance.")
    st.caption("In the eigenbasis of A each coordinate shrinks by its own factor |1 − ηλᵢ| per step. The step must "
               "stay below 2/L for the steep direction, so the flat one (λ = μ = L/κ) shrinks by only about 1 − 1/κ "
               "(or 1 − 2/κ with the best fixed step): about κ·ln(1/tol) steps. With η = 2/(L+μ) both directions "
               "shrink by the same q and the steep one overshoots every step: the zigzag.")
