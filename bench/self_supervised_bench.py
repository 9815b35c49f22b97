"""Self-supervised page speed and quality. Prints tables; asserts nothing.

    .venv/bin/python bench/self_supervised_bench.py

1. Seconds per epoch (2,000 digits) of SimCLR / BYOL at each batch size and of the MAE
   (1,000 digits) at each patch size, one torch thread, as the app runs.
2. The reference encoder (``explorable``) training time and linear-probe / supervised /
   random-encoder test accuracy vs labels per class.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from explorer.engines import mae, self_supervised as ssl  # noqa: E402

torch.set_num_threads(1)
EPOCHS = int(os.environ.get("BENCH_EPOCHS", "3"))


def per_epoch(make) -> tuple[float, object]:
    tr = make()
    tr.advance(1)  # warm-up epoch (first optimizer use, allocations)
    t0 = time.perf_counter()
    snap = tr.advance(EPOCHS)
    return (time.perf_counter() - t0) / EPOCHS, snap


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, load average {os.getloadavg()[0]:.1f}")
    print(f"\n1 · time per epoch (mean of {EPOCHS} after one warm-up epoch; target: live on CPU, ≲ 1 s/epoch)")
    print(f"{'run':<34}{'s/epoch':>9}{'loss':>9}{'5-NN acc':>10}")
    for method in ssl.METHODS:
        for bs in ssl.BATCHES:
            t, s = per_epoch(lambda: ssl.Trainer(ssl.Config(method=method, batch_size=bs)))
            print(f"{method + ', batch ' + str(bs):<34}{t:>9.2f}{s.test_loss:>9.3f}{100 * s.knn_acc:>9.1f}%")
    for p in mae.PATCHES:
        t, s = per_epoch(lambda: mae.Trainer(mae.Config(patch=p)))
        print(f"{f'MAE {p}×{p}, mask 0.5':<34}{t:>9.2f}{s.test_loss:>9.4f}{'':>10}")

    print("\n2 · reference encoder and label budgets (test accuracy on 3,000 held-out digits)")
    t0 = time.perf_counter()
    ex = ssl.explorable(0)
    t_ref = time.perf_counter() - t0
    print(f"explorable(0): SimCLR reference, {ssl.REF_EPOCHS} epochs: {t_ref:.1f} s (target ≤ ~30 s)")
    t0 = time.perf_counter()
    probe = ssl.probe_curve(ex.model, ssl.BUDGETS, 0)
    t_probe = time.perf_counter() - t0
    rnd = ssl.probe_curve(ssl.make_encoder(0).eval(), ssl.BUDGETS, 0)
    print(f"{'labels/class':<14}{'SimCLR probe':>14}{'supervised':>12}{'random probe':>14}{'sup. s':>8}")
    for i, k in enumerate(ssl.BUDGETS):
        t0 = time.perf_counter()
        sup = ssl.supervised_accuracy(int(k), 0)
        ts = time.perf_counter() - t0
        print(f"{k:<14}{100 * probe.acc[i]:>13.1f}%{100 * sup:>11.1f}%{100 * rnd.acc[i]:>13.1f}%{ts:>8.1f}")
    print(f"probes for {len(ssl.BUDGETS)} budgets (features of 5,000 digits + L-BFGS fits): {t_probe:.2f} s")


if __name__ == "__main__":
    main()
