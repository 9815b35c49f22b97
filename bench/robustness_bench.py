"""Robustness speed (§8.1). Prints a table; asserts nothing.

    .venv/bin/python bench/robustness_bench.py [--archs lenet,vgg]

Targets: FGSM on one image ≤ 20 ms; PGD-20 on one image ≤ 150 ms; a robust-accuracy curve of
6 ε × 256 images with PGD-10 ≤ 15 s (progress reported through the callback). On the zoo's
reference models (trained on first use, cached in $EXPLORER_CACHE_DIR) with one torch thread,
as the app runs them. Also: one epoch of adversarial training, and randomized smoothing's
CERTIFY with n = 1,000 and the IBP study of a point.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explorer.engines import adv_training as at  # noqa: E402
from explorer.engines import attacks as atk  # noqa: E402
from explorer.engines import certify as cert  # noqa: E402
from explorer.engines import zoo  # noqa: E402

torch.set_num_threads(1)
TARGETS = {"FGSM, 1 image": 0.020, "PGD-20, 1 image": 0.150, "curve 6 ε × 256, PGD-10": 15.0}


def best_of(fn, repeat: int = 7) -> float:
    """Median wall time of ``repeat`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def row(what: str, model: str, secs: float) -> None:
    target = TARGETS.get(what)
    verdict = "" if target is None else ("  ok" if secs <= target else "  OVER")
    limit = "" if target is None else (f"≤ {1000 * target:.0f} ms" if target < 1 else f"≤ {target:.0f} s")
    shown = f"{1000 * secs:9.1f} ms" if secs < 1 else f"{secs:9.2f} s "
    print(f"{what:32s} {model:14s} {shown} {limit:>10s}{verdict}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", default="lenet", help="comma-separated zoo architectures (default lenet)")
    args = ap.parse_args()
    data = zoo.data_for("mnist")
    x1, y1 = data.x_test[:1], data.y_test[:1]
    xb, yb = data.x_test[:256], data.y_test[:256]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)\n")
    print(f"{'what':32s} {'model':14s} {'time':>12s} {'target':>10s}")
    for arch in args.archs.split(","):
        model = zoo.session_copy(zoo.reference_model(arch))
        label = zoo.INFO[arch].label
        fgsm = atk.AttackConfig("fgsm", "Linf", 0.1)
        pgd = atk.AttackConfig("pgd", "Linf", 0.1, 20, atk.default_alpha(0.1, 20))
        row("FGSM, 1 image", label, best_of(lambda: atk.run_attack(model, x1, y1, fgsm)))
        row("PGD-20, 1 image", label, best_of(lambda: atk.run_attack(model, x1, y1, pgd)))
        row("PGD trace, 20 steps, 1 image", label, best_of(lambda: atk.pgd_trace(model, x1, y1, pgd)))
        seen = []
        t0 = time.perf_counter()
        curve = atk.robust_accuracy_curve(model, xb, yb, ["pgd"], (0, 0.02, 0.05, 0.1, 0.15, 0.2), steps=10,
                                          progress=lambda f, t: seen.append(f))
        row("curve 6 ε × 256, PGD-10", label, time.perf_counter() - t0)
        print(f"{'':32s} {'':14s} robust accuracy {np.round(100 * curve.acc[0]).astype(int).tolist()} %, "
              f"{len(seen)} progress calls")
    tr = at.Trainer(at.Config(arch="mlp"), at.Data(data.x_train, data.y_train, data.x_test, data.y_test))
    row("PGD-AT epoch (1,024 img) + eval", "MLP", best_of(lambda: tr.advance(1), repeat=3))
    tr = at.Trainer(at.Config(arch="lenet", n_train=512, n_eval=200),  # the page's LeNet setting
                    at.Data(data.x_train, data.y_train, data.x_test, data.y_test))
    row("PGD-AT epoch (512 img) + eval", "LeNet-5", best_of(lambda: tr.advance(1), repeat=3))
    base, _ = cert.base_classifier(cert.NoiseConfig(arch="mlp", sigma=0.25, epochs=4))
    cfg = cert.SmoothConfig(sigma=0.25, n0=64, n=1000)
    row("CERTIFY n0=64, n=1,000", "MLP σ=0.25", best_of(lambda: cert.certify(base, data.x_test[0], cfg)))
    net = cert.train_mlp2d(cert.MlpConfig())
    row("IBP + PGD + grid radii, 1 point", "2-D MLP 16×2",
        best_of(lambda: cert.box_study(net.model, np.array([1.0, 0.5]), 0.3), repeat=3))


if __name__ == "__main__":
    main()
