"""The regularization engine: calibration, targets, penalties by hand, dropout, determinism."""
import numpy as np
import pytest
import torch

from explorer.engines import mlp_bank
from explorer.engines import regularization as R

TINY = dict(n_train=10, width=8)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny batched models: one thread is fastest, and more oversubscribe a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def trainer(**kw) -> R.Trainer:
    return R.Trainer(R.Config(**{**TINY, **kw}))


# -- calibration and targets --------------------------------------------------------------
def test_ece_of_perfectly_calibrated_predictions_is_near_zero():
    rng = np.random.default_rng(0)
    p1 = rng.uniform(0, 1, 200_000)
    y = (rng.uniform(0, 1, p1.size) < p1).astype(int)
    rel = R.reliability(np.c_[1 - p1, p1], y, n_bins=10)
    assert rel["ece"] < 0.005
    ok = rel["count"] > 0
    np.testing.assert_allclose(rel["acc"][ok], rel["conf"][ok], atol=0.01)
    assert rel["count"].sum() == p1.size


def test_ece_of_overconfident_predictions_by_hand():
    # always 90 % sure of class 0, right half the time: one bin, |0.5 − 0.9| = 0.4
    probs = np.tile([0.9, 0.1], (10, 1))
    rel = R.reliability(probs, np.array([0, 1] * 5), n_bins=5)
    assert rel["ece"] == pytest.approx(0.4)
    assert np.nansum(rel["count"]) == 10 and np.isnan(rel["acc"][0])


@pytest.mark.parametrize("k,eps", [(2, 0.1), (3, 0.3), (10, 0.0)])
def test_label_smoothing_targets_sum_to_one(k, eps):
    labels = np.arange(12) % k
    t = R.smooth_targets(labels, k, eps)
    np.testing.assert_allclose(t.sum(axis=1), 1.0)
    np.testing.assert_allclose(t[np.arange(12), labels], 1 - eps + eps / k)
    assert (t >= 0).all()


# -- penalties, checked against hand-computed updates -----------------------------------------
def test_first_epoch_l2_and_l1_are_the_decoupled_steps_of_the_plain_update():
    tr = trainer(technique="penalty", lam=0.05, lr=0.01)
    tr.advance(1)
    eta_lam = 0.01 * 0.05
    for w in tr.bank.weights:  # same init, same data → the same Adam step before the penalty
        plain, l1, l2 = w.detach()
        torch.testing.assert_close(l2, plain * (1 - 2 * eta_lam))
        torch.testing.assert_close(l1, torch.sign(plain) * torch.clamp(plain.abs() - eta_lam, min=0))
    for b in tr.bank.biases:  # biases are not penalized
        torch.testing.assert_close(b.detach()[1], b.detach()[0])
        torch.testing.assert_close(b.detach()[2], b.detach()[0])


def test_l1_yields_more_zeros_than_l2_at_equal_strength():
    tr = trainer(technique="penalty", lam=0.1, width=16)
    snap = tr.advance(400)
    ws = R.weight_stats(tr.cfg, snap.params)
    none, l1, l2 = range(3)
    assert ws["exact_zero"][l1] > 0.2 and ws["exact_zero"][l2] == 0 and ws["exact_zero"][none] == 0
    assert ws["near_zero"][l1] > ws["near_zero"][l2] + 0.2
    assert ws["l1"][l1] < ws["l1"][none] and ws["l2"][l2] < ws["l2"][none]


# -- dropout ------------------------------------------------------------------------------------
def test_dropout_eval_mode_is_deterministic_and_train_mode_is_not():
    tr = trainer(technique="dropout", dropout=0.5)
    snap = tr.advance(30)
    x = np.linspace(-1, 1, 7)[:, None]
    a, b = R.predict(tr.cfg, snap.params, x), R.predict(tr.cfg, snap.params, x)
    np.testing.assert_array_equal(a, b)
    s1 = R.dropout_samples(tr.cfg, snap.params[1], 0.5, x, 4, seed=1)
    s2 = R.dropout_samples(tr.cfg, snap.params[1], 0.5, x, 4, seed=1)
    np.testing.assert_array_equal(s1, s2)  # seeded
    assert np.abs(s1 - a[1]).max() > 1e-3 and np.abs(s1[0] - s1[1]).max() > 1e-3


def test_inverted_dropout_keeps_the_expected_output():
    gen = torch.Generator().manual_seed(0)
    bank = mlp_bank.Bank(1, (1, 16, 1), gen)  # one hidden layer: the output is linear in the mask
    x = torch.full((200_000, 1), 0.3)
    with torch.no_grad():
        eval_out = bank.forward(x[:1])[0, 0, 0].item()
        train_out = bank.forward(x, drop=torch.tensor([0.4]), gen=gen)[0, :, 0]
    assert train_out.mean().item() == pytest.approx(eval_out, abs=3 * train_out.std().item() / np.sqrt(len(x)))


