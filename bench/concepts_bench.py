"""Concepts-page speed. Prints a table; asserts nothing.

    .venv/bin/python bench/concepts_bench.py

On the reference LeNet-5 trained on shapes: one activation-maximization step (and one live
frame of 4 steps, the page's budget per 0.6 s frame), a full TCAV report (5 concepts × 6
layers × 10 runs, CAVs fitted by the Gram-matrix Newton solver vs sklearn's lbfgs on one
layer), and the linear probes (7 layers × 4 attributes, trained and untrained).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explorer.engines import concepts as cc  # noqa: E402
from explorer.engines import probes as pb  # noqa: E402
from explorer.engines import tcav, zoo  # noqa: E402
from explorer.engines.device import cap_threads  # noqa: E402

torch.set_num_threads(1)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ref = zoo.reference_model("lenet", "shapes")
    cap_threads()
    d = zoo.data_for("shapes")
    rows = []
    run = cc.ActMax(cc.Config(max_steps=2000), zoo.session_copy(ref))
    run.advance(2)
    _, t = timed(lambda: run.advance(25))
    rows.append(("activation maximization, one step (jitter+blur+L2)", t / 100, "—"))
    rows.append(("  one live frame: 4 steps + measure", t / 25, "≤ 0.33 s (55 % of a 0.6 s frame)"))
    m = zoo.session_copy(ref)
    layers = cc.layers(m)
    concepts = {c: cc.concept_set(c, 40, 0) for c in cc.CONCEPTS}
    cls = torch.tensor(np.asarray(d.x_test[d.y_test == 4]))
    rep, t = timed(lambda: tcav.run(tcav.Config(), m, layers, cls, 4, concepts, np.asarray(d.x_train[:1000])))
    rows.append(("TCAV: 5 concepts × 6 layers × 10 runs (360 CAVs)", t, "cached; once per model/class/seed"))
    acts = cc.features(m, layers[0][1], torch.tensor(concepts["striped"]))
    rand = cc.features(m, layers[0][1], torch.tensor(np.asarray(d.x_train[:40])))
    _, t_new = timed(lambda: [tcav.cav(acts, rand) for _ in range(5)])
    from sklearn.linear_model import LogisticRegression
    x = np.concatenate([acts, rand]).astype(np.float64)
    y = np.r_[np.ones(40), np.zeros(40)]
    _, t_sk = timed(lambda: [LogisticRegression(C=1.0, tol=1e-8, max_iter=2000).fit(x, y) for _ in range(5)])
    rows.append((f"one CAV on conv1 ({x.shape[1]:,} features): Gram-Newton", t_new / 5, "—"))
    rows.append(("  the same CAV with sklearn LogisticRegression (lbfgs)", t_sk / 5, "—"))
    tr, ref_ = pb.attributes(np.asarray(d.x_train), d.y_train, d.masks_train)
    te, _ = pb.attributes(np.asarray(d.x_test), d.y_test, d.masks_test, ref_)
    _, t = timed(lambda: pb.run(pb.Config(), m, layers, d.x_train, tr, d.x_test, te, pb.ATTRIBUTES))
    rows.append(("probes: 7 layers × 4 attributes, 600/400 images", t, "cached; once per model/dataset"))
    print(f"{'what':58s} {'seconds':>9s}   target")
    for name, secs, target in rows:
        print(f"{name:58s} {secs:9.4f}   {target}")
    print(f"(TCAV check: striped for stripes, mean score per layer {np.round(rep.scores[0].mean(1), 2).tolist()})")


if __name__ == "__main__":
    main()
