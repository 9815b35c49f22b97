"""The probability page's controls table, cached computations and the views of its four parts."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import streamlit as st

from explorer.engines import probability as eng
from explorer.ui import params
from explorer.ui.params import Param
from explorer.viz import probability as vz

PAGE = "probability"
CHART = {"width": "stretch", "config": {"displayModeBar": False}}
FAM = eng.FAMILIES
LABEL = lambda d: FAM[d].label  # noqa: E731
D, M, B = eng.DistConfig(), eng.MLEConfig(), eng.BayesConfig()

SPEC = [
    Param("dist", "Distribution", "choice", D.dist, choices=eng.DISTS, fmt=LABEL,
          help="Parts 1 and 2 draw from this distribution."),
    Param("a", "First parameter", "float", D.a, lo=eng.A_RANGE[0], hi=eng.A_RANGE[1], step=0.01,
          help="Its meaning (and range) depends on the distribution."),
    Param("b", "Second parameter", "float", D.b, lo=eng.B_RANGE[0], hi=eng.B_RANGE[1], step=0.01,
          help="Its meaning (and range) depends on the distribution; one-parameter families ignore it."),
    Param("n", "Sample size n", "choice", D.n, choices=(10, 30, 100, 300, 1000, 3000, 10000), widget="select_slider",
          fmt=lambda v: f"{v:,}", help="How many draws the histogram and the running mean use (log steps)."),
    Param("clt_n", "Draws per mean", "choice", 10, choices=eng.CLT_SIZES, widget="select_slider",
          fmt=lambda v: f"{v:,}", help=f"Each of {eng.CLT_REPS:,} sample means averages this many draws."),
    Param("mle_n", "Observations", "choice", M.n, choices=(5, 10, 20, 50, 100, 200, 500, 1000, 5000),
          widget="select_slider", fmt=lambda v: f"{v:,}", help="How many data points the likelihoods use."),
    Param("mle_mu", "True μ", "float", M.mu, lo=-3.0, hi=3.0, step=0.1, help="The Gaussian the data come from."),
    Param("mle_sigma", "True σ", "float", M.sigma, lo=0.2, hi=4.0, step=0.1),
    Param("mle_p", "True p (Bernoulli)", "float", M.p, lo=0.01, hi=0.99, step=0.01,
          help="Chance of a 1 in the Bernoulli data."),
    Param("prior_a", "Prior α (pseudo-heads)", "float", B.prior_a, lo=0.5, hi=50.0, step=0.5,
          help="Beta(α, β) prior: as if you had already seen α − 1 heads and β − 1 tails."),
    Param("prior_b", "Prior β (pseudo-tails)", "float", B.prior_b, lo=0.5, hi=50.0, step=0.5),
    Param("coin_p", "True chance of heads", "float", B.p, lo=0.0, hi=1.0, step=0.01,
          help="The coin that produces the stream (unknown to the Bayesian)."),
    Param("seen", "Tosses seen", "int", B.seen, lo=0, hi=eng.STREAM,
          help=f"How many of the {eng.STREAM} seeded tosses have arrived."),
    Param("level", "Credible level", "choice", B.level, choices=(0.5, 0.8, 0.9, 0.95, 0.99), widget="select_slider",
          fmt=lambda v: f"{100 * v:g} %"),
    Param("seed", "Seed", "int", D.seed, lo=0, hi=9999, widget="number",
          help="The same seed draws the same samples, data and tosses everywhere on the page."),
]
BY_NAME = {p.name: p for p in SPEC}


def family_controls(cols) -> tuple[str, float, float, list[str], object]:
    """The distribution picker and its parameter sliders (labels and ranges follow the
    family). A new family chosen in the picker starts from its own defaults; values from a
    link that do not fit the family are clamped. Returns (dist, a, b, notes, the first
    column left free)."""
    ss = st.session_state
    raw = st.query_params.get("dist")
    url_dist = BY_NAME["dist"].default if raw is None else params.decode(BY_NAME["dist"], raw)[0]
    params.widget(BY_NAME["dist"], cols[0])
    fam = FAM[ss["dist"]]
    if ss["dist"] != url_dist:  # picked in the selectbox just now (the URL still holds the old one)
        ss["a"] = fam.shapes[0].default
        ss["b"] = fam.shapes[1].default if len(fam.shapes) > 1 else ss.get("b", BY_NAME["b"].default)
    a, b, notes = eng.fix_params(ss["dist"], ss.get("a", BY_NAME["a"].default), ss.get("b", BY_NAME["b"].default))
    ss["a"] = a
    if len(fam.shapes) > 1:
        ss["b"] = b
    for i, (name, shape) in enumerate(zip(("a", "b"), fam.shapes)):
        p = dataclasses.replace(BY_NAME[name], label=shape.label, lo=float(shape.lo), hi=float(shape.hi),
                                step=float(shape.step), default=float(shape.default),
                                help=f"{fam.label}: {shape.label}, {shape.lo:g} … {shape.hi:g}.")
        params.widget(p, cols[1 + i])
    return ss["dist"], a, b, notes, cols[1 + len(fam.shapes)]


def dist_config(dist: str, a: float, b: float, v: dict) -> eng.DistConfig:
    if len(FAM[dist].shapes) == 1:
        b = 1.0  # unused; fixed so the cache does not split on it
    return eng.DistConfig(dist=dist, a=float(a), b=float(b), n=int(v["n"]), seed=int(v["seed"]))


def title_of(cfg) -> str:
    fam = FAM[cfg.dist]
    vals = (cfg.a, cfg.b)
    inner = ", ".join(f"{s.label.split(' ')[0]} = {vals[i]:g}" for i, s in enumerate(fam.shapes))
    return f"{fam.label}({inner})"


@st.cache_data(max_entries=32, show_spinner=False)
def describe(cfg: eng.DistConfig) -> eng.DistView:
    return eng.describe(cfg)


@st.cache_data(max_entries=32, show_spinner=False)
def running_mean(cfg: eng.DistConfig) -> eng.LLN:
    return eng.running_mean(cfg)


@st.cache_data(max_entries=16, show_spinner=False)
def clt(cfg: eng.CLTConfig) -> eng.CLT:
    return eng.clt(cfg)


@st.cache_data(max_entries=32, show_spinner=False)
def mle(cfg: eng.MLEConfig) -> tuple[eng.GaussMLE, eng.BernoulliMLE]:
    return eng.gauss_mle(cfg), eng.bernoulli_mle(cfg)


@st.cache_data(max_entries=32, show_spinner=False)
def bayes(cfg: eng.BayesConfig) -> tuple[eng.Bayes, list]:
    """The update and its animation frames (≤ 26 of them, the last one at ``seen``)."""
    bay = eng.beta_bernoulli(cfg)
    grid = np.linspace(0.001, 0.999, 300)
    stops = np.unique(np.round(np.linspace(0, cfg.seen, min(cfg.seen + 1, 26))).astype(int))
    steps = []
    for i in stops:
        c = eng.update_curves(bay, int(i), grid)
        steps.append({"i": int(i), "k": int(bay.heads[i]), **c, "lo": float(bay.lo[i]), "hi": float(bay.hi[i])})
    return bay, (grid, steps)


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "undefined"
    if math.isinf(x):
        return "∞"
    return f"{x:.4g}"


def distribution_part(cfg: eng.DistConfig) -> None:
    view = describe(cfg)
    what = "pmf" if view.discrete else "density"
    left, right = st.columns([3.3, 1])
    left.plotly_chart(vz.dist_figure(view.x, view.f, view.edges, view.hist, view.discrete, view.theory[0],
                                     view.sample[0], title=f"{title_of(cfg)}: {what} and {cfg.n:,} samples"),
                      key="chart_dist", **CHART)
    right.markdown("| | theory | sample |\n|---|---:|---:|\n" + "\n".join(
        f"| {name} | {_fmt(t)} | {_fmt(s)} |" for name, t, s in zip(("mean", "variance", "skewness"), view.theory,
                                                                     view.sample)))
    if view.outside > 0:
        right.caption(f"ℹ️ {100 * view.outside:.1f} % of the samples lie beyond the shown range (long tail).")
    if cfg.dist == "student_t" and cfg.a <= 2:
        right.caption("ℹ️ With ν ≤ 2 the variance is infinite" + (
            " and with ν ≤ 1 the mean does not exist: the sample mean never settles." if cfg.a <= 1
            else ": the sample variance keeps growing."))


def lln_part(cfg: eng.DistConfig) -> None:
    lln = running_mean(cfg)
    st.plotly_chart(vz.lln_figure(lln.i, lln.mean, lln.mu, lln.sd,
                                  title="Law of large numbers: the running mean x̄ₙ"),
                    key="chart_lln", **CHART)
    if math.isfinite(lln.mu) and math.isfinite(lln.sd):
        err = abs(lln.mean[-1] - lln.mu)
        st.caption(f"After n = {cfg.n:,} draws: x̄ₙ = {lln.mean[-1]:.4f}, |x̄ₙ − μ| = {err:.4f}, about "
                   f"{err / (lln.sd / math.sqrt(cfg.n)):.2f} standard errors (σ/√n = {lln.sd / math.sqrt(cfg.n):.4f}). "
                   "The shaded bands narrow like 1/√n; about 95 % of paths stay inside the outer one at any fixed n.")
    elif math.isfinite(lln.mu):
        st.caption("The variance is infinite, so there is no σ/√n band: the mean still converges, but slowly and "
                   "in jumps.")
    else:
        st.caption("This distribution has no mean: the running mean keeps jumping however long the sample grows.")


def clt_part(dist: str, a: float, b: float, clt_n: int, seed: int) -> None:
    cfg = eng.CLTConfig(dist=dist, a=a, b=b if len(FAM[dist].shapes) > 1 else 1.0, seed=seed)
    with st.spinner("Drawing the sample means…"):
        res = clt(cfg)
    cur = res.sizes.index(clt_n)
    c = st.columns([3, 2])
    c[0].plotly_chart(vz.clt_figure(res.sizes, res.edges, res.hist, res.ks, res.standardized, cur,
                                    title="Sample means"), key="chart_clt", **CHART)
    if res.standardized:
        c[1].plotly_chart(vz.clt_stats_figure(res.sizes, res.ks, res.skew, res.skew_theory, cur, cfg.reps),
                          key="chart_clt_stats", **CHART)
        c[1].caption(f"At n = {clt_n:,}: KS distance {res.ks[cur]:.3f} (below {1.36 / math.sqrt(cfg.reps):.3f} is "
                     f"indistinguishable from N(0, 1) with {cfg.reps:,} means), skewness of x̄ {res.skew[cur]:+.3f}"
                     + (f" vs γ/√n = {res.skew_theory[cur]:+.3f}." if math.isfinite(res.skew_theory[cur]) else "."))
    else:
        c[1].info("This distribution's variance is infinite, so the CLT does not apply: there is no σ to "
                  "standardize by, and the means do not narrow like 1/√n. The chart shows the raw means.")


def mle_part(cfg: eng.MLEConfig) -> None:
    g, bm = mle(cfg)
    st.plotly_chart(vz.mle_figure(g.mu_grid, g.sigma_grid, g.surface, g.loglik_max, g.mle, g.numeric, g.path,
                                  g.truth, g.x), key="chart_mle", **CHART)
    gap = max(abs(g.mle[0] - g.numeric[0]), abs(g.mle[1] - g.numeric[1]))
    st.caption(f"Closed form: μ̂ = x̄ = **{g.mle[0]:.4f}**, σ̂ = √(Σ(xᵢ − x̄)²/n) = **{g.mle[1]:.4f}**. "
               f"BFGS on (μ, log σ) from the orange start reaches ({g.numeric[0]:.4f}, {g.numeric[1]:.4f}) in "
               f"{len(g.path) - 1} steps, {gap:.1e} from the closed form. More observations ⇒ a narrower peak.")
    st.plotly_chart(vz.bernoulli_figure(bm.p_grid, bm.loglik, bm.mle, bm.truth, bm.lr_interval, bm.k, len(bm.x)),
                    key="chart_bernoulli", **CHART)
    st.caption(f"p̂ = k/n = {bm.mle:.4f}; a bounded scalar optimizer finds {bm.numeric:.4f}. The 95 % likelihood "
               f"interval is [{bm.lr_interval[0]:.3f}, {bm.lr_interval[1]:.3f}]: it shrinks like 1/√n.")


def bayes_part(cfg: eng.BayesConfig) -> None:
    bay, (grid, steps) = bayes(cfg)
    st.plotly_chart(vz.bayes_figure(grid, steps, cfg.p, title="Prior × likelihood → posterior"),
                    key="chart_bayes", **CHART)
    st.plotly_chart(vz.bayes_path_figure(bay.mean, bay.lo, bay.hi, bay.data, cfg.p, cfg.level),
                    key="chart_bayes_path", **CHART)
    k, n = int(bay.heads[-1]), cfg.seen
    a, b = float(bay.a[-1]), float(bay.b[-1])
    hpd = (f"; highest-density interval [{bay.hpd[0]:.3f}, {bay.hpd[1]:.3f}]" if bay.hpd else
           "; the density is U-shaped, so its highest-density region is two pieces, not one interval")
    st.markdown(f"Posterior after **{n}** tosses with **{k}** heads: Beta({cfg.prior_a:g} + {k}, {cfg.prior_b:g} + "
                f"{n - k}) = **Beta({a:g}, {b:g})**, mean **{bay.mean[-1]:.3f}**, {100 * cfg.level:g} % "
                f"equal-tailed credible interval **[{bay.lo[-1]:.3f}, {bay.hi[-1]:.3f}]**{hpd}.")
    if cfg.p in (0.0, 1.0) and n:
        st.caption("ℹ️ A coin with p = 0 or 1 gives the same face every toss: the posterior piles up against the "
                   "edge but never reaches it.")
