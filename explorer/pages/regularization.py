"""Regularization (§3.5): an over-parameterized network on a few noisy points, with and without help."""
import streamlit as st

from explorer.engines import regularization as eng
from explorer.ui import layout, live, params
from explorer.ui import regularization_view as view

layout.header(view.PAGE, "Pick a technique, press ▶ Play and watch the plain network memorize the noise "
              "while the regularized one does not.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME
params.widget(W["technique"])
view.sidebar(st.session_state["technique"])
values = params.current(view.SPEC)
cfg = view.config_from_values(values)
run = live.session_run(view.PAGE, cfg, lambda: eng.Trainer(cfg))
query = params.sync_to_url(view.PAGE, view.SPEC)

c = st.columns([3, 1.6, 1.2])
with c[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
live.player(view.PAGE, run, values["speed"], view.render(cfg), frame_s=0.6)

layout.explain("the techniques", [
    "Every run trains the same 2-hidden-layer tanh network (far more weights than points) with full-batch "
    "Adam, next to a copy trained plainly. The validation set picks the best epoch; the test set only reports.",
    "**L1 / L2** add a penalty on the weights $w$ (not the biases):",
    ("latex", r"L_{\text{L1}} = L + \lambda\sum_j |w_j|,\qquad L_{\text{L2}} = L + \lambda\sum_j w_j^2"),
    "Here the penalty takes its own step after Adam's (decoupled, like AdamW) with the same step size $\\eta$: "
    "L2 shrinks every weight by the factor $1-2\\eta\\lambda$, L1 moves every weight $\\eta\\lambda$ towards 0 "
    "and stops it there (soft-thresholding), so L1 makes many weights exactly 0:",
    ("latex", r"w \leftarrow \operatorname{sign}(w)\,\max(|w|-\eta\lambda,\,0)\quad\text{(L1)},\qquad "
              r"w \leftarrow (1-2\eta\lambda)\,w\quad\text{(L2)}"),
    "**Dropout** multiplies each hidden unit by $m/(1-p)$ with $m\\sim\\text{Bernoulli}(1-p)$ while training; "
    "at evaluation every unit is on and nothing is random. The $1/(1-p)$ keeps each unit's expected output "
    "the same in both modes.",
    "**Early stopping** keeps the weights of the epoch with the lowest validation loss and would stop after "
    "*patience* epochs without improvement; here training goes on so you can see what stopping avoids.",
    "**Augmentation** trains on the points and jittered copies $x+\\varepsilon$, $\\varepsilon\\sim"
    "\\mathcal N(0,\\sigma^2)$, with the same targets: the function must be flat within about σ of each point.",
    "**Mixup** trains on convex mixes of random pairs, inputs and targets alike:",
    ("latex", r"\tilde x = \lambda x_i + (1-\lambda)x_j,\quad \tilde y = \lambda y_i + (1-\lambda) y_j,\quad "
              r"\lambda\sim\operatorname{Beta}(\alpha,\alpha)"),
    "**Label smoothing** replaces one-hot targets with $(1-\\varepsilon)\\,\\mathbf 1_y + \\varepsilon/K$, so "
    "the loss is lowest at confidence $1-\\varepsilon+\\varepsilon/K$, not at 1. Calibration is read off the "
    "reliability diagram: bin test predictions by confidence and compare with accuracy;",
    ("latex", r"\mathrm{ECE} = \sum_{b} \frac{n_b}{n}\,\bigl|\mathrm{acc}_b - \mathrm{conf}_b\bigr|"),
    "**Ensembles** average $N$ models $\\bar f = \\frac1N\\sum_k f_k$. If the members' errors had variance "
    "$\\sigma^2$ and correlation $\\rho$, the average's variance is $\\rho\\sigma^2 + (1-\\rho)\\sigma^2/N$: "
    "the less the members agree (different initial weights, bootstrap resamples), the more averaging helps.",
])
layout.presets(view.PAGE, [
    ("L1 zeros weights out", "Strong λ: L1 sets most weights exactly to 0, L2 only shrinks them.",
     {"technique": "penalty", "lam": "0.1"}),
    ("Dropout's two modes", "p = 0.5: noisy train-mode networks around a smooth eval-mode one.",
     {"technique": "dropout", "dropout": "0.5"}),
    ("Stop early", "More noise: the validation loss turns up after ~80 epochs; patience 100.",
     {"technique": "early_stopping", "n_train": "16", "noise": "0.4", "patience": "100"}),
    ("Mixup on moons", "Mixed points blur the boundary and calm the confidence.",
     {"technique": "mixup", "task": "classification", "alpha": "1"}),
    ("Label smoothing", "ε = 0.2: compare the reliability diagrams and their ECE.",
     {"technique": "label_smoothing", "smoothing": "0.2"}),
    ("Bagged ensemble", "Eight bootstrapped members: the average beats a typical member.",
     {"technique": "ensemble", "members": "8", "n_train": "20"}),
])
