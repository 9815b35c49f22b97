"""Loss functions (§3.3): what each loss punishes, and what that does to the model."""
import streamlit as st

from explorer.ui import layout, params
from explorer.ui import losses_view as view

layout.header(view.PAGE, "Drag the outlier and see which fits it drags along; then turn up focal γ on "
              "imbalanced data and watch what the classifier learns.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
params.widget(view.BY_NAME["part"])
view.sidebar(st.session_state["part"])
values = params.current(view.SPEC)

if values["part"] == "regression":
    view.regression_part(values)
else:
    view.classification_part(values)

query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE)

layout.explain("the losses", [
    "**Regression.** With residual $r = y - \\hat y$, the fit minimizes the mean loss "
    "$\\frac1n\\sum_i \\rho(r_i)$:",
    ("latex", r"\rho_{\text{MSE}}(r) = r^2,\qquad \rho_{\text{MAE}}(r) = |r|,\qquad "
              r"\rho_{\text{Huber}}(r) = \begin{cases}\tfrac12 r^2 & |r|\le\delta\\ "
              r"\delta\,(|r| - \tfrac12\delta) & |r|>\delta\end{cases}"),
    "At the optimum the pulls balance, $\\sum_i \\psi(r_i)\\,\\partial\\hat y_i/\\partial\\beta = 0$ with "
    "$\\psi = \\rho'$. MSE's pull $2r$ grows without bound, so one far point outweighs many near ones; MAE's "
    "pull is $\\operatorname{sign} r$ (a constant model lands on the median); Huber's is capped at $\\delta$. "
    "The fits here use iteratively reweighted least squares — each step solves least squares with "
    "weights $w_i = \\psi(r_i)/r_i$ — which for MSE is exactly the closed form "
    "$\\hat\\beta = (X^\\top X)^{-1}X^\\top y$.",
    "**Classification.** With labels $y\\in\\{-1,+1\\}$, logit $f(x)$ and margin $m = y\\,f(x)$ "
    "(positive = correct), $p = \\sigma(m)$ is the probability given to the true class:",
    ("latex", r"\ell_{\text{CE}} = \log(1+e^{-m}),\quad \ell_{\text{hinge}} = \max(0,1-m),\quad "
              r"\ell_{\text{sq.hinge}} = \max(0,1-m)^2,\quad \ell_{\text{focal}} = -\alpha_y\,(1-p)^\gamma\log p"),
    "The factor $(1-p)^\\gamma$ turns down examples that are already right ($p\\to1$), so the many easy "
    "majority points stop dominating the gradient; $\\gamma=0$ is cross-entropy. $\\alpha_y$ is $2\\alpha$ "
    "for the minority class and $2(1-\\alpha)$ for the majority. Focal loss also keeps predictions less "
    "confident: the confidence line in the γ chart falls as γ grows.",
    "**Custom loss.** Any positive combination is again a loss, "
    "$\\ell = \\sum_k w_k\\,\\ell_k$, and its gradient is the same combination of gradients.",
])
layout.presets(view.PAGE, [
    ("A far outlier", "One point at y = −12: MSE tilts, MAE and Huber hardly move.",
     {"outlier_y": "-12"}),
    ("A cluster of outliers", "Four points at the right end: leverage beats even Huber.",
     {"outliers": "4", "outlier_x": "1", "outlier_y": "-8"}),
    ("Huber with a huge δ", "δ = 5 makes Huber behave like MSE (½r²) for every residual here.",
     {"delta": "5", "outlier_y": "-4"}),
    ("Median vs mean", "Degree 0: MSE fits the mean, MAE the median.",
     {"degree": "0", "outlier_y": "10", "outliers": "3"}),
    ("Focal on severe imbalance", "30 : 1, γ = 3: minority recall up, confidence down.",
     {"part": "classification", "ratio": "30", "gamma": "3"}),
    ("α-balanced focal", "α = 0.8 weighs the rare class four times more.",
     {"part": "classification", "alpha": "0.8", "gamma": "2"}),
])
