"""The tiny ViT: patches, patch embedding = a strided convolution, [CLS] attention, rollout, training."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer.engines import vit


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def data():
    return vit.make_data(0)


def test_data_are_mnist_digits_split_by_seed(data):
    assert data.x_train.shape == (vit.N_TRAIN, 28, 28) and data.x_test.shape == (vit.N_TEST, 28, 28)
    assert 0.0 <= float(data.x_train.min()) and float(data.x_train.max()) <= 1.0
    assert set(data.y_train.tolist()) == set(range(10))
    other = vit.make_data(1)
    assert not torch.equal(data.y_train[:50], other.y_train[:50])
    # the same 5,000 images either way
    assert sorted(torch.cat([data.y_train, data.y_test]).tolist()) == sorted(
        torch.cat([other.y_train, other.y_test]).tolist())


@pytest.mark.parametrize("p", vit.PATCHES)
def test_patches_are_blocks_in_reading_order_and_invert(p):
    x = torch.arange(2 * 28 * 28, dtype=torch.float32).reshape(2, 28, 28)
    patches = vit.patchify(x, p)
    g = 28 // p
    assert patches.shape == (2, g * g, p * p)
    torch.testing.assert_close(patches[1, 0], x[1, :p, :p].reshape(-1))
    torch.testing.assert_close(patches[0, 1], x[0, :p, p:2 * p].reshape(-1))
    torch.testing.assert_close(patches[0, g], x[0, p:2 * p, :p].reshape(-1))
    torch.testing.assert_close(vit.unpatchify(patches, p), x)


def test_patch_embedding_equals_a_strided_convolution():
    model = vit.build(vit.Config(patch=7, d_model=16))
    x = torch.rand(3, 28, 28, generator=torch.Generator().manual_seed(0))
    ours = model.embed(vit.patchify(x, 7))                               # [3, 16, d]
    w = model.embed.weight.reshape(16, 1, 7, 7)                          # d out channels, 7×7 kernels
    conv = F.conv2d(x[:, None], w, model.embed.bias, stride=7)           # [3, d, 4, 4]
    torch.testing.assert_close(ours, conv.flatten(2).transpose(1, 2), rtol=1e-5, atol=1e-5)


def test_rollout_of_identity_attention_is_the_class_token_itself():
    eye = torch.eye(5).expand(2, 3, 5, 5)
    torch.testing.assert_close(vit.rollout(eye), torch.eye(5)[0])
    uniform = torch.full((1, 2, 4, 4), 0.25)
    r = vit.rollout(uniform)                       # ½(U + I): [CLS] keeps 5/8 on itself, 1/8 on each other
    torch.testing.assert_close(r, torch.tensor([0.625, 0.125, 0.125, 0.125]))


def test_config_validation():
    for kw, field in ((dict(patch=5), "patch"), (dict(heads=3), "heads"), (dict(epochs=0), "epochs"),
                      (dict(learning_rate=2.0), "learning_rate")):
        with pytest.raises(ValueError, match=field):
            vit.Config(**kw)


def small(data, n=600):
    return vit.Data(data.x_train[:n], data.y_train[:n], data.x_test[:300], data.y_test[:300])


def test_training_is_deterministic_and_beats_chance(data):
    cfg = vit.Config(patch=7, epochs=3, batch_size=32)
    a, b = vit.train(cfg, small(data)), vit.train(cfg, small(data))
    np.testing.assert_array_equal(a.losses, b.losses)
    assert a.test_acc == b.test_acc and a.test_acc > 0.4
    assert a.losses[-10:].mean() < a.losses[:5].mean()
    c = vit.train(vit.Config(patch=7, epochs=3, batch_size=32, seed=1), small(data))
    assert not np.array_equal(a.losses, c.losses)


def test_look_gives_distributions_of_the_class_token(data):
    cfg = vit.Config(patch=7, epochs=1, layers=2, heads=2)
    model = vit.train(cfg, small(data, 200)).model
    lk = vit.look(model, data.x_test[0])
    assert lk.cls.shape == (2, 2, 4, 4) and lk.rollout.shape == (4, 4) and lk.embedded.shape == (16, cfg.d_model)
    np.testing.assert_allclose(lk.cls.sum(axis=(2, 3)) + lk.cls_self, 1.0, atol=1e-5)
    assert 0 < lk.rollout.sum() < 1 and np.isclose(lk.probs.sum(), 1.0, atol=1e-5)
    np.testing.assert_array_equal(lk.patches, vit.patchify(data.x_test[:1], 7)[0].numpy())
