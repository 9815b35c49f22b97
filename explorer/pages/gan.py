"""GANs (§4.4): a 2-D GAN trained live (GAN Lab style), five losses, spectral norm, mode collapse measured,
and a DCGAN on MNIST with a fixed-noise grid and latent interpolation."""
import numpy as np
import streamlit as st

from explorer.engines import dcgan, gan
from explorer.ui import gan_view as view
from explorer.ui import layout, live, params

layout.header(view.PAGE, "Press ▶ Play and watch the generator's points (purple) chase the real ones (green) across "
              "the discriminator's map; switch the loss, add spectral normalization or more D steps, and see which "
              "settings cover every mode and which collapse onto a few — then train a DCGAN on MNIST digits.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("2-D GAN")
    for name in ("target", "centres", "spread", "loss", "sn", "d_steps", "lr", "seed"):
        params.widget(W[name])
v = params.current(view.SPEC)
for p in params.invalid(view.SPEC):
    st.warning(f"{p.label}: type up to {p.max_len} characters, numbers with commas, spaces and semicolons, like "
               f"`{view.CENTRES_DEFAULT}`; using the default meanwhile.", icon="✏️")
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, st.columns([4, 1])[1])

st.subheader("1 · A GAN on the plane, live")
st.caption("Background: the discriminator D's verdict at every point (blue: real, orange: fake; for WGAN and hinge "
           "the critic's score). Green: real samples; purple: the generator's images G(z) of fixed latents z; "
           "arrows: where G's loss pushes each fake point (−∂L_G/∂x). Circles mark each mode's high-quality zone "
           "(3σ): solid when the mode is covered, dashed red when G has dropped it.")
cfg, message = view.run_config(v)
if message:
    st.warning(f"Mixture centres: {message}. Showing the default centres ({view.CENTRES_DEFAULT}) meanwhile.",
               icon="✏️")
st.caption(view.recipe_caption(cfg, v))
run = live.session_run(view.PAGE, cfg, lambda: gan.Trainer(cfg))
c = st.columns([3, 1.6, 1.8])
with c[0]:
    live.controls(view.PAGE, run, v["speed"])
params.widget(W["speed"], c[1])
params.widget(W["show"], c[2])
v = params.current(view.SPEC)
live.player(view.PAGE, run, v["speed"], view.render(cfg, tuple(v["show"])), frame_s=0.6)

st.subheader("2 · Why the non-saturating loss")
p = np.linspace(0.001, 0.999, 400)
st.plotly_chart(view.vz.g_loss_shapes(p, gan.g_loss_shapes(p)), key="chart_gan_gloss")
st.caption("Early on, D easily rejects the fakes (D(G(z)) ≈ 0). There the minimax loss log(1 − D) is flat, so G "
           "barely moves; −log D has the same fixed point but is steep exactly there. The critic losses are linear "
           "in D's score and never saturate, but they need D to be Lipschitz (clipping, a gradient penalty or "
           "spectral normalization).")

st.subheader("3 · A DCGAN on MNIST digits")
st.caption(f"A small convolutional generator (latent z of {dcgan.Z_DIM} numbers → 7×7 → 14×14 → 28×28) against a "
           "convolutional discriminator, on 4,000 MNIST digits, non-saturating loss, Adam. The grid shows G's "
           "images of the same 36 latents after every step; pause to drag back through training. Below, G's "
           "images along a path between the latents of two seeds.")
dcfg = view.DC
dc_run = live.session_run(view.DC_PAGE, dcfg, lambda: dcgan.Trainer(dcfg, view.digits()))
c = st.columns([3, 1.4])
with c[0]:
    live.controls(view.DC_PAGE, dc_run, v["dspeed"])
params.widget(W["dspeed"], c[1])
c = st.columns(3)
for col, name in zip(c, ("interp", "za", "zb")):
    params.widget(W[name], col)
v = params.current(view.SPEC)
live.player(view.DC_PAGE, dc_run, v["dspeed"], view.dcgan_render(v["interp"], int(v["za"]), int(v["zb"])),
            frame_s=0.6)

