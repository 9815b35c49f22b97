"""Loss-landscape speed. Prints a table; asserts nothing.

    .venv/bin/python bench/landscape_bench.py

51×51 filter-normalized surfaces (batched evaluation vs the naive loop with a model copy
per grid point, in the same run) for the playground-style MLP on 250 points and the small
CNN on 1,000 digits, and the CNN's top Hessian eigenvalue by power iteration.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from explorer.engines import landscape as ls, zoo  # noqa: E402

torch.set_num_threads(1)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def sgemm_rate() -> float:
    """Multiply-accumulates per second of a 1024³ float32 matrix product on this thread: the
    practical compute ceiling any surface evaluation can approach."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ b
    (_, t) = timed(lambda: [a @ b for _ in range(10)])
    return 10 * 1024 ** 3 / t


def main() -> None:
    rows = [("MLP 2-8-8-2, 250 points", ls.Config(n_train=250), 20, 250),
            ("small CNN (w=8), 1,000 digits", ls.Config(model="cnn", n_train=1000, batch_size=50,
                                                         learning_rate=0.01), 3, 1000)]
    print("\n51×51 loss surface (2,601 parameter vectors), seconds")
    print(f"{'model':32s} {'batched':>8s} {'naive loop':>11s} {'speed-up':>9s}")
    for name, cfg, epochs, n in rows:
        tr = ls.trained(cfg, epochs)
        x, y = ls.subset(tr.data, n)
        d1, d2 = (ls.random_direction(tr.model, tr.theta, s) for s in (1, 2))
        _, t_fast = timed(lambda: ls.surface(tr.model, tr.theta, d1, d2, x, y, n=51))
        _, t_naive = timed(lambda: ls.surface_naive(tr.model, tr.theta, d1, d2, x, y, n=51))
        print(f"{name:32s} {t_fast:8.2f} {t_naive:11.2f} {t_naive / t_fast:8.1f}×")
        if cfg.model == "cnn":
            macs = zoo.count_macs(tr.model, tuple(x.shape[1:])).total * n * 51 * 51
            peak = sgemm_rate()
            print(f"\nCNN surface = {macs / 1e9:.1f} G multiply-accumulates. Rate: naive {macs / t_naive / 1e9:.1f}, "
                  f"batched {macs / t_fast / 1e9:.1f}, this core's sgemm ceiling {peak / 1e9:.1f} GMAC/s → no exact "
                  f"float32 evaluation can beat the naive loop by more than ≈{peak * t_naive / macs:.1f}×.")
            (lam, hist), t_eig = timed(lambda: ls.top_eigenvalue(tr.model, tr.theta, x, y, iters=30))
            print(f"\nCNN top Hessian eigenvalue on 1,000 digits: λ = {lam:.3f} after {len(hist)} "
                  f"power iterations in {t_eig:.2f} s")


if __name__ == "__main__":
    main()
