"""Schedules engine: every curve against its closed form (and torch's own scheduler), the
training runs' determinism, shared starting point, learning and divergence handling."""
import math

import numpy as np
import pytest
import torch

from explorer.engines import schedules as sch

T = 120


def closed_form(cfg: sch.Config) -> np.ndarray:
    """The learning rate of update t = 0 … T−1 written out by hand."""
    b, T_, W = cfg.base_lr, cfg.steps, cfg.warmup_steps
    t = np.arange(T_, dtype=float)
    cos = lambda u, n: 0.5 * b * (1 + np.cos(np.pi * u / n))  # noqa: E731
    name = cfg.schedule
    if name == "constant":
        return np.full(T_, b)
    if name == "step":
        return b * 0.1 ** np.floor(t / math.ceil(T_ / 3))
    if name == "exponential":
        return b * (0.01 ** (1 / T_)) ** t
    if name == "cosine":
        return cos(t, T_)
    if name == "warm_restarts":
        T0 = cfg.restart_period
        i = np.floor(np.log2(t / T0 + 1))  # cycle index: cycles of T0, 2T0, 4T0, …
        start = T0 * (2 ** i - 1)
        return cos(t - start, T0 * 2 ** i)
    if name == "one_cycle":
        lo, top, end = b / 25, b, b / 25 / 1e4
        e1, e2 = 0.3 * T_ - 1, T_ - 1
        up = t <= e1
        pct = np.where(up, t / e1, (t - e1) / (e2 - e1))
        a, z = np.where(up, lo, top), np.where(up, top, end)
        return z + (a - z) / 2 * (np.cos(np.pi * pct) + 1)
    warm = b * (0.01 + 0.99 * np.minimum(t, W) / W)
    if name == "warmup":
        return warm
    return np.where(t < W, warm, cos(t - W, T_ - W))


@pytest.mark.parametrize("name", sch.SCHEDULES)
@pytest.mark.parametrize("steps,base", [(T, 0.5), (97, 0.03)])
def test_lr_curve_matches_its_closed_form(name, steps, base):
    cfg = sch.Config(schedule=name, base_lr=base, steps=steps, warmup_frac=0.15)
    got = sch.lr_curve(cfg)
    assert got.shape == (steps,)
    np.testing.assert_allclose(got, closed_form(cfg), rtol=1e-9, atol=1e-12 * base)


@pytest.mark.parametrize("name", sch.SCHEDULES)
def test_lr_curve_is_what_a_torch_training_loop_sees(name):
    cfg = sch.Config(schedule=name, steps=60, optimizer="adam")
    p = torch.zeros(3, requires_grad=True)
    o = torch.optim.Adam([p], lr=cfg.base_lr)
    s = sch.make_scheduler(cfg, o)
    seen = []
    for t in range(cfg.steps):
        seen.append(o.param_groups[0]["lr"])
        p.grad = torch.ones(3)
        o.step()
        if t < cfg.steps - 1:
            s.step()
    np.testing.assert_allclose(sch.lr_curve(cfg), seen, rtol=1e-12)


def test_schedule_shapes():
    c = {n: sch.lr_curve(sch.Config(schedule=n, steps=T, base_lr=1.0)) for n in sch.SCHEDULES}
    assert c["constant"].max() == c["constant"].min() == 1.0
    assert (np.diff(c["cosine"]) < 0).all() and (np.diff(c["exponential"]) < 0).all()
    assert c["exponential"][-1] == pytest.approx(0.01 ** ((T - 1) / T))
    assert len(np.unique(c["step"])) == 3
    restarts = np.flatnonzero(np.diff(c["warm_restarts"]) > 0) + 1
    T0 = math.ceil(T / 7)
    np.testing.assert_array_equal(restarts, [T0, 3 * T0])  # cycles of T0 then 2·T0, then 4·T0
    peak = int(np.argmax(c["one_cycle"]))
    assert abs(peak - 0.3 * T) <= 1 and c["one_cycle"][0] == pytest.approx(1 / 25)
    W = round(0.1 * T)
    assert c["warmup"][0] == pytest.approx(0.01) and c["warmup"][W:] == pytest.approx(1.0)
    assert c["warmup_cosine"][W] == pytest.approx(1.0) and c["warmup_cosine"][-1] < 1e-3


