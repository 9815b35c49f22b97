"""Seq2seq & attention (§4.2): an encoder-decoder with and without Bahdanau attention, trained live."""
import streamlit as st

from explorer.engines import seq2seq as s2s
from explorer.ui import layout, live, params
from explorer.ui import seq2seq_view as view

layout.header(view.PAGE, "Press ▶ Play: two GRU encoder-decoders learn to reverse digits, one reading the source "
              "through attention. Type your own input, compare greedy with beam search, and move the "
              "teacher-forcing ratio to see training and inference part ways.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Task")
    task = params.widget(W["task"])
    params.widget(W["length"], disabled=task == "date")
    st.header("Models")
    for name in ("models", "hidden"):
        params.widget(W[name])
    st.header("Training")
    for name in ("tf", "learning_rate", "seed"):
        params.widget(W[name])

values = params.current(view.SPEC)
cfg = view.run_config(values)
view.adapt_example(cfg.task)
c = st.columns([2, 1])
params.widget(W["src"], c[0])
params.widget(W["beam"], c[1])
values = params.current(view.SPEC)
if any(p.name == "src" for p in params.invalid(view.SPEC)):
    st.warning("Your input may only hold letters, digits, spaces and . , : + - /; showing the default meanwhile.",
               icon="✏️")
typed, problem, note = view.typed_input(cfg, values["src"])
if problem:
    st.warning(problem, icon="✏️")
if note:
    st.caption("ℹ️ " + note)

run = live.session_run(view.PAGE, cfg, lambda: s2s.Trainer(cfg, view.data_for(cfg.task, cfg.length, cfg.seed)))
query = params.sync_to_url(view.PAGE, view.SPEC)
c = st.columns([3, 1.4, 1.2])
with c[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
ex = run.trainer.data
st.caption(f"{len(ex.src_train):,} training and {len(ex.src_test):,} test examples; a GRU encoder of "
           f"{cfg.hidden} units, a GRU decoder of {cfg.hidden} units; cross-entropy per output symbol. "
           f"Teacher forcing {cfg.teacher_forcing:.0%}: that share of the decoder's training inputs are the true "
           "previous symbols, the rest its own guesses.")
live.player(view.PAGE, run, values["speed"], view.render(cfg, typed, int(values["beam"])), frame_s=0.6)

layout.explain("encoder-decoders, attention, teacher forcing and beam search", [
    "The **encoder** GRU reads the source x₁…x_S into states h₁…h_S. The **decoder** GRU writes the output one "
    "symbol at a time, starting from ⟨s⟩ and the encoder's last state, feeding each symbol back in:",
    ("latex", r"s_t = \operatorname{GRU}\big([E y_{t-1};\ c_t],\ s_{t-1}\big), \qquad "
              r"p(y_t \mid y_{<t}, x) = \operatorname{softmax}\big(W_o [s_t;\ c_t] + b_o\big)"),
    "Without attention c_t is absent and the whole source must squeeze through one vector s₀ = h_S. **Bahdanau "
    "attention** scores every encoder state against the decoder's previous state and reads a weighted average:",
    ("latex", r"e_{tj} = v^\top \tanh\big(W_s s_{t-1} + W_h h_j\big), \qquad "
              r"\alpha_{tj} = \frac{\exp e_{tj}}{\sum_k \exp e_{tk}}, \qquad c_t = \sum_j \alpha_{tj} h_j"),
    "The alignment matrix shows α: for reversal a trained model looks at the mirror position (an anti-diagonal), "
    "for dates at the digits of the day, month and year it is writing.",
    "**Teacher forcing**: in training, y_{t−1} is the true previous symbol with probability r (the ratio) and "
    "the model's own argmax otherwise. At inference there is no truth, so a model trained only with r = 1 never "
    "saw its own mistakes (*exposure bias*); the dotted free-running curves measure exactly that setting.",
    "**Decoding** searches for the most probable output under the chain rule:",
    ("latex", r"\log p(y \mid x) = \sum_{t=1}^{|y|} \log p(y_t \mid y_{<t}, x)"),
    "Greedy decoding takes the best symbol at every step. **Beam search** keeps the k best partial outputs by "
    "that sum, extends each by every symbol, and keeps the k best again; an output ends at ⟨/s⟩. Width 1 is "
    "greedy; a wider beam can find a more probable output that starts with a less probable symbol.",
])
layout.presets(view.PAGE, [
    ("Long reversals", "12 digits: the model without attention stalls, the one with attention learns the "
     "anti-diagonal.", {"length": "12", "src": "314159265358"}),
    ("No teacher forcing", "Ratio 0: the decoder always reads its own guesses while training; slower to start, no "
     "train/inference gap.", {"tf": "0"}),
    ("Half and half", "Ratio 0.5 on sorting.", {"tf": "0.5", "task": "sort"}),
    ("Dates", "Human dates → ISO; try “4 july 2023” or “7/4/2023” after a minute of training.",
     {"task": "date", "src": "july 4, 2023"}),
    ("Wide beam", "Width 8 on the model without attention: the runner-ups show its doubts.",
     {"beam": "8", "models": "plain"}),
    ("Tiny models", "16 hidden units: attention makes up for a small state.", {"hidden": "16", "length": "8",
                                                                               "src": "31415926"}),
])
