"""The seq2seq page's controls table, cached data and live views."""
from __future__ import annotations

import streamlit as st

from explorer.engines import seq2seq as s2s
from explorer.ui import live
from explorer.ui.params import Param
from explorer.viz import seq2seq as vz

PAGE = "seq2seq"
RUN = s2s.Config()
SPEEDS = (1, 2, 5, 10)
LABEL = s2s.MODEL_LABELS.get
SHORT = {"attention": "attention", "plain": "no attention"}
MODEL_SETS = {"both": ("attention", "plain"), "attention": ("attention",), "plain": ("plain",)}
MODEL_SET_LABELS = {"both": "Both", "attention": "Attention", "plain": "Plain"}

SPEC = [
    Param("task", "Task", "choice", RUN.task, choices=s2s.TASKS, fmt=s2s.TASK_LABELS.get,
          help="Reverse, sort or copy a string of digits, or rewrite a date written by a human "
               "(“july 4, 2023”, “4 july 2023”, “7/4/2023”, “4-jul-2023”, “jul 04 2023”) as 2023-07-04."),
    Param("length", "Digits per input", "int", RUN.length, lo=3, hi=12,
          help="Reverse, sort and copy only; longer inputs are harder to squeeze through one state."),
    Param("models", "Models", "choice", "both", choices=tuple(MODEL_SETS), fmt=MODEL_SET_LABELS.get,
          widget="segmented",
          help="Attention: the decoder reads every encoder state through Bahdanau attention. Plain: it sees only "
               "the encoder's last state. Both: trained side by side on the same batches and teacher-forcing coins."),
    Param("hidden", "Hidden units", "choice", RUN.hidden, choices=(16, 32, 64, 128), widget="segmented"),
    Param("tf", "Teacher-forcing ratio", "float", RUN.teacher_forcing, lo=0.0, hi=1.0, step=0.1,
          help="While training, the chance that each decoder step is fed the true previous symbol rather than "
               "the model's own guess. At inference there is no truth to feed: the model always reads its own "
               "output."),
    Param("learning_rate", "Learning rate (Adam)", "choice", RUN.learning_rate,
          choices=(0.0003, 0.001, 0.003, 0.01, 0.03), widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same data, initial weights, batches and teacher-forcing coins."),
    Param("speed", "Speed (epochs/s)", "choice", 5, choices=SPEEDS, widget="select_slider",
          help=f"One epoch is up to {RUN.steps_per_epoch} Adam steps of {RUN.batch_size} examples (fewer for "
               "long inputs and wide models, so a frame stays short)."),
    Param("src", "Your input", "text", s2s.EXAMPLES[RUN.task], max_len=s2s.MAX_TYPED, pattern=r"[\w .,:+\-/]*",
          help="Digits for reverse, sort and copy; a date like “july 4, 2023” or “7/4/2023” for the date task."),
    Param("beam", "Beam width", "int", 3, lo=1, hi=8,
          help="How many partial outputs beam search keeps at each step; 1 is greedy decoding."),
]
BY_NAME = {p.name: p for p in SPEC}


def run_config(v: dict) -> s2s.Config:
    models, hidden, length = MODEL_SETS[v["models"]], int(v["hidden"]), int(v["length"])
    return s2s.Config(task=v["task"], length=length, models=models, hidden=hidden,
                      teacher_forcing=float(v["tf"]), learning_rate=float(v["learning_rate"]),
                      steps_per_epoch=s2s.auto_steps(v["task"], length, hidden, len(models)), seed=int(v["seed"]))


def adapt_example(task: str) -> None:
    """An input box still holding some task's example follows the task; typed text stays."""
    if st.session_state.get("src") in s2s.EXAMPLES.values():
        st.session_state["src"] = s2s.EXAMPLES[task]


def typed_input(cfg: s2s.Config, text: str) -> tuple[s2s.Typed, str | None, str | None]:
    """(typed input, a problem to show as a warning, a note to show as a caption)."""
    try:
        typed = s2s.parse(cfg.task, text)
    except ValueError as e:
        example = s2s.EXAMPLES[cfg.task]
        return s2s.parse(cfg.task, example), f"Your input cannot be read: {e}. Showing “{example}” instead.", None
    note = None
    if cfg.task == "date" and typed.answer is None:
        note = ("That is not a date in one of the five trained formats, so there is no right answer to compare; "
                "the models still rewrite it as best they can.")
    elif cfg.task != "date" and len(typed.symbols) != cfg.length:
        note = (f"The models train on {cfg.length} digits; {len(typed.symbols)} digits test whether they "
                "generalize to another length (they usually do not).")
    return typed, None, note


@st.cache_data(max_entries=16, show_spinner=False)
def data_for(task: str, length: int, seed: int) -> s2s.Data:
    return s2s.make_data(task, length, RUN.n_train, RUN.n_test, seed)


def shown(symbols, task: str) -> str:
    return "".join(symbols) if symbols else "∅"


def beam_rows(cfg: s2s.Config, typed: s2s.Typed, results: list) -> list[tuple]:
    """Bars for :func:`vz.beams_figure`: per model, greedy then the beam's k best."""
    rows = []
    for model, tl in zip(cfg.models, results):
        tag = SHORT[model]
        ok = (lambda sym: None if typed.answer is None else tuple(sym) == typed.answer)  # noqa: E731
        rows.append((f"{tag}, greedy", shown(tl.output, cfg.task) + ("" if tl.ended else "…"), tl.greedy_score,
                     ok(tl.output) if tl.ended else (False if typed.answer is not None else None)))
        for r, (sym, score, ended) in enumerate(tl.beams, 1):
            rows.append((f"{tag}, beam #{r}", shown(sym, cfg.task) + ("" if ended else "…"), score,
                         ok(sym) if ended else (False if typed.answer is not None else None)))
    return rows


def render(cfg: s2s.Config, typed: s2s.Typed, width: int):
    """The frame renderer for :func:`explorer.ui.live.player`."""
    labels = [LABEL(m) for m in cfg.models]
    source = "".join(typed.symbols)

    def draw(snap: s2s.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        parts = []
        for i, m in enumerate(cfg.models):
            if snap.model_diverged[i]:
                parts.append(f"{SHORT[m]} **diverged**")
            else:
                parts.append(f"{SHORT[m]}: training loss **{snap.train_losses[i]:.3f}**, free-running test "
                             f"accuracy **{100 * snap.free_token_acc[i]:.0f} %** per symbol, "
                             f"**{100 * snap.free_seq_acc[i]:.0f} %** whole outputs")
        st.markdown(f"#### Epoch {snap.epoch:,} · {snap.step:,} weight updates\n" + " · ".join(parts))
        h = run.trainer.history(snap.epoch)
        st.plotly_chart(vz.training_figure(h["epoch"], labels, h, cfg.teacher_forcing), key="chart_training",
                        config={"displayModeBar": False})
        kept, weights = run.trainer.weights_at(snap.epoch)
        at = f"epoch {kept:,}" + ("" if kept == snap.epoch else f" (nearest kept to {snap.epoch:,})")
        results = [s2s.translate(cfg, m, weights[i], typed, width) for i, m in enumerate(cfg.models)]
        answer = "" if typed.answer is None else f"; the right answer is “{''.join(typed.answer)}”"
        st.plotly_chart(vz.beams_figure(beam_rows(cfg, typed, results),
                                        f"“{source}”: greedy against beam search (width {width}), {at}"),
                        key="chart_beams", config={"displayModeBar": False})
        st.caption(f"Green: right{answer}. Scores are log p(output | input), summed over the output's symbols "
                   "(EOS included); beam search keeps the best partial outputs by that sum, greedy only the best "
                   "next symbol. “…” marks an output cut off before it emitted its end symbol.")
        if "attention" in cfg.models:
            tl = results[cfg.models.index("attention")]
            out = list(tl.output) + ([vz.EOS_LABEL] if tl.ended else [])
            st.plotly_chart(vz.alignment_figure(list(typed.symbols), out, tl.alignment,
                                                f"Where the attention looks: “{source}” → "
                                                f"“{''.join(tl.output)}”, {at}"),
                            key="chart_alignment", config={"displayModeBar": False})
        else:
            st.info("Add the model **with Bahdanau attention** to see its alignment matrix.", icon="🔎")

    return draw
