"""Sequence-models speed (the rnn and seq2seq pages). Prints tables; asserts nothing.

    .venv/bin/python bench/sequence_bench.py

A live frame is one training epoch (the unit the player advances) plus everything the
page's frame renderer computes and draws (analyses and plotly figures), at the pages'
default configurations and a few heavier ones. Target: ≤ 200 ms per frame. Also the own
cells against torch.nn's (forward + backward), and the cached analyses off the frame path.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explorer.engines import rnn, seq2seq as s2s  # noqa: E402
from explorer.viz import rnn as vr, seq2seq as vs  # noqa: E402

torch.set_num_threads(1)
REPEAT = 8


def timed_ms(fn, repeat: int = REPEAT) -> tuple[float, float]:
    """(wall, CPU) milliseconds, medians of ``repeat`` calls. On a machine shared with other
    jobs the wall time swells with the load; this thread's CPU time is what one idle core
    would need (torch runs on this one thread here)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return 1000 * float(np.median(wall)), 1000 * float(np.median(cpu))


def median_ms(fn, repeat: int = REPEAT) -> float:
    return timed_ms(fn, repeat)[1]


def rnn_cfg(**kw) -> rnn.Config:
    """The page's Config: steps per epoch chosen by rnn.auto_steps, as rnn_view does."""
    base = rnn.Config(**kw)
    return rnn.Config(**kw, steps_per_epoch=rnn.auto_steps(base.length, base.hidden, len(base.cells)))


def s2s_cfg(**kw) -> s2s.Config:
    base = s2s.Config(**kw)
    return s2s.Config(**kw, steps_per_epoch=s2s.auto_steps(base.task, base.length, base.hidden, len(base.models)))


def rnn_frame(cfg: rnn.Config, look: str = "lstm"):
    tr = rnn.Trainer(cfg)
    tr.advance(3)
    typed = rnn.parse(cfg.task, rnn.EXAMPLES[cfg.task], cfg.delay)
    look = look if look in cfg.cells else cfg.cells[0]
    i = cfg.cells.index(look)

    def draw():
        snap = tr.snapshot
        h = tr.history(snap.epoch)
        _, w = tr.weights_at(snap.epoch)
        vr.race_figure(h["epoch"], list(cfg.cells), h["train"], h["test"], h["token_acc"], h["seq_acc"]).to_json()
        inside = rnn.inspect(cfg, look, w[i], typed)
        vr.gates_figure(list(typed.ticks), [(g, g, inside.gates[g]) for g in inside.gates], "gates").to_json()
        rnn.torch_difference(cfg, look, w[i], typed)
        t = rnn.trajectory(cfg, look, w[i], typed)
        vr.trajectory_figure(t.cloud, t.cloud_value, t.value_name, t.path, list(typed.ticks), t.explained,
                             "t").to_json()

    return cfg.steps_per_epoch, timed_ms(lambda: tr.advance(1)), timed_ms(draw)


def s2s_frame(cfg: s2s.Config, width: int = 3):
    tr = s2s.Trainer(cfg)
    tr.advance(3)
    typed = s2s.parse(cfg.task, s2s.EXAMPLES[cfg.task])

    def draw():
        snap = tr.snapshot
        h = tr.history(snap.epoch)
        _, w = tr.weights_at(snap.epoch)
        vs.training_figure(h["epoch"], list(cfg.models), h, cfg.teacher_forcing).to_json()
        res = [s2s.translate(cfg, m, w[i], typed, width) for i, m in enumerate(cfg.models)]
        rows = [(m, "".join(r.output), r.greedy_score, None) for m, r in zip(cfg.models, res)]
        rows += [(m, "".join(b[0]), b[1], None) for m, r in zip(cfg.models, res) for b in r.beams]
        vs.beams_figure(rows, "beams").to_json()
        if "attention" in cfg.models:
            r = res[cfg.models.index("attention")]
            vs.alignment_figure(list(typed.symbols), list(r.output) + [vs.EOS_LABEL], r.alignment, "a").to_json()

    return cfg.steps_per_epoch, timed_ms(lambda: tr.advance(1)), timed_ms(draw)


