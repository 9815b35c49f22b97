"""Normalization (§3.5): BatchNorm, LayerNorm and GroupNorm against none, trained side by side."""
import streamlit as st

from explorer.engines import normalization as nm
from explorer.ui import layout, live, params
from explorer.ui import normalization_view as view

layout.header(view.PAGE, "Press ▶ Play: the same deep MLP learns handwritten digits with no normalization, "
              "BatchNorm, LayerNorm and GroupNorm. Watch which learns first and how each layer's signal behaves, "
              "then shrink the batch and see BatchNorm suffer.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Network")
    for name in ("depth", "width", "groups", "init"):
        params.widget(W[name])
    st.header("Training")
    for name in ("optimizer", "learning_rate", "batch_size", "seed"):
        params.widget(W[name])

params.widget(W["norms"])
values = params.current(view.SPEC)
for p in params.invalid(view.SPEC):
    st.caption(f"ℹ️ {p.label}: choose at least one; showing the default meanwhile.")
cfg = view.run_config(values)
run = live.session_run(view.PAGE, cfg, lambda: nm.Trainer(cfg, view.data_for(cfg.seed)))
query = params.sync_to_url(view.PAGE, view.SPEC)
c = st.columns([3, 1.4, 1.2])
with c[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
st.caption(f"sklearn's 8×8 digits: {nm.N_TRAIN} training images, {1797 - nm.N_TRAIN} test images, 10 classes. "
           f"Every block is Linear → norm → ReLU ({cfg.depth} blocks of {cfg.width} units), then a linear head. "
           "The norms are torch.nn.BatchNorm1d, LayerNorm and GroupNorm with their learnable scale γ and shift β.")
live.player(view.PAGE, run, values["speed"], view.render(cfg), frame_s=0.6)

st.subheader("BatchNorm and the batch size")
st.caption("BatchNorm normalizes with the statistics of the current batch while training, but with running averages "
           "at evaluation. With tiny batches those batch statistics are noisy (with 2 samples every unit is just "
           "±1), so the two modes disagree. LayerNorm and GroupNorm normalize each sample on its own and do not care.")
params.widget(W["study"])
c = st.columns([1.3, 1.2, 0.7])
for col, name in zip(c, ("study_norms", "study_batches", "study_epochs")):
    params.widget(W[name], col)
scfg = view.study_config(params.current(view.SPEC), cfg)
if values["study"]:
    with st.spinner(f"Training {len(scfg.norms) * len(scfg.batch_sizes)} networks ({scfg.total_steps:,} steps)…"):
        res = view.study(scfg)
    labels = [view.LABEL(n) for n in res.norms]
    curves = [[res.curves[(n, b)] for b in res.batch_sizes] for n in res.norms]
    st.plotly_chart(view.vz.study_figure(labels, list(res.batch_sizes), curves, res.train_mode_acc,
                                         res.eval_mode_acc, res.test_acc), key="chart_study")
    sizes = " / ".join(str(b) for b in res.batch_sizes)
    gap = 100 * abs(res.eval_mode_acc - res.train_mode_acc)
    gaps = [view.LABEL(n) + " " + " / ".join("–" if g != g else f"{g:.0f}" for g in gap[i])
            for i, n in enumerate(res.norms)]
    st.caption(f"Train/eval gap, |eval mode − train mode| training-set accuracy in points at batch {sizes}: "
               + "; ".join(gaps) + f". Each network trains {scfg.epochs} epoch(s) with the sidebar's network, "
               "optimizer, learning rate and seed, so smaller batches make more (and noisier) updates; with few "
               "updates (large batches) BatchNorm's running averages have not caught up yet either.")
else:
    st.info("Switch on **Run the batch-size study** to train the chosen normalizations at each batch size "
            f"({scfg.total_steps:,} steps, a few seconds the first time).", icon="🧪")

layout.explain("what each normalization computes", [
    "All three standardize a pre-activation z with a mean μ and variance σ² and then rescale with learnable "
    "γ and β (per unit); they differ only in **which numbers** μ and σ² are taken over:",
    ("latex", r"\hat z = \frac{z - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \odot \hat z + \beta"),
    "**BatchNorm**: per unit j, over the B samples of the batch (while training); at evaluation it uses running "
    "averages kept with momentum m = 0.1:",
    ("latex", r"\mu_j = \frac1B\sum_{b=1}^{B} z_{bj},\quad \sigma_j^2 = \frac1B\sum_{b} (z_{bj}-\mu_j)^2,\qquad "
              r"\hat\mu_j \leftarrow (1-m)\,\hat\mu_j + m\,\mu_j"),
    "**LayerNorm**: per sample b, over its C units — the same computation in training and evaluation:",
    ("latex", r"\mu_b = \frac1C\sum_{j=1}^{C} z_{bj},\qquad \sigma_b^2 = \frac1C\sum_{j} (z_{bj}-\mu_b)^2"),
    "**GroupNorm**: per sample, over each group of C/G units (G = 1 is LayerNorm; G = C normalizes each unit "
    "alone):",
    ("latex", r"\mu_{bg} = \frac{G}{C}\sum_{j \in g} z_{bj},\qquad \sigma_{bg}^2 = \frac{G}{C}\sum_{j\in g} "
              r"(z_{bj}-\mu_{bg})^2"),
    "Why it speeds training: the output no longer depends on the scale of the weights feeding a unit, so a "
    "badly scaled layer (like PyTorch's default init for ReLU, whose signal shrinks about 2× per layer here) cannot "
    "starve the next one, and larger learning rates stay stable.",
    "Why BatchNorm needs batches: with B = 2 the two normalized values of each unit are always −1 and +1, "
    "whatever the inputs; the running averages used at evaluation describe a different function.",
])
layout.presets(view.PAGE, [
    ("Batch of 2", "The live run at batch 2: BatchNorm's eval-mode loss lags while the others learn.",
     {"batch_size": "2", "norms": "batch,layer"}),
    ("The Wu & He figure", "BN vs GN vs LN at batch 2…128: BN collapses at small batches, GN holds.",
     {"study": "1", "study_norms": "batch,layer,group", "study_batches": "2,8,32,128"}),
    ("He init, no norm", "With He init the plain net keeps up, even leads: most of the gain was fixing the scale.",
     {"init": "he"}),
    ("Deep and fast", "8 layers at learning rate 0.3: the plain net is stuck, BatchNorm copes best.",
     {"depth": "8", "learning_rate": "0.3"}),
    ("Adam", "Adam rescales each weight's step and narrows the gap.", {"optimizer": "adam", "learning_rate": "0.003"}),
    ("GroupNorm groups", "1 group is LayerNorm, 16 groups normalize sets of 4 units.",
     {"norms": "layer,group", "groups": "16"}),
])
