"""The playground page's controls table, config building and live views.

Kept out of the page file so the page reads like a lesson; other pages (loss landscape,
benchmarks) can reuse ``SPEC`` and :func:`config_from_values`.
"""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from explorer.engines import playground as pg
from explorer.engines import tfp_link
from explorer.ui import live, params
from explorer.ui.params import Param
from explorer.viz import playground as vz
from explorer.viz import raster

PAGE = "playground"
DATASET_LABELS = {"circle": "Circle", "xor": "Exclusive or", "gauss": "Two Gaussians", "spiral": "Spiral",
                  "blobs": "Blobs (3–6 classes)", "arms": "Spiral arms (3–6 classes)",
                  "reg-plane": "Plane", "reg-gauss": "Six bumps"}
NAMES = {"sgd": "SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam", "squared": "Squared error",
         "cross_entropy": "Cross-entropy", "none": "None", "L1": "L1", "L2": "L2",
         "classification": "Classification", "regression": "Regression"}
DEFAULT = pg.Config()
SPEED_LABEL = {s: ("max" if s == live.SPEEDS[-1] else f"{s} /s") for s in live.SPEEDS}

SPEC = [
    Param("problem", "Problem", "choice", DEFAULT.problem, choices=pg.PROBLEMS, widget="segmented",
          fmt=NAMES.get),
    Param("dataset", "Dataset", "choice", DEFAULT.dataset, choices=pg.DATASETS, fmt=DATASET_LABELS.get),
    Param("reg_dataset", "Dataset", "choice", DEFAULT.reg_dataset, choices=pg.REG_DATASETS,
          fmt=DATASET_LABELS.get),
    Param("classes", "Classes", "int", DEFAULT.classes, lo=3, hi=6),
    Param("noise", "Noise (%)", "int", DEFAULT.noise, lo=0, hi=50, step=5,
          help="Circle, xor: flips labels near the border. Gauss: spreads the clouds. Spiral: moves points."),
    Param("train_ratio", "Training data (%)", "int", DEFAULT.train_ratio, lo=10, hi=90, step=10),
    Param("batch_size", "Batch size", "int", DEFAULT.batch_size, lo=1, hi=30),
    Param("features", "Input features", "multi", DEFAULT.features, choices=pg.FEATURES, widget="pills",
          fmt=pg.FEATURE_LABELS.get, min_items=1, help="What the first layer sees."),
    Param("layers", "Hidden layers", "int", len(DEFAULT.hidden), lo=0, hi=pg.MAX_LAYERS),
    *[Param(f"n{i}", f"Layer {i}", "int", (DEFAULT.hidden + (2,) * 6)[i - 1], lo=1, hi=pg.MAX_NEURONS,
            widget="number") for i in range(1, pg.MAX_LAYERS + 1)],
    Param("activation", "Activation", "choice", DEFAULT.activation, choices=pg.ACTIVATIONS),
    Param("learning_rate", "Learning rate", "choice", DEFAULT.learning_rate, choices=pg.LEARNING_RATES,
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("optimizer", "Optimizer", "choice", DEFAULT.optimizer, choices=pg.OPTIMIZERS, fmt=NAMES.get),
    Param("loss", "Loss", "choice", DEFAULT.loss, choices=pg.LOSSES, fmt=NAMES.get,
          help="Squared error is what TensorFlow Playground reports: mean of ½(output − label)²."),
    Param("regularization", "Regularization", "choice", DEFAULT.regularization, choices=pg.REGULARIZATIONS,
          fmt=NAMES.get, widget="segmented"),
    Param("reg_rate", "Regularization rate", "choice", DEFAULT.reg_rate, choices=pg.REG_RATES,
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("dropout", "Dropout", "float", DEFAULT.dropout, lo=0.0, hi=0.5, step=0.05,
          help="Share of hidden units switched off at random in each training batch."),
    Param("seed", "Seed", "text", DEFAULT.seed, max_len=pg.MAX_SEED_LEN,
          help="Any text. The same seed gives the same data, weights and run."),
    Param("compat", "TensorFlow-exact mode", "bool", False,
          help="Follow TensorFlow Playground exactly: its random generator, data, initial weights and update rules, so a run here equals the same link's run there."),
    Param("init_zero", "Start from zero weights", "bool", False),
    Param("show_test", "Show test data", "bool", False),
    Param("discretize", "Discretize output", "bool", False),
    Param("speed", "Speed (epochs/s)", "choice", 100, choices=live.SPEEDS, widget="select_slider",
          fmt=SPEED_LABEL.get),
    Param("epoch", "Open at epoch", "int", 0, lo=0, hi=live.MAX_REPLAY_EPOCHS,
          help="A shared link trains to this epoch on opening and pauses there."),
    Param("hide", "Hidden controls", "multi", (), choices=tuple(
        n for n in ("problem", "dataset", "reg_dataset", "noise", "train_ratio", "batch_size", "features",
                    "hidden", "activation", "learning_rate", "regularization", "reg_rate", "seed"))),
]
BY_NAME = {p.name: p for p in SPEC}


def config_from_values(v: dict) -> tuple[pg.Config, list[str]]:
    """The run's Config from control values (display-only controls do not enter it)."""
    hidden = tuple(int(v[f"n{i}"]) for i in range(1, int(v["layers"]) + 1))
    return pg.Config.coerced(
        problem=v["problem"], dataset=v["dataset"], reg_dataset=v["reg_dataset"], classes=int(v["classes"]),
        noise=int(v["noise"]), train_ratio=int(v["train_ratio"]), batch_size=int(v["batch_size"]),
        features=tuple(v["features"]), hidden=hidden, activation=v["activation"],
        learning_rate=float(v["learning_rate"]), regularization=v["regularization"],
        reg_rate=float(v["reg_rate"]), loss=v["loss"], optimizer=v["optimizer"], dropout=float(v["dropout"]),
        seed=v["seed"], compat=bool(v["compat"]), init_zero=bool(v["init_zero"]))


def values_from_tfp(link: tfp_link.TfpLink) -> tuple[dict, list[str]]:
    """Control values that open a parsed TensorFlow Playground link, and what had to change
    to fit this page's controls (their steps and option lists)."""
    c = link.config
    vals = {"problem": c.problem, "dataset": c.dataset, "reg_dataset": c.reg_dataset, "noise": c.noise,
            "train_ratio": c.train_ratio, "batch_size": c.batch_size, "features": c.features,
            "layers": len(c.hidden), "activation": c.activation, "learning_rate": c.learning_rate,
            "regularization": c.regularization, "reg_rate": c.reg_rate, "optimizer": "sgd",
            "loss": "squared", "dropout": 0.0, "seed": c.seed, "compat": True, "init_zero": c.init_zero,
            "show_test": link.show_test, "discretize": link.discretize,
            "hide": tuple(h for h in link.hidden_controls if h in BY_NAME["hide"].choices), "epoch": 0}
    for i, h in enumerate(c.hidden, start=1):
        vals[f"n{i}"] = h
    notes = []
    for name, value in vals.items():  # the same rules as a value arriving in our own URL
        fitted, note = params.decode(BY_NAME[name], params.encode(BY_NAME[name], value))
        if note:
            vals[name] = fitted
            notes.append(note + " The run will differ from the peer's.")
    return vals, notes


def _output_labels(cfg: pg.Config) -> list[str] | None:
    return [f"class {k}" for k in range(cfg.classes)] if cfg.multiclass else None


def render(cfg: pg.Config, data: pg.Data, show_test: bool, discretize: bool):
    """The frame renderer for :func:`explorer.ui.live.player`."""

    def draw(snap: pg.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts inside columns of a fast-rerunning fragment remount
        # (and blank) on every frame; one combined figure updates in place.
        t0 = time.perf_counter()
        if cfg.problem == "classification":
            extra = f"test accuracy **{100 * snap.test_acc:.1f} %**"
        else:
            extra = f"test RMSE **{np.sqrt(2 * snap.test_loss):.3f}**"
        st.markdown(f"#### Epoch {snap.epoch:,}\n{snap.step:,} weight updates · training loss "
                    f"**{snap.train_loss:.3f}** · test loss **{snap.test_loss:.3f}** · {extra}")
        maps = pg.node_outputs(cfg, snap.params, 100)
        out = pg.display_value(cfg, maps[-1])
        if cfg.head in ("sigmoid_ce", "softmax_ce"):  # probabilities shown on the same −1…1 scale
            maps[-1] = 2 * maps[-1] - 1
        layers = pg.unflatten(cfg, snap.params)
        dead = None
        if snap is run.snapshot and run.trainer.dead.any():
            dead = [run.trainer.dead[w].reshape(shape) for w, shape, _ in pg.param_slices(cfg)]
        net = dict(layer_sizes=cfg.layer_sizes, input_labels=[pg.FEATURE_LABELS[f] for f in cfg.features],
                   maps=maps, weights=[w for w, _ in layers], biases=[b for _, b in layers], dead=dead,
                   output_labels=_output_labels(cfg))
        boundary = dict(values=out, train_xy=data.train_xy, train_y=data.train_y, test_xy=data.test_xy,
                        test_y=data.test_y, multiclass=cfg.multiclass, regression=cfg.problem == "regression",
                        show_test=show_test, discretize=discretize)
        c = run.curve
        ylabel = "mean ½(output − label)²" if cfg.loss == "squared" else "cross-entropy (nats)"
        title_net = "Network: each square is a neuron's output over the plane"
        if run.playing:  # a PNG swaps in place at 6+ frames/s; plotly charts would remount
            st.image(raster.playground_png(net, boundary, c, title_net=title_net,
                                           title_out=f"Output at epoch {snap.epoch:,}", ylabel=ylabel),
                     width="stretch", caption="Live frames; stop training to hover neurons and edges and to scrub the history.")
        else:
            st.plotly_chart(vz.playground_figure(net, boundary, title_net=title_net,
                                                 title_out=f"Output at epoch {snap.epoch:,}"),
                            key="chart_main", width="stretch", config={"displayModeBar": False})
            st.plotly_chart(vz.loss_figure(c["epoch"], c["train"], c["test"], marker=snap.epoch, ylabel=ylabel,
                                           title="Training and test loss"),
                            key="chart_loss", width="stretch", config={"displayModeBar": False})
        st.caption(f"Frame drawn in {1000 * (time.perf_counter() - t0):.0f} ms.")

    return draw


def tfp_box(cfg: pg.Config, show_test: bool, discretize: bool, hide: tuple) -> None:
    """Open a TensorFlow Playground link here, and give this view's link there."""
    st.text_input("Paste a TensorFlow Playground link (or its #… part)", key="tfp_paste",
                  help="For example https://playground.tensorflow.org/#activation=tanh&batchSize=10&…")
    st.button("Open it here", key="tfp_open", on_click=_open_tfp)
    for note in st.session_state.pop("tfp_notes", []):
        st.info(note, icon="ℹ️")
    link = tfp_link.to_tfp_link(cfg, show_test, discretize, hide)
    if link:
        st.markdown(f"**This view in TensorFlow Playground:** [open it there]({link})")
        st.code(link, language=None, wrap_lines=True)
        if not cfg.compat:
            st.caption("Turn on *TensorFlow-exact mode* to get the very same data, weights and losses.")
    else:
        st.caption(f"This view has no TensorFlow Playground equivalent: {tfp_link.representable(cfg)}.")


def _open_tfp() -> None:
    """Button callback (runs before the script, so it may set widget values)."""
    text = st.session_state.get("tfp_paste", "")
    if not text.strip():
        st.session_state["tfp_notes"] = ["Paste a link first."]
        return
    link = tfp_link.parse_tfp(text)
    values, fitted = values_from_tfp(link)
    for k, v in values.items():
        st.session_state[k] = v
    notes = ["Opened the TensorFlow Playground link in TensorFlow-exact mode."]
    notes += [f"Not carried over: {n}" for n in link.notices + fitted] or ["Everything in it was carried over."]
    st.session_state["tfp_notes"] = notes
