"""CNN page speed and quality. Prints tables; asserts nothing.

    .venv/bin/python bench/cnn_bench.py [--quick] [lenet frames zoo page]   (default: all four)

1. LeNet on the MNIST subset, trained live with the page's defaults (cnn.Trainer: Adam
   2e-3, batch 64, random shifts): when does the test accuracy first reach 97 %, in seconds
   of training and of wall clock (with the page's per-step evaluation of 1,000 test images)?
   Also the reference recipe (zoo.train_reference: 15 epochs, cosine).
   Target: ≥ 97 % within 30 s.
2. One live frame per architecture: one step (1/16 epoch + scoring the test set) plus building
   the frame's two figures and their JSON (what st.plotly_chart sends). Target: ≤ 150 ms
   for the default (LeNet).
3. The zoo table: parameters, MACs, test accuracy after 2 epochs on 2,000 images, seconds
   per epoch measured here (cnn.compare, the page's button).
4. The page's default run under AppTest, cold (references trained) and warm.
One torch thread throughout, as the app runs (explorer.engines.device.THREADS).
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("EXPLORER_CACHE_DIR", tempfile.mkdtemp(prefix="cnn-bench-"))

import torch  # noqa: E402

from explorer.engines import cnn, zoo  # noqa: E402
from explorer.viz import cnn as vz  # noqa: E402

torch.set_num_threads(1)
QUICK = "--quick" in sys.argv
TARGET_ACC, TARGET_S, TARGET_FRAME_MS = 0.97, 30.0, 150.0


def lenet_to_97() -> None:
    print("\n1. LeNet-5 on MNIST (4,000 train / 1,000 test), the page's live defaults")
    print(f"{'epoch':>6s} {'test acc':>9s} {'train s':>8s} {'wall s':>7s}")
    tr = cnn.Trainer(cnn.Config())
    t0, hit = time.perf_counter(), None
    while tr.snapshot.epoch < 30 and time.perf_counter() - t0 < 60:
        s = tr.advance(1)
        wall = time.perf_counter() - t0
        if s.epoch == int(s.epoch):
            print(f"{s.epoch:6.0f} {100 * s.test_acc:8.1f}% {s.seconds:8.1f} {wall:7.1f}")
        if hit is None and s.test_acc >= TARGET_ACC:
            hit = (s.epoch, s.test_acc, s.seconds, wall)
            if QUICK:
                break
    if hit:
        ok = "meets" if hit[3] <= TARGET_S else "MISSES"
        print(f"first ≥ 97 %: epoch {hit[0]:g}, {100 * hit[1]:.1f} % after {hit[2]:.1f} s of training, "
              f"{hit[3]:.1f} s wall clock → {ok} the target (≥ 97 % within {TARGET_S:.0f} s)")
    else:
        print("never reached 97 % → MISSES the target")
    t = time.perf_counter()
    _, card = zoo.train_reference("lenet", "mnist")
    print(f"reference recipe ({card['recipe']['epochs']} epochs, cosine): test accuracy "
          f"{100 * card['test_acc']:.1f} % in {time.perf_counter() - t:.1f} s")


def frame_ms(arch: str, reps: int) -> tuple[float, float, float]:
    """Median (step ms, figures ms, total ms) of a live frame."""
    tr = cnn.Trainer(cnn.Config(arch=arch))
    tr.advance(1)  # warm-up: one-off library set-up
    steps, figs = [], []
    for _ in range(reps):
        t = time.perf_counter()
        snap = tr.advance(1)
        t1 = time.perf_counter()
        vz.training_figure(tr.history(snap.epoch)).to_json()
        vz.filters_figure(snap.filters).to_json()
        t2 = time.perf_counter()
        steps.append(1000 * (t1 - t))
        figs.append(1000 * (t2 - t1))
    return statistics.median(steps), statistics.median(figs), statistics.median(s + f for s, f in zip(steps, figs))


def frames() -> None:
    print("\n2. One live frame (median): a step of 1/16 epoch + scoring 1,000 test images, then the two figures")
    print(f"{'architecture':26s} {'step ms':>8s} {'figures ms':>11s} {'frame ms':>9s}")
    for arch in (("lenet",) if QUICK else zoo.ARCHS):
        s, f, total = frame_ms(arch, 3 if QUICK else 6)
        verdict = "met" if total <= TARGET_FRAME_MS else "MISSED"
        flag = f"  ← target ≤ 150 ms: {verdict}" if arch == "lenet" else ""
        print(f"{zoo.INFO[arch].label:26s} {s:8.0f} {f:11.0f} {total:9.0f}{flag}")


def zoo_table() -> None:
    cfg = cnn.CompareConfig(epochs=1 if QUICK else 2, n_train=1000 if QUICK else 2000)
    print(f"\n3. The zoo: {cfg.epochs} epoch(s) on {cfg.n_train:,} MNIST images each, batch {cnn.COMPARE_BATCH}, "
          "tested on 1,000")
    t = time.perf_counter()
    rows = cnn.compare(cfg)
    print(f"{'architecture':26s} {'params':>8s} {'MACs':>10s} {'test acc':>9s} {'s/epoch':>8s}")
    for r in rows:
        print(f"{r.label:26s} {r.params:8,d} {r.macs:10,d} {100 * r.test_acc:8.1f}% {r.seconds_per_epoch:8.2f}")
    print(f"(the whole comparison, as the page's button runs it: {time.perf_counter() - t:.1f} s)")


def page() -> None:
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parent.parent
    print("\n4. The page's default run (AppTest)")
    for label in ("cold (this process's first run)", "warm", "warm"):
        at = AppTest.from_file(str(root / "streamlit_app.py"), default_timeout=300)
        at.switch_page("explorer/pages/cnn.py")
        t = time.perf_counter()
        at.run()
        bad = len(at.exception) + len(at.error)
        print(f"{label:34s} {time.perf_counter() - t:6.2f} s{'  (' + str(bad) + ' problems!)' if bad else ''}")


if __name__ == "__main__":
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); cache {zoo.cache_dir()}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    parts = {"lenet": lenet_to_97, "frames": frames, "zoo": zoo_table, "page": page}
    chosen = [a for a in sys.argv[1:] if a in parts] or list(parts)
    for name in chosen:
        parts[name]()
