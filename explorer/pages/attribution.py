"""Attribution (§7.1): six captum methods side by side, IG's completeness, a sanity check, a mask score."""
import streamlit as st

from explorer.ui import attribution_view as view
from explorer.ui import layout, params

layout.header(view.PAGE, "Pick an image and a class and see which pixels six attribution methods blame, on one "
              "colour scale; check that integrated gradients adds up, then destroy the model's weights layer by "
              "layer and see which maps notice — and on the shapes set, measure how much of each map lands on "
              "the object.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME
v = params.current(view.SPEC)
arch, dataset = v["model"], v["data"]
classes = tuple(view.data(dataset).classes)

model = None
if view.available(arch, dataset):
    model = view.session_model(arch, dataset)
else:
    st.info(f"The reference {view.ARCH_LABEL[arch]} for {view.DATA_LABEL[dataset]} is not trained on this server "
            "yet: that takes a minute or two, once (then it is cached on disk for everyone).", icon="🧰")
    if st.button(f"Train the reference {view.ARCH_LABEL[arch]} now", key="attr_train_reference"):
        view.reference(arch, dataset)
        st.rerun()

with st.sidebar:
    st.header("Image and model")
    for name in ("data", "model", "img"):
        params.widget(W[name])
    x, label, caption, source, mask = view.image_choice(v)
    view.clamp_target(classes)
    params.widget(view.target_param(classes))
    st.header("Methods")
    params.widget(W["methods"])
    params.widget(W["baseline"])
    for name in ("steps", "samples", "sigma"):
        params.widget(W[name])
    n_layers = 9
    if model is not None:
        layer_p, n_layers = view.layer_param(arch, dataset, model)
        params.widget(layer_p)
    else:
        params.widget(W["layer"], disabled=True)
    for name in ("window", "stride"):
        params.widget(W[name])
    st.header("Display")
    params.widget(W["sign"])
    params.widget(W["seed"])
v = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, st.columns([4, 1])[1])
for p in params.invalid(view.SPEC):
    st.caption(f"ℹ️ {p.label}: choose at least one; using the default meanwhile.")

cfg, notes = view.config(v, n_layers)
for note in notes:
    st.caption("ℹ️ " + note)
signed = v["sign"] == "signed"
key = (arch, dataset, source)

st.subheader("1 · Which pixels? Every method on one colour scale")
if model is not None:
    res = view.attribute(key, cfg, int(v["target"]), x, model)
    view.maps_section(res, x, label, caption, mask, classes, signed, cfg)

    st.subheader("2 · Integrated gradients adds up: completeness")
    view.completeness_section(res, x, key, cfg, model)

    st.subheader("3 · Sanity check: randomize the model, top layer first")
    st.caption("Adebayo et al. (2018): a map that explains the *model* must change when its learned weights are "
               "replaced by random ones. Each step re-initializes more layers, from the output down, recomputes "
               "every map for the same class, and compares it with the trained model's (Spearman rank correlation).")
    params.widget(W["rand"], st.columns([3, 2])[0])
    v = params.current(view.SPEC)
    view.sanity_section(key, x, res, cfg, v["rand"], model, signed, arch)

    st.subheader("4 · Does the map land on the object?")
    if dataset == "shapes":
        st.caption("The shapes set knows every object's exact mask and box: the share of a map's magnitude "
                   "inside it, averaged over test images (each explaining its true class), against the region's "
                   "area — what a map spread evenly would score.")
        params.widget(W["region"], st.columns([2, 3])[0])
        v = params.current(view.SPEC)
        view.mask_section(arch, cfg, model, v["region"])
    else:
        st.caption("Digits have no ground-truth mask. [Switch to the shapes set](/attribution?data=shapes) to "
                   "measure how much of each map falls on the object.")

layout.explain("attribution methods", [
    "Each method splits the logit f(x) of the class explained among the input pixels. **Saliency** is the gradient: "
    "how much f moves per unit change of each pixel, right at x.",
    ("latex", r"S_i(x) = \frac{\partial f}{\partial x_i}(x)"),
    "**Integrated gradients** (Sundararajan et al. 2017) averages the gradient on the straight path from a "
    "baseline x̄ to x and multiplies by the change x − x̄. By the fundamental theorem of calculus for path "
    "integrals the attributions add up exactly — *completeness* — up to the numerical integration's error:",
    ("latex", r"\mathrm{IG}_i(x) = (x_i - \bar x_i)\int_0^1 \frac{\partial f}{\partial x_i}\big(\bar x + "
              r"\alpha (x - \bar x)\big)\, d\alpha, \qquad \sum_i \mathrm{IG}_i(x) = f(x) - f(\bar x)"),
    "**SmoothGrad** (Smilkov et al. 2017) averages gradients of noisy copies, ε ~ N(0, σ²), to wash out the "
    "gradient's pixel-scale noise:",
    ("latex", r"\hat S_i(x) = \frac{1}{n}\sum_{k=1}^{n} \frac{\partial f}{\partial x_i}(x + \varepsilon_k)"),
    "**Grad-CAM** (Selvaraju et al. 2017) weighs the K feature maps A^k of a conv layer by their average "
    "gradient and keeps the positive part, then upsamples it to the image:",
    ("latex", r"L = \mathrm{ReLU}\Big(\sum_k \alpha_k A^k\Big), \qquad \alpha_k = \frac{1}{Z}\sum_{i,j} "
              r"\frac{\partial f}{\partial A^k_{ij}}"),
    "**Occlusion** (Zeiler & Fergus 2014) paints a patch with the baseline and records how far f falls, "
    "averaged over the patches covering each pixel. **DeepLIFT** (Shrikumar et al. 2017) propagates the "
    "difference from the baseline with the *rescale* rule, multipliers Δoutput/Δinput per ReLU, so its "
    "attributions also sum to f(x) − f(x̄) (exactly, for ReLU layers; here max-pooling makes it approximate).",
    "**Sanity check** (Adebayo et al. 2018): randomize the weights from the top layer down. A method whose map "
    "survives is showing the input (edges, ink), not the model. The mask score on shapes measures *where* the "
    "mass lies, not whether the model truly uses those pixels — the two questions differ.",
])
layout.presets(view.PAGE, [
    ("Blurred baseline", "IG from a blurred digit: only the sharp details get credit.", {"baseline": "blur"}),
    ("Too few IG steps", "5 steps: the sum misses f(x) − f(x̄) by far more.", {"steps": "5"}),
    ("Why not a 3?", "Explain class 3 on this 2: blue marks what would make it a 3.", {"target": "3"}),
    ("Shapes with masks", "RGB shapes: each map's share on the object.", {"data": "shapes", "img": "3"}),
    ("A net that localizes", "Shapes with the WSL net (global max pooling): Grad-CAM on the object.",
     {"data": "shapes", "model": "wsl", "img": "2", "methods": "gradcam,saliency,ig"}),
    ("Coarse occlusion", "A 10-pixel patch moved 5 at a time: blocky but robust.", {"window": "10", "stride": "5"}),
    ("Sanity check on |maps|", "Magnitudes: see which maps keep the digit's outline.", {"sign": "absolute"}),
    ("Early Grad-CAM", "Grad-CAM on the first conv layer: sharp, but less about the class.", {"layer": "3"}),
    ("Noisier SmoothGrad", "50 samples with σ = 30 % of the range.", {"samples": "50", "sigma": "0.3"}),
])
