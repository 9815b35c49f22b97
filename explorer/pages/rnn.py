"""RNN, LSTM, GRU (§4.2): three cells race on a sequence task; gates, gradients and states inside."""
import streamlit as st

from explorer.engines import rnn
from explorer.ui import layout, live, params
from explorer.ui import rnn_view as view

layout.header(view.PAGE, "Press ▶ Play: a vanilla RNN, an LSTM and a GRU learn the same task from the same seed. "
              "Look inside a cell at its gates on a sequence you type, then see how much gradient reaches "
              "early steps — it vanishes in the vanilla RNN and survives the gates.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Task")
    task = params.widget(W["task"])
    params.widget(W["length"])
    params.widget(W["delay"], disabled=task != "echo")
    st.header("Cells")
    for name in ("cells", "hidden", "gate_bias"):
        params.widget(W[name])
    st.header("Training")
    for name in ("learning_rate", "seed"):
        params.widget(W[name])

values = params.current(view.SPEC)
cfg, notes = view.run_config(values)
for p in params.invalid(view.SPEC):
    if p.kind == "multi":
        st.caption(f"ℹ️ {p.label}: choose at least one; showing the default meanwhile.")
for note in notes:
    st.caption("ℹ️ " + note)

st.subheader("1 · The race, and a look inside")
view.adapt_example(cfg.task)
c = st.columns([1.2, 2])
params.widget(W["cell"], c[0])
params.widget(W["seq"], c[1])
values = params.current(view.SPEC)
if any(p.name == "seq" for p in params.invalid(view.SPEC)):
    st.warning("Your sequence may only hold letters, digits, spaces, brackets and . , : + -; showing the "
               "default meanwhile.", icon="✏️")
typed, problem = view.typed_input(cfg, values["seq"])
if problem:
    st.warning(problem, icon="✏️")
look = values["cell"]
if look not in cfg.cells:
    st.caption(f"ℹ️ The {rnn.LABELS[look]} is not in the race; looking inside the {rnn.LABELS[cfg.cells[0]]}.")
    look = cfg.cells[0]
st.latex(r"\begin{aligned}" + r"\\".join(view.EQUATIONS[look]) + r"\end{aligned}")
st.caption(f"The {rnn.LABELS[look]} exactly as `explorer/engines/rnn.py` computes it, one time step at a time "
           "(σ is the logistic sigmoid, ⊙ the elementwise product; x_t is "
           + ("the pair (value, marker)" if cfg.task == "adding" else "the one-hot input symbol") + "). The views below "
           f"step this code; the race trains the very same parameters through `torch.nn.{look.upper()}`'s fused "
           "loop, which is several times faster, and the line under the gates shows that the two agree.")

run = live.session_run(view.PAGE, cfg, lambda: rnn.Trainer(cfg, view.data_for(cfg.task, cfg.length, cfg.delay,
                                                                               cfg.seed)))
query = params.sync_to_url(view.PAGE, view.SPEC)
c = st.columns([3, 1.4, 1.2])
with c[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
label = "“" + ("".join(typed.ticks) if cfg.task != "adding" else " ".join(typed.ticks)) + "”"
live.player(view.PAGE, run, values["speed"], view.render(cfg, look, typed, label), frame_s=0.6)

st.subheader("2 · Gradient through time")
st.caption("The loss is read at the last step T only; autograd gives ∂L_T/∂h_t for every earlier step t "
           "(the mean norm over 32 sequences of the task). Sequences longer than the training length test how far "
           "back the gradient reaches. The lower row uses the race's latest weights: train, pause, and compare.")
params.widget(W["lens"])
lengths = tuple(params.current(view.SPEC)["lens"])
with st.spinner("Backpropagating through time…"):
    rows, epoch = view.gradient_rows(run, lengths)
st.plotly_chart(view.vz.gradient_figure(list(lengths), [rnn.LABELS[k] for k in cfg.cells], rows),
                key="chart_gradient")
st.caption(view.decay_line(cfg, rows, lengths) + ("" if epoch else " Press ▶ Play, then pause, to add the trained "
                                                                     "row."))

layout.explain("recurrent cells, their gates and vanishing gradients", [
    "A recurrent network reads a sequence one step at a time and carries a hidden state h_t forward. "
    "The vanilla RNN squashes everything through one tanh:",
    ("latex", view.EQUATIONS["rnn"][0]),
    "Backpropagation through time multiplies one Jacobian per step, so the gradient reaching step t from a loss "
    "at step T is a product of T − t factors:",
    ("latex", r"\frac{\partial L_T}{\partial h_t} = \frac{\partial L_T}{\partial h_T}\prod_{k=t+1}^{T}"
              r"\frac{\partial h_k}{\partial h_{k-1}}, \qquad \frac{\partial h_k}{\partial h_{k-1}} = "
              r"\operatorname{diag}\big(1 - h_k^2\big)\, W_{hh}"),
    "When those factors have norm below 1 (small weights, saturated tanh) the product shrinks geometrically — "
    "the gradient **vanishes**, and the network cannot learn what depends on early steps; above 1 it "
    "**explodes** (clipping the gradient norm, here at 1, tames that).",
    "The **LSTM** adds a cell state c_t updated *additively*, with gates deciding what to write (i), keep (f) "
    "and show (o):",
    *[("latex", e) for e in view.EQUATIONS["lstm"]],
    "Along the cell state ∂c_t/∂c_{t−1} = diag(f_t): with the forget gate near 1 the gradient passes "
    "unchanged (the *constant error carousel*). The **GRU** merges the gates: the update gate z interpolates "
    "between keeping h_{t−1} and writing a candidate n_t, so z near 1 carries the gradient the same way:",
    *[("latex", e) for e in view.EQUATIONS["gru"]],
    "PyTorch initializes every weight and bias uniformly in ±1/√H, so at initialization f and z sit near ½ "
    "and the gradient still halves per step. Training (or a positive initial forget-gate bias, as Jozefowicz "
    "et al. 2015 advise) opens the carousel.",
    "The trajectory panel projects the hidden states on their first two principal components: a trained cell "
    "arranges them by what it must remember (the bracket depth, the parity so far, the digit to recall).",
])
layout.presets(view.PAGE, [
    ("The adding problem", "Hochreiter & Schmidhuber's test at length 30: LSTM and GRU solve it, the vanilla RNN "
     "stays at the baseline.", {"task": "adding", "length": "30", "seq": "3 7+ 1 4 1 5 9+ 2 6 5"}),
    ("Echo, short and long", "Recall 3 steps back: the vanilla RNN is fastest. Try delay 10: everyone struggles.",
     {"task": "echo", "length": "20", "delay": "3", "seq": "314159265358"}),
    ("Open the gates at init", "Keep-gate bias +2: the LSTM and GRU pass gradient 64 steps back before any "
     "training.", {"gate_bias": "2"}),
    ("Parity, inside the GRU", "Running parity: every cell learns it; watch the states split into two clusters.",
     {"task": "parity", "cell": "gru", "seq": "011010011101"}),
    ("Tiny cells", "8 hidden units on brackets: who still learns to count?", {"hidden": "8"}),
    ("Long brackets", "Brackets at length 32: the vanilla RNN falls behind further.", {"length": "32"}),
])
