"""The transformer page's controls table, cached computations and views (one render function
per section; the live run's frame renderer)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import pretraining as pt
from explorer.engines import seq_tasks as T
from explorer.engines import transformer as tr
from explorer.engines import vit
from explorer.engines.device import cap_threads
from explorer.ui import live
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import transformer as vz
from explorer.ui.layout import progress_bar

PAGE = "transformer"
RUN = tr.Config()
PRE = pt.Config()
VIT = vit.Config()
SPEEDS = (1, 2, 5, 10, 20)
TASK_LABELS = {"copy": "Copy", "reverse": "Reverse", "sort": "Sort", "modular_add": f"Addition mod {tr.MODULUS}",
               "date": "Date → ISO"}
PROBE_HINT = {"copy": "digits, e.g. 31415926", "reverse": "digits, e.g. 31415926", "sort": "digits, e.g. 31415926",
              "modular_add": "a sum, e.g. 7+12=", "date": "a date, e.g. march 3, 1999 or 3/14/1999"}

SECTIONS = {"attention": "① Attention step by step", "positions": "② Positions", "masks": "③ Masks",
            "train": "④ Train a tiny transformer", "objectives": "⑤ BERT · GPT · T5", "vit": "⑥ ViT"}

SPEC = [
    Param("section", "Section", "choice", "attention", choices=tuple(SECTIONS), widget="segmented",
          fmt=SECTIONS.get, help="One section at a time: each link opens its own."),
    # 1 · attention step by step
    Param("text", "Sentence to attend over", "text", "the cat sat on the mat", max_len=60,
          pattern=r"[A-Za-z0-9 ,.]*", help=f"Up to {tr.MAX_WORDS} words of letters or digits. Each word gets a "
          "fixed random embedding (the same word always the same vector)."),
    Param("heads", "Heads", "choice", 2, choices=(1, 2, 4), widget="segmented",
          help=f"Model width d = {tr.STEP_D} is split into heads of d/heads dimensions each."),
    Param("causal", "Causal mask (decoder)", "bool", False,
          help="Each word may attend only to itself and the words before it."),
    # 2 · positions
    Param("pe_dim", "Encoding width d", "choice", 32, choices=(16, 32, 64, 128), widget="segmented"),
    # 4 · the live run
    Param("task", "Task", "choice", RUN.task, choices=tr.TASKS, fmt=TASK_LABELS.get),
    Param("length", "Sequence length", "int", RUN.length, lo=3, hi=12,
          help="Symbols per input for copy, reverse and sort (the other tasks have their own form)."),
    Param("layers", "Layers (encoder and decoder each)", "int", RUN.layers, lo=1, hi=3),
    Param("nheads", "Attention heads", "choice", RUN.heads, choices=(1, 2, 4), widget="segmented"),
    Param("pos", "Positional encoding", "choice", RUN.pos, choices=tr.POS_KINDS, fmt=tr.POS_LABELS.get,
          help="'None' leaves the model blind to order: reverse and sort become impossible."),
    Param("lr", "Learning rate (Adam)", "choice", RUN.learning_rate, choices=(0.0003, 0.001, 0.003, 0.01, 0.03),
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same data, initial weights and batches."),
    Param("speed", "Speed (steps/s)", "choice", 5, choices=SPEEDS, widget="select_slider",
          help=f"One step is {RUN.updates} Adam updates on batches of {RUN.batch_size}."),
    Param("probe", "Input to look at", "text", "31415926", max_len=24, pattern=r"[A-Za-z0-9 ,/+=\-]*",
          help="Typed in the task's alphabet; its attention maps are drawn every frame."),
    # 5 · BERT · GPT · T5
    Param("sentence", "A sentence of the toy corpus", "text", "the small cat eats the fish .", max_len=80,
          pattern=r"[A-Za-z .]*", help="Words the corpus knows: " + " ".join(pt.WORDS)),
    # 6 · ViT
    Param("patch", "Patch size (pixels)", "choice", VIT.patch, choices=vit.PATCHES, widget="segmented",
          fmt=lambda p: f"{p}×{p}", help="Smaller patches: more tokens (a finer attention map), slower training."),
    Param("digit", "Test image", "int", 0, lo=0, hi=199, help="Which of the held-out digits to look at."),
]
BY_NAME = {p.name: p for p in SPEC}
ALLOWED = {"text": "letters, digits, spaces, commas and full stops", "sentence": "letters, spaces and full stops",
           "probe": "letters, digits, spaces and , / + = -"}


def run_config(v: dict) -> tr.Config:
    return tr.Config(task=v["task"], length=int(v["length"]), layers=int(v["layers"]), heads=int(v["nheads"]),
                     pos=v["pos"], learning_rate=float(v["lr"]), seed=int(v["seed"]))


# -- cached computations -------------------------------------------------------------------------

@st.cache_data(max_entries=32, show_spinner=False)
def steps(text: str, heads: int, causal: bool) -> tr.Steps:
    return tr.step_by_step(text, heads, causal)


@st.cache_data(max_entries=32, show_spinner=False)
def future(text: str, heads: int) -> tuple[np.ndarray, np.ndarray]:
    return tr.future_change(text, heads)


@st.cache_data(max_entries=8, show_spinner=False)
def positions(d: int) -> dict:
    pe = tr.sinusoidal(48, d)
    n = 16
    pairs = (0, 2, d // 4)   # fast, medium and slow rotations
    return {"pe": pe, "sim": pe @ pe.T, "rope": tr.rope_scores(n, d),
            "tracks": [tr.rope_pair_track(n, d, i) for i in pairs], "pairs": pairs}


@st.cache_data(max_entries=16, show_spinner=False)
def data_for(task: str, length: int, seed: int) -> tr.Data:
    return tr.make_data(task, length, seed)



@memo(4)
def pretrained(cfg: pt.Config, _progress=None) -> pt.Pretrained:
    cap_threads()
    return pt.train(cfg, _progress)


@memo(64)
def predictions(cfg: pt.Config, words: tuple) -> dict:
    """BERT's and GPT's distributions and T5's span filling for one sentence (pretrained must be cached)."""
    res = pretrained(cfg)
    w = list(words)
    return {"bert": pt.bert_predictions(res.bert, w), "gpt": pt.gpt_predictions(res.gpt, w),
            "t5": pt.t5_fill(res.t5, w, cfg.seed)}


