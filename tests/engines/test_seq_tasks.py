"""The toy sequence tasks: each target is what its rule says, deterministic by seed."""
import datetime as dt

import numpy as np
import pytest

from explorer.engines import seq_tasks as T


@pytest.mark.parametrize("task", T.TASKS)
def test_same_seed_same_examples_and_declared_kind(task):
    a, b, c = T.make(task, 64, 8, seed=3), T.make(task, 64, 8, seed=3), T.make(task, 64, 8, seed=4)
    assert a.kind == T.KIND[task]
    np.testing.assert_array_equal(a.src, b.src)
    np.testing.assert_array_equal(a.tgt, b.tgt)
    assert not np.array_equal(a.src, c.src)
    assert len(a) == 64


def test_seq2seq_rules():
    for task, rule in (("copy", lambda s: s), ("reverse", lambda s: s[::-1]), ("sort", sorted)):
        ex = T.make(task, 50, 7, seed=1)
        for s, t in zip(ex.src, ex.tgt):
            assert T.decode(t, ex.vocab_out) == [ex.vocab_in[i] for i in rule(list(s))]
            assert t[-1] == T.EOS


def test_parity_and_adding_and_modular_addition():
    ex = T.make("parity", 20, 12, seed=0)
    bits = ex.src - 3
    assert np.array_equal(ex.tgt[:, -1], bits.sum(1) % 2)
    ad = T.make("adding", 100, 10, seed=0)
    assert np.all(ad.src[:, :, 1].sum(1) == 2)
    np.testing.assert_allclose(ad.tgt, (ad.src[:, :, 0] * ad.src[:, :, 1]).sum(1), rtol=1e-6)
    m = T.make("modular_add", 200, modulus=11, seed=0)
    a, b, c = m.src[:, 0] - 3, m.src[:, 2] - 3, m.tgt[:, 0] - 3
    assert np.array_equal(c, (a + b) % 11) and m.tgt.shape == (200, 2)


def test_brackets_labels_and_balance():
    ex = T.make("brackets", 400, 10, seed=2)
    for s, y in zip(ex.src, ex.tgt):
        depth = np.cumsum(np.where(s == 3, 1, -1))
        assert y == int(depth[-1] == 0 and depth.min() >= 0)
    assert 0.35 < ex.tgt.mean() < 0.65
    counts_equal = (ex.src == 3).sum(1) == (ex.src == 4).sum(1)
    assert counts_equal[ex.tgt == 0].any()  # some negatives cannot be told apart by counting


def test_dates_are_iso_of_the_same_day():
    ex = T.make("date", 100, seed=5)
    for s, t in zip(ex.src, ex.tgt):
        iso = "".join(T.decode(t, ex.vocab_out))
        day = dt.date.fromisoformat(iso)
        text = "".join(T.decode(s, ex.vocab_in))
        assert text in {T.date_text(day, f) for f in range(len(T.DATE_FORMATS))}


def test_encode_decode_split_and_bad_input():
    ids = T.encode("312", T.DIGITS, width=5)
    assert ids.tolist() == [6, 4, 5, 0, 0] and T.decode(ids, T.DIGITS) == ["3", "1", "2"]
    with pytest.raises(ValueError, match="text"):
        T.encode("3x", T.DIGITS)
    with pytest.raises(ValueError, match="n"):
        T.make("copy", 0)
    tr, te = T.split(T.make("copy", 100, seed=0), 0.25, seed=1)
    assert len(tr) == 75 and len(te) == 25
    dec = T.decoder_input(np.array([[5, 6, T.EOS]]))
    assert dec.tolist() == [[T.BOS, 5, 6]]
