"""The activation-functions page's controls table, cached computations and live views."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import activations as act
from explorer.ui import live
from explorer.ui.params import Param
from explorer.viz import activations as vz

PAGE = "activations"
RUN = act.Config()
INIT = act.InitConfig()
SPEEDS = (1, 3, 10, 30)
LABEL = act.LABELS.get

SPEC = [
    # f and f′
    Param("show", "Activations", "multi", act.ACTIVATIONS, choices=act.ACTIVATIONS, widget="pills", fmt=LABEL,
          min_items=1),
    Param("slope", "LeakyReLU slope α", "float", RUN.slope, lo=0.01, hi=0.5, step=0.01,
          help="LeakyReLU(x) = x for x > 0, αx otherwise. PyTorch's default is 0.01; 0.1 is easier to see. "
               "Also used in the live run."),
    Param("threshold", "Flat where |f′| <", "choice", 0.05, choices=(0.01, 0.05, 0.1, 0.2), widget="select_slider",
          fmt=lambda v: f"{v:g}", help="Shade the tails where the slope is smaller than this."),
    Param("view", "View", "choice", "grid", choices=("grid", "overlay"), widget="segmented",
          fmt={"grid": "One panel each", "overlay": "All on one axis"}.get),
    # the live run
    Param("acts", "Activations to race", "multi", RUN.activations, choices=act.ACTIVATIONS, fmt=LABEL, min_items=1,
          help=f"Up to {act.MAX_MODELS}: the same network with the same initial weights and batches, "
               "one per activation."),
    Param("dataset", "Dataset", "choice", RUN.dataset, choices=act.DATASETS,
          fmt={"spiral": "Spiral", "circle": "Circle", "xor": "Exclusive or", "gauss": "Two Gaussians"}.get),
    Param("depth", "Hidden layers", "int", RUN.depth, lo=1, hi=8),
    Param("width", "Units per layer", "choice", RUN.width, choices=(8, 16, 32, 64), widget="segmented"),
    Param("learning_rate", "Learning rate", "choice", RUN.learning_rate, choices=act.LEARNING_RATES,
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("optimizer", "Optimizer", "choice", RUN.optimizer, choices=act.OPTIMIZERS, widget="segmented",
          fmt={"sgd": "SGD", "adam": "Adam"}.get),
    Param("bias_init", "Initial bias of hidden units", "float", RUN.bias_init, lo=-2.0, hi=0.5, step=0.25,
          help="Negative biases push pre-activations below 0 from the start: ReLU units begin dead."),
    Param("batch_size", "Batch size", "choice", RUN.batch_size, choices=act.BATCH_SIZES, widget="select_slider"),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same data, initial weights and batch order."),
    Param("speed", "Speed (epochs/s)", "choice", 10, choices=SPEEDS, widget="select_slider"),
    # initialization study
    Param("init_act", "Activation", "choice", INIT.activation, choices=act.ACTIVATIONS, fmt=LABEL),
    Param("init_depth", "Layers", "int", INIT.depth, lo=2, hi=20),
    Param("inits", "Initializations", "multi", INIT.inits, choices=act.INITS, fmt=act.INIT_LABELS.get,
          widget="pills", min_items=1),
]
BY_NAME = {p.name: p for p in SPEC}


def run_config(v: dict) -> tuple[act.Config, list[str]]:
    """The live run's Config from control values, and a note if activations were dropped."""
    chosen = tuple(v["acts"])
    notes = []
    if len(chosen) > act.MAX_MODELS:
        notes.append(f"At most {act.MAX_MODELS} activations race at once; using "
                     f"{', '.join(LABEL(a) for a in chosen[:act.MAX_MODELS])}.")
        chosen = chosen[:act.MAX_MODELS]
    return act.Config(activations=chosen, dataset=v["dataset"], depth=int(v["depth"]), width=int(v["width"]),
                      learning_rate=float(v["learning_rate"]), optimizer=v["optimizer"],
                      bias_init=float(v["bias_init"]), batch_size=int(v["batch_size"]), slope=float(v["slope"]),
                      seed=int(v["seed"])), notes


def init_config(v: dict) -> act.InitConfig:
    return act.InitConfig(activation=v["init_act"], depth=int(v["init_depth"]), inits=tuple(v["inits"]),
                          slope=float(v["slope"]))


@st.cache_data(max_entries=32, show_spinner=False)
def curves(names: tuple, slope: float, threshold: float):
    c = act.curves(names, x_max=5.0, n=801, slope=slope)
    return c, act.saturation(c, threshold), act.properties(c, slope)


@st.cache_data(max_entries=16, show_spinner=False)
def data_for(dataset: str, seed: int) -> act.Data:
    return act.make_data(dataset, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def init_study(cfg: act.InitConfig) -> act.InitStudy:
    return act.init_study(cfg)


def property_rows(props: list[dict], flat: list) -> list[dict]:
    """Rows of the 'numbers behind the curves' table."""
    rows = []
    for p, tails in zip(props, flat):
        rows.append({"activation": LABEL(p["name"]), "f(0)": f"{p['f(0)']:+.3f}", "f′(0)": f"{p['f′(0)']:.3f}",
                     "max f′": f"{p['max f′']:.3f}", "min f′": f"{p['min f′']:+.3f}",
                     "f(−5) … f(5)": f"{p['f(−x)']:+.2f} … {p['f(+x)']:+.2f}",
                     "flat tails": ", ".join(f"[{a:.1f}, {b + 0.0:.1f}]".replace("-0.0]", "0.0]")
                                             for a, b in tails) or "none"})
    return rows


def render(cfg: act.Config):
    """The frame renderer for :func:`explorer.ui.live.player`."""
    labels = [LABEL(a) for a in cfg.activations]

    def draw(snap: act.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        parts = []
        for i, lab in enumerate(labels):
            if snap.model_diverged[i]:
                parts.append(f"{lab} **diverged**")
            else:
                parts.append(f"{lab} loss **{snap.train_losses[i]:.3f}**, test accuracy "
                             f"**{100 * snap.test_acc[i]:.0f} %**, dead **{100 * np.nanmean(snap.dead[i]):.0f} %**")
        st.markdown(f"#### Epoch {snap.epoch:,} · {snap.step:,} weight updates\n" + " · ".join(parts))
        h = run.trainer.history(snap.epoch)
        st.plotly_chart(vz.dead_run_figure(h["epoch"], labels, h["train"], h["test"], h["dead"]),
                        key="chart_dead_run", config={"displayModeBar": False})
        st.plotly_chart(vz.dead_layers_figure(h["epoch"], labels, h["dead"], snap.active, snap.epoch),
                        key="chart_dead_layers", config={"displayModeBar": False})

    return draw
