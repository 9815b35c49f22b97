"""Probability & statistics (§2.3): distributions, the LLN and CLT, maximum likelihood, Bayes."""
import streamlit as st

from explorer.engines import probability as eng
from explorer.ui import layout, params
from explorer.ui import probability_view as view

layout.header(view.PAGE, "Move a distribution's parameters and watch density and samples follow; grow the sample "
              "until the mean settles and the means turn normal; find the peak of a likelihood; update a belief "
              "toss by toss.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME
with st.sidebar:
    st.header("Randomness")
    params.widget(W["seed"])

st.subheader("1 · A distribution and its samples")
c = st.columns([1.2, 1.2, 1.2, 1.6])
dist, a, b, notes, free = view.family_controls(c)
params.widget(W["n"], free)
for note in notes:
    st.caption("ℹ️ " + note)
v = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, st.sidebar, note="This link reopens this view: the same distributions, sliders "
                 "and seed, so every sample, data set and toss stream is drawn again identically.")
cfg = view.dist_config(dist, a, b, v)
view.distribution_part(cfg)

st.subheader("2 · Law of large numbers and the central limit theorem")
st.caption("The same draws as above, averaged over a growing prefix. Press ▶ Animate under a chart to grow the "
           "sample, or drag its slider.")
view.lln_part(cfg)
params.widget(W["clt_n"])
st.caption(f"{eng.CLT_REPS:,} independent sample means, each of n draws from the distribution above, standardized "
           "by the true mean and standard deviation. Pick a skewed one (exponential, Bernoulli with small p) to see "
           "the skew wash out.")
view.clt_part(cfg.dist, cfg.a, cfg.b, v["clt_n"], cfg.seed)

st.subheader("3 · Maximum likelihood: the peak of the likelihood")
c = st.columns(4)
for col, name in zip(c, ("mle_n", "mle_mu", "mle_sigma", "mle_p")):
    params.widget(W[name], col)
v = params.current(view.SPEC)
view.mle_part(eng.MLEConfig(n=v["mle_n"], mu=v["mle_mu"], sigma=v["mle_sigma"], p=v["mle_p"], seed=v["seed"]))

st.subheader("4 · Bayesian update: prior × likelihood → posterior")
c = st.columns(5)
for col, name in zip(c, ("prior_a", "prior_b", "coin_p", "seen", "level")):
    params.widget(W[name], col)
v = params.current(view.SPEC)
view.bayes_part(eng.BayesConfig(prior_a=v["prior_a"], prior_b=v["prior_b"], p=v["coin_p"], seen=v["seen"],
                                level=v["level"], seed=v["seed"]))

layout.explain("distributions, limits, likelihood and Bayes", [
    "**Densities.** A continuous X has a density f with $P(a<X<b)=\\int_a^b f(x)\\,dx$; a discrete X a pmf "
    "$P(X=k)$. The ones above:",
    ("latex", r"\mathcal N(x;\mu,\sigma^2)=\tfrac{1}{\sigma\sqrt{2\pi}}e^{-(x-\mu)^2/2\sigma^2}\quad "
              r"\text{Exp}(x;\lambda)=\lambda e^{-\lambda x}\quad "
              r"\text{Gamma}(x;k,\theta)=\frac{x^{k-1}e^{-x/\theta}}{\Gamma(k)\theta^k}\quad "
              r"\text{Beta}(x;\alpha,\beta)=\frac{x^{\alpha-1}(1-x)^{\beta-1}}{B(\alpha,\beta)}"),
    ("latex", r"\text{Bin}(k;n,p)=\binom nk p^k(1-p)^{n-k}\qquad \text{Pois}(k;\lambda)=\frac{\lambda^k e^{-\lambda}}{k!}"
              r"\qquad t_\nu(x)\propto\Big(1+\frac{x^2}{\nu}\Big)^{-\frac{\nu+1}{2}}"),
    "**Law of large numbers** and **central limit theorem.** For i.i.d. draws with mean μ and finite σ²:",
    ("latex", r"\bar x_n=\frac1n\sum_{i=1}^n x_i\xrightarrow{\;n\to\infty\;}\mu,\qquad "
              r"\operatorname{sd}(\bar x_n)=\frac{\sigma}{\sqrt n},\qquad "
              r"\frac{\bar x_n-\mu}{\sigma/\sqrt n}\xrightarrow{d}\mathcal N(0,1)"),
    "The skewness of the mean falls like γ/√n, which is why a skewed source needs more draws per mean. "
    "Student's t with ν ≤ 2 has infinite variance (no CLT), and with ν ≤ 1 (Cauchy) no mean at all (no LLN).",
    "**Maximum likelihood** picks the parameters under which the data are most probable. For a Gaussian:",
    ("latex", r"\ell(\mu,\sigma)=-\frac n2\log 2\pi-n\log\sigma-\frac{1}{2\sigma^2}\sum_i(x_i-\mu)^2"
              r"\;\Rightarrow\;\hat\mu=\bar x,\quad\hat\sigma^2=\frac1n\sum_i(x_i-\bar x)^2"),
    "(σ̂² divides by n, not n − 1: the MLE is biased low for small n.) For k ones in n Bernoulli tosses, "
    "$\\ell(p)=k\\log p+(n-k)\\log(1-p)$ peaks at $\\hat p=k/n$; the values with $\\ell(\\hat p)-\\ell(p)\\le "
    "\\chi^2_{1,0.95}/2\\approx1.92$ form the 95 % likelihood interval.",
    "**Bayes' rule** with a Beta prior and Bernoulli data stays in the Beta family (conjugacy):",
    ("latex", r"p(\theta\mid x_{1:n})\propto\underbrace{\theta^{\alpha-1}(1-\theta)^{\beta-1}}_{\text{prior}}\,"
              r"\underbrace{\theta^{k}(1-\theta)^{n-k}}_{\text{likelihood}}\;\Rightarrow\;"
              r"\theta\mid x_{1:n}\sim\text{Beta}(\alpha+k,\;\beta+n-k)"),
    "The equal-tailed credible interval cuts (1 − level)/2 of the posterior mass off each side; the "
    "highest-density interval is the shortest interval holding the level. As data arrive the likelihood "
    "dominates any prior that does not rule the truth out.",
])
layout.presets(view.PAGE, [
    ("Bell curve", "Normal(0, 1) with 10,000 samples: the histogram hugs the density.",
     {"dist": "normal", "a": "0", "b": "1", "n": "10000"}),
    ("Skewed source, slow CLT", "Bernoulli(0.05): the means stay lumpy and skewed for small n.",
     {"dist": "bernoulli", "a": "0.05", "clt_n": "30"}),
    ("No mean at all", "Student t with ν = 1 (Cauchy): the running mean never settles, no CLT.",
     {"dist": "student_t", "a": "1", "n": "10000"}),
    ("A sharp peak", "5,000 observations: the likelihood peak shrinks to a dot on the truth.",
     {"mle_n": "5000"}),
    ("Stubborn prior", "Beta(40, 10) believes p ≈ 0.8; a fair coin needs many tosses to move it.",
     {"prior_a": "40", "prior_b": "10", "coin_p": "0.5", "seen": "200"}),
    ("Fair coin, flat prior", "Beta(1, 1) and 200 tosses of a fair coin.",
     {"prior_a": "1", "prior_b": "1", "coin_p": "0.5", "seen": "200", "level": "0.95"}),
])
