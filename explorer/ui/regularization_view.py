"""The regularization page's controls table, config building and live views."""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from explorer.engines import regularization as eng
from explorer.ui import live, params
from explorer.ui.params import Param
from explorer.viz import regularization as vz

PAGE = "regularization"
D = eng.Config()
TECH_LABELS = {"penalty": "L1 / L2", "dropout": "Dropout", "early_stopping": "Early stopping",
               "augmentation": "Augmentation", "mixup": "Mixup", "label_smoothing": "Label smoothing",
               "ensemble": "Ensemble"}
TASK_LABELS = {"regression": "1-D regression", "classification": "2-D classification"}
LAMS = (0.001, 0.003, 0.01, 0.03, 0.1)
ALPHAS = (0.1, 0.2, 0.4, 1.0, 2.0)
SPEED_LABEL = {s: ("max" if s == live.SPEEDS[-1] else f"{s} /s") for s in live.SPEEDS}
# the controls that belong to each technique (others do not enter its config)
OWN = {"penalty": ("lam",), "dropout": ("dropout",), "early_stopping": ("patience",), "augmentation": ("jitter",),
       "mixup": ("alpha",), "label_smoothing": ("smoothing",), "ensemble": ("members", "bootstrap")}

SPEC = [
    Param("technique", "Technique", "choice", D.technique, choices=eng.TECHNIQUES, widget="segmented",
          fmt=TECH_LABELS.get),
    Param("lam", "Penalty strength λ (same for L1 and L2)", "choice", 0.03, choices=LAMS, widget="select_slider",
          fmt=lambda v: f"{v:g}", help="L1 adds λ·Σ|w|, L2 adds λ·Σw² to the loss (weights only)."),
    Param("dropout", "Dropout probability p", "float", D.dropout, lo=0.05, hi=0.8, step=0.05,
          help="Each training step switches off this share of hidden units at random."),
    Param("patience", "Patience (epochs)", "int", D.patience, lo=10, hi=1000, step=10,
          help="Stop after this many epochs without a better validation loss."),
    Param("jitter", "Jitter σ (input noise)", "float", D.jitter, lo=0.05, hi=0.5, step=0.05,
          help=f"Each epoch adds {eng.AUG_COPIES} copies of every point, moved by Gaussian noise of this size."),
    Param("alpha", "Mixup α", "choice", D.alpha, choices=ALPHAS, widget="select_slider", fmt=lambda v: f"{v:g}",
          help="Mixing weights λ ~ Beta(α, α): small α mixes little, α = 1 mixes uniformly."),
    Param("smoothing", "Label smoothing ε", "float", D.smoothing, lo=0.02, hi=0.4, step=0.02,
          help="Targets become (1−ε)·one-hot + ε/2."),
    Param("members", "Ensemble members", "int", D.members, lo=2, hi=8),
    Param("bootstrap", "Bootstrap (bagging)", "bool", D.bootstrap,
          help="Each member trains on its own resample of the training points (drawn with replacement)."),
    Param("task", "Task", "choice", D.task, choices=eng.TASKS, fmt=TASK_LABELS.get),
    Param("n_train", "Training points", "int", D.n_train, lo=4, hi=60, help="Few points make overfitting easy."),
    Param("cls_train", "Training points", "int", 30, lo=6, hi=100, step=2,
          help="Few points make overfitting easy (half in each class, on average)."),
    Param("noise", "Noise σ", "float", D.noise, lo=0.0, hi=0.8, step=0.05,
          help="Regression: noise on y. Classification: jitter of the moons (how much they overlap)."),
    Param("width", "Hidden units per layer (2 layers)", "choice", D.width, choices=eng.WIDTHS,
          widget="select_slider"),
    Param("lr", "Learning rate (Adam)", "choice", D.lr, choices=eng.LEARNING_RATES, widget="select_slider",
          fmt=lambda v: f"{v:g}"),
    Param("seed", "Seed", "int", D.seed, lo=0, hi=9999, widget="number",
          help="The same seed gives the same data, initial weights and run."),
    Param("speed", "Speed (epochs/s)", "choice", live.SPEEDS[-1], choices=live.SPEEDS, widget="select_slider",
          fmt=SPEED_LABEL.get),
]
BY_NAME = {p.name: p for p in SPEC}


def sidebar(technique: str) -> None:
    with st.sidebar:
        st.header(TECH_LABELS[technique])
        for name in OWN[technique]:
            params.widget(BY_NAME[name], st.sidebar)
        st.header("Data and model")
        if technique == "label_smoothing":
            st.caption("Label smoothing changes class targets, so this technique runs on 2-D classification.")
            classify = True
        else:
            params.widget(BY_NAME["task"], st.sidebar)
            classify = st.session_state["task"] == "classification"
        for name in ("cls_train" if classify else "n_train", "noise", "width", "lr", "seed"):
            params.widget(BY_NAME[name], st.sidebar)


def config_from_values(v: dict) -> eng.Config:
    """The run's Config; controls of other techniques keep their defaults so that moving
    them does not restart this run."""
    t = v["technique"]
    kw = {name: v[name] for name in OWN[t]}
    task = "classification" if t == "label_smoothing" else v["task"]
    n = v["cls_train"] if task == "classification" else v["n_train"]
    return eng.Config(technique=t, task=task, n_train=n, noise=v["noise"], width=v["width"], lr=v["lr"],
                      seed=v["seed"], **kw)


