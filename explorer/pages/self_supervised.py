"""Self-supervised learning (§4.9): SimCLR and BYOL on MNIST live, embeddings, label budgets, a masked autoencoder."""
import streamlit as st

from explorer.engines import mae
from explorer.engines import self_supervised as ssl
from explorer.ui import layout, live, params
from explorer.ui import self_supervised_view as view

layout.header(view.PAGE, "See two augmented views of each digit, press ▶ Play to train an encoder without a single "
              "label and watch the digits sort themselves into clusters, then check how few labels a linear probe "
              "on those features needs — and watch a masked autoencoder fill in hidden patches.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Self-supervised run")
    params.widget(W["method"])
    method = params.current(view.SPEC)["method"]
    params.widget(W["temp"], disabled=method != "simclr")
    params.widget(W["ema"], disabled=method != "byol")
    params.widget(W["batch"])
    st.header("Augmentations")
    for name in ("crop", "rotate", "noise", "blur", "erase", "seed"):
        params.widget(W[name])
v = params.current(view.SPEC)
cfg = view.run_config(v)
labels = list(ssl.data(cfg.seed).classes)

st.subheader("1 · Two views of the same digit")
orig, v1, v2 = view.views(cfg.aug, cfg.seed)
st.plotly_chart(view.vz.pairs_figure(orig, v1, v2, [f"digit {d}" for d in range(len(orig))]), key="chart_pairs")
st.caption("Crop and shift, rotation, blur, noise and erasing, drawn at random for each view (set their strengths "
           "in the sidebar). The encoder is never told which digit it sees — only that the two views in a column "
           "come from the same image, and (SimCLR) that every other image in the batch is a different one.")
with st.expander("Each augmentation on its own"):
    st.plotly_chart(view.vz.gallery_figure(view.gallery(cfg.aug, cfg.seed)), key="chart_gallery")
    st.caption("Which invariances you ask for is what the encoder learns: a crop says 'where the digit sits does "
               "not matter', erasing says 'a missing stroke does not change the digit'. Too strong, and a 6 may "
               "become indistinguishable from a 9 turned around.")

