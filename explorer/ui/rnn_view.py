"""The RNN page's controls table, cached computations and live views."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import rnn
from explorer.ui import live
from explorer.ui.params import Param
from explorer.viz import rnn as vz

PAGE = "rnn"
RUN = rnn.Config(task="brackets", length=16)
SPEEDS = (1, 2, 5, 10)
GRAD_LENGTHS = (8, 16, 32, 64)
LABEL = rnn.LABELS.get
SHOWN = {"rnn": ("h",), "lstm": ("i", "f", "o", "c"), "gru": ("z", "r", "h")}
EQUATIONS = {
    "rnn": [r"h_t = \tanh\big(W_{ih}x_t + b_{ih} + W_{hh}h_{t-1} + b_{hh}\big)"],
    "lstm": [r"i_t = \sigma(W_{ii}x_t + b_{ii} + W_{hi}h_{t-1} + b_{hi}),\quad "
             r"f_t = \sigma(W_{if}x_t + b_{if} + W_{hf}h_{t-1} + b_{hf})",
             r"g_t = \tanh(W_{ig}x_t + b_{ig} + W_{hg}h_{t-1} + b_{hg}),\quad "
             r"o_t = \sigma(W_{io}x_t + b_{io} + W_{ho}h_{t-1} + b_{ho})",
             r"c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)"],
    "gru": [r"r_t = \sigma(W_{ir}x_t + b_{ir} + W_{hr}h_{t-1} + b_{hr}),\quad "
            r"z_t = \sigma(W_{iz}x_t + b_{iz} + W_{hz}h_{t-1} + b_{hz})",
            r"n_t = \tanh\big(W_{in}x_t + b_{in} + r_t \odot (W_{hn}h_{t-1} + b_{hn})\big), \qquad "
            r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"],
}

SPEC = [
    Param("task", "Task", "choice", RUN.task, choices=rnn.TASKS, fmt=rnn.TASK_LABELS.get,
          help="Echo: output the digit seen `delay` steps ago. Parity: is the number of 1s so far odd? "
               "Brackets: is the whole string balanced (read at the end)? Adding: sum the two marked values "
               "of a long sequence (read at the end)."),
    Param("length", "Sequence length", "int", RUN.length, lo=4, hi=40,
          help="Steps per training sequence (brackets uses the even length below it)."),
    Param("delay", "Echo delay (steps)", "int", RUN.delay, lo=1, hi=20,
          help="Echo only: how many steps back the digit to output lies."),
    Param("cells", "Cells", "multi", RUN.cells, choices=rnn.CELLS, fmt=LABEL, widget="pills", min_items=1,
          help="One network per cell: the same seed, the same batches, the same optimizer."),
    Param("hidden", "Hidden units", "choice", RUN.hidden, choices=(8, 16, 32, 64), widget="segmented"),
    Param("gate_bias", "Initial keep-gate bias", "float", RUN.gate_bias, lo=-2.0, hi=4.0, step=0.5,
          help="Added at initialization to the LSTM's forget-gate bias and the GRU's update-gate bias. "
               "0 is PyTorch's init; a positive bias keeps the past (f, z near 1) from the first step."),
    Param("learning_rate", "Learning rate (Adam)", "choice", RUN.learning_rate,
          choices=(0.001, 0.003, 0.01, 0.03, 0.1), widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same data, initial weights and batch order."),
    Param("speed", "Speed (epochs/s)", "choice", 5, choices=SPEEDS, widget="select_slider",
          help=f"One epoch is up to {RUN.steps_per_epoch} Adam steps of {RUN.batch_size} sequences (fewer for "
               "long sequences and wide cells, so a frame stays short)."),
    Param("cell", "Look inside", "choice", "lstm", choices=rnn.CELLS, fmt=LABEL, widget="segmented"),
    Param("seq", "Your sequence", "text", rnn.EXAMPLES[RUN.task], max_len=64, pattern=r"[\w .,:+\-()]*",
          help="Echo: digits. Parity: 0s and 1s. Brackets: ( and ). Adding: values (a digit d means d/10) with + "
               "after the two to add, like `3 7+ 1 4 9+`."),
    Param("lens", "Sequence lengths", "multi", GRAD_LENGTHS, choices=GRAD_LENGTHS, widget="pills", min_items=1,
          fmt=lambda t: f"T = {t}"),
]
BY_NAME = {p.name: p for p in SPEC}


def run_config(v: dict) -> tuple[rnn.Config, list[str]]:
    """The race's Config from control values, and notes on what had to be adjusted."""
    notes = []
    length, delay = int(v["length"]), int(v["delay"])
    if v["task"] == "echo" and delay >= length:
        delay = length - 1
        notes.append(f"The echo delay must be shorter than the sequence; using {delay}.")
    delay = min(delay, length - 1)
    cells, hidden = tuple(v["cells"]), int(v["hidden"])
    return rnn.Config(task=v["task"], length=length, delay=delay, cells=cells, hidden=hidden,
                      learning_rate=float(v["learning_rate"]), gate_bias=float(v["gate_bias"]),
                      steps_per_epoch=rnn.auto_steps(length, hidden, len(cells)), seed=int(v["seed"])), notes


