"""Activation functions (§3.2): f and f′, saturation, dying ReLUs live, and signals through depth."""
import streamlit as st

from explorer.engines import activations as act
from explorer.ui import activations_view as view
from explorer.ui import layout, live, params

layout.header(view.PAGE, "Compare every activation's curve and slope, press ▶ Play to watch ReLU units die while "
              "LeakyReLU and GELU live on, then see which initialization keeps a deep network's signal alive.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Live run")
    for name in ("acts", "dataset", "depth", "width", "learning_rate", "optimizer", "bias_init", "batch_size",
                 "seed"):
        params.widget(W[name])

st.subheader("1 · The curves and their slopes")
params.widget(W["show"])
c = st.columns([1.3, 1.3, 1.4])
for col, name in zip(c, ("slope", "threshold", "view")):
    params.widget(W[name], col)
values = params.current(view.SPEC)
for p in params.invalid(view.SPEC):
    st.caption(f"ℹ️ {p.label}: choose at least one; showing the default meanwhile.")
curves, flat, props = view.curves(tuple(values["show"]), values["slope"], values["threshold"])
st.plotly_chart(view.vz.curves_figure(curves.x, [view.LABEL(a) for a in curves.names], curves.f, curves.df, flat,
                                      values["threshold"], values["view"]), key="chart_curves")
st.caption("f′ is computed by autograd (`torch.autograd.grad`) from torch's own functions. Sigmoid's slope is at "
           "most ¼ and tanh's at most 1, and both flatten out on either side; ReLU's slope is exactly 0 for every "
           "negative input. LeakyReLU, ELU, SELU, GELU, Swish and Mish keep a little slope there, or stay smooth.")
with st.expander("The numbers behind the curves"):
    st.dataframe(view.property_rows(props, flat), hide_index=True, width="stretch")

st.subheader("2 · Dying ReLUs, live")
st.caption("One deep MLP per activation, with the same He-initialized weights and the same batches, learns the 2-D "
           "set chosen in the sidebar. A unit is **dead** when f′(z) = 0 for every training input: no gradient "
           "reaches its incoming weights, so it can never recover. Raise the learning rate or lower the initial "
           "bias and watch ReLU units go black.")
cfg, notes = view.run_config(values)
for note in notes:
    st.caption("ℹ️ " + note)
run = live.session_run(view.PAGE, cfg, lambda: act.Trainer(cfg, view.data_for(cfg.dataset, cfg.seed)))
query = params.sync_to_url(view.PAGE, view.SPEC)
c = st.columns([3, 1.4, 1.2])
with c[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
live.player(view.PAGE, run, values["speed"], view.render(cfg), frame_s=0.6)

st.subheader("3 · Signals through depth at initialization")
st.caption("A batch of 256 standard-normal inputs goes through a fresh stack of 256-unit layers (no biases, no "
           "training). Watch the spread of the activations layer by layer, and of the gradient flowing back.")
c = st.columns([1, 1, 2])
for col, name in zip(c, ("init_act", "init_depth", "inits")):
    params.widget(W[name], col)
icfg = view.init_config(values)
with st.spinner("Pushing a batch through the network…"):
    study = view.init_study(icfg)
labels = [act.INIT_LABELS[i] for i in study.inits]
st.plotly_chart(view.vz.init_signal_figure(labels, study.std, study.grad_std, view.LABEL(icfg.activation)),
                key="chart_init_signal")
st.plotly_chart(view.vz.init_hist_figure(labels, study.edges, study.hist, study.zero), key="chart_init_hist")
st.caption(f"Saturated (|f′(z)| < {act.SATURATED}) in the last layer: " + ", ".join(
    f"{lab} {100 * s:.0f} %" for lab, s in zip(labels, study.saturated[:, -1])) + ". For these square layers "
    "Xavier's variance 2/(n_in + n_out) equals LeCun's 1/n_in, the init SELU is designed for.")

layout.explain("activations, dead units and initialization", [
    "Each layer computes a pre-activation and passes it through the activation f:",
    ("latex", r"z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}, \qquad a^{(l)} = f\big(z^{(l)}\big)"),
    ("latex", r"\sigma(x) = \frac{1}{1+e^{-x}},\ \ \sigma' = \sigma(1-\sigma) \le \tfrac14 \qquad "
              r"\tanh'(x) = 1-\tanh^2 x"),
    ("latex", r"\operatorname{ReLU}(x)=\max(0,x) \qquad \operatorname{LeakyReLU}(x)=\max(\alpha x, x),\ "
              r"0<\alpha<1"),
    ("latex", r"\operatorname{ELU}(x) = \begin{cases} x & x>0 \\ e^x-1 & x\le 0\end{cases}\qquad "
              r"\operatorname{SELU}(x) = \lambda\operatorname{ELU}_\alpha(x),\ \lambda\approx1.0507,\ "
              r"\alpha\approx1.6733"),
    ("latex", r"\operatorname{GELU}(x) = x\,\Phi(x) \qquad \operatorname{Swish}(x) = x\,\sigma(x) \qquad "
              r"\operatorname{Mish}(x) = x\tanh\big(\ln(1+e^x)\big)"),
    "Backpropagation multiplies by f′ at every layer, so where f′ ≈ 0 (the grey tails) almost nothing "
    "flows back:",
    ("latex", r"\frac{\partial L}{\partial z^{(l)}} = f'\big(z^{(l)}\big) \odot "
              r"W^{(l+1)\top} \frac{\partial L}{\partial z^{(l+1)}}"),
    "A ReLU unit j is **dead** when its input is negative for every example: then f′ = 0 everywhere, its "
    "weights get zero gradient forever. A large step or a negative bias can push it there:",
    ("latex", r"\text{dead}_j \iff \max_{i}\, z^{(l)}_{j}(x_i) \le 0"),
    "At initialization, with n inputs per unit and weights of variance Var(w), each layer scales the "
    "variance of the signal by about",
    ("latex", r"\operatorname{Var}\big(z^{(l)}\big) \approx n\,\operatorname{Var}(w)\,"
              r"\mathbb E\big[a^{(l-1)\,2}\big]"),
    "so it vanishes when n·Var(w)·(gain) < 1 and explodes when > 1. Xavier picks Var(w) = 2/(n_in + n_out) "
    "(right for tanh near 0), He picks Var(w) = 2/n_in (ReLU zeroes half the inputs, the 2 makes up for it).",
])
layout.presets(view.PAGE, [
    ("Too large a step", "Adam at 0.03: ReLU units die by the dozen, LeakyReLU and GELU keep all theirs.",
     {"learning_rate": "0.03", "optimizer": "adam"}),
    ("Bad bias init", "Hidden biases start at −0.5 and SGD at 0.3: the ReLU net never gets going.",
     {"bias_init": "-0.5", "learning_rate": "0.3"}),
    ("Dead from the start", "Biases at −1: most ReLU units are dead before the first step; ELU still learns.",
     {"bias_init": "-1", "acts": "relu,leaky_relu,elu"}),
    ("Saturating sigmoid", "Six sigmoid layers multiply slopes ≤ ¼: it never starts; tanh and ReLU solve it.",
     {"acts": "sigmoid,tanh,relu", "dataset": "circle"}),
    ("ReLU needs He", "ReLU at 20 layers: N(0,1) explodes, Xavier fades, He holds.",
     {"init_act": "relu", "init_depth": "20"}),
    ("SELU self-normalizes", "SELU with Xavier (= LeCun here) keeps a unit spread through 20 layers.",
     {"init_act": "selu", "init_depth": "20", "show": "elu,selu,gelu,silu,mish"}),
])
