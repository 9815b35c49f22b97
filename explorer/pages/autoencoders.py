"""Autoencoders (§4.3): undercomplete, denoising and sparse on MNIST; anomaly detection."""
import streamlit as st

from explorer.engines import autoencoders as ae
from explorer.ui import autoencoders_view as view
from explorer.ui import layout, live, params

layout.header(view.PAGE, "Press ▶ Play to watch reconstructions sharpen, then add noise (denoising) or a sparsity "
              "penalty, and see how well the reconstruction error spots a digit the network never saw.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Autoencoder")
    for name in view.MODEL_PARAMS:
        params.widget(W[name])
values = params.current(view.SPEC)
try:
    cfg = view.canonical(view.run_config(values))
except ValueError as e:  # every control is bounded; this only guards against a bad combination
    st.error(f"These settings cannot train: {e}")
    st.stop()
if cfg.kind != "denoising" and values["noise"] != view.RUN.noise:
    st.caption("ℹ️ The noise level applies to the denoising autoencoder only.")
if cfg.kind != "sparse" and values["sparsity"] != view.RUN.sparsity:
    st.caption("ℹ️ The sparsity settings apply to the sparse autoencoder only.")

run = live.session_run(view.PAGE, cfg, lambda: ae.Trainer(cfg))
query = params.sync_to_url(view.PAGE, view.SPEC)
c = st.columns([3, 1.4, 1.2])
with c[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
params.widget(W["flag"])
st.caption(f"784 → 256 → **{cfg.code}** → 256 → 784, trained with Adam on MNIST's 4,000 training digits except the "
           f"{cfg.holdout}s ({'noisy inputs, clean targets' if cfg.kind == 'denoising' else 'input = target'}). "
           "Every view below updates while it trains.")
live.player(view.PAGE, run, values["speed"], view.render(cfg, values["flag"]), frame_s=0.6)

layout.explain("autoencoders and anomaly detection", [
    "An autoencoder learns an encoder f and a decoder g so that g(f(x)) ≈ x, through a code h = f(x) "
    "narrower than the input (undercomplete), so it must keep what matters and drop the rest. Pixels are "
    "treated as Bernoulli probabilities: the loss is the binary cross-entropy summed over the 784 pixels.",
    ("latex", r"\mathcal L(x) = -\sum_{i=1}^{784} \big[x_i \log \hat x_i + (1-x_i)\log(1-\hat x_i)\big],"
              r"\qquad \hat x = \sigma\big(g(f(\tilde x))\big)"),
    "**Denoising**: the input is corrupted, the target is clean, so the network must learn the structure of "
    "digits, not the identity map:",
    ("latex", r"\tilde x = \operatorname{clip}\big(x + \sigma_{\text{noise}}\,\epsilon,\ 0, 1\big),\quad "
              r"\epsilon \sim \mathcal N(0, I)"),
    "**Sparse**: a penalty on the code lets it be wide while only a few units fire per image. L1 on ReLU codes, "
    "or a KL divergence between a target rate ρ and each unit's mean activation ρ̂ⱼ over the batch:",
    ("latex", r"\Omega_{L1} = \lambda \sum_j |h_j| \qquad \Omega_{KL} = \lambda \sum_j \Big[\rho \log\frac{\rho}"
              r"{\hat\rho_j} + (1-\rho)\log\frac{1-\rho}{1-\hat\rho_j}\Big]"),
    "**Anomaly detection**: trained only on normal data, the autoencoder reconstructs what it has seen well and "
    "the rest badly. The score is the mean squared error per pixel; each threshold gives a true-positive rate "
    "(held-out digits caught) and a false-positive rate (normal digits flagged). The ROC curve traces all "
    "thresholds; its area is the probability that an anomaly scores above a normal digit:",
    ("latex", r"\text{AUC} = P\big(s(x_{\text{anomaly}}) > s(x_{\text{normal}})\big) "
              r"+ \tfrac12 P\big(s(x_{\text{anomaly}}) = s(x_{\text{normal}})\big)"),
    "Digits that share strokes with others (a 7 with a 1, a 9 with a 4) are harder to detect than a round 0, and the "
    "detector can get worse as training goes on: a network that generalizes well reconstructs the unseen digit too.",
])
layout.presets(view.PAGE, [
    ("Tiny bottleneck", "A 2-unit code: plot it directly and see blurry, average digits.", {"code": "2"}),
    ("Denoise heavy noise", "σ = 0.7: the network recovers clean strokes from the noise.",
     {"kind": "denoising", "noise": "0.7"}),
    ("Sparse code (KL)", "128 units with a 5 % target rate: most of them are silent for any digit.",
     {"kind": "sparse", "code": "128", "penalty": "kl", "sparsity": "3", "rho": "0.05"}),
    ("L1 sparsity", "An L1 penalty on ReLU codes switches most units off.",
     {"kind": "sparse", "code": "64", "penalty": "l1", "sparsity": "0.3"}),
    ("A moving target", "Hold out the 7s: the AUC rises to about 0.8, then falls as the network learns to draw "
     "7s from 1s and 9s.", {"holdout": "7"}),
    ("Another anomaly", "Hold out the 9s, which share strokes with 4s and 7s: compare the AUC with the 0s'.",
     {"holdout": "9"}),
])
