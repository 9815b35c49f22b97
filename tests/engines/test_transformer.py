"""Attention against PyTorch's own, masks that forbid what they must, positional encodings
against closed forms, the step-by-step matrices, and the live run (determinism, learning)."""
import datetime as dt
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import seq_tasks as T
from explorer.engines import transformer as tr


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread, as in the app: on a busy 2-core machine two threads thrash (≈40× slower)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# -- attention = PyTorch's -------------------------------------------------------------------------

def test_attention_equals_sdpa_without_a_mask():
    q, k, v = rand(2, 3, 5, 4, seed=1), rand(2, 3, 7, 4, seed=2), rand(2, 3, 7, 6, seed=3)
    out, w = tr.attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3, 5, dtype=torch.float64))


def test_attention_equals_sdpa_with_a_boolean_mask_and_causal():
    q, k, v = rand(2, 2, 6, 4, seed=4), rand(2, 2, 6, 4, seed=5), rand(2, 2, 6, 3, seed=6)
    mask = torch.rand(2, 1, 6, 6, generator=torch.Generator().manual_seed(7)) > 0.4
    mask[..., 0] = True  # every query may see at least one key
    out, w = tr.attention(q, k, v, mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), rtol=1e-12, atol=1e-12)
    assert (w[~mask.expand_as(w)] == 0).all()
    out_c, w_c = tr.attention(q, k, v, tr.causal_mask(6))
    torch.testing.assert_close(out_c, F.scaled_dot_product_attention(q, k, v, is_causal=True), rtol=1e-12,
                               atol=1e-12)
    assert (torch.triu(w_c, diagonal=1) == 0).all() and (w_c.diagonal(dim1=-2, dim2=-1) > 0).all()


def test_a_row_with_no_allowed_key_gives_zeros_not_nan():
    q, k, v = rand(1, 3, 4), rand(1, 3, 4, seed=1), rand(1, 3, 2, seed=2)
    mask = torch.tensor([[True, False, True], [False, False, False], [True, True, True]])
    out, w = tr.attention(q.requires_grad_(), k, v, mask)
    assert torch.isfinite(out).all() and (w[0, 1] == 0).all() and (out[0, 1] == 0).all()
    out.sum().backward()
    assert torch.isfinite(q.grad).all()


