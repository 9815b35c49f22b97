"""The loss-landscape page's controls and cached analyses (each keyed by config and θ)."""
from __future__ import annotations

import numpy as np
import torch

from explorer.engines import landscape as ls
from explorer.engines.device import cap_threads
from explorer.ui.cached import memo
from explorer.ui.params import Param

PAGE = "loss_landscape"
D = ls.Config()
MODEL_NAMES = {"mlp": "MLP on 2-D data", "cnn": "Small CNN on digits", "resnet": "Residual CNN on digits"}
VIEWS = {"surface": "2-D surface (filter-normalized)", "trajectory": "Training path (PCA plane)",
         "interpolation": "1-D interpolation", "sharpness": "Sharpness (Hessian)", "compare": "Compare two setups"}
VARIANTS = {"skip": "skip connections on vs off", "batch": "small vs large batch (×8)",
            "width": "narrow vs wide (×4)", "seed": "another seed (a second solution)"}

SPEC = [
    Param("model", "Model", "choice", D.model, choices=ls.MODELS, fmt=MODEL_NAMES.get),
    Param("dataset", "2-D dataset", "choice", D.dataset, choices=ls.DATASETS_2D, fmt=str.capitalize),
    Param("skip", "Skip connections", "bool", D.skip, help="Residual network only: h + F(h) or just F(h)."),
    Param("width", "Width (units or channels)", "int", D.width, lo=2, hi=32),
    Param("n_train", "Training examples", "int", D.n_train, lo=50, hi=1000, step=50),
    Param("batch_size", "Batch size", "int", D.batch_size, lo=5, hi=500, step=5),
    Param("learning_rate", "Learning rate", "choice", D.learning_rate,
          choices=(0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0), widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("optimizer", "Optimizer", "choice", D.optimizer, choices=ls.OPTIMIZERS, fmt=str.upper),
    Param("seed", "Seed", "int", D.seed, lo=0, hi=9999, widget="number"),
    Param("train_to", "Train each setup to epoch", "int", 20, lo=1, hi=100,
          help="A new setup trains to here at once; ▶ Play goes on live from there."),
    Param("speed", "Speed (epochs/s)", "choice", 3, choices=(1, 3, 10, 30), widget="select_slider"),
    Param("view", "Look at", "choice", "surface", choices=tuple(VIEWS), fmt=VIEWS.get, widget="radio"),
    Param("resolution", "Grid resolution (n × n)", "int", 21, lo=11, hi=51, step=2),
    Param("span", "Range along each direction", "float", 1.0, lo=0.1, hi=2.0, step=0.1),
    Param("subset", "Examples the loss is measured on", "int", 250, lo=50, hi=1000, step=50),
    Param("log", "Log colour scale", "bool", True),
    Param("variant", "Compare with", "choice", "batch", choices=tuple(VARIANTS), fmt=VARIANTS.get),
]
BY_NAME = {p.name: p for p in SPEC}


def config_from_values(v: dict) -> tuple[ls.Config, list[str]]:
    notes = []
    n_train = int(v["n_train"])
    batch = int(v["batch_size"])
    if batch > n_train:
        notes.append(f"Batch size {batch} is larger than the {n_train} training examples; using {n_train}.")
        batch = n_train
    return ls.Config(model=v["model"], dataset=v["dataset"], skip=bool(v["skip"]), width=int(v["width"]),
                     n_train=n_train, batch_size=batch, learning_rate=float(v["learning_rate"]),
                     optimizer=v["optimizer"], seed=int(v["seed"])), notes


def variant_of(cfg: ls.Config, variant: str) -> tuple[ls.Config, str, str, str | None]:
    """(config B, name of A, name of B, a note when the variant had to change)."""
    note = None
    if variant == "skip" and cfg.model != "resnet":
        note = "Only the residual network has skip connections; comparing batch sizes instead."
        variant = "batch"
    if variant == "skip":
        return cfg.replace(skip=not cfg.skip), f"skip {'on' if cfg.skip else 'off'}", \
            f"skip {'off' if cfg.skip else 'on'}", note
    if variant == "batch":
        big = min(cfg.n_train, cfg.batch_size * 8)
        if big == cfg.batch_size:
            small = max(1, cfg.batch_size // 8)
            return cfg.replace(batch_size=small), f"batch {cfg.batch_size}", f"batch {small}", note
        return cfg.replace(batch_size=big), f"batch {cfg.batch_size}", f"batch {big}", note
    if variant == "width":
        wide = min(32, cfg.width * 4)
        if wide == cfg.width:
            narrow = max(2, cfg.width // 4)
            return cfg.replace(width=narrow), f"width {cfg.width}", f"width {narrow}", note
        return cfg.replace(width=wide), f"width {cfg.width}", f"width {wide}", note
    return cfg.replace(seed=cfg.seed + 1), f"seed {cfg.seed}", f"seed {cfg.seed + 1}", note


# -- cached analyses (θ passed as numpy so that the cache keys on its content) ---------------
def _setup(cfg: ls.Config, subset: int):
    cap_threads()
    data = ls.make_data(cfg)
    return ls.build_model(cfg), *ls.subset(data, subset)



@memo(24)
def random_surface(cfg: ls.Config, theta: np.ndarray, n: int, span: float, subset: int, _progress=None):
    model, x, y = _setup(cfg, subset)
    th = torch.tensor(theta)
    d1 = ls.random_direction(model, th, seed=cfg.seed * 2 + 101)
    d2 = ls.random_direction(model, th, seed=cfg.seed * 2 + 102)
    return ls.surface(model, th, d1, d2, x, y, n=n, span=span, progress=_progress)


@memo(24)
def pca_surface(cfg: ls.Config, trajectory: np.ndarray, n: int, subset: int, _progress=None):
    model, x, y = _setup(cfg, subset)
    d1, d2, coords, var = ls.pca_directions(list(trajectory))
    reach = np.abs(coords).max(axis=0) * 1.25 + 1e-6
    center = torch.tensor(trajectory[-1])
    a, b, z = ls.surface(model, center, torch.tensor(d1, dtype=torch.float32), torch.tensor(d2, dtype=torch.float32),
                         x, y, n=n, span=float(reach[0]), span2=float(reach[1]), progress=_progress)
    return a, b, z, coords, var


@memo(16)
def train_to(cfg: ls.Config, epochs: int) -> tuple[np.ndarray, float, float]:
    """θ of a setup trained to ``epochs`` (for comparisons), with its train/test loss."""
    cap_threads()
    tr = ls.trained(cfg, epochs)
    return tr.theta.numpy(), tr.snapshot.train_loss, tr.snapshot.test_loss


@memo(24)
def interpolations(cfg: ls.Config, theta0: np.ndarray, theta: np.ndarray, other: np.ndarray, subset: int):
    model, x, y = _setup(cfg, subset)
    t0, t1, t2 = (torch.tensor(t) for t in (theta0, theta, other))
    return {"initialization → solution": ls.interpolate(model, t0, t1, x, y),
            "solution → solution of another seed": ls.interpolate(model, t1, t2, x, y)}


@memo(24)
def sharpness(cfg: ls.Config, theta: np.ndarray, subset: int):
    model, x, y = _setup(cfg, subset)
    th = torch.tensor(theta)
    lam, history = ls.top_eigenvalue(model, th, x, y, iters=40, seed=cfg.seed)
    spec = ls.spectrum(model, th, x, y, m=min(40, th.numel()), probes=3, seed=cfg.seed)
    return lam, history, spec
