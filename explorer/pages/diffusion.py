"""Diffusion models: DDPM forward noising and schedules, a live 2-D denoiser, DDIM vs DDPM, digits, latents."""
import streamlit as st

from explorer.engines import diffusion as dif
from explorer.ui import diffusion_view as view
from explorer.ui import layout, live, params

layout.header(view.PAGE, "Watch an image and a point cloud dissolve into noise under two schedules, press ▶ Play to "
              "train a denoiser on the points, then run its reverse process with DDPM and with DDIM in far fewer "
              "steps — and finally generate digits, directly and in a VAE's latent space.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME

with st.sidebar:
    st.header("Diffusion")
    for name in ("sched", "T"):
        params.widget(W[name])
    st.header("The 2-D denoiser")
    for name in ("data", "width", "lr", "seed"):
        params.widget(W[name])
v = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, st.columns([4, 1])[1])
T = int(v["T"])

st.subheader("1 · Forward: destroying the data, step by step")
st.plotly_chart(view.schedule_fig(T), key="chart_schedules")
st.caption(view.snr_caption(T) + " The linear schedule wipes out the signal early (SNR < 1 by mid-way); the cosine "
           "one keeps it longer and spends more steps at useful noise levels.")
params.widget(W["img"], st.columns([1, 3])[0])
strip, steps, label = view.noised_image(int(v["img"]), T, int(v["seed"]))
st.plotly_chart(view.image_grid(strip.reshape(-1, 1, 28, 28), [f"{k} t={t}" for k in dif.SCHEDULES for t in steps],
                                ncols=len(steps), title=f"A “{label}” noised in closed form: linear (top) vs cosine "
                                "(bottom)", tile_px=80, scale=3), key="chart_noised_image")
c = st.columns([3, 2])
c[0].plotly_chart(view.forward_points_fig(v["data"], v["sched"], T, int(v["seed"])), key="chart_forward_points")
c[1].markdown("**Press ▶ Animate** or drag the slider. Each frame runs the one-step kernel "
              "x_t = √(1−β_t)·x_{t−1} + √β_t·ε on every point (no shortcut), yet the cloud at step t has exactly "
              "the closed-form marginal N(√ᾱ_t·x₀, (1−ᾱ_t)·I): the structure shrinks toward 0 while the noise "
              "grows, and by t = T it is a standard normal, whatever the data was.")
c[1].markdown("The model never sees this chain step by step: training draws a random t and jumps straight to "
              "x_t with the closed form — one line of code per example.")

st.subheader("2 · Train a denoiser on the 2-D set, live")
st.caption(f"A small MLP ε_θ(x_t, t) (3 hidden SiLU layers, sinusoidal time embedding) learns to predict the noise "
           f"that was added. Each epoch is {dif.STEPS_PER_EPOCH} Adam steps; after each, {dif.N_SAMPLES} samples are "
           f"drawn with DDIM in {dif.SNAPSHOT_DDIM} steps from a fixed x_T and scored against held-out data.")
cfg = view.run_config(v)
run = live.session_run(view.PAGE, cfg, lambda: dif.Trainer(cfg))
c = st.columns([3, 1.3, 1.3])
with c[0]:
    live.controls(view.PAGE, run, v["speed"])
params.widget(W["speed"], c[1])
if c[2].button(f"⏩ Train to epoch {view.FAST_FORWARD}", key="diffusion_ff", width="stretch",
               disabled=run.snapshot.epoch >= view.FAST_FORWARD or run.snapshot.diverged):
    run.playing = False
    live.replay_to(run, view.FAST_FORWARD, "Training to epoch")
live.player(view.PAGE, run, v["speed"], view.render(cfg), frame_s=0.6)

st.subheader("3 · Reverse: DDPM against DDIM")
c = st.columns(2)
params.widget(W["ddim"], c[0])
params.widget(W["eta"], c[1])
v = params.current(view.SPEC)
view.sampling_section(run, cfg, int(v["ddim"]), float(v["eta"]))

st.subheader("4 · Generating digits")
st.caption("The same recipe on 14×14 MNIST digits, with a small U-Net (two resolutions, a time embedding in every "
           "block) in place of the MLP; schedule and T come from the sidebar.")
params.widget(W["dsteps"], st.columns([2, 3])[0])
view.digits_section(view.digit_config(v))

st.subheader("5 · Latent diffusion: diffuse in a VAE's 2-D latent space")
st.caption("Stable Diffusion's idea in miniature: an autoencoder (here the VAE page's model) maps images to a small "
           "latent space, the diffusion model learns the distribution of latent codes, and the decoder turns its "
           "samples back into images.")