@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_module_equals_nn_multihead_attention(masked):
    d, h = 8, 2
    ours = tr.build(lambda: tr.MultiHeadAttention(d, h), seed=3).double()
    ref = nn.MultiheadAttention(d, h, batch_first=True).double()
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.q.weight, ours.k.weight, ours.v.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.q.bias, ours.k.bias, ours.v.bias]))
        ref.out_proj.weight.copy_(ours.o.weight)
        ref.out_proj.bias.copy_(ours.o.bias)
    x = rand(3, 5, d, seed=9)
    mask = tr.causal_mask(5) if masked else None
    y, w = ours(x, mask=None if mask is None else mask[None, None])
    y_ref, w_ref = ref(x, x, x, attn_mask=None if mask is None else ~mask, need_weights=True,
                       average_attn_weights=False)
    torch.testing.assert_close(y, y_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(w, w_ref, rtol=1e-10, atol=1e-10)


# -- masks forbid what they must --------------------------------------------------------------------

def test_causal_attention_output_at_t_ignores_future_tokens_exactly():
    q, k, v = rand(1, 6, 4), rand(1, 6, 4, seed=1), rand(1, 6, 4, seed=2)
    k2, v2 = k.clone(), v.clone()
    k2[:, 4:], v2[:, 4:] = rand(1, 2, 4, seed=3), rand(1, 2, 4, seed=4)   # change positions 4 and 5
    a, wa = tr.attention(q, k, v, tr.causal_mask(6))
    b, wb = tr.attention(q, k2, v2, tr.causal_mask(6))
    assert torch.equal(a[:, :4], b[:, :4]) and torch.equal(wa[:, :4], wb[:, :4])
    assert not torch.equal(a[:, 4:], b[:, 4:])


def test_decoder_logits_at_t_do_not_change_when_later_tokens_change():
    model = tr.build(lambda: tr.Seq2Seq(13, 16, 2, 2, "sinusoidal"), seed=0).eval()
    src = torch.tensor([[3, 4, 5, 6, 7]])
    dec = torch.tensor([[T.BOS, 7, 6, 5, 4]])
    dec2 = dec.clone()
    dec2[0, 3:] = torch.tensor([11, 12])
    with torch.no_grad():
        a, b = model(src, dec), model(src, dec2)
    torch.testing.assert_close(a[:, :3], b[:, :3], rtol=0, atol=1e-6)
    assert (a[:, 3:] - b[:, 3:]).abs().max() > 1e-3
    _, ws, wx = model.decode(dec, *model.encode(src)[:2])
    for w in ws:
        assert (torch.triu(w[0], diagonal=1) == 0).all()


def test_padding_keys_get_zero_weight_and_extra_padding_changes_nothing():
    model = tr.build(lambda: tr.Seq2Seq(13, 16, 2, 2, "learned"), seed=1).eval()
    src = torch.tensor([[3, 9, 4, 8]])
    padded = torch.tensor([[3, 9, 4, 8, T.PAD, T.PAD]])
    dec = torch.tensor([[T.BOS, 8, 4]])
    with torch.no_grad():
        mem, _, ws = model.encode(padded)
        mem0, _, _ = model.encode(src)
        torch.testing.assert_close(mem[:, :4], mem0, rtol=0, atol=1e-5)
        assert all((w[..., 4:] == 0).all() for w in ws)
        torch.testing.assert_close(model(padded, dec), model(src, dec), rtol=0, atol=1e-5)


def test_the_encoder_is_bidirectional():
    model = tr.build(lambda: tr.Seq2Seq(13, 16, 2, 1, "sinusoidal"), seed=2).eval()
    with torch.no_grad():
        a, _, _ = model.encode(torch.tensor([[3, 4, 5, 6]]))
        b, _, _ = model.encode(torch.tensor([[3, 4, 5, 12]]))
    assert (a[0, 0] - b[0, 0]).abs().max() > 1e-4   # the first position sees the last one


def test_build_leaves_the_global_rng_alone_and_depends_on_the_seed_only():
    state = torch.get_rng_state()
    a = tr.build(lambda: tr.Seq2Seq(13, 16, 2, 1, "learned"), seed=5)
    assert torch.equal(state, torch.get_rng_state())
    torch.manual_seed(123)
    b = tr.build(lambda: tr.Seq2Seq(13, 16, 2, 1, "learned"), seed=5)
    c = tr.build(lambda: tr.Seq2Seq(13, 16, 2, 1, "learned"), seed=6)
    for (n, p), (_, q), (_, r) in zip(a.named_parameters(), b.named_parameters(), c.named_parameters()):
        assert torch.equal(p, q), n
    assert any(not torch.equal(p, r) for p, r in zip(a.parameters(), c.parameters()))


# -- positional encodings ---------------------------------------------------------------------------

def test_sinusoidal_matches_the_closed_form_and_depends_on_offsets_only():
    n, d = 20, 10
    pe = tr.sinusoidal(n, d)
    for p in range(n):
        for i in range(d // 2):
            w = 1 / 10000 ** (2 * i / d)
            assert math.isclose(pe[p, 2 * i], math.sin(p * w), abs_tol=1e-12)
            assert math.isclose(pe[p, 2 * i + 1], math.cos(p * w), abs_tol=1e-12)
    sim = pe @ pe.T
    for k in range(1, 5):
        np.testing.assert_allclose(np.diagonal(sim, k), np.diagonal(sim, k)[0], atol=1e-12)
    # PE[p + k] is a fixed rotation of PE[p] in every (sin, cos) pair
    k = 3
    w = 1 / 10000 ** (np.arange(0, d, 2) / d)
    rot_s = pe[:-k, 0::2] * np.cos(k * w) + pe[:-k, 1::2] * np.sin(k * w)
    np.testing.assert_allclose(rot_s, pe[k:, 0::2], atol=1e-12)


def test_rope_equals_complex_multiplication_keeps_norms_and_is_relative():
    x = rand(2, 7, 8)
    y = tr.apply_rope(x)
    ang = tr.rope_angles(torch.arange(7), 8)
    z = torch.view_as_complex(x.reshape(2, 7, 4, 2).contiguous()) * torch.polar(torch.ones_like(ang), ang)
    torch.testing.assert_close(y, torch.view_as_real(z).reshape(2, 7, 8), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    q, k = rand(8, seed=1), rand(8, seed=2)

    def score(m, n):
        qm = tr.apply_rope(q[None], torch.tensor([m]))[0]
        kn = tr.apply_rope(k[None], torch.tensor([n]))[0]
        return float(qm @ kn)

    assert math.isclose(score(3, 1), score(10, 8), rel_tol=1e-5)
    assert math.isclose(score(0, 0), float(q @ k), rel_tol=1e-9)
    s = tr.rope_scores(9, 8)
    for off in range(-3, 4):
        np.testing.assert_allclose(np.diagonal(s, off), np.diagonal(s, off)[0], atol=1e-9)
    track = tr.rope_pair_track(10, 8, 0)
    np.testing.assert_allclose(np.linalg.norm(track, axis=1), np.linalg.norm(track[0]), atol=1e-12)


# -- the step-by-step matrices -----------------------------------------------------------------------

@pytest.mark.parametrize("heads,causal", [(1, False), (2, True), (4, False)])
def test_step_by_step_intermediates_agree_with_each_other_and_with_sdpa(heads, causal):
    s = tr.step_by_step("the cat sat on the mat", heads, causal)
    n, d = s.x.shape
    assert s.tokens == ("the", "cat", "sat", "on", "the", "mat") and d == tr.STEP_D
    np.testing.assert_allclose(s.emb[0], s.emb[4])                 # same word, same embedding …
    assert not np.allclose(s.x[0], s.x[4])                          # … different place, different input
    np.testing.assert_allclose(s.q, s.x @ s.wq, atol=1e-12)
    dk = d // heads
    qh = s.q.reshape(n, heads, dk).transpose(1, 0, 2)
    kh = s.k.reshape(n, heads, dk).transpose(1, 0, 2)
    vh = s.v.reshape(n, heads, dk).transpose(1, 0, 2)
    np.testing.assert_allclose(s.scores, qh @ kh.transpose(0, 2, 1), atol=1e-12)
    np.testing.assert_allclose(s.scaled, s.scores / math.sqrt(dk), atol=1e-12)
    np.testing.assert_allclose(s.weights.sum(-1), 1.0, atol=1e-12)
    sdpa = F.scaled_dot_product_attention(torch.tensor(qh), torch.tensor(kh), torch.tensor(vh), is_causal=causal)
    np.testing.assert_allclose(s.heads_out, sdpa.numpy(), atol=1e-12)
    np.testing.assert_allclose(s.out, s.concat @ s.wo, atol=1e-12)
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    if causal:
        assert np.isneginf(s.masked[:, upper]).all() and (s.weights[:, upper] == 0).all()
    else:
        assert np.isfinite(s.masked).all() and (s.weights > 0).all()


def test_future_change_is_exactly_zero_before_the_last_word_only_when_causal():
    causal, bidir = tr.future_change("one two three four five")
    assert (causal[:-1] == 0).all() and causal[-1] > 0
    assert (bidir > 0).all()


def test_typed_sentences_are_validated():
    assert tr.words("The cat, the HAT.") == ["the", "cat", "the", "hat"]
    with pytest.raises(ValueError, match="text"):
        tr.words("  ,,, ")
    with pytest.raises(ValueError, match="at most"):
        tr.words(" ".join(["w"] * (tr.MAX_WORDS + 1)))


# -- data, typed inputs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("task", tr.TASKS)
def test_held_out_sources_are_never_trained_on(task):
    d = tr.make_data(task, 6, seed=1)
    train = {r.tobytes() for r in d.src}
    assert not any(r.tobytes() in train for r in d.test_src)
    assert (d.tgt[:, -1] == T.EOS).all() or task == "date"
    assert len(d.test_src) >= 100


def test_fresh_examples_are_new():
    d = tr.make_data("reverse", 8, seed=0)
    src, tgt = tr.fresh_examples(d, 300, 8, seed=99)
    seen = {r.tobytes() for r in np.concatenate([d.src, d.test_src])}
    assert len(src) == 300 and not any(r.tobytes() in seen for r in src)
    np.testing.assert_array_equal(tgt[:, :-1], src[:, ::-1])
    dates = tr.make_data("date", 8, seed=0)
    src, tgt = tr.fresh_examples(dates, 200, 8, seed=5)
    assert src.shape[1] == dates.src.shape[1] and len(src) > 150 and (tgt[:, -1] == T.EOS).all()
    for s, t in zip(src[:20], tgt[:20]):
        assert tr.parse_input("date", "".join(T.decode(s, dates.vocab)), 8, dates).truth == tuple(
            T.decode(t, dates.vocab))


def test_typed_inputs_follow_each_rule_and_bad_ones_say_why():
    data = {t: tr.make_data(t, 8, 0) for t in tr.TASKS}
    p = tr.parse_input("reverse", "31 4", 8, data["reverse"])
    assert p.symbols == ("3", "1", "4") and p.truth == ("4", "1", "3")
    assert tr.parse_input("sort", "3141", 8, data["sort"]).truth == ("1", "1", "3", "4")
    assert tr.parse_input("modular_add", "7+20=", 8, data["modular_add"]).truth == (str(27 % tr.MODULUS),)
    for bad, msg in (("12a", "digits 0–9"), ("123456789", "1…8 digits")):
        with pytest.raises(ValueError, match=msg):
            tr.parse_input("copy", bad, 8, data["copy"])
    with pytest.raises(ValueError, match="0…22"):
        tr.parse_input("modular_add", "30+1=", 8, data["modular_add"])
    with pytest.raises(ValueError, match="not"):
        tr.parse_input("date", "march 3; 1999", 8, data["date"])
    assert tr.parse_input("date", "march 33, 1999", 8, data["date"]).truth is None


def test_every_date_format_of_seq_tasks_parses_back_to_its_date():
    data = tr.make_data("date", 8, 0)
    for day in (dt.date(1999, 3, 4), dt.date(1950, 12, 31), dt.date(2049, 7, 9)):
        for fmt in range(len(T.DATE_FORMATS)):
            text = T.date_text(day, fmt)
            assert tr.parse_input("date", text, 8, data).truth == tuple(day.isoformat()), text


# -- the live run ---------------------------------------------------------------------------------------

def tiny(**kw):
    base = dict(task="reverse", length=4, layers=1, heads=2, d_model=32, updates=5, batch_size=32)
    return tr.Config(**{**base, **kw})


def test_config_validation_names_the_field():
    for kw, field in ((dict(task="nope"), "task"), (dict(heads=3), "heads"), (dict(d_model=30, heads=4), "d_model"),
                      (dict(pos="alibi"), "pos"), (dict(learning_rate=0.0), "learning_rate"),
                      (dict(length=40), "length"), (dict(seed=-1), "seed")):
        with pytest.raises(ValueError, match=field):
            tr.Config(**kw)


def test_same_seed_same_run_and_probe_maps():
    runs = []
    for seed in (0, 0, 1):
        t = tr.Trainer(tiny(seed=seed))
        t.set_probe(t.data.test_src[0])
        runs.append(t.advance(3))
    a, b, c = runs
    assert a.train_loss == b.train_loss and a.test_loss == b.test_loss
    np.testing.assert_array_equal(a.probe.cross, b.probe.cross)
    assert a.test_loss != c.test_loss


def test_a_restored_run_continues_exactly():
    a = tr.Trainer(tiny())
    a.advance(2)
    state = a.state_dict()
    after = a.advance(2)
    b = tr.Trainer(tiny())
    b.load_state_dict(state)
    again = b.advance(2)
    assert (again.step, again.train_loss, again.test_loss) == (after.step, after.train_loss, after.test_loss)


def test_the_tiny_transformer_learns_to_reverse():
    t = tr.Trainer(tiny(updates=25, learning_rate=0.003))
    first = t.snapshot
    assert first.step == 0 and math.isnan(first.train_loss)
    last = t.advance(12)
    assert last.step == 300 and not last.diverged
    assert last.test_loss < first.test_loss / 5
    assert last.greedy_token_acc > 0.9, last.greedy_token_acc
    src, tgt = tr.fresh_examples(t.data, 200, 4, seed=7)
    tok, seq = tr.evaluate(t.model, src, tgt)
    assert tok > 0.9 and 0 <= seq <= tok


def test_probe_maps_are_attention_distributions():
    t = tr.Trainer(tiny(layers=2))
    t.advance(1)
    p = tr.probe_maps(t.model, np.array([3, 4, 5, 6]), 5)
    assert p.enc.shape == (2, 2, 4, 4)
    assert p.dec.shape[:2] == (2, 2) and p.cross.shape[-1] == 4 and p.cross.shape[2] == len(p.out)
    for m in (p.enc, p.dec, p.cross):
        np.testing.assert_allclose(m.sum(-1), 1.0, atol=1e-5)
    assert (np.triu(p.dec, 1) == 0).all()


def test_a_broken_model_is_reported_as_diverged_not_raised():
    t = tr.Trainer(tiny())
    with torch.no_grad():
        t.model.head.weight.fill_(float("nan"))
    snap = t.advance(2)
    assert snap.diverged and t.advance(1).step == snap.step
