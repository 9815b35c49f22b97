"""Information theory (§2.4): entropy, cross-entropy and KL, forward vs reverse KL, mutual information."""
import streamlit as st

from explorer.engines import information as eng
from explorer.ui import information_theory_view as view
from explorer.ui import layout, params

layout.header(view.PAGE, "Type two distributions and compare their entropies and both KL divergences; fit one "
              "Gaussian to two modes both ways; raise a correlation and watch the mutual information grow.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME
with st.sidebar:
    st.header("Randomness")
    params.widget(W["seed"])

st.subheader("1 · Entropy: the average surprisal")
c = st.columns([3, 1.3])
params.widget(W["p"], c[0])
params.widget(W["unit"], c[1])
v = params.current(view.SPEC)
p = view.weights("p")
view.entropy_part(p, v["unit"])

st.subheader("2 · Cross-entropy and KL divergence: the cost of using the wrong distribution")
params.widget(W["q"])
v = params.current(view.SPEC)
q = view.weights("q")
if len(p) != len(q):
    st.caption(f"ℹ️ p has {len(p)} outcomes and q has {len(q)}: the shorter one gets probability 0 for the "
               "outcomes it does not list.")
    p, q = eng.pad(p, q)
view.kl_part(p, q, v["unit"])

st.subheader("3 · Forward vs reverse KL: fitting one Gaussian to two modes")
c = st.columns(4)
for col, name in zip(c, ("sep", "weight", "width", "start")):
    params.widget(W[name], col)
v = params.current(view.SPEC)
view.fits_part(eng.MixConfig(sep=v["sep"], weight=v["weight"], sd=v["width"], start=v["start"]), v["unit"])

st.subheader("4 · Mutual information of a correlated Gaussian pair")
c = st.columns(2)
params.widget(W["rho"], c[0])
params.widget(W["mi_n"], c[1])
v = params.current(view.SPEC)
view.mi_part(eng.MIConfig(rho=v["rho"], n=v["mi_n"], seed=v["seed"]), v["unit"])

query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, st.sidebar, note="This link reopens this view: the same distributions, "
                 "settings and seed.")

layout.explain("entropy, KL and mutual information", [
    "**Entropy** is the expected surprisal. With log base 2 it is in bits — the average length of the best "
    "code for outcomes drawn from p; with the natural log, in nats (1 nat = 1/ln 2 ≈ 1.443 bits):",
    ("latex", r"H(p) = -\sum_k p_k \log p_k = \mathbb E_{p}\big[-\log p(X)\big],\qquad 0 \le H(p) \le \log K"),
    "**Cross-entropy** is the average code length when outcomes come from p but the code was built for q; "
    "the excess over H(p) is the **KL divergence**:",
    ("latex", r"H(p, q) = -\sum_k p_k \log q_k = H(p) + \mathrm{KL}(p\,\|\,q),\qquad "
              r"\mathrm{KL}(p\,\|\,q) = \sum_k p_k \log\frac{p_k}{q_k} \ge 0"),
    "KL is 0 only when p = q, is not symmetric, and is infinite when q_k = 0 for some k with p_k > 0. "
    "Minimizing cross-entropy over a model q — the usual classification loss — is minimizing KL(p‖q), since H(p) "
    "does not depend on q.",
    "**Forward vs reverse KL.** Fitting q = N(μ, σ²) to p:",
    ("latex", r"\min_q \mathrm{KL}(p\,\|\,q) = \min_q \mathbb E_p\Big[\log\frac{p}{q}\Big] \;\Rightarrow\; "
              r"\mu = \mathbb E_p[X],\ \sigma^2 = \operatorname{Var}_p[X]\quad\text{(mode covering)}"),
    ("latex", r"\min_q \mathrm{KL}(q\,\|\,p) = \min_q \mathbb E_q\Big[\log\frac{q}{p}\Big]\quad"
              r"\text{(mode seeking: } q \text{ avoids regions where } p \approx 0\text{)}"),
    "Maximum likelihood fits the forward direction; variational inference (VAEs, the ELBO) minimizes the "
    "reverse one, which is why its approximations tend to lock onto one mode and underestimate spread.",
    "**Mutual information** is the KL between the joint and the product of the marginals — how many "
    "bits knowing X saves about Y. For a Gaussian pair it depends only on ρ:",
    ("latex", r"I(X;Y) = \mathrm{KL}\big(p(x,y)\,\|\,p(x)p(y)\big) = H(X) + H(Y) - H(X,Y) = "
              r"-\tfrac12\log\big(1-\rho^2\big)"),
    "The Kraskov–Stögbauer–Grassberger estimator uses distances to the k-th nearest neighbour in the joint "
    "space and counts neighbours in each marginal; the binned estimator plugs a 2-D histogram into the "
    "entropy formula (Miller–Madow subtracts its small-sample bias).",
])
layout.presets(view.PAGE, [
    ("A certain outcome", "p = 1, 0, 0, 0: zero entropy, and KL(q‖p) = ∞.", {"p": "1, 0, 0, 0"}),
    ("Uniform vs peaked", "p uniform, q peaked: compare the two KL directions.",
     {"p": "1, 1, 1, 1", "q": "0.85, 0.05, 0.05, 0.05"}),
    ("Unnormalized weights", "Type counts like 3, 1, 1: they are normalized for you.",
     {"p": "3, 1, 1", "q": "1, 1, 1"}),
    ("Lopsided modes", "Left mode weight 0.2: the reverse fit from the middle picks the heavy one.",
     {"weight": "0.2", "start": "0"}),
    ("Far-apart modes", "Distance 7: the forward fit puts most of its mass where p has none.",
     {"sep": "7", "width": "0.5", "start": "-2"}),
    ("Nearly deterministic", "ρ = 0.99: about 2.8 bits of information shared.", {"rho": "0.99", "mi_n": "2000"}),
])