st.subheader("2 · Learning without labels, live")
run = live.session_run(view.PAGE, cfg, lambda: ssl.Trainer(cfg))
query = params.sync_to_url(view.PAGE, view.SPEC)
c = st.columns([3, 1.4, 1.2])
with c[0]:
    live.controls(view.PAGE, run, v["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
params.widget(W["proj"])
live.player(view.PAGE, run, v["speed"], view.render(cfg, v["proj"], labels), frame_s=0.6)

st.subheader("3 · How many labels do good features save?")
c = st.columns([2, 1.6])
params.widget(W["budget"], c[0])
params.widget(W["probe_on"], c[1])
v = params.current(view.SPEC)
budgets, curves, note = view.budget_curves(v, run)
if note:
    st.caption("ℹ️ " + note)
k = int(v["budget"])
i = budgets.index(k)
m = st.columns(3)
for col, (name, acc), short in zip(m, curves.items(), ("self-supervised + linear probe", "supervised end-to-end",
                                                         "random encoder + probe")):
    col.metric(f"{short}, {k} labels/class", f"{100 * acc[i]:.1f} %")
st.plotly_chart(view.vz.budget_figure(budgets, curves, k), key="chart_budget")
st.caption("Every approach sees the same labelled digits (k per class, nested as k grows) and is tested on "
           f"{ssl.N_TEST:,} held-out digits. The probe is a multinomial logistic regression on the frozen 64-d "
           "representation; the supervised baseline trains the same encoder and a linear layer end to end "
           f"({ssl.SUP_STEPS} Adam steps). The random encoder is the floor: what the architecture alone gives.")

st.subheader("4 · Masked autoencoder: fill in the hidden patches")
c = st.columns(2)
params.widget(W["patch"], c[0])
params.widget(W["mask"], c[1])
v = params.current(view.SPEC)
mcfg = view.mae_config(v)
mrun = live.session_run(view.MAE_PAGE, mcfg, lambda: mae.Trainer(mcfg))
live.controls(view.MAE_PAGE, mrun, v["speed"], st.columns([3, 2.6])[0])
live.player(view.MAE_PAGE, mrun, v["speed"], view.render_mae(mcfg), frame_s=0.6)
st.caption(f"A tiny transformer (width {mae.DIM}) sees only the visible patches; a one-layer decoder puts a learned "
           "mask token at every hidden position and predicts all pixels. The loss counts the hidden patches only, "
           "so the network must guess strokes it never saw from the ones it did.")

layout.explain("contrastive learning, BYOL and masked autoencoders", [
    "**SimCLR.** Each of N images gives two random views; u are the 2N projected, unit-normalised outputs. "
    "For view i with positive p(i) (the other view of the same image) the NT-Xent loss is",
    ("latex", r"\ell_i = -\log \frac{\exp(u_i^\top u_{p(i)}/\tau)}{\sum_{k\neq i}\exp(u_i^\top u_k/\tau)},\qquad "
              r"\mathcal L = \frac{1}{2N}\sum_{i=1}^{2N}\ell_i"),
    "a 2N−1-way classification: find your partner among the batch. A small temperature τ sharpens the softmax "
    "and weights the hardest negatives most.",
    "**BYOL** has no negatives. An online network (encoder → projector → predictor q) predicts the projection of "
    "the other view by a target network whose weights are a moving average of the online ones; no gradient "
    "flows into the target (stop-gradient, sg):",
    ("latex", r"\mathcal L = 2 - 2\,\frac{q_\theta(v_1)^\top \mathrm{sg}\,z_\xi(v_2)}"
              r"{\lVert q_\theta(v_1)\rVert\,\lVert z_\xi(v_2)\rVert} + (v_1\leftrightarrow v_2),\qquad "
              r"\xi \leftarrow m\,\xi + (1-m)\,\theta"),
    "**Alignment and uniformity** (Wang & Isola, 2020) of the unit representation f: good features put the two "
    "views together and spread different images over the sphere:",
    ("latex", r"\mathcal L_{\text{align}} = \mathbb E_{(x,x^+)}\lVert f(x)-f(x^+)\rVert^2 \qquad "
              r"\mathcal L_{\text{uniform}} = \log \mathbb E_{x,y}\, e^{-2\lVert f(x)-f(y)\rVert^2}"),
    "**Linear probe.** Freeze the encoder, fit a logistic regression on its representation with k labels per "
    "class. If the features separate the digits, a few labels suffice; the same encoder trained from scratch on "
    "those few labels overfits.",
    "**Masked autoencoder.** Cut the image into L patches, hide a random r·L of them, encode only the visible "
    "ones and reconstruct everything; the loss is the error on the hidden patches M only:",
    ("latex", r"\mathcal L_{\text{MAE}} = \frac{1}{|M|}\sum_{j\in M}\frac{1}{p^2}\lVert \hat x_j - x_j\rVert^2"),
])
layout.presets(view.PAGE, [
    ("BYOL, no negatives", "The same encoder learns with only a predictor and a slow target network.",
     {"method": "byol"}),
    ("Hot softmax", "τ = 1: negatives barely push, clusters stay loose (compare the 5-NN accuracy).",
     {"temp": "1"}),
    ("No augmentation", "Crop 1, no rotation, noise, blur or erasing: the task is trivial and learns little.",
     {"crop": "1", "rotate": "0", "noise": "0", "blur": "0", "erase": "0"}),
    ("Strong augmentation", "Crop to 20 %, rotate 45°, always blur: a harder pretext task.",
     {"crop": "0.2", "rotate": "45", "blur": "1"}),
    ("One label per class", "With a single labelled digit per class, features learnt without labels win.",
     {"budget": "1"}),
    ("MAE, 75 % masked", "As in the MAE paper: hide three quarters of 4×4 patches.",
     {"patch": "4", "mask": "0.75"}),
])
