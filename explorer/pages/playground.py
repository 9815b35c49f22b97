"""Neural Network Playground (§3): TensorFlow Playground's lesson, live, and beyond it."""
import random

import streamlit as st

from explorer.engines import playground as pg
from explorer.ui import layout, live, params
from explorer.ui import playground_view as view

layout.header("playground", "Pick a dataset, shape a network, press ▶ Play and watch every neuron learn. "
              "Hover a neuron or an edge to read it.")
notices = params.sync_from_url(view.PAGE, view.SPEC)
params.show_notices(notices)
hide = set(st.session_state["hide"])
W = view.BY_NAME


def control(name, where=st.sidebar, **kw):
    return None if name in hide else params.widget(W[name], where, **kw)


with st.sidebar:
    st.header("Data")
    control("problem")
    if st.session_state["problem"] == "classification":
        control("dataset")
        if st.session_state["dataset"] in ("blobs", "arms"):
            control("classes")
    else:
        control("reg_dataset")
    control("noise")
    control("train_ratio")
    control("batch_size")
    st.header("Training")
    control("activation")
    control("learning_rate")
    compat = st.session_state["compat"]
    control("optimizer", disabled=compat)
    control("loss", disabled=compat)
    control("regularization")
    control("reg_rate")
    control("dropout", disabled=compat)
    st.header("Run")
    control("seed")
    if "seed" not in hide:
        st.button("🎲 New seed", key="new_seed", help="New data and new initial weights, like the peer's Regenerate.",
                  on_click=lambda: st.session_state.update(seed=f"{random.random():.5f}"))
    control("compat")
    control("init_zero")
    st.header("Display")
    control("show_test")
    control("discretize")
    if hide:
        st.caption(f"This lesson link hides {len(hide)} control(s): {', '.join(sorted(hide))}.")
        st.button("Show all controls", key="unhide", on_click=lambda: st.session_state.update(hide=()))

top = st.container()
if "features" not in hide:
    params.widget(W["features"])
if "hidden" not in hide:
    cols = st.columns([1.4] + [1] * 6)
    params.widget(W["layers"], cols[0])
    for i in range(1, st.session_state["layers"] + 1):
        params.widget(W[f"n{i}"], cols[i])

values = params.current(view.SPEC)
cfg, notes = view.config_from_values(values)
notes += [f"{p.label}: that value cannot be used; using {params.encode(p, p.default)} meanwhile."
          for p in params.invalid(view.SPEC)]
for note in notes:
    st.caption("ℹ️ " + note)
run = live.session_run(view.PAGE, cfg, lambda: pg.Trainer(cfg))
# a link's epoch: replay once for the config it came with; any other config drops it
if values["epoch"]:
    if st.session_state.get("_replayed:playground") is None:
        st.session_state["_replayed:playground"] = cfg
        live.replay_to(run, values["epoch"])
    elif st.session_state["_replayed:playground"] != cfg:
        st.session_state["epoch"] = 0
query = params.sync_to_url(view.PAGE, view.SPEC)

with top:
    c = st.columns([3, 1.4, 1.2])
    with c[0]:
        live.controls(view.PAGE, run, values["speed"])
    params.widget(W["speed"], c[1])
    at = min(run.snapshot.epoch, live.MAX_REPLAY_EPOCHS)
    share = {k: v for k, v in query.items() if k != "epoch"} | ({"epoch": str(at)} if at else {})
    params.share_box(share, view.PAGE, c[2], note="This link reopens exactly this view: the same settings "
                     "and seed, trained to the same epoch, so the same run.")

live.player(view.PAGE, run, values["speed"], view.render(cfg, run.trainer.data, values["show_test"],
                                                          values["discretize"]))

with st.expander("🔁 TensorFlow Playground links — open one here, or take this view there"):
    view.tfp_box(cfg, values["show_test"], values["discretize"], tuple(hide))
with st.expander("💾 Download the trained model"):
    weights, meta = pg.export_model(cfg, run.snapshot.params, run.snapshot)
    d1, d2 = st.columns(2)
    d1.download_button("Weights (safetensors)", weights, file_name="playground.safetensors",
                       mime="application/octet-stream", width="stretch")
    d2.download_button("Config and metrics (JSON)", meta, file_name="playground.json",
                       mime="application/json", width="stretch")
    st.caption(f"Epoch {run.snapshot.epoch:,}. Tensors W1, b1, … are float64 with shapes (out, in) and (out,).")

layout.explain("what the playground computes", [
    "Each neuron computes a weighted sum of the previous layer plus a bias, then an activation:",
    ("latex", r"a^{(l)} = \phi\big(W^{(l)} a^{(l-1)} + b^{(l)}\big),\qquad a^{(0)} = "
              r"(x_1, x_2, x_1^2, \dots)\ \text{(the chosen features)}"),
    "Every small square shows one neuron's output over the whole input plane: you can see how the "
    "first layer cuts the plane with lines and later layers combine those cuts into curves.",
    "With squared error (what TensorFlow Playground reports) the loss over a set of n points is",
    ("latex", r"L = \frac{1}{n}\sum_{i=1}^{n} \tfrac12\big(\hat y_i - y_i\big)^2,\qquad y_i\in\{-1,+1\}"),
    "Each batch of B points takes one gradient step; L2 then shrinks each weight, L1 pulls it to zero "
    "(and a weight that crosses zero stays at zero):",
    ("latex", r"w \leftarrow w - \frac{\eta}{B}\sum_{i\in\text{batch}} \frac{\partial L_i}{\partial w}"
              r"\;-\;\eta\,\lambda\,R'(w),\qquad R'(w)=\begin{cases}\operatorname{sign} w & \text{L1}\\ "
              r"w & \text{L2}\end{cases}"),
    "With several classes the output is a softmax and the loss is cross-entropy "
    r"$-\frac1n\sum_i \log p_{i,y_i}$.",
])
layout.presets("playground", [
    ("Spiral, the hard one", "Needs depth or extra features.",
     {"dataset": "spiral", "features": "x,y,x2,y2,xy,sinx,siny", "layers": "3", "n1": "8", "n2": "8",
      "n3": "6", "noise": "10", "learning_rate": "0.01"}),
    ("XOR with one feature", "x₁x₂ alone solves it with no hidden layer.",
     {"dataset": "xor", "features": "xy", "layers": "0"}),
    ("Overfitting", "Few training points, big net, noise: watch test loss rise.",
     {"dataset": "xor", "noise": "50", "train_ratio": "10", "layers": "3", "n1": "8", "n2": "8", "n3": "8",
      "show_test": "1"}),
    ("L1 sparsity", "Watch L1 kill useless weights (dotted edges).",
     {"features": "x,y,x2,y2,xy,sinx,siny", "regularization": "L1", "reg_rate": "0.01", "learning_rate": "0.1"}),
    ("Four classes", "Softmax cross-entropy on four blobs with Adam.",
     {"dataset": "blobs", "classes": "4", "loss": "cross_entropy", "optimizer": "adam",
      "learning_rate": "0.01"}),
    ("Dying ReLU", "A too-large learning rate with ReLU: neurons go flat.",
     {"activation": "relu", "learning_rate": "1", "dataset": "spiral", "layers": "2", "n1": "8", "n2": "8"}),
])
