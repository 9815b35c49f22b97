"""The model zoo: architectures, parameter and MAC counts, seeded init, reference models."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from explorer.engines import zoo


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private reference-model cache and a one-epoch LeNet recipe (a second of training)."""
    monkeypatch.setenv(zoo.CACHE_ENV, str(tmp_path))
    monkeypatch.setitem(zoo.RECIPES, "lenet", zoo.Recipe(epochs=1, lr=2e-3))
    return tmp_path / "zoo"


# -- counting -----------------------------------------------------------------------------------------
def test_macs_of_one_conv_and_one_linear_layer_by_hand():
    """LeNet's conv1: 1 → 6 channels, 5×5, padding 2 on 28×28 → 28·28·6·(1·5·5) = 117,600 MACs.
    Its fc1: 400 → 120 → 400·120 = 48,000 MACs."""
    report = zoo.count_macs(zoo.build("lenet"))
    rows = {r.name: r for r in report.layers}
    assert rows["conv1"].macs == 28 * 28 * 6 * 1 * 5 * 5 == 117_600
    assert rows["conv1"].out_shape == (6, 28, 28) and rows["conv1"].params == 6 * 25 + 6
    assert rows["fc1"].macs == 400 * 120 == 48_000 and rows["fc1"].kind == "linear"
    assert rows["conv2"].macs == 10 * 10 * 16 * 6 * 25  # 5×5 valid conv: 14 → 10
    assert report.total == 117_600 + 240_000 + 48_000 + 120 * 84 + 84 * 10 == 416_520
    assert report.flops == 2 * report.total


def test_grouped_and_strided_convs_by_hand():
    m = nn.Sequential(nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.Conv2d(8, 4, 1))
    rows = zoo.count_macs(m, (8, 28, 28)).layers
    assert rows[0].macs == 14 * 14 * 8 * 1 * 9   # depthwise: one input channel per output channel
    assert rows[1].macs == 14 * 14 * 4 * 8


@pytest.mark.parametrize("arch", zoo.ARCHS)
@pytest.mark.parametrize("in_ch,n_classes", [(1, 10), (3, 5)])
def test_macs_agree_with_torch_flop_counter(arch, in_ch, n_classes):
    """torch's own FlopCounterMode counts 2 FLOPs per multiply-accumulate of convs and matmuls."""
    model = zoo.build(arch, in_ch, n_classes).eval()
    report = zoo.count_macs(model, (in_ch, 28, 28))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, in_ch, 28, 28))
    assert counter.get_total_flops() == 2 * report.total


def test_parameter_counts():
    assert zoo.count_params(zoo.build("lenet")) == 156 + 2416 + 48120 + 10164 + 850 == 61_706
    m = zoo.build("resnet")
    assert zoo.count_params(m) == sum(p.numel() for p in m.parameters())
    assert zoo.count_params(zoo.build("plain")) == zoo.count_params(m)  # option-A shortcuts: no parameters
    assert all(zoo.count_params(zoo.build(a)) < 200_000 for a in zoo.ARCHS)


# -- architectures ------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", zoo.ARCHS)
def test_every_architecture_runs_and_its_taps_are_maps(arch):
    model = zoo.build(arch, 3, 5, seed=1).eval()
    x = torch.rand(2, 3, 28, 28)
    out = model(x)
    assert out.shape == (2, 5) and torch.isfinite(out).all()
    seen = []
    hooks = [m.register_forward_hook(lambda _m, _i, o: seen.append(o.shape)) for _, m in model.tap_modules()]
    model(x)
    for h in hooks:
        h.remove()
    assert len(seen) == len(model.taps) >= 4 and all(len(s) == 4 and s[0] == 2 for s in seen)
    assert model.arch == arch and arch in zoo.INFO


def test_same_seed_same_weights_and_the_global_rng_is_untouched():
    state = torch.random.get_rng_state()
    a, b, c = zoo.build("densenet", seed=4), zoo.build("densenet", seed=4), zoo.build("densenet", seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert zoo.fingerprint(a) == zoo.fingerprint(b) != zoo.fingerprint(c)


def test_init_is_he_normal():
    """kaiming_normal_(fan_in, ReLU): weights N(0, 2/fan_in), biases 0."""
    m = zoo.build("vgg", seed=0)
    w = m.classifier[0].weight  # 288 → 128
    assert w.std().item() == pytest.approx(math.sqrt(2 / 288), rel=0.03) and abs(w.mean().item()) < 0.005
    conv = m.features[2]  # 8 → 8 channels, 3×3: fan_in 72
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / 72), rel=0.1)
    assert torch.equal(conv.bias, torch.zeros(8))
    head = m.classifier[-1]  # the output layer: small, so that the first loss is ≈ ln(classes)
    assert head.weight.std().item() == pytest.approx(0.01, rel=0.1)
    bn = zoo.build("resnet").stem[1]
    assert torch.equal(bn.weight, torch.ones(8)) and torch.equal(bn.running_var, torch.ones(8))