def _table(cfg: eng.Config, names: list[str], snap: eng.Snapshot) -> str:
    acc = cfg.classify
    head = "| model | train loss | validation loss | test loss |" + (" test accuracy |" if acc else "") + \
           " best validation (epoch) |\n|---|---:|---:|---:|" + ("---:|" if acc else "") + "---:|\n"
    rows = []
    for k, name in enumerate(names):
        rows.append(f"| {name} | {snap.train[k]:.4f} | {snap.val[k]:.4f} | {snap.test[k]:.4f} |"
                    + (f" {100 * snap.test_acc[k]:.1f} % |" if acc else "")
                    + f" {snap.best_val[k]:.4f} ({int(snap.best_epoch[k]):,}) |")
    if cfg.technique == "ensemble":
        rows.append(f"| **ensemble average** | | {snap.ens_val:.4f} | **{snap.ens_test:.4f}** |"
                    + (" |" if acc else "") + " |")
    return head + "\n".join(rows)


def _test_loss(cfg: eng.Config, data: eng.Data, params_: np.ndarray) -> float:
    p = eng.predict(cfg, params_, data.test_x)[0]
    if cfg.classify:
        q = np.where(data.test_y == 1, p, 1 - p)
        return float(-np.log(np.clip(q, 1e-12, 1)).mean())
    return float(((p - data.test_y) ** 2).mean())


def render(cfg: eng.Config):
    """The frame renderer for :func:`explorer.ui.live.player`."""

    def draw(snap: eng.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        t0 = time.perf_counter()
        tr = run.trainer
        names = [s.name for s in tr.specs]
        d, t = tr.data, cfg.technique
        curves = tr.curves(snap.epoch)
        st.markdown(f"#### Epoch {snap.epoch:,}\n" + _table(cfg, names, snap))
        extras, stop, notes = {}, None, []
        n_grid = 45 if cfg.classify else 160
        xs, ys = eng.grid(cfg, n_grid)
        preds = eng.grid_predictions(cfg, snap.params, n_grid)
        pts = np.c_[xs] if ys is None else np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
        shape = (-1, n_grid) if ys is None else (-1, n_grid, n_grid)
        if t == "dropout":
            extras["samples"] = eng.dropout_samples(cfg, snap.params[-1], cfg.dropout, pts, 5,
                                                    seed=cfg.seed * 100_003 + snap.epoch).reshape(shape)
            notes.append(f"Thin: the dropout network in **train mode**, five draws, each keeping a random "
                         f"{100 * (1 - cfg.dropout):.0f} % of the hidden units (scaled up by 1/(1−p)). Thick: "
                         "**eval mode**, every unit on — one deterministic answer, close to the draws' average.")
        elif t == "early_stopping":
            best = int(snap.best_epoch[0])
            extras["best"] = eng.grid_predictions(cfg, snap.best_params[:1], n_grid)[0]
            if snap.epoch >= best + cfg.patience:
                stop = best + cfg.patience
                notes.append(f"Early stopping with patience {cfg.patience} stops at epoch **{stop:,}** and keeps the "
                             f"weights of epoch **{best:,}**: test loss **{_test_loss(cfg, d, snap.best_params[:1]):.4f}** "
                             f"instead of **{snap.test[0]:.4f}** now.")
            else:
                notes.append(f"Best validation loss so far at epoch **{best:,}**; early stopping would stop once "
                             f"{cfg.patience} epochs pass without a better one (epoch {best + cfg.patience:,}).")
        elif t == "ensemble":
            extras["mean"] = preds.mean(axis=0)
            if ys is None:
                extras.update(members=preds, std=preds.std(axis=0))
        elif t in ("augmentation", "mixup"):
            seen = tr.last_batch_inputs()
            extras["seen"] = seen[:, [0, 1]] if ys is None else seen[:, [0, 1, 3]]
            notes.append("Small translucent dots: one epoch of what the regularized model trains on "
                         + ("(the points plus jittered copies)." if t == "augmentation" else
                            "(random mixes of pairs of points, targets mixed alike)."))
        kw = dict(best_epoch=snap.best_epoch, extras=extras, stop_epoch=stop)
        if ys is None:
            fig = vz.regression_figure(xs, preds, names, d.train_x[:, 0], d.train_y, eng.target_fn(xs), curves,
                                       title="Predictions", **kw)
        else:
            fig = vz.classification_figure(xs, ys, preds, names, d.train_x, d.train_y, curves,
                                           title="Decision boundaries (P = 0.5)", **kw)
        st.plotly_chart(fig, key="chart_main", width="stretch", config={"displayModeBar": False})
        for note in notes:
            st.caption(note)
        if t == "penalty":
            ws = eng.weight_stats(cfg, snap.params)
            st.plotly_chart(vz.weights_figure(ws["weights"], names, ws["near_zero"], ws["exact_zero"],
                                              tol=eng.NEAR_ZERO), key="chart_weights", width="stretch",
                            config={"displayModeBar": False})
        if t == "ensemble":
            st.plotly_chart(vz.ensemble_figure(snap.test, names, snap.ens_test, xs=xs if ys is None else None,
                                               std=extras.get("std"),
                                               ylabel="test cross-entropy" if cfg.classify else "test MSE"),
                            key="chart_ensemble", width="stretch", config={"displayModeBar": False})
        if cfg.classify:
            probs = eng.probabilities(cfg, snap.params, d.test_x)
            rel = [eng.reliability(probs[k], d.test_y) for k in range(len(names))]
            st.plotly_chart(vz.reliability_figure(rel, names), key="chart_reliability", width="stretch",
                            config={"displayModeBar": False})
        st.caption(f"Frame drawn in {1000 * (time.perf_counter() - t0):.0f} ms.")

    return draw
