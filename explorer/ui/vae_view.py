"""The VAE page's controls table, run config, cached study and live views."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import vae
from explorer.engines.device import cap_threads
from explorer.ui import live
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import vae as vz

PAGE = "vae"
RUN = vae.Config()
SPEEDS = (1, 2, 4, 8, 20)
FN_LABEL = {"square": "z²", "sin": "sin z", "exp": "eᶻ"}

SPEC = [
    Param("latent", "Latent dimensions", "choice", RUN.latent, choices=(2, 4, 8, 16), widget="segmented",
          help="2 can be drawn directly. With more, the grid and the scatter show the two most used dimensions."),
    Param("beta", "β (weight of the KL term)", "choice", RUN.beta, choices=(0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
          widget="select_slider", fmt=lambda v: f"{v:g}",
          help="β = 1 maximises the ELBO. β < 1 favours sharp reconstructions, β > 1 a code closer to the prior."),
    Param("decoder", "Decoder", "choice", RUN.decoder, choices=vae.DECODERS, widget="segmented",
          fmt={"mlp": "MLP", "autoregressive": "Powerful (autoregressive)"}.get,
          help="The autoregressive decoder also sees every pixel before the one it predicts (a GRU reading the rows "
               "above plus a masked 7×7 convolution, like PixelCNN) and trains on black-and-white digits: it can draw "
               "them without the latent code."),
    Param("anneal", "KL annealing (epochs)", "choice", RUN.anneal, choices=(0, 3, 10, 30), widget="select_slider",
          fmt=lambda v: "off" if v == 0 else f"{v} epochs",
          help="Ramp the KL weight from 0 to β over this many epochs, so the encoder learns to use z first."),
    Param("free_bits", "Free bits λ (nats per dimension)", "choice", RUN.free_bits, choices=(0.0, 0.1, 0.25, 0.5, 1.0),
          widget="select_slider", fmt=lambda v: "off" if v == 0 else f"{v:g}",
          help="KL below λ in a dimension is not penalized, so no dimension gains by collapsing to the prior."),
    Param("likelihood", "Likelihood p(x|z)", "choice", RUN.likelihood, choices=vae.LIKELIHOODS, widget="segmented",
          fmt={"bernoulli": "Bernoulli", "gaussian": "Gaussian σ = 0.1"}.get),
    Param("learning_rate", "Learning rate (Adam)", "choice", RUN.learning_rate, choices=(3e-4, 1e-3, 3e-3, 1e-2, 0.1),
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("seed", "Seed", "int", RUN.seed, lo=0, hi=999, widget="number",
          help="The same seed gives the same initial weights, batches and ε."),
    Param("speed", "Speed (steps/s; 4 steps = 1 epoch)", "choice", 4, choices=SPEEDS, widget="select_slider"),
    # the reparameterization trick
    Param("mu", "μ", "float", 0.5, lo=-2.0, hi=2.0, step=0.1),
    Param("sigma", "σ", "float", 1.0, lo=0.1, hi=2.0, step=0.1),
    Param("fn", "f(z)", "choice", "square", choices=vae.FUNCTIONS, widget="segmented", fmt=FN_LABEL.get),
]
BY_NAME = {p.name: p for p in SPEC}
MODEL_PARAMS = ("latent", "beta", "decoder", "anneal", "free_bits", "likelihood", "learning_rate", "seed")
N_REPARAM = 2000


def run_config(v: dict) -> vae.Config:
    return vae.Config(latent=int(v["latent"]), beta=float(v["beta"]), decoder=v["decoder"], anneal=int(v["anneal"]),
                      free_bits=float(v["free_bits"]), likelihood=v["likelihood"],
                      learning_rate=float(v["learning_rate"]), seed=int(v["seed"]))


@st.cache_data(max_entries=32, show_spinner=False)
def reparam(mu: float, sigma: float, fn: str) -> vae.ReparamStudy:
    return vae.reparam_study(mu, sigma, fn, n=N_REPARAM, seed=0)


STUDY_EPOCHS, STUDY_ANNEAL, STUDY_FREE_BITS = 5, 3, 0.5


def study_config(seed: int) -> vae.Config:
    """The collapse comparison's base run: 16 dimensions, the powerful decoder, β = 1, lr 0.01."""
    return vae.Config(latent=16, decoder="autoregressive", learning_rate=1e-2, seed=int(seed))


@memo(8)
def collapse(seed: int, _progress=None) -> vae.CollapseStudy:
    cap_threads()
    return vae.collapse_study(study_config(seed), STUDY_EPOCHS, STUDY_ANNEAL, STUDY_FREE_BITS, progress=_progress)


