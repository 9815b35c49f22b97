"""Diffusion speed and quality. Prints tables; asserts nothing.

    .venv/bin/python bench/diffusion_bench.py

1. For each 2-D set: train the page's denoiser (cosine schedule, T = 200, width 128, 60 epochs
   of 50 Adam steps), then sample 1,000 points from the same x_T with DDPM (200 steps) and
   DDIM (5…50 steps, η = 0). Times are the fastest of 3 runs, wall clock and CPU (one thread:
   the CPU time is what a free core would take on a shared server); quality is the energy distance
   to held-out data and the share of samples on the data (the data itself: ≈ 0.95).
   Target: DDIM-20 ≥ 10× faster than DDPM-200 with recognisable samples.
2. The MNIST digit denoiser: training time (wall and CPU) for the page's step budgets.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explorer.engines import diffusion as dif  # noqa: E402

torch.set_num_threads(1)


def timed_sample(tr: dif.Trainer, method: str, k: int, repeats: int = 3):
    """(trajectory, fastest wall seconds, fastest CPU seconds) of ``repeats`` runs from the same x_T."""
    best_w = best_c = float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = tr.sample(method, k, 0.0, keep=1, n=1000)
        best_w, best_c = min(best_w, time.perf_counter() - w0), min(best_c, time.process_time() - c0)
    return out, best_w, best_c


def two_d(datasets=("moons", "gaussians", "swiss"), epochs: int = 60) -> None:
    print(f"\n2-D denoiser (cosine, T = 200, width 128), {epochs} epochs × {dif.STEPS_PER_EPOCH} steps; "
          "1,000 samples from one x_T; times: fastest of 3 (wall and CPU, one thread)")
    print(f"{'data':10s} {'sampler':16s} {'evals':>5s} {'wall ms':>8s} {'CPU ms':>7s} {'CPU speed-up':>12s} "
          f"{'energy d.':>10s} {'on data':>8s}")
    for name in datasets:
        tr = dif.Trainer(dif.Config(dataset=name, width=128, T=200))
        c0 = time.process_time()
        tr.advance(epochs)
        train_cpu = time.process_time() - c0
        rows = [("ddpm", 200, "DDPM, 200 steps")] + [("ddim", k, f"DDIM, {k} steps") for k in (5, 10, 20, 50)]
        base = None
        for method, k, label in rows:
            traj, wall, cpu = timed_sample(tr, method, k)
            base = base or cpu
            q = dif.quality(traj.x[-1], tr.ref)
            print(f"{name:10s} {label:16s} {k:5d} {1000 * wall:8.1f} {1000 * cpu:7.1f} {base / cpu:11.1f}× "
                  f"{q.energy:10.3f} {q.on_data:8.2f}")
        ref = dif.quality(dif.make_points(name, 1000, 99), tr.ref)
        print(f"{name:10s} {'fresh data':16s} {'':5s} {'':8s} {'':7s} {'':12s} {ref.energy:10.3f} {ref.on_data:8.2f}"
              f"   (training: {train_cpu:.1f} s CPU)")


def mnist(budgets=(300, 600, 1200)) -> None:
    from explorer.engines import diffusion_mnist as dmn
    from explorer.engines import images

    x = images.mnist().x_train
    print("\nMNIST digit denoiser (14×14, U-Net width 16, batch 64), 32 samples by DDIM-50")
    print(f"{'Adam steps':>10s} {'train wall s':>12s} {'train CPU s':>11s} {'sample s':>9s} {'final loss':>11s}")
    for steps in budgets:
        c0 = time.process_time()
        r = dmn.train(dmn.Config(steps=steps, width=16), x)
        cpu = time.process_time() - c0
        print(f"{steps:10d} {r.train_seconds:12.1f} {cpu:11.1f} {r.sample_seconds:9.2f} "
              f"{np.nanmean(r.losses[-50:]):11.3f}")


if __name__ == "__main__":
    two_d()
    mnist()