layout.explain("GANs, their losses and mode collapse", [
    "A generator G maps noise z ~ N(0, I) to samples; a discriminator D tells real from fake. The original "
    "**minimax** game (Goodfellow et al. 2014), with D(x) = σ(logit):",
    ("latex", r"\min_G \max_D\; \mathbb E_{x\sim p_\text{data}}\big[\log D(x)\big] + "
              r"\mathbb E_{z}\big[\log\big(1 - D(G(z))\big)\big]"),
    "For a fixed G the best D is p_data/(p_data + p_G), and G then minimizes 2·JS(p_data ‖ p_G) − log 4. "
    "The **non-saturating** variant keeps D's loss but lets G maximize log D(G(z)) instead:",
    ("latex", r"L_D = -\mathbb E\log D(x) - \mathbb E\log\big(1 - D(G(z))\big), \qquad "
              r"L_G^\text{NS} = -\mathbb E \log D(G(z))"),
    "**WGAN** (Arjovsky et al. 2017) lets a critic f estimate the Wasserstein-1 distance, which needs f to be "
    "1-Lipschitz; the original enforces that crudely by clipping every weight to [−c, c] (here c = "
    f"{gan.CLIP:g}, trained with RMSProp: momentum destabilizes a clipped critic). **WGAN-GP** (Gulrajani et al. "
    "2017) instead penalizes the gradient norm on random interpolates x̂ = εx + (1 − ε)G(z), ε ~ U[0, 1] (here "
    f"λ = {gan.GP_WEIGHT:g}, the authors' own setting for 2-D toys; λ = 10 is for images — on this ring it "
    "stalls G for thousands of updates):",
    ("latex", r"L_D = \mathbb E f(G(z)) - \mathbb E f(x) + \lambda\, \mathbb E_{\hat x}\big(\|\nabla_{\hat x} "
              r"f(\hat x)\|_2 - 1\big)^2, \qquad L_G = -\mathbb E f(G(z))"),
    "The **hinge** loss (used with spectral norm in SN-GAN and BigGAN):",
    ("latex", r"L_D = \mathbb E\,\mathrm{relu}(1 - f(x)) + \mathbb E\,\mathrm{relu}(1 + f(G(z))), \qquad "
              r"L_G = -\mathbb E f(G(z))"),
    "**Spectral normalization** (Miyato et al. 2018) divides each weight matrix by its largest singular value, "
    "estimated with one step of power iteration per update, so each layer is 1-Lipschitz:",
    ("latex", r"\bar W = W / \sigma(W), \quad v \leftarrow \frac{W^\top u}{\|W^\top u\|},\ "
              r"u \leftarrow \frac{W v}{\|W v\|},\ \sigma(W) \approx u^\top W v"),
    "The critic losses feed G a gradient that is only as good as the critic: they need it close to optimal, "
    "hence 5 critic updates per G update (n_critic = 5 in WGAN, WGAN-GP and SN-GAN; 'auto' picks it). With one, "
    "the critic lags behind G, and G circles instead of settling on the modes.",
    "The arrows are the force on each fake point, −∂L_G/∂x: G's weights move so that G(z) follows them.",
    "**Mode collapse**: G maps most z to a few modes that currently fool D; D then learns to reject those, G hops "
    f"elsewhere. It is measured on {gan.N_EVAL:,} fixed samples: a sample is **high quality** within "
    f"{gan.QUALITY_SIGMAS:g}σ of the target and counts for its nearest mode; a mode is **covered** when it holds "
    f"at least {gan.MIN_SHARE:g} of its fair share ({gan.N_EVAL:,}/K) of high-quality samples. For the spiral and "
    "the moons the modes are 8 arcs of equal length along the curve.",
    "**DCGAN** (Radford et al. 2016): transposed convolutions upsample, BatchNorm in both nets, LeakyReLU in D, "
    "tanh output, Adam with β₁ = 0.5. **Spherical interpolation** keeps ‖z‖ near √d, where almost all of a "
    "Gaussian's mass lies; the straight line passes closer to the origin, where G saw few latents:",
    ("latex", r"\operatorname{slerp}(a, b; t) = \frac{\sin((1-t)\Omega)}{\sin\Omega}\,a + "
              r"\frac{\sin(t\Omega)}{\sin\Omega}\,b, \qquad \cos\Omega = \frac{a\cdot b}{\|a\|\|b\|}"),
])
layout.presets(view.PAGE, [
    ("Spectral norm on the ring", "Non-saturating loss with spectral normalization covers all 8 modes.",
     {"sn": "1"}),
    ("Mode hopping", "Tiny modes (σ = 0.03) and a fast learning rate: G covers some modes, drops others, hops.",
     {"spread": "0.03", "lr": "0.003"}),
    ("Minimax, one mode at a time", "The saturating loss on tiny modes: the covered count climbs slowly.",
     {"spread": "0.03", "loss": "minimax"}),
    ("WGAN-GP", "The critic's score map with a gradient penalty, 5 critic steps per G step: all 8 modes within a "
     "few hundred updates.", {"loss": "wgan_gp", "d_steps": "5"}),
    ("WGAN-GP with one critic step", "The same, but D gets one update per G update: the critic lags, G wanders.",
     {"loss": "wgan_gp", "d_steps": "1"}),
    ("WGAN with weight clipping", "The original WGAN: RMSProp, weights clipped to ±c, 5 critic steps.",
     {"loss": "wgan"}),
    ("Hinge + spectral norm", "SN-GAN's recipe on the 3×3 grid.", {"loss": "hinge", "sn": "1", "target": "grid"}),
    ("Spiral with the manifold", "Watch G fold its latent grid onto a spiral.",
     {"target": "spiral", "show": "arrows,manifold"}),
    ("Your own mixture", "Three close modes and a far one.",
     {"target": "mixture", "centres": "-2,2; -1.5,1.5; -1,2; 2,-2"}),
])
