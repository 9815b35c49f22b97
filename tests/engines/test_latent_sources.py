"""The explorer's source registry: every zoo model is listed, the Playground MLP as torch equals the
Playground engine's own forward, LeNet's source taps the right layers, broken modules are left out."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer.engines import embeddings as emb
from explorer.engines import latent_sources as ls
from explorer.engines import playground as pg
from explorer.engines import zoo


def test_every_zoo_architecture_on_both_datasets_is_registered():
    for ds in zoo.DATASETS:
        for arch in zoo.ARCHS:
            s = ls.SOURCES[f"{arch}-{ds}"]
            assert (s.arch, s.dataset) == (arch, ds) and zoo.INFO[arch].label in s.label
    assert {"playground", "mine", "autoencoder", "vae", "ssl"} <= set(ls.SOURCES)
    ok, why = ls.available()
    ids = [s.id for s in ok]
    assert ids[:2] == ["lenet-mnist", "playground"]
    assert set(ids) | set(why) == set(ls.SOURCES) and not set(ids) & set(why)


def test_a_missing_or_incomplete_module_is_left_out_with_a_reason():
    mod, why = ls._import("explorer.engines.no_such_engine_here")
    assert mod is None and "no_such_engine_here" in why and "ModuleNotFoundError" in why
    mod, why = ls._import("explorer.engines.contract")  # imports fine, but has no explorable()
    assert mod is None and "explorable" in why
    with pytest.raises(ValueError, match="source"):
        ls.load("mine")
    with pytest.raises(ValueError, match="source"):
        ls.load("nonsense")


@pytest.mark.parametrize("kw", [{}, {"hidden": (3, 5, 2), "activation": "relu", "features": ("x", "y", "x2", "sinx")},
                                {"dataset": "blobs", "classes": 4, "loss": "cross_entropy", "hidden": (6,)},
                                {"problem": "regression", "hidden": (4,), "activation": "sigmoid"}])
def test_the_playground_mlp_in_torch_equals_the_engines_forward(kw):
    cfg = pg.Config(**kw)
    tr = pg.Trainer(cfg)
    tr.advance(5)
    got = ls.playground_explorable(cfg, tr.theta, tr.data, "test")
    ex = got.ex
    n_train = len(tr.data.train_xy)
    assert ex.kind == "points" and ex.x.shape == (n_train + len(tr.data.test_xy), 2)
    assert got.is_test.sum() == len(tr.data.test_xy) and not got.is_test[:n_train].any()
    acts = pg.forward(cfg, tr.theta, pg.features(cfg, ex.x.astype(np.float64)))
    assert len(ex.taps) == len(cfg.hidden) + 1
    for i, (_, tap) in enumerate(ex.taps[:-1]):
        np.testing.assert_allclose(emb.activations(ex.model, tap, ex.x), acts[i + 1], rtol=1e-5, atol=1e-6)
    if cfg.problem == "regression":
        assert ex.predict is None
        np.testing.assert_allclose(ex.model(ex.x).numpy()[:, 0], acts[-1][:, 0], rtol=1e-6, atol=1e-9)
        return
    prob = torch.softmax(ex.predict(ex.x), 1).numpy()
    if cfg.multiclass:
        np.testing.assert_allclose(prob, acts[-1], rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(ex.y, np.concatenate([tr.data.train_y, tr.data.test_y]))
    else:  # p(+1) from the tanh output
        np.testing.assert_allclose(prob[:, 1], (acts[-1][:, 0] + 1) / 2, rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(ex.y, np.concatenate([tr.data.train_y, tr.data.test_y]) > 0)


def test_the_default_playground_model_is_trained_and_deterministic():
    a = ls.playground_default(0)
    b = ls.playground_default.__wrapped__(0)
    assert a.ex.note.startswith("The Playground's default network")
    x = torch.tensor(a.ex.x)
    np.testing.assert_array_equal(a.ex.model(x).numpy(), b.ex.model(x).numpy())
    p = emb.predictions(a.ex.predict, a.ex.x, a.ex.y)
    assert p.accuracy > 0.9  # the circle is easy for 4-2 tanh after 300 epochs
    assert a.ex.taps[a.auto_tap][0].startswith("hidden layer 2")


def test_lenet_source_taps_its_maps_penultimate_and_logits():
    got = ls.load("lenet-mnist")
    ex, d = got.ex, zoo.data_for("mnist")
    labels = [t[0] for t in ex.taps]
    assert labels == [t[0] for t in zoo.build("lenet").tap_modules()] + ["classifier input (penultimate)", "logits"]
    assert ex.x.shape == (5000, 1, 28, 28) and got.is_test.sum() == len(d.x_test) and got.is_test[:1000].all()
    np.testing.assert_array_equal(ex.x[:3], d.x_test[:3])
    assert ex.taps[got.auto_tap][0] == "classifier input (penultimate)"
    ref = zoo.reference_model("lenet", "mnist")
    assert ex.model is not ref and zoo.fingerprint(ex.model) == zoo.fingerprint(ref)
    before = zoo.fingerprint(ref)
    x = ex.x[:64]
    pen = emb.activations(ex.model, ex.taps[-2][1], x)
    logits = emb.activations(ex.model, ex.taps[-1][1], x)
    np.testing.assert_allclose(logits, pen @ ref.fc3.weight.numpy().T + ref.fc3.bias.numpy(), rtol=1e-4, atol=1e-4)
    p = emb.predictions(ex.predict, x, ex.y[:64])
    np.testing.assert_allclose(p.loss, F.cross_entropy(torch.tensor(logits).double(), torch.tensor(ex.y[:64]),
                                                       reduction="none").numpy(), rtol=1e-5, atol=1e-6)
    assert p.accuracy > 0.85 and zoo.fingerprint(ref) == before


def test_every_external_engine_that_exists_is_offered():
    import importlib.util

    ok, why = ls.available()
    ids = {s.id for s in ok}
    for sid, _, module in ls.EXTERNAL:
        if importlib.util.find_spec(module) is not None:
            assert sid in ids, why.get(sid)