def test_bank_equals_separate_torch_models():
    gen = torch.Generator().manual_seed(3)
    bank = mlp_bank.Bank(3, (2, 5, 4, 2), gen, same_init=False, dtype=torch.float64)
    x = torch.randn(6, 2, generator=gen, dtype=torch.float64)
    out = bank.forward(x)
    for k in range(3):
        h = x
        for li, (w, b) in enumerate(zip(bank.weights, bank.biases)):
            h = torch.nn.functional.linear(h, w[k].T, b[k, 0])
            h = torch.tanh(h) if li < 2 else h
        torch.testing.assert_close(out[k], h)
    np.testing.assert_allclose(mlp_bank.forward_flat(bank.sizes, bank.flat(), x.numpy()), out.detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    flat = bank.flat()
    other = mlp_bank.Bank(3, (2, 5, 4, 2), torch.Generator().manual_seed(9))
    other.load_flat(flat)
    np.testing.assert_array_equal(other.flat(), flat)


# -- training --------------------------------------------------------------------------------------
@pytest.mark.parametrize("technique,task", [("penalty", "regression"), ("dropout", "regression"),
                                            ("augmentation", "classification"), ("mixup", "regression"),
                                            ("label_smoothing", "classification"), ("ensemble", "classification"),
                                            ("early_stopping", "regression")])
def test_training_lowers_the_training_loss_and_is_deterministic(technique, task):
    kw = dict(technique=technique, task=task, bootstrap=False)  # bagged members never see some points
    a, b = trainer(**kw), trainer(**kw)
    first = a.snapshot.train.copy()
    sa, sb = a.advance(60), b.advance(60)
    np.testing.assert_array_equal(sa.params, sb.params)
    np.testing.assert_array_equal(sa.val, sb.val)
    assert (sa.train < first).all()
    assert sa.epoch == 60 and not sa.diverged
    other = trainer(**kw, seed=1).advance(60)
    assert not np.array_equal(other.params, sa.params)


def test_plain_network_overfits_and_validation_finds_the_best_epoch():
    tr = trainer(technique="early_stopping", n_train=12, width=32)
    snap = tr.advance(800)
    c = tr.curves()
    assert snap.train[0] < 0.3 * c["train"][0, 0]       # memorizes the training points
    assert snap.val[0] > snap.best_val[0] * 1.2         # …while the validation loss turned up
    best = int(snap.best_epoch[0])
    assert c["val"][c["epoch"] == best, 0][0] == pytest.approx(snap.best_val[0])
    replay = trainer(technique="early_stopping", n_train=12, width=32)
    replay.advance(best)
    np.testing.assert_array_equal(replay.bank.flat(), snap.best_params)  # the kept weights are that epoch's


def test_ensemble_average_beats_its_typical_member():
    tr = trainer(technique="ensemble", n_train=16, width=32, members=6)
    snap = tr.advance(400)
    assert snap.ens_test < snap.test.mean()
    preds = R.grid_predictions(tr.cfg, snap.params, 30)
    assert preds.shape == (6, 30) and preds.std(axis=0).max() > 0.05  # the members disagree


def test_bagging_gives_each_member_its_own_resample():
    tr = trainer(technique="ensemble", members=4, bootstrap=True)
    x, _ = tr._batch()
    assert x.shape == (4, tr.cfg.n_train, 1)
    for k in range(4):
        rows = tr._rows[k].numpy()
        torch.testing.assert_close(x[k], tr._x[rows])
    assert len({tuple(r.tolist()) for r in tr._rows}) == 4
    assert trainer(technique="ensemble", bootstrap=False)._rows is None


def test_augmentation_and_mixup_batches():
    tr = trainer(technique="augmentation", jitter=0.2)
    x, t = tr._batch()
    n = tr.cfg.n_train
    assert x.shape == (2, n * (1 + R.AUG_COPIES), 1)
    torch.testing.assert_close(x[0], tr._x.repeat(1 + R.AUG_COPIES, 1))  # plain model: the data as is
    torch.testing.assert_close(x[1, :n], tr._x)                           # originals kept…
    assert (x[1, n:] - tr._x.repeat(R.AUG_COPIES, 1)).abs().max() > 0.05  # …copies jittered
    tr = trainer(technique="mixup", task="classification", alpha=1.0)
    x, t = tr._batch()
    np.testing.assert_allclose(t.sum(-1).numpy(), 1.0, rtol=1e-6)
    assert ((t[1] > 0.01) & (t[1] < 0.99)).any()  # mixed soft targets
    x0 = tr._x.numpy()
    lo, hi = x0.min(0), x0.max(0)
    assert (x[1].numpy() >= lo - 1e-6).all() and (x[1].numpy() <= hi + 1e-6).all()  # convex mixes


def test_a_diverged_run_reports_and_stops():
    tr = trainer()
    tr.advance(2)
    bad = tr.bank.flat()
    bad[0, 0] = np.nan
    tr.bank.load_flat(bad)
    snap = tr.advance(3)
    assert snap.diverged and snap.epoch == 3
    assert tr.advance(5).epoch == 3


def test_state_dict_round_trip_continues_identically():
    a = trainer(technique="dropout")
    a.advance(10)
    state = a.state_dict()
    b = trainer(technique="dropout")
    b.load_state_dict(state)
    np.testing.assert_array_equal(a.advance(5).params, b.advance(5).params)


def test_config_validates_and_names_the_field():
    with pytest.raises(ValueError, match="^task:"):
        R.Config(technique="label_smoothing", task="regression")
    cfg, notes = R.Config.coerced(technique="label_smoothing", task="regression")
    assert cfg.task == "classification" and notes
    for field, bad in (("dropout", 0.95), ("lam", -1.0), ("width", 7), ("members", 9), ("lr", float("nan")),
                       ("n_train", 2)):
        with pytest.raises(ValueError, match=f"^{field}:"):
            R.Config(**{field: bad})


def test_log_is_thinned_but_keeps_its_shape():
    tr = trainer(width=8)
    R_MAX = R.MAX_LOG
    R.MAX_LOG = 50
    try:
        tr.advance(180)
    finally:
        R.MAX_LOG = R_MAX
    c = tr.curves()
    assert len(c["epoch"]) <= 51 and c["train"].shape == (len(c["epoch"]), 3)
    assert list(c["epoch"]) == sorted(c["epoch"]) and c["epoch"][0] == 0
    assert len(tr.curves(upto=90)["epoch"]) < len(c["epoch"])
