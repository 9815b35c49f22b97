"""The diffusion page's controls table, cached computations and views."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import diffusion as dif
from explorer.engines import diffusion_latent as dlat
from explorer.engines import diffusion_mnist as dmn
from explorer.engines import images
from explorer.engines.device import cap_threads
from explorer.ui import live
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import diffusion as vz
from explorer.viz.images import image_grid

PAGE = "diffusion"
RUN = dif.Config(width=64)
SPEEDS = (1, 2, 5, 10)
DDIM_STEPS = (5, 10, 20, 50, 100)
COMPARE_STEPS = (5, 10, 20, 50)
N_STRIP = 8          # noised copies of the image per schedule
N_POINT_FRAMES = 21  # frames of the forward animation of the 2-D set
MNIST_WIDTH = 16
FAST_FORWARD = 40    # epochs the "train to" button reaches at once


def _lr(v) -> str:
    return f"{v:g}"


SPEC = [
    # forward process (and the live run's schedule)
    Param("sched", "Noise schedule", "choice", RUN.schedule, choices=dif.SCHEDULES, widget="radio",
          fmt={"linear": "Linear (Ho et al.)", "cosine": "Cosine (Nichol & Dhariwal)"}.get,
          help="How fast the signal is destroyed. Used for the animation and by every model on the page."),
    Param("T", "Diffusion steps T", "choice", RUN.T, choices=dif.STEP_CHOICES, widget="select_slider",
          help="The number of noising steps; DDPM sampling takes all of them."),
    Param("img", "MNIST test image #", "int", 0, lo=0, hi=999, widget="number"),
    # the live 2-D run
    Param("data", "2-D data set", "choice", RUN.dataset, choices=dif.DATASETS, fmt=dif.DATASET_LABELS.get),
    Param("width", "Denoiser width", "choice", RUN.width, choices=dif.WIDTHS, widget="segmented",
          help="Units in each of the 3 hidden layers of ε_θ(x, t)."),
    Param("lr", "Learning rate (Adam)", "choice", RUN.lr, choices=dif.LEARNING_RATES, widget="select_slider",
          fmt=_lr),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="Data, initial weights, batches and the sampler's noise."),
    Param("speed", "Speed (epochs/s)", "choice", 2, choices=SPEEDS, widget="select_slider",
          help=f"One epoch = {dif.STEPS_PER_EPOCH} Adam steps on batches of {dif.BATCH} points."),
    # sampling
    Param("ddim", "DDIM steps", "choice", 20, choices=DDIM_STEPS, widget="select_slider",
          help="DDIM jumps between this many evenly spaced steps instead of walking all T."),
    Param("eta", "DDIM η (0 = deterministic, 1 = DDPM's noise)", "float", 0.0, lo=0.0, hi=1.0, step=0.1),
    # digits and latents
    Param("dsteps", "Adam steps for the digit denoiser", "choice", 600, choices=dmn.STEP_BUDGETS,
          widget="select_slider"),
    Param("lepochs", "Epochs of the latent denoiser", "choice", 30, choices=dlat.EPOCH_BUDGETS,
          widget="select_slider", help=f"{dif.STEPS_PER_EPOCH} Adam steps each."),
]
BY_NAME = {p.name: p for p in SPEC}


def run_config(v: dict) -> dif.Config:
    return dif.Config(dataset=v["data"], schedule=v["sched"], T=int(v["T"]), width=int(v["width"]),
                      lr=float(v["lr"]), seed=int(v["seed"]))


# -- 1 · forward ------------------------------------------------------------------------------------------
@st.cache_resource(max_entries=16, show_spinner=False)
def schedule_fig(T: int):
    curves = {k: (s.alpha_bar, s.snr) for k in dif.SCHEDULES for s in [dif.make_schedule(k, T)]}
    return vz.schedule_figure(T, curves)


def strip_steps(T: int) -> np.ndarray:
    """The steps at which the image is shown: 0 (clean) and 7 more spread over 1..T."""
    return np.unique(np.r_[0, np.linspace(0, T - 1, N_STRIP)[1:].round().astype(int)])


@st.cache_data(max_entries=16, show_spinner=False)
def noised_image(img: int, T: int, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """[2 schedules, N_STRIP, 1, 28, 28] noised copies in [0, 1] (display clipped), the steps, the label."""
    d = images.mnist()
    x0 = d.x_test[img] * 2 - 1
    steps = strip_steps(T)
    rows = []
    for k in dif.SCHEDULES:
        views = dif.noised_views(x0, dif.make_schedule(k, T), steps, seed)
        views[0] = x0  # t = 0 shown as the clean image, as in the paper's figure
        rows.append(np.clip((views + 1) / 2, 0, 1))
    return np.stack(rows).astype(np.float32), steps, int(d.y_test[img])


@st.cache_resource(max_entries=16, show_spinner=False)
def forward_points_fig(dataset: str, schedule: str, T: int, seed: int):
    s = dif.make_schedule(schedule, T)
    x0 = dif.make_points(dataset, 800, seed)
    keep = np.unique(np.linspace(0, T - 1, N_POINT_FRAMES - 1).round().astype(int))
    frames = np.concatenate([x0[None], dif.forward_chain(x0, s, keep, seed)])
    steps = np.r_[0, keep + 1]
    ab = np.r_[1.0, s.alpha_bar[keep]]
    return vz.forward_points_figure(frames, steps, ab, f"{dif.DATASET_LABELS[dataset]}, {schedule} schedule")


def snr_caption(T: int) -> str:
    lin, cos = dif.make_schedule("linear", T), dif.make_schedule("cosine", T)
    parts = []
    for frac in (0.25, 0.5, 0.75):
        t = int(round(frac * T)) - 1
        parts.append(f"t = {t + 1}: ᾱ {lin.alpha_bar[t]:.3f} vs {cos.alpha_bar[t]:.3f}, SNR {lin.snr[t]:.3g} vs "
                     f"{cos.snr[t]:.3g}")
    return "Linear vs cosine — " + " · ".join(parts) + "."


# -- 2 · the live run ----------------------------------------------------------------------------------------
@st.cache_data(max_entries=16, show_spinner=False)
def data_points(dataset: str, seed: int) -> np.ndarray:
    return dif.make_points(dataset, dif.N_DATA, seed)


def render(cfg: dif.Config):
    """The frame renderer for :func:`explorer.ui.live.player`."""
    data = data_points(cfg.dataset, cfg.seed)[:1000]

    def draw(snap: dif.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        if snap.diverged:
            st.markdown(f"#### Epoch {snap.epoch:,} · diverged")
        else:
            st.markdown(f"#### Epoch {snap.epoch:,} · {snap.step:,} Adam steps · loss **{snap.train_loss:.3f}** "
                        f"(held-out {snap.test_loss:.3f}) · samples on the data **{100 * snap.on_data:.0f} %** · "
                        f"energy distance **{snap.energy:.3f}**")
        c = run.curve
        hist = [s for s in run.history if s.epoch <= snap.epoch]
        upto = sum(1 for e in c["epoch"] if e <= snap.epoch)
        st.plotly_chart(vz.live_figure(c["epoch"][:upto], c["train"][:upto], c["test"][:upto],
                                       [s.epoch for s in hist], [s.on_data for s in hist],
                                       [s.energy for s in hist], snap.samples, data, snap.epoch),
                        key="chart_diffusion_live", config={"displayModeBar": False})

    return draw


# -- 3 · reverse sampling --------------------------------------------------------------------------------------
@memo(max_entries=16)
def sampling(cfg: dif.Config, epoch: int, ddim: int, eta: float, _trainer=None) -> dict:
    """Trajectories and the sampler comparison for the run ``cfg`` at ``epoch`` (a run is
    deterministic, so config and epoch identify the model; ``_trainer`` must be at that epoch)."""
    tr = _trainer
    steps = tuple(sorted(set(COMPARE_STEPS) | {ddim}))
    data = data_points(cfg.dataset, cfg.seed)[:1000]
    d, i = tr.sample("ddpm", keep=41), tr.sample("ddim", ddim, eta, keep=ddim + 1)
    c = dif.compare_samplers(tr, steps, eta)
    return {"compare": c,
            "figs": [(vz.trajectory_figure(d.steps, d.x, data, f"DDPM, {cfg.T} steps"), "chart_traj_ddpm"),
                     (vz.trajectory_figure(i.steps, i.x, data, f"DDIM, {ddim} steps, η = {eta:g}"), "chart_traj_ddim"),
                     (vz.comparison_figure(c.labels, c.seconds, c.energy, c.on_data), "chart_compare"),
                     (vz.samples_grid_figure(c.labels, c.samples, data), "chart_compare_samples")]}


def sampling_section(run: live.Run, cfg: dif.Config, ddim: int, eta: float) -> None:
    snap = run.snapshot
    if snap.diverged:
        st.info("The run diverged, so there is no denoiser to sample with: lower the learning rate and press Reset.",
                icon="💥")
        return
    if ddim > cfg.T:
        st.caption(f"ℹ️ DDIM cannot take more steps than T = {cfg.T}; using {cfg.T}.")
        ddim = cfg.T
    if snap.epoch < 10:
        st.info(f"The denoiser has trained for {snap.epoch} epochs: its samples are still mostly noise. Press ▶ Play "
                f"above, or ⏩ Train to epoch {FAST_FORWARD} beside it.", icon="👆")
    with st.spinner("Sampling with DDPM and DDIM…"):
        out = sampling(cfg, snap.epoch, ddim, eta, _trainer=run.trainer)
    figs = out["figs"]
    cols = st.columns(2)
    for col, (fig, key) in zip(cols, figs[:2]):
        col.plotly_chart(fig, key=key)
    for fig, key in figs[2:]:
        st.plotly_chart(fig, key=key)
    c = out["compare"]
    k = list(c.labels).index(f"DDIM, {ddim} steps")
    speed = c.seconds[0] / c.seconds[k]
    st.caption(f"At epoch {snap.epoch:,}: DDIM with {ddim} steps took {1000 * c.seconds[k]:.0f} ms against "
               f"{1000 * c.seconds[0]:.0f} ms for DDPM's {cfg.T} — **{speed:.1f}× faster** — with energy distance "
               f"{c.energy[k]:.3f} vs {c.energy[0]:.3f} and {100 * c.on_data[k]:.0f} % vs {100 * c.on_data[0]:.0f} % "
               f"of samples on the data. Same network, same x_T ({dif.N_SAMPLES} points), one run each on this "
               "server (a busy server makes the times noisy).")


# -- 4 · digits -----------------------------------------------------------------------------------------------
def progress_bar(text: str):
    bar = st.progress(0.0, text=text)
    return bar, (lambda f, msg="": bar.progress(min(1.0, float(f)), text=f"{text} {msg}"))


@memo(max_entries=8)
def _digits(cfg: dmn.Config, _progress=None) -> dmn.Result:
    cap_threads()
    return dmn.train(cfg, images.mnist().x_train, progress=_progress)


_DIGITS_DONE: set = set()
_LATENT_DONE: set = set()


def digit_config(v: dict) -> dmn.Config:
    return dmn.Config(steps=int(v["dsteps"]), schedule=v["sched"], T=int(v["T"]), width=MNIST_WIDTH,
                      seed=int(v["seed"]))


def digits_section(cfg: dmn.Config) -> None:
    ready = cfg in _DIGITS_DONE
    if not ready:
        st.caption(f"Training takes {cfg.steps:,} Adam steps on 14×14 digits (≈ {cfg.steps * 0.035:.0f} s on a free "
                   "CPU core, longer when the server is busy); the result is then kept for everyone.")
        if not st.button(f"🎲 Train the digit denoiser ({cfg.steps:,} steps)", key="diffusion_train_digits",
                         type="primary"):
            return
    bar, prog = progress_bar("Training the digit denoiser:")
    res = _digits(cfg, _progress=prog)
    bar.empty()
    _DIGITS_DONE.add(cfg)
    if res.diverged:
        st.warning("The digit denoiser diverged (its loss became NaN): try another seed.", icon="💥")
        return
    st.plotly_chart(image_grid(res.samples, ncols=16, title=f"{len(res.samples)} generated digits (DDIM, 50 steps)",
                               tile_px=52, scale=4), key="chart_digits")
    st.plotly_chart(image_grid(res.strip.reshape(-1, *res.strip.shape[2:]),
                               [f"t = {t}" for t in res.strip_steps] * len(res.strip), ncols=res.strip.shape[1],
                               title="Reverse process of the first samples, noise → digit", tile_px=56, scale=4),
                    key="chart_digit_strip")
    st.plotly_chart(vz.loss_figure(res.losses, "Digit denoiser: training loss"), key="chart_digit_loss")
    st.caption(f"Trained in {res.train_seconds:.1f} s, 32 digits sampled in {res.sample_seconds:.2f} s on this "
               "server. Real training digits for comparison:")
    st.plotly_chart(image_grid(res.real, ncols=16, title="Real digits (14×14)", tile_px=52, scale=4),
                    key="chart_digits_real")


# -- 5 · latent diffusion ------------------------------------------------------------------------------------------
@memo(max_entries=8)
def _latent(cfg: dlat.Config, _progress=None) -> dlat.Result:
    from explorer.engines import vae

    cap_threads()
    if _progress:
        _progress(0.0, "training the VAE (once per server)…")
    encode, decode = vae.latent_codec(0)
    d = images.mnist()
    n = dlat.N_CODES
    return dlat.run(cfg, d.x_train[:n], d.y_train[:n], encode, decode, progress=_progress)


def latent_config(v: dict) -> dlat.Config:
    return dlat.Config(epochs=int(v["lepochs"]), schedule=v["sched"], T=int(v["T"]),
                       ddim_steps=min(50, int(v["T"])), seed=int(v["seed"]))


def latent_section(cfg: dlat.Config) -> None:
    if cfg not in _LATENT_DONE:
        st.caption(f"This trains the VAE page's model once (≈ 15–40 s), encodes {dlat.N_CODES:,} digits and trains "
                   f"the 2-D denoiser for {cfg.epochs} epochs on their codes.")
        if not st.button("🧬 Run latent diffusion", key="diffusion_train_latent", type="primary"):
            return
    bar, prog = progress_bar("Latent diffusion:")
    res = _latent(cfg, _progress=prog)
    bar.empty()
    _LATENT_DONE.add(cfg)
    if res.diverged:
        st.warning("The latent denoiser diverged: try another seed.", icon="💥")
        return
    st.plotly_chart(vz.latent_figure(res.codes, res.labels, res.samples[:600]), key="chart_latent")
    st.caption(f"Energy distance to held-out codes: diffusion samples **{res.energy_diffusion:.3f}**, draws from the "
               f"VAE's prior N(0, I) **{res.energy_prior:.3f}** (lower is closer to where real digits sit).")
    st.plotly_chart(image_grid(res.decoded, ncols=16, title="Decoded diffusion samples", tile_px=52, scale=2),
                    key="chart_latent_decoded")
    st.plotly_chart(image_grid(res.prior_decoded, ncols=16, title="Decoded draws from the prior N(0, I), for "
                               "comparison", tile_px=52, scale=2), key="chart_latent_prior")
