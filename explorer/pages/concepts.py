"""Concepts & probes (§7.2): activation maximization live, TCAV on drawn concepts, linear probes per layer."""
import streamlit as st

from explorer.ui import concepts_view as view
from explorer.ui import layout, live, params

layout.header(view.PAGE, "Press ▶ Play to watch an image grow that a network finds maximally “stripes” (or any class "
              "or channel) — then ask with TCAV whether the network uses the concept *striped* for that class, and "
              "read off with linear probes what each layer encodes.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Model")
    for name in ("model", "data", "cls", "seed"):
        params.widget(W[name])
    st.header("Activation maximization")
    for name in ("target", "layer", "unit", "jitter", "blur", "l2"):
        params.widget(W[name])
v = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, st.columns([4, 1])[1])

arch, dataset = v["model"], v["data"]
if not view.available(arch, dataset):
    st.info(f"The reference {view.ARCH_LABEL[arch]} is not trained on {dataset} on this server yet: that takes a minute "
            "or two, once (then it is cached on disk for everyone).", icon="🧰")
    if st.button(f"Train the reference {view.ARCH_LABEL[arch]} now", key="concepts_train_reference"):
        view.reference(arch, dataset)
        st.rerun()
    st.stop()

view.reference(arch, dataset)
v, notes = view.clamp_choices(v, arch, dataset)
for note in notes:
    st.caption("ℹ️ " + note)
labels, channels = view.layer_info(arch, dataset)

st.subheader("1 · Activation maximization, live")
cfg = view.actmax_config(v)
st.caption(f"Gradient ascent on the pixels of a grey start image to maximize the **{view.what(cfg, arch, dataset)}**"
           f" ({view.MAX_STEPS} steps of Adam, 4 per frame). Layers of this model: "
           + ", ".join(f"{i} {lab} ({c})" for i, (lab, c) in enumerate(zip(labels, channels))) + ".")
run = view.make_run(arch, dataset, cfg)
c = st.columns([3, 1.4])
with c[0]:
    live.controls(view.PAGE, run, v["speed"])
params.widget(W["speed"], c[1])
live.player(view.PAGE, run, v["speed"], view.render_actmax(arch, dataset, cfg), frame_s=0.6)
imgs, vals, labs = view.top_examples(arch, dataset, cfg.target, cfg.index, cfg.layer)
st.plotly_chart(view.vz.examples_figure(imgs, vals, labs, what=view.what(cfg, arch, dataset)), key="chart_examples",
                config={"displayModeBar": False})

st.subheader("2 · TCAV: does the network use a concept for this class?")
c = st.columns([3, 1.4])
params.widget(W["concepts"], c[0])
params.widget(W["runs"], c[1])
v.update({k: params.current(view.SPEC)[k] for k in ("concepts", "runs")})
for p in params.invalid(view.SPEC):
    st.caption(f"ℹ️ {p.label}: choose at least one; using the default meanwhile.")
chosen = tuple(v["concepts"]) or W["concepts"].default
st.plotly_chart(view.gallery(dataset, int(v["seed"]), chosen), key="chart_gallery", config={"displayModeBar": False})
view.tcav_view(arch, dataset, int(v["cls"]), int(v["runs"]), int(v["seed"]), chosen)

st.subheader("3 · Linear probes: what each layer encodes")
c = st.columns([3, 1.4])
params.widget(W["attrs"], c[0])
params.widget(W["control"], c[1])
v.update({k: params.current(view.SPEC)[k] for k in ("attrs", "control")})
view.probes_view(arch, dataset, tuple(v["attrs"]) or W["attrs"].default, bool(v["control"]))

st.subheader("4 · Attention in a small vision transformer")
st.caption("Where does a ViT look? The first MNIST test image of the class chosen in the sidebar (the digit; "
           "0–9 whatever the dataset above).")
view.attention_view(int(params.current(view.SPEC)["cls"]))