def adapt_example(task: str) -> None:
    """A sequence box still holding some task's example follows the task; typed text stays."""
    if st.session_state.get("seq") in rnn.EXAMPLES.values():
        st.session_state["seq"] = rnn.EXAMPLES[task]


def typed_input(cfg: rnn.Config, text: str) -> tuple[rnn.Typed, str | None]:
    """The typed sequence, or the task's example and a message saying what was wrong."""
    try:
        return rnn.parse(cfg.task, text, cfg.delay), None
    except ValueError as e:
        example = rnn.EXAMPLES[cfg.task]
        return rnn.parse(cfg.task, example, cfg.delay), (f"Your sequence cannot be read: {e}. Showing the example "
                                                         f"“{example}” instead.")


@st.cache_data(max_entries=16, show_spinner=False)
def data_for(task: str, length: int, delay: int, seed: int) -> rnn.Data:
    return rnn.make_data(task, length, delay, RUN.n_train, RUN.n_test, seed)


@st.cache_data(max_entries=48, show_spinner=False)
def gradient_flow(cfg: rnn.Config, kind: str, epoch: int, lengths: tuple, _weights: dict | None):
    """Cached by the run's config and epoch, which determine the weights (same seed, same run)."""
    return rnn.gradient_flow(cfg, kind, _weights, lengths)


def task_words(cfg: rnn.Config) -> tuple[str, tuple]:
    kind = rnn.KIND[cfg.task]
    if kind == "regress":
        return "mean squared error", (f"within ±{rnn.ADD_TOL:g} of the sum", None)
    if kind == "classify":
        return "cross-entropy (nats)", ("per sequence", None)
    return "cross-entropy (nats)", ("per step", "whole sequence")


def prediction_line(cfg: rnn.Config, typed: rnn.Typed, inside: rnn.Inside) -> str:
    """One sentence: what the network says about the typed sequence, against the truth."""
    kind = rnn.KIND[cfg.task]
    if kind == "regress":
        return (f"It predicts a sum of **{inside.pred[0]:.3f}**; the marked values add up to "
                f"**{typed.truth[0]:.3f}**.")
    if kind == "classify":
        names = ("unbalanced", "balanced")
        return (f"It says **{names[int(inside.pred[0])]}** (p = {inside.prob[0]:.2f}); the string is "
                f"**{names[int(typed.truth[0])]}**.")
    asked = typed.truth != rnn.IGNORE
    right = int(((inside.pred == typed.truth) & asked).sum())
    pred = "".join(str(int(p)) for p, a in zip(inside.pred, asked) if a)
    truth = "".join(str(int(t)) for t in typed.truth[asked])
    return (f"Its outputs at the asked steps: `{pred or '—'}`; right: `{truth or '—'}` "
            f"(**{right} of {int(asked.sum())}** correct).")


