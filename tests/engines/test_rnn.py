"""The RNN engine: our cells against torch.nn (outputs, states, gradients), the gates'
equations, gradient through time against hand-made Jacobian products and finite
differences, typed input, the race's determinism, learning and divergence."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer.engines import rnn
from explorer.engines import seq_tasks as T

torch.set_num_threads(1)


def _cell(kind, n_in=5, hidden=6, seed=0, gate_bias=0.0):
    cell = rnn.Cell(kind, n_in, hidden)
    cell.reset(torch.Generator().manual_seed(seed), gate_bias)
    return cell


def _x(b=3, t=7, i=5, seed=1):
    return torch.randn(b, t, i, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("kind", rnn.CELLS)
@pytest.mark.parametrize("with_state", [False, True])
def test_cell_matches_torch_nn_outputs_states_and_gradients(kind, with_state):
    cell = _cell(kind)
    twin = rnn.torch_twin(cell)
    assert isinstance(twin, {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind])
    g = torch.Generator().manual_seed(5)
    x1 = _x().requires_grad_(True)
    x2 = x1.detach().clone().requires_grad_(True)
    h0 = torch.randn(3, 6, generator=g) if with_state else None
    c0 = torch.randn(3, 6, generator=g) if with_state else None
    state = ((h0, c0) if kind == "lstm" else h0) if with_state else None
    hs, last, _ = cell(x1, state)
    ref_state = None
    if with_state:
        ref_state = (h0[None], c0[None]) if kind == "lstm" else h0[None]
    ref, ref_last = twin(x2, ref_state)
    ours = torch.stack(hs, dim=1)
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=1e-5)
    if kind == "lstm":
        torch.testing.assert_close(last[0], ref_last[0][0], atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(last[1], ref_last[1][0], atol=1e-6, rtol=1e-5)
    else:
        torch.testing.assert_close(last, ref_last[0], atol=1e-6, rtol=1e-5)
    r = torch.randn(ours.shape, generator=g)  # a random linear read-out of every h_t
    (ours * r).sum().backward()
    (ref * r).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, atol=1e-5, rtol=1e-4)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        torch.testing.assert_close(getattr(cell, name).grad, getattr(twin, f"{name}_l0").grad, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("kind", rnn.CELLS)
def test_fast_path_shares_weights_and_gives_the_same_outputs_and_gradients(kind):
    for task in rnn.TASKS:
        cfg = rnn.Config(task=task, length=8, hidden=6, cells=(kind,))
        a, b = rnn.build(cfg, kind), rnn.build(cfg, kind)
        src, tgt, vin, _ = rnn.examples(task, 4, 8, 0)
        x = rnn.features(task, src, vin)
        y = torch.as_tensor(tgt, dtype=torch.float32) if task == "adding" else torch.as_tensor(tgt)
        slow, fast = a(x)[0], b.fast(x)
        torch.testing.assert_close(slow, fast, atol=1e-6, rtol=1e-5)
        rnn.loss_fn(rnn.KIND[task], slow, y).backward()
        rnn.loss_fn(rnn.KIND[task], fast, y).backward()
        for (name, p), q in zip(a.named_parameters(), b.parameters()):
            torch.testing.assert_close(p.grad, q.grad, atol=1e-5, rtol=1e-4, msg=f"{task} {name}")
    assert len(list(b.parameters())) == 6 and len(b.state_dict()) == 6  # the twin is not a second copy
    with torch.no_grad():
        b.cell.weight_hh.add_(1.0)  # an optimizer's in-place step reaches the twin
    assert not torch.allclose(b.fast(x), a.fast(x))


def test_lstm_gates_obey_their_equations():
    cell = _cell("lstm")
    _, _, g = cell(_x(), gates=True)
    for name in "ifo":
        assert g[name].min() > 0 and g[name].max() < 1
    c_prev = torch.cat([torch.zeros(3, 1, 6), g["c"][:, :-1]], dim=1)
    torch.testing.assert_close(g["c"], g["f"] * c_prev + g["i"] * g["g"])
    torch.testing.assert_close(g["h"], g["o"] * torch.tanh(g["c"]))
    # the input gate from the weights by hand at t = 0 (h_{-1} = 0)
    w, b = cell.weight_ih[:6], cell.bias_ih[:6] + cell.bias_hh[:6]
    torch.testing.assert_close(g["i"][:, 0], torch.sigmoid(_x()[:, 0] @ w.T + b))


def test_gru_gates_obey_their_equations():
    cell = _cell("gru")
    _, _, g = cell(_x(), gates=True)
    h_prev = torch.cat([torch.zeros(3, 1, 6), g["h"][:, :-1]], dim=1)
    torch.testing.assert_close(g["h"], (1 - g["z"]) * g["n"] + g["z"] * h_prev)
    assert g["r"].min() > 0 and g["z"].max() < 1


def test_gate_bias_shifts_the_keep_gate_only():
    plain, biased = _cell("lstm"), _cell("lstm", gate_bias=2.0)
    d = (biased.bias_hh - plain.bias_hh).detach()
    assert torch.allclose(d[6:12], torch.full((6,), 2.0)) and d[:6].abs().max() == 0 and d[12:].abs().max() == 0
    gp, gb = _cell("gru"), _cell("gru", gate_bias=2.0)
    d = (gb.bias_hh - gp.bias_hh).detach()  # GRU order r, z, n: z is the second block
    assert torch.allclose(d[6:12], torch.full((6,), 2.0)) and d[:6].abs().max() == 0
    assert torch.equal(_cell("rnn").bias_hh, _cell("rnn", gate_bias=2.0).bias_hh)


def test_building_touches_no_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    rnn.build(rnn.Config(), "lstm")
    rnn.torch_twin(_cell("gru"))
    assert torch.equal(torch.rand(3), expected)


# -- gradient through time ------------------------------------------------------------------------

def test_vanilla_rnn_gradient_flow_is_the_product_of_jacobians():
    cfg = rnn.Config(task="brackets", length=8, hidden=5, cells=("rnn",))
    net = rnn.build(cfg, "rnn")
    w = rnn.weights_of(net)
    flow = rnn.gradient_flow(cfg, "rnn", w, (6, 12), n=4, seed=3)
    for t_len, norms in zip((6, 12), flow.norms):
        src, tgt, vin, _ = rnn.examples("brackets", 4, t_len, 3)
        with torch.no_grad():
            hs, _, _ = net.cell(rnn.features("brackets", src, vin))
            h = torch.stack(hs, dim=1).double()
            logits = net.head(hs[-1]).double()
        w_hh = net.cell.weight_hh.detach().double()
        # ∂L/∂h_T from softmax cross-entropy through the linear head, then back one Jacobian at a time
        w_out = net.head.weight.detach().double()
        g = (torch.softmax(logits, -1) - F.one_hot(torch.as_tensor(tgt), 2).double()) @ w_out
        manual = [g.norm(dim=1).mean()]
        for t in range(t_len - 1, 0, -1):
            g = (g * (1 - h[:, t] ** 2)) @ w_hh
            manual.append(g.norm(dim=1).mean())
        np.testing.assert_allclose(norms, np.array(manual[::-1]), rtol=1e-4)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gated_gradient_flow_matches_finite_differences(kind):
    cfg = rnn.Config(task="parity", length=6, hidden=4, cells=(kind,))
    net = rnn.build(cfg, kind).double()
    flow = rnn.gradient_flow(cfg, kind, rnn.weights_of(net.float()), (6,), n=1, seed=9)
    net = net.double()
    src, tgt, vin, _ = rnn.examples("parity", 1, 6, 9)
    x = rnn.features("parity", src, vin).double()
    y = torch.as_tensor(tgt[:, -1])

    def loss_from(t, state):
        """The last step's loss when the run restarts at step t + 1 from ``state``."""
        for k in range(t + 1, 6):
            gi = F.linear(x[:, k], net.cell.weight_ih, net.cell.bias_ih)
            state = net.cell.step(gi, state)
        h = state[0] if kind == "lstm" else state
        return float(F.cross_entropy(net.head(h), y, reduction="sum"))

    with torch.no_grad():
        states, state = [], net.cell.zero_state(1)
        for k in range(6):
            state = net.cell.step(F.linear(x[:, k], net.cell.weight_ih, net.cell.bias_ih), state)
            states.append(state)
        eps = 1e-6
        for t in (0, 2, 4):
            grad = []
            for j in range(4):
                e = torch.zeros(1, 4, dtype=torch.float64)
                e[0, j] = eps
                if kind == "lstm":  # ∂/∂h_t holding c_t fixed, as autograd's ∂L/∂h_t means
                    up, down = (states[t][0] + e, states[t][1]), (states[t][0] - e, states[t][1])
                else:
                    up, down = states[t] + e, states[t] - e
                grad.append((loss_from(t, up) - loss_from(t, down)) / (2 * eps))
            assert flow.norms[0][t] == pytest.approx(np.linalg.norm(grad), rel=1e-3)


