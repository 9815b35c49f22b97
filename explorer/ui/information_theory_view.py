"""The information-theory page's controls table, cached computations and the views of its parts."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from explorer.engines import information as eng
from explorer.ui import params
from explorer.ui.params import Param
from explorer.viz import information as vz

PAGE = "information_theory"
CHART = {"width": "stretch", "config": {"displayModeBar": False}}
P_DEFAULT, Q_DEFAULT = "0.5, 0.25, 0.125, 0.125", "0.1, 0.2, 0.3, 0.4"
X, MI = eng.MixConfig(), eng.MIConfig()
WEIGHTS_HELP = ("Non-negative weights, one per outcome (2 to 12), separated by commas. If they do not sum to 1 they "
                "are divided by their sum.")

SPEC = [
    Param("p", "Distribution p (weights)", "text", P_DEFAULT, max_len=80, help=WEIGHTS_HELP),
    Param("q", "Distribution q (weights)", "text", Q_DEFAULT, max_len=80, help=WEIGHTS_HELP),
    Param("unit", "Unit", "choice", "bits", choices=eng.UNITS, widget="segmented",
          fmt={"bits": "bits (log₂)", "nats": "nats (ln)"}.get),
    Param("sep", "Distance between the modes", "float", X.sep, lo=0.0, hi=8.0, step=0.25),
    Param("weight", "Weight of the left mode", "float", X.weight, lo=0.05, hi=0.95, step=0.05),
    Param("width", "Width of each mode (σ)", "float", X.sd, lo=0.2, hi=1.5, step=0.05),
    Param("start", "Optimizer start μ₀", "float", X.start, lo=-5.0, hi=5.0, step=0.25,
          help=f"Both fits start from q = N(μ₀, {eng.SIGMA0:g}²). The reverse fit's answer depends on it."),
    Param("rho", "Correlation ρ", "float", MI.rho, lo=-0.99, hi=0.99, step=0.01),
    Param("mi_n", "Draws per estimate", "choice", MI.n, choices=(100, 200, 500, 1000, 2000, 5000),
          widget="select_slider", fmt=lambda v: f"{v:,}"),
    Param("seed", "Seed", "int", MI.seed, lo=0, hi=9999, widget="number",
          help="The same seed draws the same samples for the mutual-information estimates."),
]
BY_NAME = {p.name: p for p in SPEC}


def weights(name: str) -> np.ndarray:
    """Distribution ``name`` ("p" or "q") as typed, or its default with a visible message when
    the text is unusable (the URL layer already replaced junk from a link)."""
    param = BY_NAME[name]
    if params.invalid([param]):  # typed into the box: empty, too long or odd characters
        st.warning(f"Distribution {name}: type numbers separated by commas (at most {param.max_len} characters). "
                   f"Showing the default {param.default} until it is fixed.", icon="⚠️")
        return eng.parse_weights(param.default).probs
    parsed = eng.parse_weights(st.session_state.get(name, param.default))
    if parsed.error:
        st.warning(f"Distribution {name}: {parsed.error}. Showing the default {param.default} until it is fixed.",
                   icon="⚠️")
        return eng.parse_weights(param.default).probs
    if parsed.note:
        st.caption(f"ℹ️ {name}: {parsed.note}.")
    return parsed.probs


def show_probs(p: np.ndarray) -> str:
    return ", ".join(f"{v:.4g}" for v in p)


def entropy_part(p: np.ndarray, unit: str) -> None:
    h = eng.in_unit(eng.entropy(p), unit)
    st.plotly_chart(vz.entropy_figure(p, eng.in_unit(eng.surprisal(p), unit), h, unit), key="chart_entropy", **CHART)
    k = len(p)
    hmax = eng.in_unit(math.log(k), unit)
    st.caption(f"p = ({show_probs(p)}). H(p) = **{h:.4f} {unit}**. Among distributions on {k} outcomes the uniform "
               f"one has the most, log {k} = {hmax:.4f} {unit}; a certain outcome has 0. Rare outcomes are surprising "
               "(high −log p) but rarely happen, so they add little to the average.")


def kl_part(p: np.ndarray, q: np.ndarray, unit: str) -> None:
    u = lambda x: eng.in_unit(x, unit)  # noqa: E731
    h_p, h_q = u(eng.entropy(p)), u(eng.entropy(q))
    kl_pq, kl_qp = u(eng.kl(p, q)), u(eng.kl(q, p))
    h_pq = u(eng.cross_entropy(p, q))
    cols = st.columns(5)
    for col, label, val in zip(cols, ("H(p)", "H(q)", "H(p, q)", "KL(p‖q)", "KL(q‖p)"), (h_p, h_q, h_pq, kl_pq, kl_qp)):
        col.metric(f"{label} ({unit})", vz.fmt(val, 4))
    st.plotly_chart(vz.kl_figure(p, q, u(eng.kl_terms(p, q)), u(eng.kl_terms(q, p)), unit), key="chart_kl", **CHART)
    st.plotly_chart(vz.decomposition_figure(h_p, kl_pq, h_q, kl_qp, unit), key="chart_decomp", **CHART)
    for a, b, ab in (("p", "q", eng.missing(p, q)), ("q", "p", eng.missing(q, p))):
        if ab:
            st.info(f"KL({a}‖{b}) = ∞: {b} gives probability 0 to outcome "
                    f"{', '.join('#' + str(i + 1) for i in ab)}, which {a} can produce. A code built for {b} has no "
                    f"word for it, and a model q that rules out something that happens pays an infinite log-loss.",
                    icon="♾️")
    if math.isfinite(kl_pq) and math.isfinite(kl_qp):
        gap = abs(kl_pq - kl_qp)
        same = "they happen to agree here" if gap < 1e-9 else f"they differ by {gap:.4f} {unit}"
        st.caption(f"KL is not symmetric: KL(p‖q) = {kl_pq:.4f} and KL(q‖p) = {kl_qp:.4f} {unit} — {same}. Each "
                   "outcome's term weighs the log-ratio by the first distribution, so outcomes that the first one "
                   "favours count the most. Try q = 0.7, 0.1, 0.1, 0.1 with the default p.")


@st.cache_data(max_entries=32, show_spinner=False)
def kl_fits(cfg: eng.MixConfig) -> eng.KLFits:
    return eng.kl_fits(cfg)


def _landing(cfg: eng.MixConfig, mu: float) -> str:
    m1, m2 = cfg.modes
    if cfg.sep <= 2 * cfg.sd:
        return "the single bump (the modes have merged)"
    if abs(mu - m1) < 0.25 * cfg.sep:
        return "the left mode"
    if abs(mu - m2) < 0.25 * cfg.sep:
        return "the right mode"
    return "a wide compromise between the modes (a poorer local minimum)"


def _basins(cfg: eng.MixConfig, starts: np.ndarray, ends: np.ndarray) -> str:
    """'μ₀ in [a, b] → left mode; …' from the basin map."""
    parts, i = [], 0
    kinds = [_landing(cfg, e) for e in ends]
    while i < len(starts):
        j = i
        while j + 1 < len(starts) and kinds[j + 1] == kinds[i]:
            j += 1
        parts.append(f"μ₀ from {starts[i]:.2f} to {starts[j]:.2f} → {kinds[i].split(' (')[0]}")
        i = j + 1
    return "; ".join(parts)


def fits_part(cfg: eng.MixConfig, unit: str) -> None:
    with st.spinner("Fitting both Gaussians…"):
        f = kl_fits(cfg)
    u = lambda x: eng.in_unit(float(x), unit)  # noqa: E731
    fwd, rev = f.forward, f.reverse
    cross = {"fwd": (u(fwd.value), u(eng.reverse_kl(cfg, fwd.mu, fwd.sigma))),
             "rev": (u(eng.forward_kl(cfg, rev.mu, rev.sigma)), u(rev.value))}
    legend = {k: f"KL(p‖q) = {a:.3f}, KL(q‖p) = {b:.3f} {unit}" for k, (a, b) in cross.items()}
    st.plotly_chart(vz.fits_figure(f.x, f.px, (fwd.mu, fwd.sigma), (rev.mu, rev.sigma), cfg.start, legend),
                    key="chart_fits", **CHART)
    rows = [{"fit": "forward: min KL(p‖q)", "μ": fwd.mu, "σ": fwd.sigma, f"KL(p‖q) ({unit})": cross["fwd"][0],
             f"KL(q‖p) ({unit})": cross["fwd"][1], "steps": len(fwd.path) - 1},
            {"fit": "reverse: min KL(q‖p)", "μ": rev.mu, "σ": rev.sigma, f"KL(p‖q) ({unit})": cross["rev"][0],
             f"KL(q‖p) ({unit})": cross["rev"][1], "steps": len(rev.path) - 1},
            {"fit": "moment matching (closed form)", "μ": f.moments[0], "σ": f.moments[1],
             f"KL(p‖q) ({unit})": u(eng.forward_kl(cfg, *f.moments)), f"KL(q‖p) ({unit})":
             u(eng.reverse_kl(cfg, *f.moments)), "steps": 0}]
    st.dataframe(pd.DataFrame(rows).set_index("fit"), width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in rows[0] if c not in
                                ("fit", "steps")})
    st.caption(f"The forward fit matches p's mean and standard deviation ({f.moments[0]:.3f}, {f.moments[1]:.3f}) to "
               f"{max(abs(fwd.mu - f.moments[0]), abs(fwd.sigma - f.moments[1])):.1e}: KL(p‖q) punishes q for "
               f"missing any place where p has mass, so q spreads over both modes. The reverse fit from μ₀ = "
               f"{cfg.start:g} lands on **{_landing(cfg, rev.mu)}**: KL(q‖p) punishes q for putting mass where p has "
               "little, so q hides inside one mode.")
    st.plotly_chart(vz.landscapes_figure(f.mu_grid, f.sigma_grid, f.fwd_surface, f.rev_surface, fwd.path, rev.path,
                                         f.moments), key="chart_landscapes", **CHART)
    st.caption("Where the reverse fit ends, by start (σ₀ = 1): " + _basins(cfg, f.starts, f.ends) + ".")


@st.cache_data(max_entries=32, show_spinner=False)
def mi_sweep(cfg: eng.MIConfig) -> eng.MISweep:
    return eng.mi_sweep(cfg)


def mi_part(cfg: eng.MIConfig, unit: str) -> None:
    with st.spinner("Estimating mutual information from samples…"):
        s = mi_sweep(cfg)
    u = lambda x: eng.in_unit(np.asarray(x, float), unit)  # noqa: E731
    exact = float(u(eng.mi_gaussian(cfg.rho)))
    rho_grid = np.linspace(-0.99, 0.99, 199)
    c = st.columns([2, 3])
    c[0].plotly_chart(vz.scatter_figure(s.xy, cfg.rho), key="chart_mi_scatter", **CHART)
    c[1].plotly_chart(vz.mi_figure(rho_grid, u(eng.mi_gaussian(rho_grid)), s.rho, u(s.ksg), u(s.binned), cfg.rho,
                                   (exact, float(u(s.at_ksg)), float(u(s.at_binned))), unit, cfg.n),
                      key="chart_mi", **CHART)
    err = np.abs(u(s.ksg) - u(s.exact))
    st.caption(f"At ρ = {cfg.rho:g}: closed form **{exact:.4f} {unit}**, kNN (KSG) estimate **{float(u(s.at_ksg)):.4f}**, "
               f"binned **{float(u(s.at_binned)):.4f}**. Across the sweep the KSG estimate is off by "
               f"{float(err.mean()):.3f} {unit} on average (largest {float(err.max()):.3f}). The binned estimate "
               "loses information to coarse bins at strong correlation; both improve with more draws.")
