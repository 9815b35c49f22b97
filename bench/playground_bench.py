"""Playground engine and frame speed. Prints tables; asserts nothing.

    .venv/bin/python bench/playground_bench.py

1. epochs/s at the peer's default configuration (circle, x₁ x₂, 4-2 tanh, batch 10,
   250 training points, both losses each epoch): our engine (native and exact mode) against
   a bare autograd PyTorch loop doing the same updates in the same run;
2. the same for a large configuration (7 features, 8-8-6, spiral);
3. one displayed frame: every node's 100×100 map, the figures, serialization.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explorer.engines import playground as pg  # noqa: E402
from explorer.viz import playground as vz  # noqa: E402
from explorer.viz import raster  # noqa: E402

torch.set_num_threads(1)
EPOCHS = 1000


def ours(cfg: pg.Config) -> float:
    tr = pg.Trainer(cfg)
    t0 = time.perf_counter()
    tr.advance(EPOCHS)
    return EPOCHS / (time.perf_counter() - t0)


def torch_loop(cfg: pg.Config) -> float:
    """The same updates with nn.Linear layers, autograd and torch.optim.SGD (float64)."""
    tr = pg.Trainer(cfg)
    layers = []
    for w, b in pg.unflatten(cfg, tr.theta):
        lin = torch.nn.Linear(w.shape[1], w.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w))
            lin.bias.copy_(torch.tensor(b))
        layers.append(lin)
    act = {"tanh": torch.tanh, "relu": torch.relu}[cfg.activation]

    def net(x):
        for lin in layers[:-1]:
            x = act(lin(x))
        return torch.tanh(layers[-1](x))[:, 0]

    params = [p for lin in layers for p in lin.parameters()]
    opt = torch.optim.SGD(params, lr=cfg.learning_rate)
    xtr, ytr = torch.tensor(tr._xtr), torch.tensor(tr.data.train_y)
    xte, yte = torch.tensor(tr._xte), torch.tensor(tr.data.test_y)
    bs = cfg.batch_size
    t0 = time.perf_counter()
    for _ in range(EPOCHS):
        for i in range(0, len(ytr) - bs + 1, bs):
            opt.zero_grad()
            out = net(xtr[i:i + bs])
            (0.5 * (out - ytr[i:i + bs]) ** 2).mean().backward()
            opt.step()
        with torch.no_grad():
            (0.5 * (net(xtr) - ytr) ** 2).mean().item()
            (0.5 * (net(xte) - yte) ** 2).mean().item()
    return EPOCHS / (time.perf_counter() - t0)


def median3(fn, cfg) -> float:
    return statistics.median(fn(cfg) for _ in range(3))


def engine_table() -> None:
    rows = [("default 4-2 tanh, batch 10", pg.Config()),
            ("default, exact (TFP) mode", pg.Config(seed="0.88025", compat=True)),
            ("7 features, 8-8-6 tanh, spiral", pg.Config(dataset="spiral", features=pg.FEATURES, hidden=(8, 8, 6)))]
    print(f"\nEngine speed, epochs/s (training + both loss passes), median of 3 × {EPOCHS} epochs")
    print(f"{'configuration':34s} {'ours':>9s} {'torch autograd':>15s} {'ratio':>7s}")
    for name, cfg in rows:
        a, b = median3(ours, cfg), median3(torch_loop, cfg.replace(compat=False))
        print(f"{name:34s} {a:9.0f} {b:15.0f} {a / b:6.1f}×")
    print("peer (TensorFlow Playground's own engine, Node 20, this kind of machine): 1,177 and 269 epochs/s")


def frame_table() -> None:
    print("\nOne displayed frame, ms (median of 10): maps of every node on 100×100, figures, serialization")
    print(f"{'configuration':34s} {'maps':>6s} {'plotly+json':>12s} {'png':>6s}")
    for name, cfg in (("default 4-2", pg.Config()),
                      ("7 features, 6×8 hidden", pg.Config(features=pg.FEATURES, hidden=(8,) * 6)),
                      ("4 classes, 8-8", pg.Config(dataset="blobs", classes=4, loss="cross_entropy", hidden=(8, 8)))):
        tr = pg.Trainer(cfg)
        snap = tr.advance(20)
        curve = {"epoch": list(range(2000)), "train": list(np.linspace(1, 0, 2000)), "test": list(np.linspace(1, 0.1, 2000))}
        t_maps, t_fig, t_png = [], [], []
        for _ in range(10):
            t0 = time.perf_counter()
            maps = pg.node_outputs(cfg, snap.params, 100)
            out = pg.display_value(cfg, maps[-1])
            layers = pg.unflatten(cfg, snap.params)
            t1 = time.perf_counter()
            net = dict(layer_sizes=cfg.layer_sizes, input_labels=list(cfg.features), maps=maps,
                       weights=[w for w, _ in layers], biases=[b for _, b in layers])
            bd = dict(values=out, train_xy=tr.data.train_xy, train_y=tr.data.train_y, test_xy=tr.data.test_xy,
                      test_y=tr.data.test_y, multiclass=cfg.multiclass, show_test=True)
            vz.playground_figure(net, bd).to_json()
            vz.loss_figure(curve["epoch"], curve["train"], curve["test"], marker=20).to_json()
            t2 = time.perf_counter()
            raster.playground_png(net, bd, curve, title_net="n", title_out="o")
            t3 = time.perf_counter()
            t_maps.append(t1 - t0)
            t_fig.append(t2 - t1)
            t_png.append(t3 - t2)
        med = lambda xs: 1000 * statistics.median(xs)  # noqa: E731
        print(f"{name:34s} {med(t_maps):6.1f} {med(t_fig):12.1f} {med(t_png):6.1f}")
    print("live frames draw maps + png; the paused view draws maps + plotly+json")


if __name__ == "__main__":
    engine_table()
    frame_table()
