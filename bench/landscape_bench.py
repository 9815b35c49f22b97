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

from explorer.engines import landscape as ls  # noqa: E402

torch.set_num_threads(1)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


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
            (lam, hist), t_eig = timed(lambda: ls.top_eigenvalue(tr.model, tr.theta, x, y, iters=30))
            print(f"\nCNN top Hessian eigenvalue on 1,000 digits: λ = {lam:.3f} after {len(hist)} "
                  f"power iterations in {t_eig:.2f} s")


if __name__ == "__main__":
    main()
