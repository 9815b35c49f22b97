"""The normalization page's controls table, cached computations and live views."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import normalization as nm
from explorer.ui import live
from explorer.ui.params import Param
from explorer.viz import normalization as vz

PAGE = "normalization"
RUN = nm.Config(depth=4)
STUDY = nm.StudyConfig()
SPEEDS = (1, 2, 5, 10)
LABEL = nm.LABELS.get
NAMES = {"sgd": "SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam", "default": "PyTorch default",
         "he": "He normal"}

SPEC = [
    Param("norms", "Normalizations", "multi", RUN.norms, choices=nm.NORMS, fmt=LABEL, widget="pills", min_items=1,
          help="One copy of the network per choice: the same initial weights and the same batches."),
    Param("depth", "Hidden layers", "int", RUN.depth, lo=1, hi=8),
    Param("width", "Units per layer", "choice", RUN.width, choices=(16, 32, 64, 128), widget="segmented"),
    Param("groups", "GroupNorm groups", "choice", RUN.groups, choices=(1, 2, 4, 8, 16), widget="segmented",
          help="GroupNorm normalizes each sample over groups of width/groups units; 1 group is LayerNorm."),
    Param("init", "Weight init", "choice", RUN.init, choices=nm.INITS, widget="segmented", fmt=NAMES.get,
          help="PyTorch's nn.Linear default is U(±1/√fan_in), which shrinks a ReLU signal layer by layer; "
               "He normal keeps its scale."),
    Param("optimizer", "Optimizer", "choice", RUN.optimizer, choices=nm.OPTIMIZERS, fmt=NAMES.get),
    Param("learning_rate", "Learning rate", "choice", RUN.learning_rate,
          choices=(0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0), widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("batch_size", "Batch size", "choice", RUN.batch_size, choices=nm.BATCH_SIZES, widget="select_slider"),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same split, initial weights and batch order."),
    Param("speed", "Speed (epochs/s)", "choice", 5, choices=SPEEDS, widget="select_slider"),
    Param("study", "Run the batch-size study", "bool", False,
          help="Trains each chosen normalization at each batch size (a few seconds the first time, then cached)."),
    Param("study_norms", "Normalizations in the study", "multi", STUDY.norms, choices=nm.NORMS, widget="pills",
          fmt={"none": "none", "batch": "BatchNorm", "layer": "LayerNorm", "group": "GroupNorm"}.get, min_items=1),
    Param("study_batches", "Batch sizes", "multi", STUDY.batch_sizes, choices=nm.BATCH_SIZES, widget="pills",
          min_items=1),
    Param("study_epochs", "Epochs each", "int", STUDY.epochs, lo=1, hi=5),
]
BY_NAME = {p.name: p for p in SPEC}


def run_config(v: dict) -> nm.Config:
    return nm.Config(norms=tuple(v["norms"]), depth=int(v["depth"]), width=int(v["width"]), groups=int(v["groups"]),
                     learning_rate=float(v["learning_rate"]), optimizer=v["optimizer"], init=v["init"],
                     batch_size=int(v["batch_size"]), seed=int(v["seed"]))


def study_config(v: dict, run: nm.Config) -> nm.StudyConfig:
    return nm.StudyConfig(norms=tuple(v["study_norms"]), batch_sizes=tuple(v["study_batches"]),
                          epochs=int(v["study_epochs"]), depth=run.depth, width=run.width, groups=run.groups,
                          learning_rate=run.learning_rate, optimizer=run.optimizer, init=run.init, seed=run.seed)


@st.cache_data(max_entries=8, show_spinner=False)
def data_for(seed: int) -> nm.Data:
    return nm.make_data(seed)


@st.cache_data(max_entries=16, show_spinner=False)
def study(cfg: nm.StudyConfig) -> nm.StudyResult:
    return nm.batch_size_study(cfg, data_for(cfg.seed))


def summary_rows(snap: nm.Snapshot, labels: list[str]) -> list[dict]:
    """One row per normalization: the numbers behind the curves at this epoch."""
    def fmt(v, spec):
        return "—" if not np.isfinite(v) else format(v, spec)

    rows = []
    for i, lab in enumerate(labels):
        rows.append({"normalization": lab + (" (diverged)" if snap.model_diverged[i] else ""),
                     "training loss, eval mode": fmt(snap.train_losses[i], ".4f"),
                     "training loss, train mode (last epoch's batches)": fmt(snap.batch_losses[i], ".4f"),
                     "test loss": fmt(snap.test_losses[i], ".4f"),
                     "test accuracy": fmt(100 * snap.test_acc[i], ".1f") + (" %" if np.isfinite(snap.test_acc[i])
                                                                             else "")})
    return rows


def render(cfg: nm.Config):
    """The frame renderer for :func:`explorer.ui.live.player`."""
    labels = [LABEL(n) for n in cfg.norms]

    def draw(snap: nm.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        st.markdown(f"#### Epoch {snap.epoch:,} · {snap.step:,} weight updates "
                    f"({run.trainer.steps_per_epoch} per epoch of {nm.N_TRAIN} digits)")
        h = run.trainer.history(snap.epoch)
        st.plotly_chart(vz.training_figure(h["step"], labels, h["train"], h["test_acc"]), key="chart_training",
                        config={"displayModeBar": False})
        st.dataframe(summary_rows(snap, labels), hide_index=True, width="stretch", key="chart_summary")
        st.plotly_chart(vz.stats_figure(h["epoch"], labels, h["mean"], h["std"]), key="chart_stats",
                        config={"displayModeBar": False})

    return draw