def test_vanishing_at_init_and_gates_opened_by_a_bias():
    lengths = (64,)
    plain = rnn.Config(task="adding", length=16)
    ratio = {k: (lambda y: y[0] / y[-1])(rnn.gradient_flow(plain, k, None, lengths).norms[0]) for k in rnn.CELLS}
    assert all(r < 1e-6 for r in ratio.values()), ratio  # PyTorch's init: every cell forgets at init
    opened = rnn.Config(task="adding", length=16, gate_bias=4.0)
    for k in ("lstm", "gru"):
        y = rnn.gradient_flow(opened, k, None, lengths).norms[0]
        assert y[0] / y[-1] > 1e-3, k  # a keep gate near 1 carries the gradient 63 steps back
    y = rnn.gradient_flow(opened, "rnn", None, lengths).norms[0]
    assert y[0] / y[-1] < 1e-6  # the vanilla RNN has no gate to open


def test_gradient_flow_checks_its_budget():
    with pytest.raises(ValueError, match="^lengths:"):
        rnn.gradient_flow(rnn.Config(), "rnn", None, (500,))
    with pytest.raises(ValueError, match="^n:"):
        rnn.gradient_flow(rnn.Config(), "rnn", None, (8,), n=0)


# -- typed input, inspection, trajectory ------------------------------------------------------------

