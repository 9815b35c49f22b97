"""Explainers speed: the time of each explanation at the page's default budgets (and a few others).
Prints a table; asserts nothing.

    .venv/bin/python bench/explainers_bench.py

Tabular: the breast-cancer MLP (30 features), test row 0; LIME 1,000 samples, Kernel SHAP 500
coalitions over 20 background rows (the defaults), Deep and Gradient SHAP, the surrogate tree and
its fidelity curve, 40 rows with every method. Images: LeNet on MNIST test image 6, SLIC ≈25
regions, LIME 500 images, Deep SHAP over 20 training digits (the defaults) and Gradient SHAP.
Each timing is the median of 3 runs after one warm-up (the first call imports shap/lime).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explorer.engines import explainers as ex  # noqa: E402
from explorer.engines import explainers_images as ei  # noqa: E402
from explorer.engines import explainers_tabular as et  # noqa: E402
from explorer.engines import zoo  # noqa: E402

torch.set_num_threads(1)


def timed(fn, repeats: int = 3) -> float:
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    t_train = once(lambda: et.train(et.Config()))
    m = et.train(et.Config())
    x = m.data.x_test[0]
    target = int(m.predict(x)[0])
    d = m.data
    cfg = ex.Config()
    sur = ex.fit_surrogate(m, 3)
    rows = [
        ("train the MLP (150 full-batch Adam steps, cold)", t_train),
        ("LIME, quartile bins, 1,000 samples (default)",
         timed(lambda: ex.lime_tabular(m.predict_proba, d.x_train, x, target, d.features, 1000, 0))),
        ("LIME, continuous, 1,000 samples",
         timed(lambda: ex.lime_tabular(m.predict_proba, d.x_train, x, target, d.features, 1000, 0, False))),
        ("LIME, quartile bins, 5,000 samples",
         timed(lambda: ex.lime_tabular(m.predict_proba, d.x_train, x, target, d.features, 5000, 0))),
        ("Kernel SHAP, 500 coalitions × 20 rows (default)", timed(lambda: ex.shap_tabular(m, x, target, cfg))),
        ("Kernel SHAP, 5,000 coalitions × 20 rows",
         timed(lambda: ex.shap_tabular(m, x, target, ex.Config(shap_samples=5000)))),
        ("Deep SHAP, 20 rows", timed(lambda: ex.shap_tabular(m, x, target, ex.Config(shap="deep")))),
        ("Gradient SHAP, 500 samples", timed(lambda: ex.shap_tabular(m, x, target, ex.Config(shap="gradient")))),
        ("gradient × input", timed(lambda: ex.grad_input(m, x, target))),
        ("surrogate tree, depth 3", timed(lambda: ex.fit_surrogate(m, 3))),
        ("fidelity curve, depths 1–10", timed(lambda: ex.fidelity_curve(m, tuple(range(1, 11))))),
        ("one row, all four methods (default)", timed(lambda: ex.explain_row(m, x, cfg, sur))),
        ("40 rows, all four methods (the on-demand comparison)",
         timed(lambda: ex.compare_rows(m, np.arange(40), cfg, sur, 5), repeats=1)),
    ]
    w = et.train(et.Config(dataset="wine"))
    wx = w.data.x_test[3]
    rows.append(("exact Shapley values, wine (2^13 coalitions × 20 rows)",
                 timed(lambda: ex.exact_shapley(lambda a: w.predict_proba(a)[:, 0], wx, ex.background(w, 20, 0)))))

    net = ei.prob_net(zoo.reference_model("lenet", "mnist"))
    data = zoo.data_for("mnist")
    img = data.x_test[6]
    icfg = ei.Config()
    seg = ei.segment(img, "slic", 25)
    bg = ei.background_images(data.x_train, 20, 0)
    t = int(ei.probs(net, img[None])[0].argmax())
    rows += [
        (f"SLIC superpixels ({seg.max() + 1} regions)", timed(lambda: ei.segment(img, "slic", 25))),
        ("LIME on the digit, 500 images (default)", timed(lambda: ei.lime_image(net, img, t, seg, 500, 0))),
        ("LIME on the digit, 2,000 images", timed(lambda: ei.lime_image(net, img, t, seg, 2000, 0))),
        ("Deep SHAP on the digit, 20 training digits (default)",
         timed(lambda: ei.shap_image(net, img, t, bg, "deep", 200, 0))),
        ("Gradient SHAP on the digit, 500 samples", timed(lambda: ei.shap_image(net, img, t, bg, "gradient", 500, 0))),
        ("gradient × input on the digit", timed(lambda: ei.grad_input_image(net, img, t))),
        ("the digit, every method (default)", timed(lambda: ei.explain_image(net, img, data.x_train, icfg))),
    ]
    print("\nExplanation times (median of 3 after a warm-up; 1 torch thread), seconds")
    print(f"{'what':58s} {'seconds':>8s}")
    for name, secs in rows:
        print(f"{name:58s} {secs:8.3f}")


if __name__ == "__main__":
    main()
