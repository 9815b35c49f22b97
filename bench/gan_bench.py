"""GAN training speed and mode coverage. Prints tables; asserts nothing.

    .venv/bin/python bench/gan_bench.py [seconds_per_run=30 (0 skips the 2-D runs)] [dcgan_updates=1200 (0 skips)]
                                        [only runs whose name contains this]

2-D GAN on the ring of 8 Gaussians (σ = 0.1, width 128, batch 256, one thread): for each
loss with its recipe (``gan.RECIPES``: optimizer, learning rate, D steps; what the page's
"auto" picks), and variants, train for ``seconds`` of wall time, measuring after every step
(10 G updates) the modes covered and the high-quality share on 2,000 fixed samples. Targets:
non-saturating + spectral norm ≥ 7 of 8 modes within 30 s (issue 11); WGAN-GP ≥ 6 of 8 and
WGAN (clipping), hinge + SN clearly learning within 30 s.

DCGAN on MNIST up to ``dcgan_updates`` G updates: the training seconds they took, and how
recognisable its digits are — the zoo's reference LeNet (trained on real MNIST) classifies 360
generated digits: the share it classifies with confidence ≥ 0.9, and how many of the 10
classes get ≥ 2 % of the digits.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explorer.engines import dcgan, gan, images, zoo  # noqa: E402

torch.set_num_threads(1)

RUNS = [("non-saturating + SN", dict(loss="nonsat", sn=True)),
        ("non-saturating", dict(loss="nonsat")),
        ("minimax", dict(loss="minimax")),
        ("minimax + SN", dict(loss="minimax", sn=True)),
        ("WGAN (clipping)", dict(loss="wgan")),
        ("WGAN-GP", dict(loss="wgan_gp")),
        ("WGAN-GP, 1 D step", dict(loss="wgan_gp", d_steps=1)),
        ("hinge", dict(loss="hinge")),
        ("hinge + SN", dict(loss="hinge", sn=True))]


def config(seed: int, kw: dict) -> gan.Config:
    """The run's Config: the loss's recipe unless ``kw`` overrides lr / d_steps."""
    _, lr, d_steps = gan.RECIPES[kw["loss"]]
    return gan.Config(seed=seed, **{"lr": lr, "d_steps": d_steps, **kw})


def run_2d(seconds: float, seeds=(0, 1), only: str = "") -> None:
    print(f"\n2-D GAN, ring of 8 Gaussians, {seconds:g} s of wall time per run (seeds {seeds})")
    print(f"{'loss':22s} {'optimizer':>9s} {'lr':>6s} {'D/G':>3s} {'seed':>4s} {'G updates':>9s} {'t → ≥6 modes':>13s} "
          f"{'t → ≥7 modes':>13s} {'modes@end':>9s} {'best':>5s} {'HQ share@end':>12s}")
    for name, kw in RUNS:
        if only and only not in name:
            continue
        for seed in seeds:
            cfg = config(seed, kw)
            gan.Trainer(cfg).advance(1)  # warm-up (first optimizer step imports torch._dynamo)
            tr = gan.Trainer(cfg)
            t0 = time.perf_counter()
            hit6 = hit7 = None
            best = 0
            while time.perf_counter() - t0 < seconds and not tr.diverged:
                s = tr.advance(1)
                best = max(best, s.modes_covered)
                if hit6 is None and s.modes_covered >= 6:
                    hit6 = time.perf_counter() - t0
                if hit7 is None and s.modes_covered >= 7:
                    hit7 = time.perf_counter() - t0
            s = tr.snapshot
            hits = " ".join(f"{(('%.1f s' % h) if h else '—'):>13s}" for h in (hit6, hit7))
            print(f"{name:22s} {gan.optimizer_name(cfg.loss):>9s} {cfg.lr:6g} {cfg.d_steps:3d} {seed:4d} {s.step:9,d} "
                  f"{hits} {s.modes_covered:>7d}/8 {best:5d} {100 * s.hq_share:11.0f} %"
                  + ("  diverged" if s.diverged else ""), flush=True)


def run_dcgan(updates: int) -> None:
    cfg = dcgan.Config()
    print(f"\nDCGAN on MNIST (c = {cfg.channels}, batch {cfg.batch}, lr {cfg.lr:g}), up to {updates:,} G updates")
    lenet = zoo.session_copy(zoo.reference_model("lenet", "mnist")).eval()
    tr = dcgan.Trainer(cfg, images.mnist().x_train)
    z = dcgan.latent(12345, 360)
    print(f"{'G updates':>9s} {'seconds':>8s} {'D(real)':>8s} {'D(fake)':>8s} {'LeNet conf ≥ 0.9':>17s} "
          f"{'classes ≥ 2 %':>14s}")
    marks = [max(dcgan.ITERS_PER_STEP, int(updates * f)) for f in (0.125, 0.25, 0.5, 0.75, 1.0)]
    while marks:
        s = tr.advance(1)
        if s.step >= marks[0]:
            marks.pop(0)
            with torch.no_grad():
                p = torch.softmax(lenet(torch.as_tensor(tr.generate(z))), dim=1).numpy()
            conf = (p.max(1) >= 0.9).mean()
            share = np.bincount(p.argmax(1), minlength=10) / len(p)
            print(f"{s.step:9,d} {s.seconds:8.1f} {s.d_real:8.2f} {s.d_fake:8.2f} {100 * conf:16.0f} % "
                  f"{int((share >= 0.02).sum()):>11d}/10", flush=True)
    real = images.mnist().x_test[:360]
    with torch.no_grad():
        p = torch.softmax(lenet(torch.tensor(real)), dim=1).numpy()
    print(f"(real MNIST test digits for comparison: LeNet conf ≥ 0.9 on {100 * (p.max(1) >= 0.9).mean():.0f} %)")


if __name__ == "__main__":
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    dsteps = int(sys.argv[2]) if len(sys.argv) > 2 else 1200
    if secs > 0:
        run_2d(secs, only=sys.argv[3] if len(sys.argv) > 3 else "")
    if dsteps > 0:
        run_dcgan(dsteps)
