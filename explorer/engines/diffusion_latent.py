"""Latent diffusion in miniature: diffuse in the 2-D latent space of the VAE page's model.

The VAE (:func:`explorer.engines.vae.latent_codec`) encodes MNIST digits [N, 1, 28, 28] to
posterior means z [N, 2]; a 2-D denoiser (:class:`explorer.engines.diffusion.Trainer`) learns
the distribution of those codes (standardized), DDIM samples new codes, and the VAE's decoder
turns them into digits. Beside it: codes drawn from the VAE's prior N(0, I), which need not
match where the encoder actually puts digits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from explorer.engines import diffusion as dif
from explorer.engines.contract import check

EPOCH_BUDGETS = (5, 15, 30, 60)
N_CODES = 3000
N_DECODE = 32


@dataclass(frozen=True)
class Config:
    """``epochs`` of the 2-D trainer (50 Adam steps each) on the codes of ``N_CODES`` digits."""

    epochs: int = 30
    schedule: str = "cosine"
    T: int = 200
    ddim_steps: int = 50
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.epochs, int) and 1 <= self.epochs <= 500, "epochs", "must be 1..500")
        check(self.schedule in dif.SCHEDULES, "schedule", f"must be one of {dif.SCHEDULES}")
        check(isinstance(self.T, int) and 10 <= self.T <= 1000, "T", "must be 10..1000")
        check(isinstance(self.ddim_steps, int) and 1 <= self.ddim_steps <= self.T, "ddim_steps", "must be 1..T")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2 ** 31, "seed", "must be 0..2³¹−1")


@dataclass(frozen=True)
class Result:
    """``codes`` [N, 2] the encoded digits and ``labels`` [N]; ``samples`` [M, 2] diffusion samples
    and ``prior`` [M, 2] draws from N(0, I), both in latent units; ``decoded`` / ``prior_decoded``
    [N_DECODE, 1, 28, 28] in [0, 1]; energy distances of each set of codes to held-out codes;
    ``losses`` per epoch."""

    codes: np.ndarray
    labels: np.ndarray
    samples: np.ndarray
    prior: np.ndarray
    decoded: np.ndarray
    prior_decoded: np.ndarray
    energy_diffusion: float
    energy_prior: float
    losses: np.ndarray
    diverged: bool


def encode_digits(encode: Callable, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    """Codes [N, 2] float32 of images [N, 1, 28, 28] with a codec's ``encode``."""
    out = [np.asarray(encode(torch.from_numpy(np.array(x[i:i + batch], np.float32))), np.float32)
           for i in range(0, len(x), batch)]
    return np.concatenate(out)


def run(cfg: Config, x: np.ndarray, y: np.ndarray, encode: Callable, decode: Callable,
        progress: Callable[[float, str], None] | None = None) -> Result:
    """Encode images x [N, 1, 28, 28] (labels y [N]), train the denoiser on the standardized codes,
    sample and decode."""
    codes = encode_digits(encode, x)
    order = np.random.default_rng(cfg.seed).permutation(len(codes))
    codes, labels = codes[order], np.asarray(y)[order]
    mu, sd = codes.mean(0), float(np.sqrt(((codes - codes.mean(0)) ** 2).mean()))
    tr = dif.Trainer(dif.Config(dataset="latent", schedule=cfg.schedule, T=cfg.T, seed=cfg.seed),
                     (codes - mu) / sd)
    losses = []
    for e in range(cfg.epochs):
        snap = tr.advance(1)
        losses.append(snap.train_loss)
        if progress:
            progress((e + 1) / cfg.epochs * 0.95, f"epoch {e + 1} of {cfg.epochs}, ε-MSE {snap.train_loss:.3f}")
        if snap.diverged:
            break
    m = len(tr.held_out)
    z = tr.sample("ddim", cfg.ddim_steps, 0.0, keep=1, n=m).x[-1] * sd + mu
    prior = np.random.default_rng(cfg.seed + 1).standard_normal((m, 2)).astype(np.float32)
    held = tr.held_out * sd + mu
    ok = bool(np.isfinite(z).all())
    with torch.no_grad():
        dec = np.asarray(decode(torch.from_numpy(np.nan_to_num(z[:N_DECODE]).astype(np.float32))), np.float32)
        pdec = np.asarray(decode(torch.from_numpy(prior[:N_DECODE])), np.float32)
    if progress:
        progress(1.0, "done")
    return Result(codes * 1.0, labels, z.astype(np.float32), prior, dec, pdec,
                  dif.energy_distance(z, held) if ok else math.nan, dif.energy_distance(prior, held),
                  np.asarray(losses), tr.diverged or not ok)