def render(cfg: rnn.Config, look: str, typed: rnn.Typed, text_label: str):
    """The frame renderer for :func:`explorer.ui.live.player`: the race, then inside ``look``."""
    labels = [LABEL(c) for c in cfg.cells]
    loss_name, acc_names = task_words(cfg)

    def draw(snap: rnn.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        parts = []
        for i, lab in enumerate(labels):
            if snap.model_diverged[i]:
                parts.append(f"{lab} **diverged**")
            else:
                parts.append(f"{lab} test loss **{snap.test_losses[i]:.3f}**, accuracy "
                             f"**{100 * snap.token_acc[i]:.0f} %**")
        st.markdown(f"#### Epoch {snap.epoch:,} · {snap.step:,} weight updates\n" + " · ".join(parts))
        h = run.trainer.history(snap.epoch)
        st.plotly_chart(vz.race_figure(h["epoch"], labels, h["train"], h["test"], h["token_acc"], h["seq_acc"],
                                       loss_name, acc_names), key="chart_race", config={"displayModeBar": False})
        kept, weights = run.trainer.weights_at(snap.epoch)
        i = cfg.cells.index(look)
        inside = rnn.inspect(cfg, look, weights[i], typed)
        rows = [(g, rnn.GATE_LABELS[g], inside.gates[g]) for g in SHOWN[look]]
        at = f"epoch {kept:,}" + ("" if kept == snap.epoch else f" (the nearest kept to {snap.epoch:,})")
        st.plotly_chart(vz.gates_figure(list(typed.ticks), rows, f"Inside the {LABEL(look)} on {text_label}, "
                                        f"{at}"), key="chart_gates", config={"displayModeBar": False})
        diff = rnn.torch_difference(cfg, look, weights[i], typed)
        st.caption(prediction_line(cfg, typed, inside) + f" Same weights in `torch.nn.{look.upper()}`: the "
                   f"largest difference in any h_t is {diff:.1e}.")
        tr = rnn.trajectory(cfg, look, weights[i], typed)
        st.plotly_chart(vz.trajectory_figure(tr.cloud, tr.cloud_value, tr.value_name, tr.path, list(typed.ticks),
                                             tr.explained, f"The {LABEL(look)}'s hidden state h_t, step by step "
                                             f"(first two principal components), {at}"),
                        key="chart_trajectory", config={"displayModeBar": False})

    return draw


def gradient_rows(run: live.Run, lengths: tuple) -> tuple[list, int]:
    """[(row title, norms per cell)] for the untrained weights and, once trained, the latest."""
    cfg = run.trainer.cfg
    epoch, weights = run.trainer.weights_at(run.snapshot.epoch)
    _, initial = run.trainer.weights_at(0)
    rows = [("untrained", [gradient_flow(cfg, k, 0, lengths, initial[i]).norms for i, k in enumerate(cfg.cells)])]
    if epoch > 0:
        rows.append((f"epoch {epoch:,}", [gradient_flow(cfg, k, epoch, lengths, weights[i]).norms
                                          for i, k in enumerate(cfg.cells)]))
    return rows, epoch


def decay_line(cfg: rnn.Config, rows: list, lengths: tuple) -> str:
    """How much of the last step's gradient reaches step 1 at the longest length, per row and cell."""
    t_max = max(lengths)
    j = list(lengths).index(t_max)
    parts = []
    for name, norms in rows:
        ratios = []
        for k, per_cell in zip(cfg.cells, norms):
            y = per_cell[j]
            r = y[0] / y[-1] if y[-1] > 0 else np.nan
            ratios.append(f"{LABEL(k)} {r:.0e}")
        parts.append(f"{name}: " + ", ".join(ratios))
    return f"‖∂L/∂h₁‖ / ‖∂L/∂h_T‖ at T = {t_max} — " + "; ".join(parts) + "."
