"""A network from scratch (§3.7): a two-layer network in NumPy, checked against PyTorch."""
import streamlit as st

from explorer.engines import from_scratch as fs
from explorer.engines.device import cap_threads
from explorer.ui import from_scratch_view as view
from explorer.ui import layout, live, params

layout.header(view.PAGE, "A two-layer network in plain NumPy: read its code below, press ▶ Play, and watch its "
              "loss curve land exactly on PyTorch's while its gradients pass two independent checks.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME
cap_threads()

with st.sidebar:
    st.header("Data")
    params.widget(W["dataset"])
    two_d = st.session_state["dataset"] != "digits"
    params.widget(W["n_points"], disabled=not two_d)
    params.widget(W["noise"], disabled=not two_d)
    st.header("Network")
    params.widget(W["hidden"])
    params.widget(W["activation"])
    st.header("Training")
    for name in ("learning_rate", "batch_size", "epochs", "seed"):
        params.widget(W[name])
    st.header("Gradient check")
    params.widget(W["fd_step"])

values = params.current(view.SPEC)
cfg = view.config_from_values(values)
run = live.session_run(view.PAGE, cfg, lambda: fs.Trainer(cfg, view.data_for(cfg)))
query = params.sync_to_url(view.PAGE, view.SPEC)

c = st.columns([3, 1.4, 1.2])
with c[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
if run.playing and run.trainer.finished:  # ▶ pressed on a finished run
    run.playing = False
    st.info(f"This run has finished its {cfg.epochs} epochs. Raise **Epochs** for a longer run (it starts again "
            "from the same seed) or press ↺ Reset.", icon="🏁")
st.caption(f"{cfg.hidden} hidden units, {run.trainer.data.n_inputs} inputs, {run.trainer.data.n_classes} classes, "
           f"{len(run.trainer.data.y_train)} training points, {run.trainer.steps_per_epoch} steps per epoch. "
           "Both networks are float64 and see the same shuffled batches.")

live.player(view.PAGE, run, values["speed"], view.render(cfg, values["speed"], values["fd_step"]), frame_s=0.6)

st.subheader("The code that runs")
st.caption("The source below is read from the engine with `inspect.getsource`: it is exactly what trains above.")
view.code_tabs()

with st.expander("📉 Why ε matters: finite-difference error against the step size"):
    view.fd_sweep_section(run, cfg, values["fd_step"])

layout.explain("backpropagation through two layers", [
    "For a batch X (B × D) with labels y, the network computes (φ is the activation, applied elementwise):",
    ("latex", r"Z_1 = X W_1 + b_1,\quad H = \varphi(Z_1),\quad S = H W_2 + b_2,\quad "
              r"P = \operatorname{softmax}(S),\quad L = -\frac{1}{B}\sum_{i=1}^{B} \log P_{i,y_i}"),
    "Backpropagation applies the chain rule from L backwards, reusing what the forward pass kept. With Y the "
    "one-hot labels:",
    ("latex", r"\frac{\partial L}{\partial S} = \frac{1}{B}(P - Y),\qquad "
              r"\frac{\partial L}{\partial W_2} = H^{\top}\frac{\partial L}{\partial S},\qquad "
              r"\frac{\partial L}{\partial b_2} = \mathbf 1^{\top}\frac{\partial L}{\partial S}"),
    ("latex", r"\frac{\partial L}{\partial H} = \frac{\partial L}{\partial S} W_2^{\top},\qquad "
              r"\frac{\partial L}{\partial Z_1} = \frac{\partial L}{\partial H} \odot \varphi'(Z_1),\qquad "
              r"\frac{\partial L}{\partial W_1} = X^{\top}\frac{\partial L}{\partial Z_1},\qquad "
              r"\frac{\partial L}{\partial b_1} = \mathbf 1^{\top}\frac{\partial L}{\partial Z_1}"),
    ("latex", r"\varphi'(z) = 1 - \tanh^2 z \;\;(\tanh),\qquad \sigma(z)\,(1-\sigma(z)) \;\;(\text{sigmoid}),"
              r"\qquad \mathbb 1[z > 0] \;\;(\text{ReLU})"),
    "Each gradient has the shape of its parameter, and SGD moves every parameter against it:",
    ("latex", r"\theta \leftarrow \theta - \eta\,\nabla_\theta L"),
    "**Check 1, finite differences.** Nudge one weight both ways and measure the change of the loss:",
    ("latex", r"\frac{L(\theta + \varepsilon e_i) - L(\theta - \varepsilon e_i)}{2\varepsilon} = "
              r"\frac{\partial L}{\partial \theta_i} + O(\varepsilon^2) + O\!\left(\frac{u\,|L|}{\varepsilon}\right),"
              r"\qquad u \approx 1.1\cdot 10^{-16}"),
    "So in float64 agreement to about 1e-10 is what a correct backward gives; a wrong one is off by 1e-2 or more.",
    "**Check 2, autograd.** PyTorch builds the same graph and differentiates it itself. Both compute the same "
    "float64 operations and differ only in the order of additions inside matrix products, so they agree to "
    "rounding, about 1e-15.",
    "The error of each parameter is measured against its largest gradient entry, "
    r"$\max_i |g_i-\hat g_i| \,/\, \max_i |g_i|$: an entry whose gradient is nearly 0 would make a per-entry "
    "ratio explode from rounding noise alone.",
    "**Training side by side.** Both networks start from the same weights (nn.Linear stores W transposed) and "
    "take the same batches, so every step's loss agrees to rounding: the largest gap stays near 1e-16 unless a "
    "ReLU sits exactly at its kink or the run diverges.",
    "With a large η the training itself becomes chaotic: a difference of one rounding step grows by a factor "
    "at every update, and the two correct implementations drift apart (the gap panel then climbs in a straight "
    "line on its log axis). That is sensitivity to initial conditions, not a bug.",
])
layout.presets(view.PAGE, [
    ("Spiral, three arms", "CS231n's case study: ReLU and a wider layer fold the plane into three arms.",
     {"dataset": "spiral", "n_points": "300", "hidden": "64", "activation": "relu", "learning_rate": "1",
      "epochs": "200", "batch_size": "32"}),
    ("Digits, 64 inputs", "Ten classes of 8×8 images; the confusion matrix fills its diagonal.",
     {"dataset": "digits", "hidden": "32", "batch_size": "64", "epochs": "30"}),
    ("ε too small", "The check fails, not the code: rounding swamps a step of 1e-10.",
     {"fd_step": "1e-10"}),
    ("Rounding grows", "η = 3 makes training chaotic: a 1e-16 gap doubles and doubles until the runs part.",
     {"learning_rate": "3"}),
    ("Too large a step", "η = 30: both networks blow up, at the same step.",
     {"learning_rate": "30", "activation": "relu", "hidden": "32"}),
])