def test_parse_reads_each_task_and_says_what_is_wrong():
    t = rnn.parse("parity", "0110 1")
    assert t.ticks == tuple("01101") and t.truth.tolist() == [0, 1, 0, 0, 1]
    assert rnn.parse("brackets", "(())").truth.tolist() == [1] and rnn.parse("brackets", "())(").truth.tolist() == [0]
    e = rnn.parse("echo", "31415", delay=2)
    assert e.truth.tolist() == [rnn.IGNORE, rnn.IGNORE, 3, 1, 4]
    a = rnn.parse("adding", "3 7+ 0.25 1+")
    assert a.x.shape == (1, 4, 2) and a.truth[0] == pytest.approx(0.8)
    assert a.x[0, :, 0].tolist() == pytest.approx([0.3, 0.7, 0.25, 0.1])
    for task, text, words in (("brackets", "(()x", "'x' is not allowed"), ("parity", "0120", "'2'"),
                              ("adding", "3 7+ 1", "exactly two"), ("adding", "3 x+", "'x+' is not a value"),
                              ("echo", "", "1…64"), ("parity", "1" * 65, "1…64")):
        with pytest.raises(ValueError, match=re.escape(words)):
            rnn.parse(task, text)


def test_inspect_and_live_torch_check():
    cfg = rnn.Config(task="brackets", length=8, hidden=6)
    typed = rnn.parse("brackets", "(()())")
    for kind in rnn.CELLS:
        w = rnn.weights_of(rnn.build(cfg, kind))
        inside = rnn.inspect(cfg, kind, w, typed)
        assert set(inside.gates) == set(rnn.GATES[kind]) and all(v.shape == (6, 6) for v in inside.gates.values())
        assert inside.pred.shape == (1,) and 0.5 <= inside.prob[0] <= 1
        assert rnn.torch_difference(cfg, kind, w, typed) < 1e-6


def test_trajectory_is_pca_of_the_hidden_states():
    from sklearn.decomposition import PCA

    cfg = rnn.Config(task="parity", length=10, hidden=8)
    w = rnn.weights_of(rnn.build(cfg, "gru"))
    typed = rnn.parse("parity", "0110100")
    tr = rnn.trajectory(cfg, "gru", w, typed, n=20)
    assert tr.cloud.shape == (200, 2) and tr.path.shape == (7, 2) and tr.cloud_value.shape == (200,)
    net = rnn.build(cfg, "gru", w)
    src, _, vin, _ = rnn.examples("parity", 20, 10, cfg.seed + 11)
    with torch.no_grad():
        states = torch.stack(net.cell(rnn.features("parity", src, vin))[0], 1).reshape(-1, 8).double().numpy()
    pca = PCA(2).fit(states)
    np.testing.assert_allclose(tr.explained, pca.explained_variance_ratio_, rtol=1e-6)
    np.testing.assert_allclose(np.abs(tr.cloud), np.abs(pca.transform(states)), atol=1e-6)  # up to each axis' sign
    assert set(np.unique(tr.cloud_value)) <= {0.0, 1.0}  # coloured by the parity so far


def test_running_values():
    src = np.array([[3, 3, 4, 3, 4, 4]])
    assert rnn.running_value("brackets", src)[1].tolist() == [[1, 2, 1, 2, 1, 0]]
    assert rnn.running_value("parity", np.array([[4, 3, 4, 4]]))[1].tolist() == [[1, 1, 0, 1]]
    assert rnn.running_value("echo", np.array([[5, 6, 7, 8]]), delay=2)[1].tolist() == [[-1, -1, 2, 3]]