def test_skips_are_the_only_difference_between_resnet_and_plain():
    r, p = zoo.build("resnet", seed=2), zoo.build("plain", seed=2)
    assert [(n, t.shape) for n, t in r.named_parameters()] == [(n, t.shape) for n, t in p.named_parameters()]
    assert zoo.fingerprint(r) == zoo.fingerprint(p)  # the same weights
    x = torch.rand(3, 1, 28, 28)
    assert not torch.allclose(r.eval()(x), p.eval()(x))
    block = r.stages[1][0]  # 8 → 16 channels, stride 2: x[:, :, ::2, ::2] zero-padded to 16 channels
    h = torch.rand(1, 8, 28, 28)
    block.eval()
    body = block.bn2(block.conv2(F.relu(block.bn1(block.conv1(h)))))
    expected = F.relu(body + F.pad(h[:, :, ::2, ::2], (0, 0, 0, 0, 0, 8)))
    assert torch.allclose(block(h), expected, atol=1e-6)


def test_lrn_equals_torch_local_response_norm():
    x = torch.randn(2, 9, 5, 5) * 4
    for size, alpha in ((5, 1e-4), (3, 0.5), (4, 2.0)):
        ours = zoo.LRN(size, alpha, 0.75, 1.0)(x)
        ref = nn.LocalResponseNorm(size, alpha, 0.75, 1.0)(x)
        assert torch.allclose(ours, ref, rtol=1e-5, atol=1e-6), size


def test_squeeze_excitation_scales_channels_into_0_1():
    se = zoo.SqueezeExcite(6, 2)
    x = torch.rand(2, 6, 4, 4) + 0.1
    ratio = se(x) / x
    assert ((ratio > 0) & (ratio < 1)).all()
    assert torch.allclose(ratio, ratio[:, :, :1, :1].expand_as(ratio))  # one scale per channel


def test_mbconv_residual_only_when_shapes_match():
    assert zoo.MBConv(16, 16, 6, 3, 1).residual and not zoo.MBConv(16, 24, 6, 3, 1).residual
    assert not zoo.MBConv(16, 16, 6, 3, 2).residual


def test_standardize_reads_zero_one_images():
    m = zoo.build("lenet", mean=(0.2,), std=(0.4,))
    assert torch.allclose(m.input_norm(torch.full((1, 1, 2, 2), 0.6)), torch.ones(1, 1, 2, 2))
    mean, std = zoo.channel_stats(np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2))
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 2, 2)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(std, x.std(axis=(0, 2, 3), ddof=1))


def test_random_shift_moves_each_image_by_an_offset_within_range():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(16, 2, 9, 9) + 0.5  # no zeros, so the fill is recognisable
    out = zoo.random_shift(x, gen, 2)
    offsets = set()
    for a, b in zip(x, out):
        match = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if torch.equal(b, _shift(a, dy, dx))]
        assert len(match) == 1
        offsets.add(match[0])
    assert len(offsets) > 5
    assert torch.equal(zoo.random_shift(x, gen, 0), x)