def test_one_cycle_cycles_the_momentum_too():
    cfg = sch.Config(schedule="one_cycle", steps=50)
    p = torch.zeros(1, requires_grad=True)
    o = sch.make_optimizer(cfg, [p])
    s = sch.make_scheduler(cfg, o)
    moms = []
    for _ in range(cfg.steps - 1):
        moms.append(o.param_groups[0]["momentum"])
        o.step()
        s.step()
    assert moms[0] == pytest.approx(0.95) and min(moms) == pytest.approx(0.85, abs=1e-3)


@pytest.mark.parametrize("kw,field", [(dict(schedule="linear"), "schedule"), (dict(base_lr=0.0), "base_lr"),
                                      (dict(base_lr=float("nan")), "base_lr"), (dict(steps=5), "steps"),
                                      (dict(steps=10_000), "steps"), (dict(warmup_frac=0.9), "warmup_frac"),
                                      (dict(optimizer="lion"), "optimizer"), (dict(seed=-3), "seed")])
def test_config_names_the_bad_field(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        sch.Config(**kw)


def test_digits_split_is_seeded_and_disjoint():
    Xtr, ytr, Xte, yte = sch.split(0)
    assert Xtr.shape == (1348, 64) and Xte.shape == (449, 64) and Xtr.max() <= 1.0
    again = sch.split(0)
    np.testing.assert_array_equal(again[1], ytr)
    assert not np.array_equal(sch.split(1)[1], ytr)


def test_training_is_deterministic_and_learns():
    cfg = sch.Config(schedule="cosine", base_lr=0.5, steps=60)
    a, b = sch.train(cfg), sch.train(cfg)
    np.testing.assert_array_equal(a.train_loss, b.train_loss)
    np.testing.assert_array_equal(a.test_acc, b.test_acc)
    assert a.diverged_at == -1
    assert a.train_loss[0] == pytest.approx(math.log(10), abs=0.15)  # small random init: near chance
    assert a.train_loss[-1] < 0.6 * a.train_loss[0] and a.test_acc[-1] > 0.6
    assert a.at[0] == 0 and a.at[-1] == 60 and a.train_loss.shape == a.at.shape


def test_every_schedule_starts_from_the_same_network():
    runs = [sch.train(sch.Config(schedule=n, base_lr=0.3, steps=40, seed=2)) for n in ("constant", "cosine", "warmup")]
    assert len({r.test_loss[0] for r in runs}) == 1  # same data, same initial weights
    # constant and cosine share their first learning rate, so their first update is identical too
    c, k = sch.lr_curve(sch.Config(schedule="constant", base_lr=0.3, steps=40)), runs[1].lr
    assert c[0] == k[0]
    assert runs[0].at[1] == 1 and runs[0].train_loss[1] == runs[1].train_loss[1]
    assert runs[2].train_loss[1] != runs[0].train_loss[1]  # warm-up's tiny first step


def test_a_non_finite_loss_stops_the_run_and_is_reported(monkeypatch):
    X, y = sch.digits()
    bad = X.copy()
    bad[:, 0] = np.nan
    monkeypatch.setattr(sch, "digits", lambda: (bad, y))
    c = sch.train(sch.Config(steps=20))
    assert c.diverged_at == 0 and np.isnan(c.train_loss).all()


def test_eval_points_cover_both_ends():
    p = sch.eval_points(200)
    assert p[0] == 0 and p[-1] == 200 and len(p) == 41 and (np.diff(p) > 0).all()
    assert list(sch.eval_points(10)) == list(range(11))