@memo(4)
def learned_positions(cfg: pt.Config, _progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity of GPT's position vectors after training and at initialization."""
    res = pretrained(cfg, _progress=_progress)
    fresh = pt.build_model(cfg, "gpt")
    return pt.position_similarity(res.gpt), pt.position_similarity(fresh)


@memo(2)
def vit_data() -> vit.Data:
    return vit.make_data(0)


@memo(6)
def vit_trained(cfg: vit.Config, _progress=None) -> vit.Trained:
    cap_threads()
    return vit.train(cfg, vit_data(), _progress)


@memo(64)
def vit_look(cfg: vit.Config, index: int) -> vit.Look:
    return vit.look(vit_trained(cfg).model, vit_data().x_test[index])


def ensure(fn, cfg, text: str):
    """``fn(cfg)`` with a progress bar while it computes the first time."""
    bar, prog = progress_bar(text)
    try:
        return fn(cfg, _progress=prog)
    finally:
        bar.empty()


# -- 1 · attention step by step ------------------------------------------------------------------

def _cols(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def render_steps(s: tr.Steps, heads: int, causal: bool) -> None:
    toks = list(s.tokens)
    d = s.x.shape[1]
    dk = d // heads
    dims = _cols("", d)
    st.markdown("**① Tokens → vectors.** Each word's embedding plus the sinusoidal position of its place "
                f"gives the input X (one row per word, d = {d}).")
    st.plotly_chart(vz.matrices_figure("X = embedding + position", [
        {"m": s.emb, "title": "embedding E", "rows": toks, "cols": dims, "x_title": "dimension", "y_title": "word"},
        {"m": s.pos, "title": "position P (sinusoidal)", "rows": toks, "cols": dims, "x_title": "dimension"},
        {"m": s.x, "title": "X = E + P", "rows": toks, "cols": dims, "x_title": "dimension"}]),
        key="chart_steps_x")
    st.markdown("**② Queries, keys, values.** Three learned maps W_Q, W_K, W_V (d × d) project X. "
                + (f"With {heads} heads each head takes its own {dk} columns; shown here: **head 1** "
                   f"(columns 0…{dk - 1})." if heads > 1 else ""))
    head = lambda m: m[:, :dk]  # noqa: E731
    st.plotly_chart(vz.matrices_figure("Q = X·W_Q, K = X·W_K, V = X·W_V" + (" (head 1)" if heads > 1 else ""), [
        {"m": head(s.q), "title": "Q (queries)", "rows": toks, "cols": _cols("", dk), "x_title": "dimension",
         "y_title": "word"},
        {"m": head(s.k), "title": "K (keys)", "rows": toks, "cols": _cols("", dk), "x_title": "dimension"},
        {"m": head(s.v), "title": "V (values)", "rows": toks, "cols": _cols("", dk), "x_title": "dimension"}]),
        key="chart_steps_qkv")
    st.markdown(f"**③ Scores → scale → mask → softmax.** Every query is compared with every key "
                f"(QKᵀ), divided by √d_k = √{dk} = {np.sqrt(dk):.2f} so the softmax does not saturate, "
                + ("future positions are set to −∞, " if causal else "nothing is masked (bidirectional), ")
                + "and each row is turned into weights that sum to 1.")
    st.plotly_chart(vz.matrices_figure("From scores to attention weights" + (" (head 1)" if heads > 1 else ""), [
        {"m": s.scores[0], "title": "scores QKᵀ", "rows": toks, "cols": toks, "x_title": "key", "y_title": "query",
         "fmt": ".1f"},
        {"m": s.masked[0], "title": f"÷ √{dk}" + (", masked" if causal else ""), "rows": toks, "cols": toks,
         "x_title": "key", "fmt": ".1f"},
        {"m": s.weights[0], "title": "softmax (rows sum to 1)", "rows": toks, "cols": toks, "x_title": "key",
         "kind": "weights"}], height=380), key="chart_steps_scores")
    st.markdown("**④ Weighted sum.** Each output row is the weights' mix of the value rows: "
                "the word's new vector, made of what it attended to.")
    st.plotly_chart(vz.matrices_figure("Output = softmax(QKᵀ/√d_k)·V" + (" (head 1)" if heads > 1 else ""), [
        {"m": s.weights[0], "title": "weights A", "rows": toks, "cols": toks, "x_title": "key", "y_title": "query",
         "kind": "weights"},
        {"m": head(s.v), "title": "V", "rows": toks, "cols": _cols("", dk), "x_title": "dimension"},
        {"m": s.heads_out[0], "title": "A·V", "rows": toks, "cols": _cols("", dk), "x_title": "dimension"}]),
        key="chart_steps_out")


def render_multihead(s: tr.Steps, heads: int, causal: bool) -> None:
    toks = list(s.tokens)
    d = s.x.shape[1]
    st.plotly_chart(vz.heads_figure(s.weights, toks, f"Attention weights of each of the {heads} head(s)", causal),
                    key="chart_heads")
    st.plotly_chart(vz.matrices_figure("Heads concatenated, then mixed by W_O", [
        {"m": s.concat, "title": f"concat of {heads} head output(s)", "rows": toks, "cols": _cols("", d),
         "x_title": "dimension", "y_title": "word"},
        {"m": s.out, "title": "output = concat·W_O", "rows": toks, "cols": _cols("", d), "x_title": "dimension"}]),
        key="chart_concat")


# -- 3 · masks -----------------------------------------------------------------------------------

def render_masks(s: tr.Steps) -> None:
    src = list(s.tokens) + ["<pad>", "<pad>"]
    n = len(s.tokens)
    tgt = ["<s>"] + list(s.tokens[: min(n, 5) - 1]) if n > 1 else ["<s>"]
    pad_keys = np.array([t != "<pad>" for t in src])
    enc = np.tile(pad_keys, (len(src), 1))
    dec = np.tril(np.ones((len(tgt), len(tgt)), dtype=bool))
    cross = np.tile(pad_keys, (len(tgt), 1))
    st.plotly_chart(vz.masks_figure([
        {"m": enc, "title": "encoder: bidirectional + padding", "rows": src, "cols": src, "x_title": "key",
         "y_title": "query"},
        {"m": dec, "title": "decoder: causal", "rows": tgt, "cols": tgt, "x_title": "key"},
        {"m": cross, "title": "cross: decoder → encoder", "rows": tgt, "cols": src, "x_title": "encoder key"}]),
        key="chart_masks")


# -- 4 · the live run ----------------------------------------------------------------------------

def probe_for(cfg: tr.Config, data: tr.Data, text: str) -> tuple[tr.Parsed, str | None]:
    """The typed input parsed for the task, or (the first held-out example, the reason)."""
    try:
        return tr.parse_input(cfg.task, text, cfg.length, data), None
    except ValueError as e:
        fallback = tr.example_text(cfg.task, data)
        return tr.parse_input(cfg.task, fallback, cfg.length, data), str(e).split(": ", 1)[-1]


def _label(i: int, vocab: tuple) -> str:
    return {T.PAD: "·", T.BOS: "<s>", T.EOS: "</s>"}.get(int(i), vocab[int(i)] if int(i) < len(vocab) else "?")


def _show(sym: str) -> str:
    return "␣" if sym == " " else sym


KINDS = (("encoder self-attention", "enc"), ("decoder self-attention (causal)", "dec"), ("cross-attention", "cross"))


def grid_cells(probe: tr.Probe, vocab: tuple) -> list[list[tuple]]:
    """The panels of :func:`vz.attention_grid`: encoder self, decoder self (causal) and cross
    attention of every layer and head. With at most 4 maps per kind, one row per kind
    (columns: layer × head); otherwise one row per kind and layer (columns: heads)."""
    n_src = int((probe.src != T.PAD).sum())
    src = [_show(_label(i, vocab)) for i in probe.src[:n_src]]
    dec_in = ["<s>"] + [_show(_label(i, vocab)) for i in probe.out[:-1]]
    makes = ["→" + _show(_label(i, vocab)) for i in probe.out]
    maps = {"enc": probe.enc[:, :, :n_src, :n_src], "dec": probe.dec, "cross": probe.cross[:, :, :, :n_src]}
    labels = {"enc": (src, src, "source (query)", "source (key)"),
              "dec": (makes, dec_in, "writes (query)", "decoder input (key)"),
              "cross": (makes, src, "writes (query)", "source (key)")}
    layers, heads = probe.enc.shape[:2]
    wide = layers * heads <= 4
    cells = []
    for kind_name, kind in KINDS:
        q, k, yt, xt = labels[kind]
        row = []
        for li in range(layers):
            for h in range(heads):
                title = f"{kind} · L{li + 1}" + (f" · head {h + 1}" if heads > 1 else "")
                row.append((title, maps[kind][li, h], q, k, yt, xt))
            if not wide:
                cells.append(row)
                row = []
        if wide:
            cells.append(row)
    return cells


def output_line(probe: tr.Probe, parsed: tr.Parsed, vocab: tuple, note: str = "") -> str:
    out = T.decode(probe.out, vocab)
    shown = "".join(out) if out else "(nothing)"
    if note:
        return f"Input `{''.join(parsed.symbols)}` → model `{shown}`{note}"
    if parsed.truth is None:
        return f"Input `{''.join(parsed.symbols)}` → model `{shown}` (no rule answer: not a valid date)"
    truth = "".join(parsed.truth)
    mark = "✅ right" if tuple(out) == parsed.truth else f"❌ the answer is `{truth}`"
    return f"Input `{''.join(parsed.symbols)}` → model `{shown}` {mark}"


def render_live(cfg: tr.Config, parsed: tr.Parsed, data: tr.Data):
    """The frame renderer for :func:`explorer.ui.live.player`."""
    vocab = data.vocab

    def draw(snap: tr.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        acc = "—" if not np.isfinite(snap.greedy_token_acc) else f"{100 * snap.greedy_token_acc:.1f} %"
        seq = "—" if not np.isfinite(snap.greedy_seq_acc) else f"{100 * snap.greedy_seq_acc:.0f} %"
        st.markdown(f"#### Step {snap.epoch:,} · {snap.step:,} Adam updates · held-out accuracy {acc} of tokens, "
                    f"{seq} of whole outputs")
        if snap is run.snapshot:   # the model as it is now: draw the chosen input afresh
            probe, shown, note = tr.probe_maps(run.trainer.model, parsed.src, parsed.steps), parsed, ""
        elif snap.probe is not None and np.array_equal(snap.probe.src, parsed.src):
            probe, shown, note = snap.probe, parsed, ""
        elif snap.probe is not None:
            probe, note = snap.probe, " (recorded at this step for an earlier input)"
            shown = tr.Parsed(tuple(_label(i, vocab) for i in probe.src if i != T.PAD), probe.src, None,
                              len(probe.out))
        else:
            probe = None
        if probe is None:
            st.caption("No attention maps were recorded at this step; drag to a later one.")
        else:
            st.markdown(output_line(probe, shown, vocab, note))
            st.plotly_chart(vz.attention_grid(grid_cells(probe, vocab)), key="chart_live_attention",
                            config={"displayModeBar": False})
        h = run.trainer.history(snap.step)
        st.plotly_chart(vz.curves_figure(h["step"], h["train"], h["test"], h["acc"], h["greedy"]),
                        key="chart_live_curves", config={"displayModeBar": False})

    return draw


# -- 5 · BERT · GPT · T5 -------------------------------------------------------------------------

def true_probs(words: list[str], pred: dict) -> tuple[np.ndarray, np.ndarray]:
    """Probability BERT (word masked) and GPT (left context) give to each true word: ([L], [L])."""
    idx, rows = [pt.INDEX[w] for w in words], np.arange(len(words))
    return pred["bert"][rows, idx], pred["gpt"][rows, idx]


def pretrain_rows(words: list[str], bert: np.ndarray, gpt: np.ndarray) -> list[dict]:
    fmt = lambda pairs: ", ".join(f"{w} {100 * p:.0f} %" for w, p in pairs)  # noqa: E731
    return [{"position": i, "word": w, "BERT (masked, sees both sides)": fmt(pt.top(bert[i])),
             "GPT (sees only the left)": fmt(pt.top(gpt[i]))} for i, w in enumerate(words)]


def t5_lines(fill: pt.SpanFill) -> list[str]:
    j = " ".join
    ok = fill.output == fill.target
    probs = ", ".join(f"{t} {100 * p:.0f} %" for t, p in zip(fill.target, fill.target_prob))
    return [f"**Corrupted input** (spans replaced by sentinels): `{j(fill.source)}`",
            f"**T5 writes** `{j(fill.output)}` " + ("✅ every span right" if ok else f"(the hidden spans: "
                                                                                   f"`{j(fill.target)}`)"),
            f"Probability of each target token when teacher-forced: {probs}"]
