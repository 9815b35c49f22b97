"""Variational autoencoders (§4.3): latent grid, ELBO terms, β, posterior collapse, reparameterization."""
import streamlit as st

from explorer.engines import vae
from explorer.ui import layout, live, params
from explorer.ui import vae_view as view

layout.header(view.PAGE, "Press ▶ Play and watch digits organise themselves in a 2-D latent space; move β to trade "
              "reconstruction for a tidy code; pick the powerful decoder to see the posterior collapse, then cure it.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("VAE")
    for name in view.MODEL_PARAMS:
        params.widget(W[name])
values = params.current(view.SPEC)
cfg = view.run_config(values)

st.subheader("1 · Training a VAE live")
run = live.session_run(view.PAGE, cfg, lambda: vae.Trainer(cfg))
query = params.sync_to_url(view.PAGE, view.SPEC)
c = st.columns([3, 1.4, 1.2])
with c[0]:
    live.controls(view.PAGE, run, values["speed"])
params.widget(W["speed"], c[1])
params.share_box(query, view.PAGE, c[2])
st.caption(f"Encoder 784 → 256 → (μ, log σ²) ∈ ℝ^{cfg.latent}·2, decoder "
           f"{'MLP' if cfg.decoder == 'mlp' else 'GRU over the rows + masked 7×7 convolution (sees the previous pixels; binarized digits)'}, "
           f"β = {cfg.beta:g}, 4,000 MNIST training digits; the numbers are on the 1,000 test digits. A unit is "
           f"**active** when its posterior mean varies with the input: Var_x(μ_j(x)) > {vae.ACTIVE_THRESHOLD}.")
if cfg.decoder == "autoregressive":
    st.caption("**Why it collapses**: this decoder predicts each pixel from the ones already drawn, so it models the "
               "digits almost as well without z; every nat of information in z then costs a nat of KL and buys "
               "nothing, and the encoder learns to send none (KL → 0, units inactive). With learning rate 0.01 it "
               "collapses within two or three epochs; watch the active-unit count in the header.")
live.player(view.PAGE, run, values["speed"], view.render(cfg), frame_s=0.6)

st.subheader("2 · Posterior collapse, measured by active units")
st.caption("**Cures**: *free bits* leave the first λ nats of each dimension unpenalised, so sending a little "
           "information through z is free and the encoder keeps every unit in use; *KL annealing* starts with KL "
           "weight 0 so z is used while the decoder is still weak, but once the weight reaches 1 this decoder can "
           "still drop z: annealing delays the collapse, free bits prevent it.")
view.collapse_section(int(values["seed"]))

st.subheader("3 · The reparameterization trick")
st.caption("To train the encoder we need the gradient of an expectation over z ~ N(μ, σ²). Writing z = μ + σ·ε "
           "with ε ~ N(0, 1) moves the randomness out of the way: autograd differentiates each sample "
           "(∂z/∂μ = 1, ∂z/∂σ = ε). The score-function estimator needs no derivative of f but is far noisier.")
c = st.columns(3)
for col, name in zip(c, ("mu", "sigma", "fn")):
    params.widget(W[name], col)
values = params.current(view.SPEC)
study = view.reparam(float(values["mu"]), float(values["sigma"]), values["fn"])
st.plotly_chart(view.vz.reparam_figure(study.z, study.eps, {k: study.running(getattr(study, k)) for k in
                                                             ("g_mu", "s_mu", "g_sigma", "s_sigma")},
                                       study.truth, study.mu, study.sigma, view.FN_LABEL[study.fn]),
                key="chart_vae_reparam")
st.caption(view.reparam_caption(study))

layout.explain("the ELBO, β, posterior collapse and the reparameterization trick", [
    "A VAE maximises a lower bound on log p(x): the **ELBO**, a reconstruction term minus the KL divergence "
    "from the encoder's posterior q(z|x) = N(μ(x), diag σ²(x)) to the prior p(z) = N(0, I):",
    ("latex", r"\log p(x) \ge \mathbb E_{q(z|x)}\big[\log p(x|z)\big] - \beta\, "
              r"\mathrm{KL}\big(q(z|x)\,\|\,p(z)\big), \qquad \beta = 1"),
    ("latex", r"\mathrm{KL} = \tfrac12 \sum_j \big(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\big)"),
    "With a Bernoulli decoder the reconstruction term is minus the binary cross-entropy; with a Gaussian of fixed "
    "σ it is a scaled squared error:",
    ("latex", r"\log p(x|z) = \sum_i x_i\log\hat x_i + (1-x_i)\log(1-\hat x_i) \quad\text{or}\quad "
              r"-\sum_i \frac{(x_i-\hat x_i)^2}{2\sigma^2} - \log\big(\sigma\sqrt{2\pi}\big)"),
    "**β-VAE**: β > 1 buys a code closer to the prior (low rate R = KL) at the price of blurrier "
    "reconstructions (high distortion D); β < 1 the reverse. −ELBO = D + R, so β = 1 is the best bound.",
    "**Posterior collapse**: a decoder strong enough to model x on its own gains nothing from z, and the KL term "
    "then pushes q(z|x) onto the prior: KL → 0, the grid's images stop depending on z, units go inactive "
    "(Burda et al.: active when Cov_x(E_q[z_j]) > 0.01). **Cures**: KL annealing (the weight ramps from 0, so the "
    "encoder learns to carry information first) and free bits (no penalty below λ nats per dimension):",
    ("latex", r"\mathcal L_{\text{free bits}} = -\mathbb E_q[\log p(x|z)] + \sum_j \max\big(\lambda,\ "
              r"\mathbb E_x \mathrm{KL}_j\big)"),
    "**Reparameterization**: sampling is not differentiable, but a deterministic function of noise is:",
    ("latex", r"z = \mu + \sigma\,\epsilon,\ \epsilon\sim\mathcal N(0,1) \ \Rightarrow\ "
              r"\nabla_{\mu,\sigma}\,\mathbb E[f(z)] = \mathbb E_\epsilon\big[f'(\mu+\sigma\epsilon)\,(1,\ \epsilon)\big]"),
    "versus the score-function (REINFORCE) estimator, unbiased but with far more variance:",
    ("latex", r"\nabla_\theta\, \mathbb E[f(z)] = \mathbb E\big[f(z)\,\nabla_\theta \log \mathcal N(z;\mu,\sigma^2)\big]"),
])
layout.presets(view.PAGE, [
    ("β = 4", "A strong KL weight: a tidy, round latent space and blurry digits.", {"beta": "4"}),
    ("β = 0.1", "Nearly an autoencoder: sharp digits, a latent space far from the prior.", {"beta": "0.1"}),
    ("Posterior collapse", "The powerful decoder, 16 dimensions, learning rate 0.01: within about three epochs the KL "
     "is near 0 and almost no unit is active.", {"decoder": "autoregressive", "latent": "16", "learning_rate": "0.01"}),
    ("Cure: free bits", "Same decoder with 0.5 free nats per dimension: all 16 units stay active.",
     {"decoder": "autoregressive", "latent": "16", "learning_rate": "0.01", "free_bits": "0.5"}),
    ("Cure: KL annealing", "Same decoder, the KL weight ramps up over 3 epochs: z is used while the weight is low, "
     "then collapses once it reaches 1.", {"decoder": "autoregressive", "latent": "16", "learning_rate": "0.01",
                                          "anneal": "3"}),
    ("Gaussian decoder", "A Gaussian likelihood with σ = 0.1 weighs reconstruction 50× more per squared error.",
     {"likelihood": "gaussian"}),
])