# -- the race -----------------------------------------------------------------------------------------

def test_config_validation_names_the_field():
    for kw, field in ((dict(task="copy"), "task"), (dict(length=1), "length"), (dict(delay=12), "delay"),
                      (dict(cells=("rnn", "rnn")), "cells"), (dict(cells=()), "cells"), (dict(hidden=0), "hidden"),
                      (dict(learning_rate=float("nan")), "learning_rate"), (dict(gate_bias=9.0), "gate_bias"),
                      (dict(clip=-1.0), "clip"), (dict(seed=-1), "seed")):
        with pytest.raises(ValueError, match=f"^{field}:"):
            rnn.Config(**kw)


def test_echo_targets_are_the_digits_delay_steps_back():
    src, tgt, vin, classes = rnn.examples("echo", 5, 9, 0, delay=4)
    assert vin == T.DIGITS and (tgt[:, :4] == rnn.IGNORE).all()
    assert np.array_equal(tgt[:, 4:], src[:, :5] - 3)


def _small(**kw):
    base = dict(task="parity", length=8, hidden=8, steps_per_epoch=3, n_train=256, n_test=64)
    return rnn.Config(**{**base, **kw})


def test_same_seed_same_run_other_seed_other_run():
    a, b, c = (rnn.Trainer(_small(seed=s)) for s in (4, 4, 5))
    for tr in (a, b, c):
        tr.advance(3)
    np.testing.assert_array_equal(a.snapshot.test_losses, b.snapshot.test_losses)
    for wa, wb in zip(a.weights_at(3)[1], b.weights_at(3)[1]):
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])
    assert not np.array_equal(a.snapshot.test_losses, c.snapshot.test_losses)


def test_cells_race_from_the_same_seed_and_batches():
    tr = rnn.Trainer(_small(cells=("gru", "lstm")))
    solo = rnn.Trainer(_small(cells=("lstm",)))
    tr.advance(2)
    solo.advance(2)
    # the LSTM's run does not depend on who else races
    assert tr.snapshot.test_losses[1] == pytest.approx(solo.snapshot.test_losses[0], rel=1e-6)


def test_the_race_learns_running_parity():
    tr = rnn.Trainer(_small(cells=("gru",), learning_rate=0.03, steps_per_epoch=5))
    first = tr.snapshot.train_losses[0]
    tr.advance(25)
    snap = tr.snapshot
    assert snap.epoch == 25 and snap.step == 125
    assert snap.train_losses[0] < 0.2 * first and snap.token_acc[0] > 0.95
    h = tr.history()
    assert h["epoch"].tolist() == list(range(26)) and h["train"].shape == (26, 1)


def test_a_broken_cell_is_reported_not_raised():
    tr = rnn.Trainer(_small())
    with torch.no_grad():
        tr.nets[0].cell.weight_hh[0, 0] = float("nan")
    snap = tr.advance(2)
    assert snap.model_diverged.tolist() == [True, False, False] and not snap.diverged
    assert np.isnan(snap.test_losses[0]) and np.isfinite(snap.test_losses[1:]).all()
    for net in tr.nets[1:]:
        for p in net.parameters():
            assert torch.isfinite(p).all()


def test_checkpoints_thin_evenly_and_keep_the_latest():
    cp = rnn.Checkpoints(cap=4)
    for e in range(11):
        cp.add(e, {"e": e})
    assert len(cp.kept) <= 5 and cp.stride == 4 and sorted(cp.kept) == [0, 4, 8]
    assert cp.at(10) == (10, {"e": 10}) and cp.at(9) == (8, {"e": 8}) and cp.at(3) == (0, {"e": 0})
    big = rnn.Checkpoints(cap=48, max_bytes=10 * 4000)  # 1,000 floats per checkpoint: room for 10
    for e in range(40):
        big.add(e, [{"w": np.zeros(1000, dtype=np.float32)}])
    assert big.cap == 10 and len(big.kept) <= 11
    tiny = rnn.Checkpoints(cap=48, max_bytes=1)
    tiny.add(0, [{"w": np.zeros(10)}])
    assert tiny.cap == 8  # never fewer than 8


def test_auto_steps_shrinks_for_long_wide_runs():
    assert rnn.auto_steps(16, 32, 3) == 5
    assert 1 <= rnn.auto_steps(40, 64, 3) < 5
    assert rnn.auto_steps(64, 128, 3) == 1
