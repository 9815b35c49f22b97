"""The certified-robustness page's controls table and cached computations."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer.engines import certify as cert
from explorer.engines import zoo
from explorer.engines.device import cap_threads
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import certified as vz
from explorer.ui.layout import progress_bar

PAGE = "certified"
DATASET = "mnist"
BASES = ("mlp", "lenet")
BASE_LABEL = {"mlp": "MLP (784-128-64-10)", "lenet": "LeNet-5"}
EPOCHS = {"mlp": 4, "lenet": 4}
NS = (100, 500, 1000, 2000, 5000)
ALPHAS = (0.001, 0.01, 0.05)
CURVE_IMAGES = (20, 50, 100, 200)
N0 = 64
DATASETS = cert.DATASETS_2D
DATA_LABEL = {"circle": "Circle", "xor": "Exclusive or", "gauss": "Two Gaussians", "spiral": "Spiral",
              "blobs": "Three blobs"}
HI = 4.0  # the largest box half-width searched

SPEC = [
    # randomized smoothing
    Param("sigma", "Noise σ", "choice", 0.25, choices=cert.SIGMAS, widget="segmented", fmt=lambda s: f"{s:g}",
          help="The standard deviation of the Gaussian noise, in pixel units (pixels are in 0…1). Each σ has its "
               "own base classifier, trained on images with that noise."),
    Param("base", "Base classifier", "choice", "mlp", choices=BASES, widget="segmented", fmt=BASE_LABEL.get,
          help="Trained once per σ with Gaussian noise augmentation, then cached on disk."),
    Param("img", "Test image #", "int", 0, lo=0, hi=999, widget="number"),
    Param("n", "Samples n", "choice", 1000, choices=NS, widget="select_slider", fmt=lambda n: f"{n:,}",
          help=f"Noisy copies that estimate the top class's probability (after {N0} that choose the class)."),
    Param("alpha", "Failure probability α", "choice", 0.001, choices=ALPHAS, widget="segmented",
          fmt=lambda a: f"{a:g}", help="Each answer is wrong with probability at most α."),
    Param("images", "Test images for the curve", "choice", 50, choices=CURVE_IMAGES, widget="select_slider"),
    # interval bound propagation
    Param("dataset", "2-D data", "choice", "circle", choices=DATASETS, fmt=DATA_LABEL.get),
    Param("width", "Units per layer", "choice", 16, choices=(8, 16, 32, 64), widget="segmented"),
    Param("depth", "Hidden layers", "int", 2, lo=1, hi=4),
    Param("px", "Point x₁", "float", 1.0, lo=-6.0, hi=6.0, step=0.1),
    Param("py", "Point x₂", "float", 0.5, lo=-6.0, hi=6.0, step=0.1),
    Param("eps", "Your box's half-width ε", "float", 0.3, lo=0.0, hi=HI, step=0.05),
    Param("seed", "Seed", "int", 0, lo=0, hi=999, widget="number",
          help="The 2-D data and initial weights, the noise draws, PGD's random starts."),
]
BY_NAME = {p.name: p for p in SPEC}



# -- randomized smoothing -----------------------------------------------------------------------------
def data():
    return zoo.data_for(DATASET)


def noise_config(base: str, sigma: float) -> cert.NoiseConfig:
    return cert.NoiseConfig(arch=base, sigma=float(sigma), epochs=EPOCHS[base], seed=0)


def base_model(base: str, sigma: float) -> tuple[torch.nn.Module, dict]:
    """The shared noise-trained base classifier (trained now, with progress, when not cached)."""
    cap_threads()
    cfg = noise_config(base, sigma)
    if cert.is_cached(cfg, DATASET):
        return cert.base_classifier(cfg, DATASET)
    bar, prog = progress_bar(f"Training the σ = {sigma:g} base classifier once (then it is cached on disk)…")
    out = cert.base_classifier(cfg, DATASET, progress=prog)
    bar.empty()
    return out


def smooth_config(v: dict, sigma: float | None = None) -> cert.SmoothConfig:
    return cert.SmoothConfig(sigma=float(v["sigma"] if sigma is None else sigma), n0=N0, n=int(v["n"]),
                             alpha=float(v["alpha"]), batch=500, seed=int(v["seed"]))


@st.cache_data(max_entries=64, show_spinner=False)
def certify_one(base: str, idx: int, cfg: cert.SmoothConfig) -> tuple[cert.Certificate, cert.Prediction]:
    """CERTIFY and PREDICT for test image ``idx`` with the shared σ base classifier."""
    cap_threads()
    model, _ = cert.base_classifier(noise_config(base, cfg.sigma), DATASET)
    x = data().x_test[idx]
    return cert.certify(model, x, cfg), cert.smoothed_predict(model, x, cfg)


def noisy_copies(idx: int, sigma: float, seed: int, m: int = 6) -> np.ndarray:
    """m noisy copies of test image ``idx`` as the base classifier sees them ``[m, C, H, W]``."""
    x = data().x_test[idx]
    gen = np.random.default_rng([seed, idx])
    return x[None] + sigma * gen.standard_normal((m, *x.shape)).astype(np.float32)


@memo(16)
def curve(base: str, sigma: float, n_images: int, n: int, alpha: float, seed: int, _progress=None) -> cert.CertCurve:
    cap_threads()
    model, _ = cert.base_classifier(noise_config(base, sigma), DATASET)
    d = data()
    cfg = cert.SmoothConfig(sigma=sigma, n0=N0, n=n, alpha=alpha, batch=500, seed=seed)
    return cert.certified_curve(model, d.x_test[:n_images], d.y_test[:n_images], cfg,
                                radii=np.linspace(0, 1.5, 151), progress=_progress)


def curve_section(v: dict, where=st) -> None:
    """Certified accuracy against radius for every σ, on a button (one progress bar for all)."""
    key = (v["base"], v["images"], v["n"], v["alpha"], v["seed"])
    label = f"Certify {v['images']} test images at σ = " + ", ".join(f"{s:g}" for s in cert.SIGMAS)
    if not (where.button(label, key="cert_run_curve") or st.session_state.get("_cert_curve") == key):
        st.caption("Runs on demand (a few seconds per σ with the MLP; the first time also trains each σ's "
                   "classifier).")
        return
    curves = []
    k = len(cert.SIGMAS)
    bar = st.progress(0.0, text="Certifying…")
    for i, s in enumerate(cert.SIGMAS):
        base_model(v["base"], s)

        def prog(f, text="", i=i):
            bar.progress(min(1.0, (i + float(f)) / k), text=f"Certifying: {text}")

        cc = curve(v["base"], s, int(v["images"]), int(v["n"]), float(v["alpha"]), int(v["seed"]), _progress=prog)
        curves.append({"sigma": s, "radii": cc.radii, "acc": cc.acc, "abstain": cc.abstain, "clean_acc": cc.clean_acc})
    bar.empty()
    st.session_state["_cert_curve"] = key
    st.plotly_chart(vz.cert_curve_figure(curves, n_images=int(v["images"]), n=int(v["n"]), model=BASE_LABEL[v["base"]]),
                    key="chart_cert_curve")
    st.caption("At radius 0 a curve is the smoothed classifier's accuracy (abstentions count as errors). Small σ keeps "
               "accuracy but certifies only small radii; large σ certifies further and loses accuracy.")


# -- interval bound propagation -----------------------------------------------------------------------
def mlp_config(v: dict) -> cert.MlpConfig:
    return cert.MlpConfig(dataset=v["dataset"], width=int(v["width"]), depth=int(v["depth"]), steps=400,
                          seed=int(v["seed"]))


@st.cache_resource(max_entries=16, show_spinner=False)
def mlp(cfg: cert.MlpConfig) -> cert.Mlp2d:
    """A trained 2-D MLP, shared read-only (IBP and PGD never change it)."""
    cap_threads()
    return cert.train_mlp2d(cfg)


@st.cache_data(max_entries=32, show_spinner=False)
def decision(cfg: cert.MlpConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return cert.decision_map(mlp(cfg).model, n=161)


@st.cache_data(max_entries=64, show_spinner=False)
def radii(cfg: cert.MlpConfig, px: float, py: float) -> dict:
    """The point's class and three radii: IBP's certified one, the true one (dense grid) and where PGD
    first flips it (with its point), plus the margins as the box grows."""
    cap_threads()
    model = mlp(cfg).model
    x = np.array([px, py])
    ibp = cert.certified_eps(model, x, HI)
    pgd, point = cert.pgd_flip_eps(model, x, HI, lo=ibp, seed=cfg.seed)
    true = cert.grid_flip_eps(model, x, HI)
    top = min(HI, 1.3 * max(v for v in (ibp, pgd, true, 0.1) if np.isfinite(v)))
    eps_grid = np.linspace(0, top, 81)
    cls, ibp_curve, true_curve = cert.margin_curve(model, x, eps_grid)
    return {"cls": cls, "ibp": ibp, "pgd": pgd, "point": point, "true": true, "eps": eps_grid, "ibp_curve": ibp_curve,
            "true_curve": true_curve}


def box_margins(cfg: cert.MlpConfig, px: float, py: float, eps: float) -> tuple[int, np.ndarray]:
    return cert.margin_bounds(mlp(cfg).model, np.array([px, py]), float(eps))
