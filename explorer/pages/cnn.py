"""CNNs (§4.1): train a classic architecture live, look inside it, compare the zoo, and see
why residual connections let gradients flow."""
import numpy as np
import streamlit as st

from explorer.engines import cnn, zoo
from explorer.ui import cnn_view as view
from explorer.ui import layout, live, params

layout.header(view.PAGE, "Press ▶ Play to train a CNN on handwritten digits or shapes, then look at what its "
              "filters and feature maps respond to, click a cell of the confusion matrix to see its mistakes, "
              "race the classic architectures, and watch gradients vanish without skip connections.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Network and data")
    for name in ("arch", "data"):
        params.widget(W[name])
    st.header("Training")
    for name in ("opt", "lr", "batch", "aug", "seed"):
        params.widget(W[name])

values = params.current(view.SPEC)
cfg = view.run_config(values)
data = cnn.data_for(cfg.dataset)
info, cost = zoo.INFO[cfg.arch], {r.arch: r for r in view.costs(cfg.dataset)}[cfg.arch]

st.subheader("1 · Train it live")
st.caption(f"**{info.label}** ({info.year}): {info.idea}. {cost.params:,} parameters, {cost.macs:,} "
           f"multiply-accumulates per image. {view.DATA_LABEL[cfg.dataset]}: {len(data.y_train):,} training and "
           f"{len(data.y_test):,} test images of {data.size}×{data.size} pixels, {data.n_classes} classes. One step "
           f"is 1/16 of an epoch (about 250 images); the whole test set is scored after every step.")
run = live.session_run(view.PAGE, cfg, lambda: cnn.Trainer(cfg, data))
query = params.sync_to_url(view.PAGE, view.SPEC)
c = st.columns([3, 1.6, 1.2])
with c[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
live.player(view.PAGE, run, values["speed"], view.render(cfg), frame_s=0.6)

st.subheader("2 · Look inside: feature maps")
params.widget(W["source"])
model, described, is_ref = view.inspected(values, run)
c = st.columns([1, 2])
params.widget(W["img"], c[0])
x, label, caption = view.image_choice(values, data, view.upload_spec(cfg.dataset), c[1])
probs = cnn.predict(model, x)[0]
c = st.columns([1, 2])
c[0].plotly_chart(view.vimg.image_grid(x[None], ncols=1, title="Input", tile_px=190), key="chart_input",
                  config={"displayModeBar": False})
c[1].plotly_chart(view.vz.probs_figure(probs, list(data.classes), label), key="chart_probs",
                  config={"displayModeBar": False})
pred = int(np.argmax(probs))
verdict = "" if label is None else (" — right." if pred == label else f" — wrong: it is a {data.classes[label]}.")
st.caption(f"Input: {caption}. Network: {described}. It says **{data.classes[pred]}** "
           f"({probs[pred]:.0%}){verdict}")
maps = cnn.feature_maps(model, x)
st.plotly_chart(view.vz.feature_maps_figure([(m.label, m.shape, m.maps) for m in maps]), key="chart_maps",
                config={"displayModeBar": False})
st.caption("Each row is one layer's output for this image, first layer at the top; each tile is one channel "
           "(bright = strong response). Early layers respond to edges and strokes at every position; deeper "
           "layers are smaller and more abstract. Hover a pixel for its value.")

st.subheader("3 · Confusion matrix: where it goes wrong")
view.confusion_section(cfg, data, model, is_ref)

st.subheader("4 · The zoo compared")
view.zoo_section(cfg)

st.subheader("5 · Residual connections and gradient flow")
view.grad_section()

layout.explain("convolutions, the classic architectures and skip connections", [
    "A convolution layer slides C_out kernels of size k×k over C_in input maps. With padding p and stride s, "
    "an input of n×n pixels gives an output of",
    ("latex", r"n_\text{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1"),
    "and costs (parameters; multiply-accumulates per image):",
    ("latex", r"P = C_\text{out}\,(C_\text{in}\,k^2 + 1), \qquad "
              r"\text{MACs} = n_\text{out}^2\; C_\text{out}\; C_\text{in}\, k^2"),
    "For LeNet's first layer (1 → 6 channels, 5×5, padding 2 on 28×28): P = 6·(25+1) = 156 and "
    "MACs = 28²·6·25 = 117,600. A fully connected layer from 400 to 120 units costs 400·120 = 48,000 MACs.",
    "**LeNet** stacks conv → pool twice; **AlexNet** went wider and deeper with ReLU and dropout; **VGG** uses only "
    "3×3 kernels (two 3×3 layers see 5×5 with fewer weights); **ResNet** adds identity shortcuts; **DenseNet** "
    "concatenates every earlier map; **EfficientNet** uses depthwise-separable inverted bottlenecks with "
    "squeeze-excitation, which cut MACs far more than parameters. The **WSL net** (after Oquab et al. 2015) "
    "has no dense layers: global *max* pooling scores each class by its single best position, and a sparsity "
    "penalty on its last map keeps everything else quiet, so its maps say *where* the object is.",
    "A residual block outputs the input plus a correction, so its Jacobian is the identity plus a small term:",
    ("latex", r"h_{l+1} = h_l + F(h_l) \;\Rightarrow\; \frac{\partial L}{\partial h_l} = "
              r"\frac{\partial L}{\partial h_{l+1}}\Big(I + \frac{\partial F}{\partial h_l}\Big)"),
    "Without the shortcut the gradient is a product of one Jacobian per layer, which shrinks or grows "
    "exponentially with depth. With BatchNorm, a deep plain net's gradient explodes toward the input at "
    "initialization and, once training starts, collapses — the plain net then learns slowly. The skip keeps an "
    "unattenuated path from the loss to every layer.",
])
layout.presets(view.PAGE, [
    ("ResNet on shapes", "A residual network learns colourful shapes; compare its filters with LeNet's.",
     {"arch": "resnet", "data": "shapes"}),
    ("Too large a step", "Adam at 0.03: LeNet never gets going; the loss stays at ln 10 ≈ 2.3, a uniform guess.",
     {"lr": "0.03"}),
    ("SGD without augmentation", "Plain SGD with momentum, no shifts: the training loss falls below the test loss.",
     {"opt": "sgd", "lr": "0.01", "aug": "0"}),
    ("56 layers, trained", "After 50 steps the plain net's early gradients vanish; the ResNet's stay.",
     {"gsteps": "50"}),
    ("Inspect your live run", "Feature maps and mistakes of your own network: press ▶ Play, then pause.",
     {"source": "live"}),
    ("Zoo on shapes", "Compare the classic nets on the shapes set (press the button).", {"data": "shapes",
                                                                                          "zoo_n": "1000"}),
])