def collapse_section(seed: int) -> None:
    """The on-demand comparison none / annealing / free bits (cached per seed)."""
    key = f"vae_collapse_{seed}"
    if st.button(f"Compare the cures ({3 * STUDY_EPOCHS} epochs of training, ≈ 30 s)", key="vae_collapse_run"):
        st.session_state[key] = True
    if not st.session_state.get(key):
        st.caption("Trains the powerful decoder with 16 dimensions three times, the same seed each time: no cure, "
                   f"KL annealing over {STUDY_ANNEAL} epochs, free bits λ = {STUDY_FREE_BITS:g} nats per dimension.")
        return
    bar = st.progress(0.0, text="Training: no cure, epoch 1")
    s = collapse(seed, _progress=lambda f, text: bar.progress(min(1.0, f), text=f"Training: {text}"))
    bar.empty()
    st.plotly_chart(vz.collapse_figure(s.epochs, s.n_active, s.kl, s.base.latent,
                                       title=f"Posterior collapse and its cures: powerful decoder, 16 dimensions, "
                                             f"seed {seed}"), key="chart_vae_collapse")
    st.table({"setting": ["no cure", f"KL annealing ({s.anneal} epochs)", f"free bits λ = {s.free_bits:g}"],
              f"active units after {STUDY_EPOCHS} epochs": [f"{int(s.n_active[c][-1])} / {s.base.latent}"
                                                             for c in vae.CURES],
              "KL (nats)": [f"{s.kl[c][-1]:.2f}" for c in vae.CURES],
              "test ELBO (nats)": [f"{s.elbo[c][-1]:.1f}" for c in vae.CURES],
              "training CPU s": [f"{s.cpu_s[c]:.1f}" for c in vae.CURES]})


def render(cfg: vae.Config):
    """The frame renderer for :func:`explorer.ui.live.player`."""

    def draw(snap: vae.Snapshot, run: live.Run) -> None:
        if snap.diverged or snap.grid is None:
            st.markdown(f"#### Epoch {snap.epoch:g}")
            return
        st.markdown(
            f"#### Epoch {snap.epoch:g} · {snap.step:,} weight updates\n"
            f"test ELBO **{snap.elbo:.1f}** nats = reconstruction **{snap.recon:.1f}** − KL **{snap.kl:.2f}** · "
            f"active units **{snap.n_active} / {cfg.latent}** · KL weight **{snap.kl_weight:.2f}**")
        dims = snap.dims
        st.plotly_chart(vz.grid_figure(snap.grid, vae.GRID, dims, vae.GRID_RANGE,
                                       title=f"Decoded latent grid: p(x|z) over z{dims[0] + 1}, z{dims[1] + 1} ∈ [−3, 3]"
                                       + (" (other dimensions 0)" if cfg.latent > 2 else "")),
                        key="chart_vae_grid", config={"displayModeBar": False})
        st.plotly_chart(vz.latent_figure(snap.mu, snap.labels, dims, vae.GRID_RANGE,
                                         title="Encoded test set: posterior means μ(x), coloured by digit"),
                        key="chart_vae_latent", config={"displayModeBar": False})
        h = run.trainer.history(snap.epoch)
        st.plotly_chart(vz.terms_figure(h["epoch"], h["elbo"], h["recon"], h["kl"], h["n_active"], cfg.latent,
                                        h["kl_weight"]), key="chart_vae_terms", config={"displayModeBar": False})
        st.plotly_chart(vz.kl_dims_figure(h["epoch"], h["kl_dims"], snap.active), key="chart_vae_kldims",
                        config={"displayModeBar": False})
        st.plotly_chart(vz.rate_distortion_figure(h["kl"], h["recon"], h["epoch"]), key="chart_vae_rd",
                        config={"displayModeBar": False})
        st.plotly_chart(vz.recon_figure(snap.x_show, snap.x_recon), key="chart_vae_recon",
                        config={"displayModeBar": False})

    return draw


def reparam_caption(s: vae.ReparamStudy) -> str:
    e, dmu, dsig = s.truth
    return (f"After {len(s.z):,} samples: reparameterized ∂/∂μ = {s.g_mu.mean():+.3f} (spread {s.g_mu.std():.2f} "
            f"per sample), score function {s.s_mu.mean():+.3f} (spread {s.s_mu.std():.2f}); true {dmu:+.3f}. "
            f"∂/∂σ: {s.g_sigma.mean():+.3f} vs {s.s_sigma.mean():+.3f}; true {dsig:+.3f}. "
            f"Both are unbiased; the reparameterized one has "
            f"{np.var(s.s_mu) / max(np.var(s.g_mu), 1e-12):.1f}× less variance for μ here.")
