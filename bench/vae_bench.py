"""VAE time-to-plateau on CPU (one torch thread). Prints a table; asserts nothing.

    .venv/bin/python bench/vae_bench.py [--epochs N] [--quick]

For each configuration, trains the page's VAE for a long run (``--epochs``, default 80) the
way the player does (a quarter epoch per step, each followed by the test measurement) and
records the test ELBO (nats per image, β = 1, fixed ε) against the seconds spent.

Plateau, defined honestly: the best test ELBO of the long run is E*; the run has reached its
plateau at the first measurement whose ELBO is within 1 % of E* (ELBO ≥ E* − 0.01·|E*|).
Time-to-plateau counts all time inside ``advance`` (training + the per-step measurement the
page draws), not the page's drawing: wall-clock seconds, and this process's CPU seconds (what
an idle core would need; on a shared, overloaded machine the wall time is inflated). Also: the cost of ``latent_codec`` (the diffusion
page's 2-D codec) and of the autoencoder's explorable model.

Posterior collapse (``--collapse-only`` prints just this): the page's comparison
(:func:`explorer.ui.vae_view.collapse`: powerful decoder, 16 dimensions, lr 0.01) for no cure /
KL annealing / free bits: active units and KL after each epoch, and the CPU seconds per setting.
Target: no cure ≤ 2 of 16 active with KL near 0, the cures clearly more, ≲ 30 s in all.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explorer.engines import autoencoders as ae, vae  # noqa: E402

torch.set_num_threads(1)


def long_run(cfg: vae.Config, epochs: int):
    """(epoch, seconds, test ELBO) after every player step of a run of ``epochs`` epochs, and
    the last snapshot."""
    tr = vae.Trainer(cfg)
    ep, secs, cpu, elbo = [0.0], [0.0], [0.0], [tr.snapshot.elbo]
    t = c = 0.0
    for _ in range(epochs * vae.CHUNKS):
        t0, c0 = time.perf_counter(), time.process_time()
        s = tr.advance(1)
        t += time.perf_counter() - t0
        c += time.process_time() - c0
        ep.append(s.epoch), secs.append(t), cpu.append(c), elbo.append(s.elbo)
        if s.diverged:
            break
    return np.array(ep), np.array(secs), np.array(cpu), np.array(elbo), s


def plateau(ep, secs, cpu, elbo, tol=0.01):
    """(best ELBO, its epoch, wall s, CPU s and epoch at the first ELBO within ``tol`` of the best)."""
    best = np.nanmax(elbo)
    i = int(np.argmax(elbo >= best - tol * abs(best)))
    return best, float(ep[np.nanargmax(elbo)]), float(secs[i]), float(cpu[i]), float(ep[i])


def at_time(secs, elbo, t):
    k = np.searchsorted(secs, t, side="right") - 1
    return float(elbo[max(0, k)]) if secs[-1] >= t else float("nan")


def collapse_table(seed: int) -> None:
    from explorer.ui import vae_view as view   # the page's settings (importing it starts no app)

    t0 = time.perf_counter()
    s = vae.collapse_study(view.study_config(seed), view.STUDY_EPOCHS, view.STUDY_ANNEAL, view.STUDY_FREE_BITS)
    wall = time.perf_counter() - t0
    print(f"\nPosterior collapse: powerful decoder (row GRU + masked 7×7 conv), 16 dimensions, lr 0.01, seed {seed}, "
          f"{view.STUDY_EPOCHS} epochs each, 1 torch thread, load average {os.getloadavg()[0]:.1f}")
    head = f"{'setting':28s} {'active units by epoch 0..' + str(view.STUDY_EPOCHS):34s} {'KL by epoch (nats)':44s} " \
           f"{'ELBO':>7s} {'CPU s':>6s}"
    print(head)
    print("-" * len(head))
    names = {"none": "no cure", "annealing": f"KL annealing ({s.anneal} epochs)", "free bits": f"free bits λ = {s.free_bits:g}"}
    for c in vae.CURES:
        print(f"{names[c]:28s} {' '.join(f'{int(v):2d}' for v in s.n_active[c]):34s} "
              f"{' '.join(f'{v:6.2f}' for v in s.kl[c]):44s} {s.elbo[c][-1]:7.1f} {s.cpu_s[c]:6.1f}", flush=True)
    print(f"all three: {sum(s.cpu_s.values()):.1f} CPU s, {wall:.1f} s wall")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=80)
    ap.add_argument("--quick", action="store_true", help="only the default VAE")
    ap.add_argument("--collapse-only", action="store_true", help="only the posterior-collapse comparison")
    ap.add_argument("--seed", type=int, default=0, help="seed of the collapse comparison")
    a = ap.parse_args()
    collapse_table(a.seed)
    if a.collapse_only:
        return
    rows = [("default: latent 2, β 1, MLP, Bernoulli", vae.Config())]
    if not a.quick:
        rows += [("latent 2, β 4", vae.Config(beta=4.0)),
                 ("latent 16, powerful decoder (collapse)", vae.Config(latent=16, decoder="autoregressive",
                                                                       learning_rate=1e-2)),
                 ("latent 16, powerful decoder, free bits 0.5", vae.Config(latent=16, decoder="autoregressive",
                                                                           learning_rate=1e-2, free_bits=0.5))]
    print(f"\nVAE on 4,000 MNIST digits, test ELBO on 1,000 (nats/image), {a.epochs}-epoch runs, "
          f"1 torch thread, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    head = (f"{'configuration':44s} {'best ELBO':>9s} {'at epoch':>8s} {'plateau wall s':>14s} {'CPU s':>6s} "
            f"{'at epoch':>8s} {'ELBO@60 CPU s':>13s} {'s/epoch':>7s} {'CPU s/ep':>8s} {'active':>6s}")
    print(head)
    print("-" * len(head))
    for name, cfg in rows:
        epochs = a.epochs if cfg.decoder == "mlp" else max(10, a.epochs // 3)
        ep, secs, cpu, elbo, last = long_run(cfg, epochs)
        best, best_ep, t_pl, c_pl, ep_pl = plateau(ep, secs, cpu, elbo)
        print(f"{name:44s} {best:9.1f} {best_ep:8.2f} {t_pl:14.1f} {c_pl:6.1f} {ep_pl:8.2f} "
              f"{at_time(cpu, elbo, 60):13.1f} {secs[-1] / ep[-1]:7.2f} {cpu[-1] / ep[-1]:8.2f} "
              f"{f'{last.n_active}/{cfg.latent}':>6s}", flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    vae.latent_codec(0)
    t_codec, c_codec = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    ae.explorable(0)
    t_ae, c_ae = time.perf_counter() - t0, time.process_time() - c0
    print(f"\nlatent_codec(0): {vae.CODEC_EPOCHS} epochs in {t_codec:.1f} s wall, {c_codec:.1f} CPU s · "
          f"autoencoders.explorable(0): {ae.DEFAULT_EPOCHS} epochs in {t_ae:.1f} s wall, {c_ae:.1f} CPU s")


if __name__ == "__main__":
    main()
