"""Certified robustness (§8.1): randomized smoothing's certified radius, and interval bound propagation in 2-D."""
import numpy as np
import streamlit as st

from explorer.engines import certify as cert
from explorer.ui import certified_view as view
from explorer.ui import layout, params

layout.header(view.PAGE, "Attacks only show that a model can be fooled; a certificate proves it cannot be, within a "
              "radius. Smooth a classifier with noise and read its certified L2 radius, then grow a box around a "
              "point of a 2-D network until interval bounds can no longer prove it safe.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Randomized smoothing")
    for name in ("sigma", "base", "img", "n", "alpha", "seed"):
        params.widget(W[name])
v = params.current(view.SPEC)

st.subheader("1 · Randomized smoothing: one image")
classes = list(view.data().classes)
model, card = view.base_model(v["base"], v["sigma"])
idx = min(int(v["img"]), len(view.data().y_test) - 1)
cfg = view.smooth_config(v)
with st.spinner(f"Classifying {cfg.n0 + 2 * cfg.n:,} noisy copies…"):
    c, p = view.certify_one(v["base"], idx, cfg)
label = int(view.data().y_test[idx])
st.plotly_chart(view.vz.smoothing_figure(view.noisy_copies(idx, cfg.sigma, cfg.seed), c.counts, classes,
                                         sigma=cfg.sigma, guess=c.guess, cls=c.cls, p_lower=c.p_lower,
                                         radius=c.radius, n=cfg.n, alpha=cfg.alpha), key="chart_smoothing")
m = st.columns(4)
m[0].metric("True class", classes[label])
m[1].metric("PREDICT", "abstains" if p.cls == cert.ABSTAIN else classes[p.cls],
            help=f"Two-sided binomial test of the top two counts: p-value {p.p_value:.2g} (answers when ≤ α).")
m[2].metric("CERTIFY", "abstains" if c.cls == cert.ABSTAIN else classes[c.cls],
            delta=None if c.cls == cert.ABSTAIN else ("right" if c.cls == label else "wrong"),
            delta_color="normal" if c.cls == label else "inverse")
m[3].metric("Certified L2 radius", f"{c.radius:.3f}" if c.cls != cert.ABSTAIN else "—",
            help="No image within this L2 distance gets another answer from the smoothed classifier "
                 f"(with probability ≥ 1 − α = {1 - cfg.alpha:g}).")
st.caption(f"The base classifier ({view.BASE_LABEL[v['base']]}) was trained on images with N(0, {cfg.sigma:g}²) "
           f"noise; without noise it scores {100 * card['clean_test_acc']:.1f} % on the test set. The smoothed "
           f"classifier answers the class most noisy copies get. {cfg.n0} copies pick the class, {cfg.n:,} fresh ones "
           "bound its probability.")
st.plotly_chart(view.vz.radius_figure(list(cert.SIGMAS), c.p_lower, cfg.sigma, cfg.n, cfg.alpha), key="chart_radius")
st.caption("More samples raise the lower bound p̲_A toward the true probability, but never past α^(1/n): even a "
           "unanimous vote certifies at most σ·Φ⁻¹(α^(1/n)). A larger σ certifies larger radii — if the "
           "noisy copies still agree.")

st.subheader("2 · Certified accuracy as the radius grows")
c1, c2 = st.columns([2, 1])
params.widget(W["images"], c1)
v = params.current(view.SPEC)
view.curve_section(v, c2)

st.subheader("3 · Interval bound propagation on a 2-D network")
st.caption("A small ReLU network learns a 2-D data set. IBP pushes the whole box [x − ε, x + ε] through the layers "
           "as one interval per unit; if the lower bound of every margin z_pred − z_other stays positive, no point "
           "in the box can change the answer — a proof. Move the point and grow the box.")
c = st.columns(3)
for col, name in zip(c, ("dataset", "width", "depth")):
    params.widget(W[name], col)
c = st.columns(3)
for col, name in zip(c, ("px", "py", "eps")):
    params.widget(W[name], col)
v = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
mcfg = view.mlp_config(v)
net = view.mlp(mcfg)
r = view.radii(mcfg, float(v["px"]), float(v["py"]))
cls, margins = view.box_margins(mcfg, float(v["px"]), float(v["py"]), float(v["eps"]))
ok = bool(np.all(margins > 0))
xs, ys, probs = view.decision(mcfg)
st.plotly_chart(view.vz.ibp_map_figure(xs, ys, probs, net.xy, net.labels, np.array([v["px"], v["py"]]),
                                       ibp_eps=r["ibp"], grid_eps=r["true"], pgd_eps=r["pgd"],
                                       pgd_point=r["point"], eps=float(v["eps"]), certified=ok), key="chart_ibp")