def _shift(a: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """a moved down by dy and right by dx, zeros where nothing moved in."""
    out = torch.zeros_like(a)
    h, w = a.shape[-2:]
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = a[:, max(-dy, 0):h - max(dy, 0),
                                                                    max(-dx, 0):w - max(dx, 0)]
    return out


def test_build_validates():
    with pytest.raises(ValueError, match="arch"):
        zoo.build("inception")
    with pytest.raises(ValueError, match="in_ch"):
        zoo.build("lenet", in_ch=2)


# -- training -------------------------------------------------------------------------------------------
def test_fit_lowers_the_loss_and_is_deterministic():
    data = zoo.data_for("mnist")
    x, y, _, _ = zoo.tensors(data)
    x, y = x[:512], y[:512]
    mean, std = zoo.channel_stats(x.numpy())
    runs = []
    for _ in range(2):
        m = zoo.build("lenet", seed=3, mean=mean, std=std)
        before = zoo.evaluate(m, x, y)[0]
        log = zoo.fit(m, x, y, zoo.Recipe(epochs=4, lr=3e-3, batch_size=32), seed=3)
        runs.append((zoo.fingerprint(m), log["train_loss"]))
        assert zoo.evaluate(m, x, y)[0] < 0.5 * before and not log["diverged"]
        assert log["train_loss"][-1] < log["train_loss"][0]
        assert len(log["seconds_per_epoch"]) == 4 and all(s > 0 for s in log["seconds_per_epoch"])
    assert runs[0] == runs[1]


def test_fit_reports_divergence():
    data = zoo.data_for("mnist")
    x, y, _, _ = zoo.tensors(data)
    m = zoo.build("lenet")
    with torch.no_grad():
        m.fc3.weight.fill_(float("nan"))
    log = zoo.fit(m, x[:128], y[:128], zoo.Recipe(epochs=2))
    assert log["diverged"] and log["train_loss"] == []


# -- reference models -----------------------------------------------------------------------------------
def test_reference_is_trained_once_cached_on_disk_and_read_only(cache):
    model, card = zoo.reference("lenet", "mnist")
    weights, meta = zoo.paths("lenet", "mnist")
    assert weights.parent == cache and weights.exists() and meta.exists()
    on_disk = json.loads(meta.read_text())
    assert on_disk["params"] == 61_706 and on_disk["macs"] == 416_520 and on_disk["recipe"]["epochs"] == 1
    assert 0.8 < card["test_acc"] <= 1.0 and card["n_train"] == 4000 and card["classes"][0] == "0"
    assert zoo.is_cached("lenet", "mnist") and zoo.reference_card("lenet", "mnist")["test_acc"] == card["test_acc"]
    assert zoo.reference_model("lenet", "mnist") is model  # in memory: the same shared object
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    with pytest.raises(RuntimeError, match="session_copy"):
        model.train()
    model.eval()  # allowed
    # a fresh process would load it from disk: the same weights, no training
    zoo._LOADED.clear()
    again = zoo.reference_model("lenet", "mnist")
    assert again is not model and zoo.fingerprint(again) == zoo.fingerprint(model)


def test_session_copy_is_private(cache):
    ref = zoo.reference_model("lenet", "mnist")
    before = zoo.fingerprint(ref)
    mine = zoo.session_copy(ref)
    assert all(p.requires_grad for p in mine.parameters()) and not getattr(mine, "_reference", False)
    mine.train()
    x = torch.rand(8, 1, 28, 28)
    F.cross_entropy(mine(x), torch.zeros(8, dtype=torch.long)).backward()
    with torch.no_grad():
        for p in mine.parameters():
            p -= 0.1 * p.grad
    assert zoo.fingerprint(ref) == before != zoo.fingerprint(mine)


def test_reference_training_is_deterministic(cache):
    a, card_a = zoo.train_reference("lenet", "mnist")
    b, card_b = zoo.train_reference("lenet", "mnist")
    assert zoo.fingerprint(a) == zoo.fingerprint(b) and card_a["test_acc"] == card_b["test_acc"]


def test_damaged_cache_file_is_rebuilt(cache):
    zoo.reference("lenet", "mnist")
    weights, _ = zoo.paths("lenet", "mnist")
    weights.write_bytes(b"not a safetensors file")
    zoo._LOADED.clear()
    model, card = zoo.reference("lenet", "mnist")
    assert card["test_acc"] > 0.8 and weights.stat().st_size > 100_000


def test_rebuild_command(cache, capsys):
    assert zoo.main(["--rebuild", "--only", "lenet:mnist"]) == 0
    assert "lenet" in capsys.readouterr().out and zoo.paths("lenet", "mnist")[0].exists()
    assert zoo.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "lenet" in out and "not built" in out
    with pytest.raises(SystemExit):
        zoo.main(["--rebuild", "--only", "lenet:cifar"])


def test_reference_arguments_are_validated(cache):
    with pytest.raises(ValueError, match="dataset"):
        zoo.reference("lenet", "digits")
    with pytest.raises(ValueError, match="arch"):
        zoo.reference("googlenet", "mnist")


def test_last_map_penalty_is_the_mean_abs_of_the_last_tap_and_unhooks():
    model = zoo.build("wsl", 3, 5, seed=0)
    last = model.tap_modules()[-1][1]
    x = torch.rand(4, 3, 28, 28)
    with zoo.last_map_penalty(model, 2.5) as penalty:
        assert last._forward_hooks
        seen = []
        probe = last.register_forward_hook(lambda _m, _i, o: seen.append(o))
        model(x)
        probe.remove()
        torch.testing.assert_close(penalty(), 2.5 * seen[0].abs().mean())
    assert not last._forward_hooks
    with zoo.last_map_penalty(model, 0.0) as penalty:
        assert penalty() == 0.0 and not last._forward_hooks


def test_the_wsl_recipe_makes_the_last_map_sparser():
    """The same net and batches with and without the recipe's L1 term: the penalized net's last
    feature map ends with a smaller mean |activation| on test images (measured 0.08 vs 0.33 after
    3 epochs on 1,000 images; after only a few steps BatchNorm's running statistics still lag)."""
    data = zoo.data_for("shapes")
    x, y = torch.tensor(data.x_train[:1000]), torch.tensor(data.y_train[:1000])
    means = []
    for l1 in (0.0, zoo.RECIPES["wsl"].activation_l1):
        model = zoo.build("wsl", 3, 5, seed=0)
        zoo.fit(model, x, y, zoo.Recipe(epochs=3, lr=3e-3, activation_l1=l1), seed=0)
        seen = []
        hook = model.tap_modules()[-1][1].register_forward_hook(lambda _m, _i, o: seen.append(o))
        with torch.no_grad():
            model(torch.tensor(data.x_test[:128]))
        hook.remove()
        means.append(float(seen[0].abs().mean()))
    assert means[1] < 0.5 * means[0]