def table(title: str, rows: list[tuple[str, int, tuple, tuple]]) -> None:
    print(f"\n{title}")
    print(f"{'configuration':60s} {'steps':>5s} {'epoch':>7s} {'draw':>7s} {'frame':>7s} {'wall':>7s}  ≤ 200 ms?")
    for name, steps, (ep_wall, ep), (dr_wall, dr) in rows:
        print(f"{name:60s} {steps:5d} {ep:7.1f} {dr:7.1f} {ep + dr:7.1f} {ep_wall + dr_wall:7.1f}  "
              f"{'yes' if ep + dr <= 200 else 'NO'}")


def cells_vs_torch() -> None:
    print("\nOwn cells vs torch.nn (batch 64, length 32, hidden 32, forward + backward), CPU ms")
    print(f"{'cell':8s} {'own':>8s} {'torch.nn':>9s} {'max |Δh|':>10s}")
    x = torch.randn(64, 32, 8)
    for kind in rnn.CELLS:
        cell = rnn.Cell(kind, 8, 32)
        cell.reset(torch.Generator().manual_seed(0))
        twin = rnn.torch_twin(cell)

        def own():
            hs, _, _ = cell(x)
            torch.stack(hs, 1).sum().backward()

        def ref():
            out, _ = twin(x)
            out.sum().backward()

        with torch.no_grad():
            diff = float((torch.stack(cell(x)[0], 1) - twin(x)[0]).abs().max())
        print(f"{kind:8s} {median_ms(own):8.1f} {median_ms(ref):9.1f} {diff:10.1e}")


def analyses() -> None:
    print("\nCached analyses (off the frame path), CPU ms")
    cfg = rnn.Config(task="brackets", length=16)
    for kind in rnn.CELLS:
        ms = median_ms(lambda: rnn.gradient_flow(cfg, kind, None, (8, 16, 32, 64)), repeat=3)
        print(f"gradient through time, {rnn.LABELS[kind]:12s} T = 8, 16, 32, 64 × 32 sequences: {ms:7.1f}")
    ms = median_ms(lambda: rnn.Trainer(cfg), repeat=3)
    print(f"rnn page: a new race (3 cells, first measurement, data cached):        {ms:7.1f}")
    c2 = s2s.Config()
    ms = median_ms(lambda: s2s.Trainer(c2), repeat=3)
    print(f"seq2seq page: a new race (2 models, first measurement, data made):     {ms:7.1f}")


def main() -> None:
    import os

    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores. epoch/draw/frame: CPU ms of this thread (an idle core's wall time); wall: "
          "measured wall time of the frame under the current load")
    table("RNN page: one live frame (median of 8)", [
        ("brackets, length 16, 3 cells, 32 units (default)", *rnn_frame(rnn_cfg(task="brackets", length=16))),
        ("adding, length 30, 3 cells, 32 units", *rnn_frame(rnn_cfg(task="adding", length=30))),
        ("echo, length 40, 3 cells, 64 units (heaviest)", *rnn_frame(rnn_cfg(task="echo", length=40, hidden=64))),
    ])
    table("Seq2seq page: one live frame (median of 8)", [
        ("reverse 6 digits, both models, 64 units, beam 3 (default)", *s2s_frame(s2s_cfg())),
        ("reverse 12 digits, both models, 64 units, beam 8", *s2s_frame(s2s_cfg(length=12), 8)),
        ("date, both models, 64 units, beam 3", *s2s_frame(s2s_cfg(task="date"))),
        ("date, both models, 128 units, beam 8 (heaviest)", *s2s_frame(s2s_cfg(task="date", hidden=128), 8)),
    ])
    cells_vs_torch()
    analyses()


if __name__ == "__main__":
    main()
