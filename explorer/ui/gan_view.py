"""The GAN page's controls table, cached data and live views (2-D GAN and DCGAN)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import dcgan, gan, images
from explorer.ui import live
from explorer.ui.params import Param
from explorer.viz import gan as vz

PAGE = "gan"
DC_PAGE = "gan_dcgan"  # the DCGAN's run and buttons live under their own key
RUN = gan.Config()
DC = dcgan.Config()
SPEEDS = (1, 3, 10, 30)
DC_SPEEDS = (1, 2, 5)
TARGET_LABEL = {"ring": "Ring of 8 Gaussians", "grid": "3×3 grid of Gaussians", "spiral": "Spiral",
                "moons": "Two moons", "mixture": "Your mixture (centres below)"}
LOSS_LABEL = vz.LOSS_LABEL
SHOW_LABEL = {"arrows": "Gradients", "manifold": "Latent grid"}
CENTRES_DEFAULT = gan.format_centres(gan.DEFAULT_CENTRES)
AUTO = 0  # the lr / d_steps option "auto": the loss's recipe (gan.RECIPES)

SPEC = [
    Param("target", "Target distribution", "choice", RUN.target, choices=gan.TARGETS, fmt=TARGET_LABEL.get),
    Param("centres", "Mixture centres (x,y; x,y; …)", "text", CENTRES_DEFAULT, max_len=200,
          pattern=r"[\w .,;:+\-]*",
          help=f"Up to {gan.MAX_CENTRES} centres, each x,y within ±{gan.CENTRE_LIMIT:g}, separated by semicolons. "
               "Used when the target is 'Your mixture'."),
    Param("spread", "Spread σ of each mode", "float", RUN.spread, lo=0.02, hi=0.5, step=0.01,
          help="The std of each Gaussian (or the jitter around the curve). A sample within 3σ of the target is "
               "'high quality'."),
    Param("loss", "Loss", "choice", RUN.loss, choices=gan.LOSSES, fmt=LOSS_LABEL.get),
    Param("sn", "Spectral normalization on D", "bool", RUN.sn,
          help="Divide each of D's weight matrices by its largest singular value: D becomes 1-Lipschitz per layer."),
    Param("d_steps", "D updates per G update", "choice", AUTO, choices=(AUTO, 1, 2, 3, 4, 5), widget="select_slider",
          fmt=lambda v: "auto" if v == AUTO else str(v),
          help="auto: 5 for the critic losses (WGAN, WGAN-GP, hinge), 1 for minimax and non-saturating."),
    Param("lr", "Learning rate (both nets)", "choice", AUTO, choices=(AUTO,) + gan.LEARNING_RATES,
          widget="select_slider", fmt=lambda v: "auto" if v == AUTO else f"{v:g}",
          help="auto: 3e-4 for hinge, 1e-3 for the others. Optimizer: Adam (β = 0.5, 0.9); RMSProp for WGAN "
               "with clipping."),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same initial weights, batches and fixed samples."),
    Param("speed", "Speed (steps/s, 10 G updates each)", "choice", 10, choices=SPEEDS, widget="select_slider"),
    Param("show", "Draw on the plane", "multi", ("arrows",), choices=tuple(SHOW_LABEL), fmt=SHOW_LABEL.get,
          widget="pills", help="Arrows: −∂L_G/∂x at 80 fake points, where G's loss pushes them (longest scaled to "
                               "0.45). Latent grid: G's image of a grid of lines in its 2-D latent space."),
    Param("dspeed", "Speed (steps/s, 10 updates each)", "choice", 2, choices=DC_SPEEDS, widget="select_slider"),
    Param("interp", "Interpolation", "choice", "slerp", choices=dcgan.INTERP, widget="segmented",
          fmt={"slerp": "Spherical", "linear": "Linear"}.get),
    Param("za", "From latent seed", "int", 1, lo=0, hi=999, widget="number"),
    Param("zb", "To latent seed", "int", 2, lo=0, hi=999, widget="number"),
]
BY_NAME = {p.name: p for p in SPEC}


def run_config(v: dict) -> tuple[gan.Config, str | None]:
    """The 2-D run's Config, and a message when the typed centres cannot be used (then the
    default centres stand in)."""
    centres, message = gan.DEFAULT_CENTRES, None
    if v["target"] == "mixture":
        try:
            centres = gan.parse_centres(v["centres"])
        except ValueError as err:
            message = str(err).removeprefix("centres: ")
    _, lr, d_steps = gan.RECIPES[v["loss"]]
    lr = lr if v["lr"] == AUTO else float(v["lr"])
    d_steps = d_steps if v["d_steps"] == AUTO else int(v["d_steps"])
    return gan.Config(target=v["target"], spread=float(v["spread"]), centres=centres, loss=v["loss"], sn=bool(v["sn"]),
                      d_steps=d_steps, lr=lr, seed=int(v["seed"])), message


def recipe_caption(cfg: gan.Config, v: dict) -> str:
    """One line saying which optimizer, learning rate and D steps train this run, and which of
    them 'auto' picked for the loss."""
    auto = [w for w, name in (("learning rate", "lr"), ("D steps", "d_steps")) if v[name] == AUTO]
    opt = gan.optimizer_name(cfg.loss) + (" (β = 0.5, 0.9)" if gan.optimizer_name(cfg.loss) == "Adam" else "")
    line = (f"Training: {opt}, learning rate {cfg.lr:g}, {cfg.d_steps} D update{'s' if cfg.d_steps > 1 else ''} "
            f"per G update")
    if cfg.loss == "wgan_gp":
        line += f", λ = {gan.GP_WEIGHT:g} (the WGAN-GP authors' setting for 2-D toys)"
    if cfg.loss == "wgan":
        line += f", weights clipped to ±{gan.CLIP:g}"
    if auto:
        line += f". The {' and '.join(auto)} set to auto use the recommended value for {LOSS_LABEL[cfg.loss]}"
    return line + "."


@st.cache_data(max_entries=16, show_spinner=False)
def target_for(cfg: gan.Config) -> gan.Target:
    return gan.make_target(cfg)


@st.cache_resource(show_spinner=False)
def digits() -> np.ndarray:
    """MNIST training digits (4,000, 1, 28, 28) in [0, 1], shared read-only."""
    return images.mnist().x_train


def _target_dict(t: gan.Target) -> dict:
    return {"anchors": t.anchors, "curve": not t.is_mixture, "centres": t.centres, "radius": t.radius}


def render(cfg: gan.Config, show: tuple):
    """The 2-D GAN's frame renderer for :func:`explorer.ui.live.player`."""
    tgt = _target_dict(target_for(cfg))

    def draw(snap: gan.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        if snap.epoch == 0:
            losses = "not trained yet: press ▶ Play or ⏭ Step"
        else:
            gp = f" (+ λ {gan.GP_WEIGHT:g} × gradient penalty {snap.gp:.3f})" if np.isfinite(snap.gp) else ""
            losses = f"D loss **{snap.d_loss:.3f}**{gp} · G loss **{snap.g_loss:.3f}**"
        st.markdown(f"#### {snap.step:,} generator updates · modes covered **{snap.modes_covered} / {snap.n_modes}** · "
                    f"high-quality share **{100 * snap.hq_share:.0f} %**\n{losses} · {snap.seconds:.1f} s of training")
        h = run.trainer.history(snap.epoch)
        s = {"grid": snap.grid, "d_map": snap.d_map, "map_kind": snap.map_kind, "real": snap.real, "fake": snap.fake,
             "arrows": snap.arrows, "manifold": snap.manifold, "mode_counts": snap.mode_counts,
             "covered": snap.mode_covered, "threshold": snap.cover_threshold}
        st.plotly_chart(vz.gan_figure(s, h, "arrows" in show, "manifold" in show, cfg.loss, tgt, gan.EXTENT),
                        key="chart_gan_plane", config={"displayModeBar": False})

    return draw


def dcgan_render(interp: str, za: int, zb: int):
    """The DCGAN's frame renderer: sample grid and curves, then the interpolation strip."""

    def draw(snap: dcgan.Snapshot, run: live.Run) -> None:
        if snap.epoch == 0:
            line = "not trained yet: press ▶ Play (about a minute to recognisable digits)"
        else:
            line = (f"D loss **{snap.train_loss:.3f}** · G loss **{snap.test_loss:.3f}** · D(real) "
                    f"**{snap.d_real:.2f}** · D(fake) **{snap.d_fake:.2f}** · {snap.seconds:.0f} s of training")
        st.markdown(f"#### DCGAN · {snap.step:,} updates\n{line}")
        h = run.trainer.history(snap.epoch)
        st.plotly_chart(vz.dcgan_figure(snap.grid, h, snap.step), key="chart_dcgan",
                        config={"displayModeBar": False})
        latest = run.trainer.snapshot
        imgs, norms = run.trainer.interpolate(za, zb, 9, interp)
        st.plotly_chart(vz.interpolation_figure(imgs, norms, interp, za, zb, latest.step), key="chart_dcgan_interp",
                        config={"displayModeBar": False})
        if snap is not latest:
            st.caption(f"The interpolation uses the latest generator ({latest.step:,} updates), not the one of the "
                       "snapshot shown above.")

    return draw
