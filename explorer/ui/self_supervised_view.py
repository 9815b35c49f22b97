"""The self-supervised page's controls table, cached computations and live views."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import mae
from explorer.engines import projection as proj
from explorer.engines import self_supervised as ssl
from explorer.engines.augment import AugConfig
from explorer.engines.device import cap_threads
from explorer.ui import live
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import self_supervised as vz

PAGE = "self_supervised"
MAE_PAGE = "self_supervised_mae"  # the second player's id (its buttons and history slider)
RUN, AUG, MAE = ssl.Config(), AugConfig(), mae.Config()
SPEEDS = (0.5, 1, 2, 4)
BUDGET_CHOICES = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200)
PROJ_LABEL = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
PROBE_ON = {"reference": f"Reference encoder ({ssl.REF_EPOCHS} epochs)", "live": "This run, now"}


def _pct(v: float) -> str:
    return f"{100 * v:.0f} %"


SPEC = [
    Param("method", "Method", "choice", RUN.method, choices=ssl.METHODS, widget="segmented",
          fmt={"simclr": "SimCLR", "byol": "BYOL"}.get,
          help="SimCLR pulls two views of a digit together and pushes the other 2N−2 views away (NT-Xent). "
               "BYOL has no negatives: an online network predicts a slowly moving target network's output."),
    Param("temp", "Temperature τ (SimCLR)", "choice", RUN.temperature, choices=ssl.TEMPERATURES,
          widget="select_slider", fmt=lambda v: f"{v:g}",
          help="Similarities are divided by τ: small τ focuses the loss on the hardest negatives."),
    Param("ema", "Target momentum m (BYOL)", "choice", RUN.ema, choices=ssl.EMAS, widget="select_slider",
          fmt=lambda v: f"{v:g}", help="θ_target ← m·θ_target + (1 − m)·θ_online after every step."),
    Param("batch", "Batch size (images)", "choice", RUN.batch_size, choices=ssl.BATCHES, widget="segmented",
          help="SimCLR's negatives come from the batch: 2N − 2 of them per view."),
    Param("crop", "Crop: smallest kept area", "float", AUG.crop, lo=0.2, hi=1.0, step=0.1,
          help="Random resized crop: each view keeps this fraction of the image or more, anywhere in it, "
               "resized back to 28×28 (1 = no crop)."),
    Param("rotate", "Rotation (± degrees)", "int", int(AUG.rotate), lo=0, hi=90, step=5),
    Param("noise", "Pixel noise σ", "float", AUG.noise, lo=0.0, hi=0.5, step=0.05),
    Param("blur", "Blur probability", "float", AUG.blur, lo=0.0, hi=1.0, step=0.25),
    Param("erase", "Erasing probability", "float", AUG.erase, lo=0.0, hi=1.0, step=0.25,
          help="Random erasing: a rectangle of 5–25 % of the image set to black."),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same split, initial weights, batches and views."),
    Param("speed", "Speed (epochs/s)", "choice", 2, choices=SPEEDS, widget="select_slider",
          fmt=lambda v: f"{v:g}"),
    Param("proj", "Projection", "choice", "pca", choices=proj.METHODS, widget="segmented", fmt=PROJ_LABEL.get,
          help="PCA is linear and instant; t-SNE and UMAP show neighbourhoods (computed when paused)."),
    Param("budget", "Labels per class", "choice", 10, choices=BUDGET_CHOICES, widget="select_slider",
          help="How many labelled digits of each class the probe and the supervised network may use."),
    Param("probe_on", "Probe which encoder", "choice", "reference", choices=tuple(PROBE_ON), widget="segmented",
          fmt=PROBE_ON.get, help="The reference is the default run of the chosen method pretrained for "
                                 f"{ssl.REF_EPOCHS} epochs (cached); 'This run, now' probes the live run's encoder."),
    Param("patch", "Patch size (px)", "choice", MAE.patch, choices=mae.PATCHES, widget="segmented",
          fmt=lambda p: f"{p}×{p} ({(28 // p) ** 2} patches)"),
    Param("mask", "Mask ratio", "float", MAE.ratio, lo=0.1, hi=0.9, step=0.05,
          help="Fraction of the patches hidden from the encoder (exactly round(ratio·L) per image)."),
]
BY_NAME = {p.name: p for p in SPEC}


def run_config(v: dict) -> ssl.Config:
    aug = AugConfig(crop=float(v["crop"]), rotate=float(v["rotate"]), noise=float(v["noise"]), blur=float(v["blur"]),
                    erase=float(v["erase"]))
    # the other method's knob is left at its default, so moving it does not restart this run
    simclr = v["method"] == "simclr"
    return ssl.Config(method=v["method"], temperature=float(v["temp"]) if simclr else RUN.temperature,
                      ema=RUN.ema if simclr else float(v["ema"]),
                      batch_size=int(v["batch"]), aug=aug, seed=int(v["seed"]))


def mae_config(v: dict) -> mae.Config:
    return mae.Config(patch=int(v["patch"]), ratio=float(v["mask"]), seed=int(v["seed"]))


@st.cache_data(max_entries=16, show_spinner=False)
def views(aug: AugConfig, seed: int):
    return ssl.sample_views(aug, n=10, seed=seed)


@st.cache_data(max_entries=16, show_spinner=False)
def gallery(aug: AugConfig, seed: int) -> dict:
    return ssl.augmentation_gallery(aug, n=10, seed=seed)


# -- probes ---------------------------------------------------------------------------------------
def _bar(text: str):
    bar = st.progress(0.0, text=text)
    return bar, (lambda f: bar.progress(min(1.0, float(f)), text=f"{text} {100 * float(f):.0f} %"))


_SUP: dict = {}  # (labels per class, seed) → test accuracy of the supervised baseline (process-wide)


def _supervised(k: int, seed: int) -> float:
    if (k, seed) not in _SUP:
        _SUP[(k, seed)] = ssl.supervised_accuracy(k, seed)
    return _SUP[(k, seed)]


@memo(max_entries=32)
def _probe(key, budgets: tuple, seed: int, _encoder=None) -> np.ndarray:
    return ssl.probe_curve(_encoder, budgets, seed).acc


def budget_curves(v: dict, run: live.Run) -> tuple[tuple, dict, str]:
    """(budgets, {name: accuracies}, note) for the label-budget chart, training what is missing
    with a visible progress bar."""
    cap_threads()
    seed, method, k = int(v["seed"]), v["method"], int(v["budget"])
    budgets = tuple(sorted(set(ssl.BUDGETS) | {k}))
    label = "SimCLR" if method == "simclr" else "BYOL"
    live_ok = not run.snapshot.diverged
    if v["probe_on"] == "live" and live_ok:
        enc = run.trainer.encoder_copy()
        epoch = run.snapshot.epoch
        key = ("live", run.key, epoch)
        name = f"linear probe on {label} features (this run, epoch {epoch})"
        note = (f"Probing the live run at epoch {epoch}." + (" At epoch 0 its encoder is still the random one: "
                "press ▶ Play, then pause to refresh this chart." if epoch == 0 else " Pause later to refresh."))
    else:
        if not ssl.is_reference_cached(seed, method):
            bar, prog = _bar(f"Pretraining the reference {label} encoder once ({ssl.REF_EPOCHS} epochs, no labels)…")
            ssl.reference_encoder(seed, method, progress=prog)
            bar.empty()
        enc = ssl.reference_encoder(seed, method)
        key = ("reference", seed, method)
        name = f"linear probe on {label} features ({ssl.REF_EPOCHS} epochs, no labels)"
        note = "" if live_ok or v["probe_on"] != "live" else ("The live run diverged, so there is no encoder to "
                                                               "probe: showing the reference encoder instead.")
    missing = [b for b in budgets if (b, seed) not in _SUP]
    if missing:
        bar, prog = _bar("Training the supervised baseline on each label budget…")
        for i, b in enumerate(missing):
            _supervised(b, seed)
            prog((i + 1) / len(missing))
        bar.empty()
    with st.spinner("Fitting linear probes on the frozen features…"):
        probe = _probe(key, budgets, seed, _encoder=enc)
        floor = _probe(("random", seed), budgets, seed, _encoder=ssl.make_encoder(seed).eval())
    curves = {name: probe,
              "same encoder trained supervised on the labels only": np.array([_supervised(b, seed) for b in budgets]),
              "linear probe on a random (untrained) encoder": floor}
    return budgets, curves, note


# -- projection --------------------------------------------------------------------------------------
@st.cache_data(max_entries=24, show_spinner=False)
def projected(emb: np.ndarray, method: str, seed: int) -> np.ndarray:
    return proj.project(emb.astype(np.float32), method, seed)


def _history(run: live.Run, upto: int) -> list:
    return [s for s in run.history if s.epoch <= upto]


def render(cfg: ssl.Config, method: str, labels):
    """The contrastive run's frame renderer for :func:`explorer.ui.live.player`."""
    loss_name = "NT-Xent loss" if cfg.method == "simclr" else "BYOL loss"
    y = ssl.data(cfg.seed).y_test[:ssl.N_EMBED]

    def draw(snap: ssl.Snapshot, run: live.Run) -> None:
        hist = _history(run, snap.epoch)
        if snap.diverged:
            st.markdown(f"#### Epoch {snap.epoch:,} · diverged")
        else:
            st.markdown(f"#### Epoch {snap.epoch:,} · {snap.step:,} updates · {loss_name} **{snap.train_loss:.3f}** "
                        f"(test {snap.test_loss:.3f}) · positive cos **{snap.pos_sim:.2f}** vs negatives "
                        f"**{snap.neg_sim:.2f}** · 5-NN accuracy **{_pct(snap.knn_acc)}**")
        fig = vz.live_figure([s.epoch for s in hist], [s.train_loss for s in hist], [s.test_loss for s in hist],
                             [s.align for s in hist], [s.uniform for s in hist], snap.pos_sim, snap.neg_sim,
                             [s.knn_acc for s in hist], ssl.SIM_EDGES, snap.pos_hist, snap.neg_hist, loss_name)
        st.plotly_chart(fig, key="chart_ssl_live", config={"displayModeBar": False})
        shown = method
        if snap.diverged or len(snap.emb) < 3 or not np.isfinite(snap.emb.astype(np.float32)).all():
            st.info("No embedding to project: the run diverged.", icon="💥")
            return
        if method != "pca" and run.playing:
            shown = "pca"
            st.caption(f"While training plays the projection is PCA; pause to see {PROJ_LABEL[method]}.")
        if shown == "umap" and not proj.umap_is_warm():
            with st.status("Compiling UMAP once for this server (≈15 s)…", expanded=True) as box:
                st.write("umap-learn compiles its kernels with numba on first use; later projections take ≈1 s.")
                proj.warm_umap()
                box.update(label="UMAP compiled", state="complete", expanded=False)
        with st.spinner(f"Projecting {len(snap.emb)} test digits with {PROJ_LABEL[shown]}…"):
            xy = projected(snap.emb, shown, cfg.seed)
        st.plotly_chart(vz.projection_figure(xy, y, labels, f"{PROJ_LABEL[shown]} of the representation h of "
                                             f"{len(xy)} test digits (epoch {snap.epoch}) — colours are labels "
                                             "the encoder never saw", PROJ_LABEL[shown]),
                        key="chart_ssl_projection", config={"displayModeBar": False})

    return draw


def render_mae(cfg: mae.Config):
    def draw(snap: mae.Snapshot, run: live.Run) -> None:
        hist = _history(run, snap.epoch)
        st.markdown(f"#### MAE epoch {snap.epoch:,} · masked-patch MSE **{snap.train_loss:.4f}** "
                    f"(test {snap.test_loss:.4f}) · visible-patch MSE {snap.visible_mse:.4f}")
        st.plotly_chart(vz.mae_figure(snap.original, snap.masked, snap.recon, snap.epoch, cfg.patch, cfg.n_masked,
                                      cfg.n_patches), key="chart_mae_images", config={"displayModeBar": False})
        st.plotly_chart(vz.mae_loss_figure([s.epoch for s in hist], [s.train_loss for s in hist],
                                           [s.test_loss for s in hist], [s.visible_mse for s in hist]),
                        key="chart_mae_loss", config={"displayModeBar": False})

    return draw