layout.explain("activation maximization, TCAV, probes and attention", [
    "**Activation maximization** searches the input that a unit or a class responds to most, by gradient ascent on "
    "the pixels, with regularizers R that keep the picture natural:",
    ("latex", r"x^\star = \arg\max_{x\in[0,1]^{C\times H\times W}}\; a(x) - \lambda\,\frac{\|x-\tfrac12\|^2}{HW}"),
    "Each step sees the image **jittered** (rolled by a random shift τ, so a pattern must work wherever it sits) "
    "and every few steps it is **blurred** (high frequencies the network barely uses are removed). Without them "
    "the ascent finds high-frequency noise that fools the network: an adversarial example.",
    ("latex", r"x \leftarrow \operatorname{clip}_{[0,1]}\Big(x + \eta\,\operatorname{Adam}\big(\nabla_x\, "
              r"a(\tau(x))\big)\Big),\qquad x \leftarrow G_\sigma * x \ \text{every 4 steps}"),
    "**TCAV** (Kim et al. 2018). At layer l with activations f_l(x), a linear classifier separates concept examples "
    "from random images; its unit normal is the **concept activation vector** v_C. The sensitivity of class k to the "
    "concept is the directional derivative of the class logit h_k along v_C:",
    ("latex", r"S_{C,k,l}(x) = \nabla h_{l,k}\big(f_l(x)\big)\cdot v_C^{\,l}, \qquad "
              r"\mathrm{TCAV}_{C,k,l} = \frac{|\{x\in X_k : S_{C,k,l}(x) > 0\}|}{|X_k|}"),
    "A CAV trained on random images also gets some score, so TCAV trains one CAV per random set and compares the "
    "concept's scores with random-vs-random scores by a two-sided t-test; p-values are multiplied by the number of "
    "tests (Bonferroni). Faded bars did not pass.",
    "**Linear probes** (Alain & Bengio 2016) fit a logistic regression from a layer's activations to an attribute "
    "and score it on held-out images: high accuracy means the attribute is *linearly* readable there.",
    ("latex", r"\min_{W,b}\; \tfrac12\|W\|^2 + C\sum_i -\log \operatorname{softmax}\big(W f_l(x_i) + b\big)_{y_i}"),
    "A probe shows what is *there*, not what the network *uses*: an untrained network's layers also let a probe read "
    "position and size (compare with the control). TCAV asks about use, through the gradient.",
    "**Attention rollout** (Abnar & Zuidema 2020) follows attention through the layers, counting the residual "
    "connection as half of each layer's mixing:",
    ("latex", r"R = \prod_{l=L}^{1} \operatorname{rownorm}\Big(	frac12ig(ar A^{(l)} + Iig)\Big), \qquad "
              r"ar A^{(l)} = 	frac1H 	extstyle\sum_h A^{(l,h)}"),
])
layout.presets(view.PAGE, [
    ("Stripes are striped", "TCAV for class stripes with all five concepts against random ones.",
     {"cls": "4", "concepts": "striped,dotted,checkered,round,solid"}),
    ("Is a circle round?", "TCAV for the circle class: is round more than random, and striped less?", {"cls": "0",
                                                                                  "concepts": "striped,round"}),
    ("No regularizers", "Jitter, blur and L2 off: the ascent finds noise the network loves.",
     {"jitter": "0", "blur": "0", "l2": "0"}),
    ("Probability, not logit", "Maximize log P(circle): other classes are pushed down too.",
     {"target": "logprob", "cls": "0"}),
    ("One channel of conv2", "What channel 7 of LeNet's second conv layer looks for.",
     {"target": "unit", "layer": "2", "unit": "7"}),
    ("Digits", "The same on MNIST: dream up a 3.", {"data": "mnist", "cls": "3", "concepts": "striped,round"}),
    ("Probe with a control", "An untrained LeNet: how much of the probes' accuracy is the architecture?",
     {"control": "1"}),
])