m = st.columns(4)
m[0].metric("Your box", "certified ✓" if ok else "not certified", help="IBP's verdict for ε = your half-width.")
m[1].metric("IBP certifies up to", f"ε = {r['ibp']:.3f}")
m[2].metric("True radius (dense grid)", f"ε = {r['true']:.3f}" if np.isfinite(r["true"]) else f"> {view.HI:g}")
m[3].metric("PGD flips it at", f"ε = {r['pgd']:.3f}" if np.isfinite(r["pgd"]) else f"never (≤ {view.HI:g})")
st.plotly_chart(view.vz.margin_figure(r["eps"], r["ibp_curve"], r["true_curve"], ibp_eps=r["ibp"],
                                      grid_eps=r["true"], pgd_eps=r["pgd"]), key="chart_margins")
st.caption(f"Network: {mcfg.depth} hidden layer(s) of {mcfg.width} ReLU units, training accuracy "
           f"{100 * net.train_acc:.1f} %. IBP is sound but loose: it certifies less than the truth, and the gap grows "
           "with depth and width (each layer's interval forgets how its units are correlated). PGD is the "
           "opposite: an attack finds a flipping point at or above the true radius.")
params.share_box(query, view.PAGE, st.columns([4, 1])[1],
                 note="This link reopens this view: the same σ, image, samples, seed, network and point.")

layout.explain("randomized smoothing and interval bounds", [
    "**Randomized smoothing** (Cohen, Rosenfeld & Kolter 2019) turns any classifier f into a smoothed one g that "
    "answers the class f most often gives under Gaussian noise:",
    ("latex", r"g(x) = \arg\max_c\; \mathbb{P}_{\eta\sim\mathcal N(0,\sigma^2 I)}\big(f(x+\eta)=c\big)"),
    "If the top class A has probability at least p̲_A > ½, then g(x + δ) = A for every ‖δ‖₂ < R with",
    ("latex", r"R = \sigma\,\Phi^{-1}(\underline{p_A})"),
    "p_A is unknown, so CERTIFY counts n_A votes for A among n noisy copies and takes the one-sided "
    "Clopper–Pearson lower bound — the p at which n_A or more votes would be that unlikely:",
    ("latex", r"\underline{p_A} = B^{-1}\!\left(\alpha;\; n_A,\; n-n_A+1\right) \quad\Longleftrightarrow\quad "
              r"\mathbb P\big(\mathrm{Bin}(n, \underline{p_A}) \ge n_A\big) = \alpha"),
    "If p̲_A ≤ ½ it abstains. PREDICT answers the top class only when a binomial test says it beats the runner-up "
    "(p-value ≤ α). Either answer is wrong with probability at most α.",
    "**Interval bound propagation** (Gowal et al. 2018): a box of inputs with centre c and radius r passes a "
    "linear layer as centre Wc + b and radius |W| r; ReLU clips both ends. With l ≤ h ≤ u before the last "
    "layer, the margin of class y over j is bounded below by",
    ("latex", r"\underline{m}_j = (w_y - w_j)^\top \tfrac{l+u}{2} + (b_y - b_j) - |w_y - w_j|^\top \tfrac{u-l}{2}"),
    "and the box is certified when every m̲_j > 0. Larger boxes give larger intervals, so certification holds up to "
    "a radius found by bisection; the true radius is larger, and an attack's is larger still.",
])
layout.presets(view.PAGE, [
    ("Bigger σ", "σ = 0.5: larger certified radii, noisier votes.", {"sigma": "0.5"}),
    ("Few samples", "n = 100: even unanimous votes certify little.", {"n": "100", "alpha": "0.01"}),
    ("LeNet base", "A CNN as the base classifier.", {"base": "lenet"}),
    ("Deep and loose", "Four layers of 64: IBP's bound falls far below the true radius.",
     {"depth": "4", "width": "64"}),
    ("Near the boundary", "A point close to the circle's edge: tiny certified box.", {"px": "2.2", "py": "0.5"}),
    ("Spiral arms", "Thin arms leave little room for any box.", {"dataset": "spiral", "px": "0.5", "py": "1"}),
])
