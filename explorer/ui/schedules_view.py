"""The schedules page's controls, cached runs and views."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import schedules as sch
from explorer.ui.params import Param
from explorer.viz import schedules as vz

PAGE = "schedules"
DEFAULT_SCHEDULES = ("constant", "step", "cosine", "one_cycle", "warmup_cosine")
MAX_STEPS = 400

SPEC = [
    Param("schedules", "Schedules to compare", "multi", DEFAULT_SCHEDULES, choices=sch.SCHEDULES, widget="pills",
          fmt=sch.LABELS.get, min_items=1),
    Param("base_lr", "Base (peak) learning rate", "choice", 0.5, choices=(1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 2.0),
          widget="select_slider", fmt=lambda v: f"{v:g}",
          help="The rate every schedule starts from or peaks at (one-cycle's max_lr)."),
    Param("steps", "Updates T", "int", 200, lo=50, hi=MAX_STEPS, step=10,
          help="Mini-batches of 32 digits; 1,348 training images make one epoch ≈ 42 updates."),
    Param("optimizer", "Optimizer", "choice", "sgd", choices=sch.OPTIMIZERS, widget="segmented",
          fmt=sch.OPT_LABELS.get),
    Param("warmup_frac", "Warm-up share of T", "float", 0.1, lo=0.02, hi=0.5, step=0.02,
          help="Linear warm-up and warm-up + cosine climb from 1 % of the base rate over this share of the run."),
    Param("seed", "Seed", "int", 0, lo=0, hi=999, widget="number",
          help="Data split, initial weights and batch order — the same for every schedule."),
    Param("log_lr", "Log scale for the learning rate", "bool", False),
]
BY_NAME = {p.name: p for p in SPEC}


def configs(v: dict) -> list[sch.Config]:
    """One config per chosen schedule; everything else shared."""
    return [sch.Config(schedule=s, base_lr=float(v["base_lr"]), steps=int(v["steps"]),
                       warmup_frac=float(v["warmup_frac"]), optimizer=v["optimizer"], seed=int(v["seed"]))
            for s in v["schedules"]]


@st.cache_data(max_entries=64, show_spinner=False)
def run(cfg: sch.Config) -> sch.Curves:
    return sch.train(cfg)


def run_all(cfgs: list[sch.Config]) -> list[sch.Curves]:
    """Train every schedule (cached one by one), with a progress bar while any is new."""
    bar = st.progress(0.0, text="Training the same network under each schedule…")
    out = []
    for i, cfg in enumerate(cfgs):
        bar.progress(i / len(cfgs), text=f"Training under {sch.LABELS[cfg.schedule]}…")
        out.append(run(cfg))
    bar.empty()
    return out


def lr_view(cfgs: list[sch.Config], log_y: bool) -> None:
    """The schedules' curves (cheap: drawn before any training starts)."""
    data = [{"key": c.schedule, "name": sch.LABELS[c.schedule], "lr": sch.lr_curve(c)} for c in cfgs]
    st.plotly_chart(vz.lr_figure(data, title="Learning rate at every update", log_y=log_y),
                    key="chart_lr", width="stretch", config={"displayModeBar": False})


def training_view(curves: list[sch.Curves], cfg: sch.Config) -> None:
    runs = [{"key": c.schedule, "name": sch.LABELS[c.schedule], "at": c.at, "train_loss": c.train_loss,
             "test_loss": c.test_loss, "test_acc": c.test_acc} for c in curves]
    title = (f"The same 64-{sch.HIDDEN}-10 network on digits, {sch.OPT_LABELS[cfg.optimizer]}, "
             f"seed {cfg.seed}: only the learning rate differs")
    st.plotly_chart(vz.training_figure(runs, title=title), key="chart_training", width="stretch",
                    config={"displayModeBar": False})
    rows = {"schedule": [], "final training loss": [], "final test loss": [], "final test accuracy (%)": [],
            "best test accuracy (%)": []}
    for c in curves:
        rows["schedule"].append(sch.LABELS[c.schedule] + (f" 💥 diverged at update {c.diverged_at}"
                                                          if c.diverged_at >= 0 else ""))
        ok = np.isfinite(c.test_acc)
        last = np.flatnonzero(ok)[-1] if ok.any() else None
        rows["final training loss"].append(round(float(c.train_loss[last]), 4) if last is not None else None)
        rows["final test loss"].append(round(float(c.test_loss[last]), 4) if last is not None else None)
        rows["final test accuracy (%)"].append(round(100 * float(c.test_acc[last]), 1) if last is not None else None)
        rows["best test accuracy (%)"].append(round(100 * float(np.nanmax(c.test_acc)), 1) if ok.any() else None)
    st.dataframe(rows, hide_index=True, width="stretch")
    if any(c.diverged_at >= 0 for c in curves):
        st.warning("A run diverged (its loss became infinite or NaN) and stopped: its learning rate was too "
                   "high at some point. Lower the base rate or warm up longer.", icon="💥")


EXPLAIN = [
    "A schedule sets the learning rate $\\eta_t$ of update $t = 0 … T-1$ from the base rate $\\eta_0$. "
    "Each curve here is a `torch.optim.lr_scheduler` object sized from $T$:",
    ("latex", r"\text{step: } \eta_t = \eta_0\,\gamma^{\lfloor t/s\rfloor}\ (\gamma = 0.1,\ s = \lceil T/3\rceil)"
              r"\qquad \text{exponential: } \eta_t = \eta_0\,\gamma^{t},\ \gamma = 0.01^{1/T}"),
    ("latex", r"\text{cosine: } \eta_t = \tfrac{\eta_0}{2}\Big(1 + \cos\frac{\pi t}{T}\Big)"
              r"\qquad \text{warm restarts (SGDR): } \eta_t = \tfrac{\eta_0}{2}\Big(1 + \cos\frac{\pi\, t_{cur}}{T_i}\Big),"
              r"\ T_i = T_0\, 2^{i},\ T_0 = \lceil T/7\rceil"),
    ("latex", r"\text{linear warm-up: } \eta_t = \eta_0\Big(0.01 + 0.99\,\frac{\min(t, W)}{W}\Big),\qquad "
              r"\text{warm-up + cosine: then } \eta_t = \tfrac{\eta_0}{2}\Big(1 + \cos\frac{\pi (t - W)}{T - W}\Big)"),
    "One-cycle (Smith & Topin, 2018) climbs from $\\eta_0/25$ to $\\eta_0$ over the first 30 % with a "
    "cosine, then anneals to $\\eta_0/(25\\cdot 10^4)$; with SGD it also cycles the momentum 0.95 → 0.85 → 0.95 "
    "(with Adam, β₁).",
    "Why schedules help: early on a large rate moves fast across the landscape; later the gradient noise "
    "of mini-batches keeps a constant rate bouncing around the minimum (the 'noise ball' of the "
    "optimizers page), and decaying the rate lets it settle. Warm-up protects the first updates, when "
    "the weights are random and Adam's second-moment estimate is still poor. Restarts jump back to a large "
    "rate to leave a sharp basin, and give good snapshots at the end of each cycle.",
    "All runs share the seed: the same train/test split, initial weights and order of mini-batches, so "
    "their curves differ only because of the learning rate.",
]
