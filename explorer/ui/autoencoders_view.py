"""The autoencoder page's controls table, run config and live views."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import autoencoders as ae
from explorer.ui import live
from explorer.ui.params import Param
from explorer.viz import autoencoders as vz

PAGE = "autoencoders"
RUN = ae.Config()
SPEEDS = (1, 2, 4, 8, 20)
KIND_LABEL = {"undercomplete": "Undercomplete", "denoising": "Denoising", "sparse": "Sparse"}

SPEC = [
    Param("kind", "Autoencoder", "choice", RUN.kind, choices=ae.KINDS, widget="segmented", fmt=KIND_LABEL.get,
          help="Undercomplete: a narrow code forces compression. Denoising: reconstruct the clean digit from a "
               "noisy one. Sparse: penalize code activity so that few units fire per image."),
    Param("code", "Code units", "choice", RUN.code, choices=(2, 4, 8, 16, 32, 64, 128), widget="select_slider",
          help="Width of the bottleneck. 2 units can be plotted directly; wider codes are shown by PCA."),
    Param("noise", "Noise level σ (denoising)", "float", RUN.noise, lo=0.0, hi=1.0, step=0.05,
          help="Standard deviation of the Gaussian noise added to each pixel (then clipped to [0, 1])."),
    Param("penalty", "Sparsity penalty", "choice", RUN.penalty, choices=ae.PENALTIES, widget="segmented",
          fmt={"l1": "L1 on ReLU codes", "kl": "KL to a target rate ρ"}.get),
    Param("sparsity", "Sparsity weight λ", "choice", RUN.sparsity, choices=(0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0),
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("rho", "Target mean activation ρ (KL)", "choice", RUN.rho, choices=(0.01, 0.02, 0.05, 0.1, 0.2),
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("holdout", "Held-out digit (the anomaly)", "choice", RUN.holdout, choices=tuple(range(10)),
          widget="select_slider", help="This digit is removed from training; on the test set it is the anomaly."),
    Param("learning_rate", "Learning rate (Adam)", "choice", RUN.learning_rate, choices=(3e-4, 1e-3, 3e-3, 1e-2, 0.1),
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same initial weights, batches and noise."),
    Param("speed", "Speed (steps/s; 4 steps = 1 epoch)", "choice", 4, choices=SPEEDS, widget="select_slider"),
    Param("flag", "Flag as anomaly above the normal digits'", "choice", 95, choices=(80, 90, 95, 99),
          widget="select_slider", fmt=lambda v: f"{v}th percentile",
          help="The threshold on the reconstruction error: a share of normal test digits is flagged as well "
               "(the false alarms)."),
]
BY_NAME = {p.name: p for p in SPEC}
MODEL_PARAMS = ("kind", "code", "noise", "penalty", "sparsity", "rho", "holdout", "learning_rate", "seed")


def run_config(v: dict) -> ae.Config:
    return ae.Config(kind=v["kind"], code=int(v["code"]), noise=float(v["noise"]), penalty=v["penalty"],
                     sparsity=float(v["sparsity"]), rho=float(v["rho"]), holdout=int(v["holdout"]),
                     learning_rate=float(v["learning_rate"]), seed=int(v["seed"]))


def canonical(cfg: ae.Config) -> ae.Config:
    """Fields that do not matter for this kind are set to their defaults, so moving an unused
    slider does not restart the run."""
    from dataclasses import replace

    if cfg.kind != "denoising":
        cfg = replace(cfg, noise=RUN.noise)
    if cfg.kind != "sparse":
        cfg = replace(cfg, penalty=RUN.penalty, sparsity=RUN.sparsity, rho=RUN.rho)
    elif cfg.penalty == "l1":
        cfg = replace(cfg, rho=RUN.rho)
    return cfg


def render(cfg: ae.Config, flag: int):
    """The frame renderer for :func:`explorer.ui.live.player`."""

    def draw(snap: ae.Snapshot, run: live.Run) -> None:
        if snap.diverged or snap.scores is None:
            st.markdown(f"#### Epoch {snap.epoch:g}")
            return
        parts = [f"test reconstruction **{snap.test_loss:.1f} nats**", f"MSE/pixel **{snap.mse:.4f}**",
                 f"AUC (held-out {cfg.holdout}s) **{snap.auc:.3f}**"]
        if cfg.kind == "sparse":
            parts.append(f"near-zero code activations **{100 * snap.near_zero:.0f} %**")
        st.markdown(f"#### Epoch {snap.epoch:g} · {snap.step:,} weight updates\n" + " · ".join(parts))
        cols = ["normal"] * (ae.N_SHOW - 2) + [f"held-out {cfg.holdout}"] * 2
        if cfg.kind == "denoising":
            rows, names = [snap.x_input, snap.x_recon, snap.x_show], ["noisy input", "reconstruction", "clean target"]
        else:
            rows, names = [snap.x_show, snap.x_recon], ["input", "reconstruction"]
        st.plotly_chart(vz.image_rows(rows, names, cols, title="Test digits beside their reconstructions"),
                        key="chart_ae_recon", config={"displayModeBar": False})
        h = run.trainer.history(snap.epoch)
        st.plotly_chart(vz.curves_figure(h["epoch"], h["train"], h["test"], h["auc"]), key="chart_ae_curves",
                        config={"displayModeBar": False})
        normal = ~snap.anomalous
        thr = float(np.percentile(snap.scores[normal], flag))
        st.plotly_chart(vz.anomaly_figure(snap.scores, snap.anomalous, snap.fpr, snap.tpr, snap.auc, cfg.holdout,
                                          threshold=thr), key="chart_ae_anomaly", config={"displayModeBar": False})
        caught = float((snap.scores[snap.anomalous] >= thr).mean())
        st.caption(f"Threshold at the {flag}th percentile of the normal digits' error ({thr:.4f}): it catches "
                   f"**{100 * caught:.0f} %** of the held-out {cfg.holdout}s with {100 - flag} % false alarms. "
                   "AUC is the probability that a random held-out digit has a larger error than a random normal one.")
        st.plotly_chart(vz.code_figure(snap.code2, snap.labels, snap.code_var, projected=cfg.code > 2,
                                       title=f"The code space: {cfg.code} units" + (", PCA to 2-D" if cfg.code > 2
                                                                                    else "")),
                        key="chart_ae_code", config={"displayModeBar": False})
        if cfg.kind == "sparse":
            st.plotly_chart(vz.units_figure(snap.unit_mean, cfg.rho if cfg.penalty == "kl" else None),
                            key="chart_ae_units", config={"displayModeBar": False})

    return draw
