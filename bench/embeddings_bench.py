"""Latent-space explorer speed. Prints a table; asserts nothing.

    .venv/bin/python bench/embeddings_bench.py

The zoo's reference LeNet-5 on the 5,000 MNIST inputs (trained first if it is not cached): the
activation extraction of its penultimate features (84-d) and of its first conv layer (4,704-d),
then the projections of the 5,000 embeddings (PCA by ``projection.pca``; t-SNE; UMAP after its
one-off compile) and the faithfulness scores.
Targets (issue 8): PCA of 5,000 ≤ 0.5 s; UMAP of 5,000 after warm-up ≤ 10 s.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from explorer.engines import embeddings as emb  # noqa: E402
from explorer.engines import latent_sources as ls  # noqa: E402
from explorer.engines import projection  # noqa: E402

torch.set_num_threads(1)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    (loaded, t_load) = timed(lambda: ls.load("lenet-mnist"))
    ex = loaded.ex
    rows = []
    print(f"LeNet-5 source opened in {t_load:.2f} s (includes training when not cached); N = {len(ex.x):,}")
    zs = {}
    for tap in (-2, 0):
        label = ex.taps[tap][0]
        z, t = timed(lambda: emb.activations(ex.model, ex.taps[tap][1], ex.x))
        zs[tap] = z
        rows.append((f"activations: {label} [{z.shape[0]:,} × {z.shape[1]:,}]", t, ""))
    _, t = timed(lambda: emb.predictions(ex.predict, ex.x, ex.y))
    rows.append(("predictions + per-example loss, 5,000", t, ""))
    z = zs[-2]
    _, t = timed(lambda: emb.embed(z, emb.Config(n=5000, method="pca")))
    rows.append(("PCA, 5,000 × 84 (the page's embed)", t, "≤ 0.5 s"))
    _, t = timed(lambda: projection.pca(z, 2))
    rows.append(("PCA, 5,000 × 84 (projection.pca alone)", t, "≤ 0.5 s"))
    _, t = timed(lambda: emb.embed(zs[0], emb.Config(n=5000, method="pca")))
    rows.append(("PCA, 5,000 × 4,704 (randomized)", t, ""))
    _, t = timed(lambda: projection.warm_umap(len(z)))
    rows.append(("UMAP one-off compile for 5,000 points (warm_umap)", t, "once per process"))
    _, t = timed(lambda: emb.embed(z, emb.Config(n=5000, method="umap")))
    rows.append(("UMAP, 5,000 × 84, after warm-up", t, "≤ 10 s"))
    em, t = timed(lambda: emb.embed(z, emb.Config(n=5000, method="tsne")))
    rows.append(("t-SNE, 5,000 × 84 (→ 50 by PCA)", t, ""))
    _, t = timed(lambda: emb.faithfulness(z, em.xy, 10))
    rows.append(("trustworthiness + 10-NN kept, 1,000 sampled", t, ""))
    print(f"\n{'step':52s} {'seconds':>8s}  target")
    for name, secs, target in rows:
        print(f"{name:52s} {secs:8.2f}  {target}")
    print(f"\ntorch threads {torch.get_num_threads()}; load average shows how busy the machine was: "
          f"{open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