params.widget(W["lepochs"], st.columns([2, 3])[0])
view.latent_section(view.latent_config(v))

layout.explain("denoising diffusion", [
    "**Forward process.** A fixed Markov chain adds a little Gaussian noise at each of T steps, with variances "
    "β₁ … β_T (the schedule):",
    ("latex", r"q(x_t\mid x_{t-1}) = \mathcal N\big(\sqrt{1-\beta_t}\,x_{t-1},\ \beta_t I\big),\qquad "
              r"\alpha_t = 1-\beta_t,\quad \bar\alpha_t = \prod_{s\le t}\alpha_s"),
    "Gaussians compose, so any step can be drawn in closed form — which is what makes training cheap:",
    ("latex", r"q(x_t\mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t) I\big),\qquad "
              r"\mathrm{SNR}(t) = \frac{\bar\alpha_t}{1-\bar\alpha_t}"),
    "**Schedules.** Linear (Ho et al. 2020): β from 10⁻⁴ to 0.02 over T = 1000 (scaled by 1000/T here for "
    "other T). Cosine (Nichol & Dhariwal 2021):",
    ("latex", r"\bar\alpha_t = \frac{f(t)}{f(0)},\qquad f(t) = \cos^2\Big(\frac{t/T + s}{1+s}\cdot\frac{\pi}{2}\Big),"
              r"\quad s = 0.008,\quad \beta_t \le 0.999"),
    "**Posterior.** Given x₀, the reverse step is Gaussian too:",
    ("latex", r"q(x_{t-1}\mid x_t, x_0) = \mathcal N(\tilde\mu_t, \tilde\beta_t I),\quad "
              r"\tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_0 + "
              r"\frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t,\quad "
              r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t"),
    "**Training.** A network ε_θ predicts the noise in x_t; the loss (Ho et al.'s simplified ELBO) is",
    ("latex", r"L = \mathbb E_{x_0,\,t,\,\varepsilon}\big\|\varepsilon - \varepsilon_\theta\big(\sqrt{\bar\alpha_t}x_0 "
              r"+ \sqrt{1-\bar\alpha_t}\,\varepsilon,\ t\big)\big\|^2"),
    "**DDPM sampling** starts from x_T ~ N(0, I) and takes all T ancestral steps, plugging the predicted "
    "x̂₀ = (x_t − √(1−ᾱ_t) ε_θ)/√ᾱ_t into the posterior:",
    ("latex", r"x_{t-1} = \tilde\mu_t(x_t, \hat x_0) + \sqrt{\tilde\beta_t}\,z,\qquad z\sim\mathcal N(0, I)"),
    "**DDIM** (Song et al. 2021) uses the same trained network but a non-Markovian process with the same "
    "marginals, so it can jump between any steps t → s:",
    ("latex", r"x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\,\varepsilon_\theta + \sigma z,"
              r"\qquad \sigma = \eta\sqrt{\frac{1-\bar\alpha_s}{1-\bar\alpha_t}}\sqrt{1-\frac{\bar\alpha_t}"
              r"{\bar\alpha_s}}"),
    "With η = 0 it is deterministic (an ODE solver in disguise); with η = 1 and s = t − 1 it is exactly DDPM "
    "(σ² = β̃_t). Fewer steps ⇒ proportionally less time; quality degrades gracefully. While sampling, x̂₀ is "
    "clipped to the data's range (±3 for the standardized points, ±1 for pixels).",
    "**Quality** here: the energy distance √(2E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖) between samples and held-out data "
    "(0 when the distributions match), and the share of samples lying as close to the training data as 95 % of "
    "held-out points do.",
    "**Latent diffusion** (Rombach et al. 2022) runs the same process on an autoencoder's codes z = E(x) "
    "instead of pixels, then decodes: x = D(z). Smaller space, faster training; the decoder supplies the detail.",
])
layout.presets(view.PAGE, [
    ("Linear at T = 1000", "Ho et al.'s setting: the signal is gone by three quarters of the way.",
     {"sched": "linear", "T": "1000"}),
    ("Eight Gaussians", "Do all eight modes come back? Watch the on-data share.", {"data": "gaussians"}),
    ("DDIM in 5 steps", "40× fewer network calls than DDPM: how much quality is left?", {"ddim": "5"}),
    ("Stochastic DDIM", "η = 1: DDIM's jumps with DDPM's amount of fresh noise.", {"eta": "1.0", "ddim": "50"}),
    ("Swiss roll, wide net", "A thin spiral needs a wider denoiser.", {"data": "swiss", "width": "256"}),
    ("Too hot", "Adam at 0.01: the loss is noisy, and so are the samples.", {"lr": "0.01"}),
])
