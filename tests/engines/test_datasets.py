"""The peer's dataset rules: counts, ranges, label semantics, draw order."""
import numpy as np
import pytest

from explorer.engines import datasets2d
from explorer.engines.rng import NumpyRandom, SeedRandom


@pytest.mark.parametrize("name", list(datasets2d.CLASSIFY) + list(datasets2d.REGRESS))
def test_counts_and_split(name):
    tr_xy, tr_y, te_xy, te_y = datasets2d.generate(SeedRandom("s"), name, 0.2, 30, classes=4)
    n = datasets2d.N_REGRESS if name in datasets2d.REGRESS else datasets2d.N_CLASSIFY
    if name in datasets2d.MULTICLASS:
        n = (n // 4) * 4
    assert len(tr_y) + len(te_y) == n and len(tr_y) == int(n * 30 / 100)
    assert tr_xy.shape == (len(tr_y), 2) and np.isfinite(tr_xy).all()


def test_circle_labels_follow_radius_without_noise():
    xy, y, _, _ = datasets2d.generate(SeedRandom("c"), "circle", 0.0, 100)
    r = np.hypot(xy[:, 0], xy[:, 1])
    assert np.array_equal(y, np.where(r < 2.5, 1.0, -1.0)) and r.max() <= 5


def test_noise_flips_circle_labels_but_not_positions():
    a = datasets2d.generate(SeedRandom("c"), "circle", 0.0, 100)
    b = datasets2d.generate(SeedRandom("c"), "circle", 0.5, 100)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[1], b[1])


def test_xor_padding_and_labels():
    xy, y, _, _ = datasets2d.generate(NumpyRandom("x"), "xor", 0.0, 100)
    assert (np.abs(xy) >= 0.3).all() and (np.abs(xy) <= 5.3).all()
    assert np.array_equal(y, np.where(xy[:, 0] * xy[:, 1] >= 0, 1.0, -1.0))


def test_regression_labels():
    xy, y, _, _ = datasets2d.generate(SeedRandom("r"), "reg-plane", 0.0, 100)
    np.testing.assert_allclose(y, (xy[:, 0] + xy[:, 1]) / 10, atol=1e-12)
    xy, y, _, _ = datasets2d.generate(SeedRandom("r"), "reg-gauss", 0.0, 100)
    assert np.abs(y).max() <= 1 and (np.abs(xy) <= 6).all()


def test_multiclass_labels():
    _, y, _, _ = datasets2d.generate(NumpyRandom("m"), "blobs", 0.1, 100, classes=5)
    assert sorted(set(y.tolist())) == [0, 1, 2, 3, 4]
