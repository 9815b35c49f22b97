"""The seq2seq engine: teacher forcing's two extremes, masked attention, the encoder's last
real state, beam search against greedy, against the chain rule and against exhaustive
search, typed input, determinism, learning and divergence."""
from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
import torch

from explorer.engines import seq2seq as S
from explorer.engines import seq_tasks as T

torch.set_num_threads(1)


def _model(attention=True, n=13, hidden=12, embed=6, seed=0):
    cfg = S.Config(hidden=hidden, embed=embed, seed=seed)
    net = S.empty_module(lambda: S.Seq2Seq(n, n, embed, hidden, attention))
    net.reset(torch.Generator().manual_seed(seed))
    return cfg, net


def _src(b=5, ls=6, seed=1, pad_from=None):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, 13, (b, ls), generator=g)
    if pad_from is not None:
        src[:, pad_from:] = T.PAD
    return src


@pytest.fixture(scope="module")
def trained():
    """A small attention model trained briefly on reversal (peaked but imperfect outputs)."""
    cfg = S.Config(task="reverse", length=5, models=("attention", "plain"), hidden=24, embed=12,
                   learning_rate=0.01, steps_per_epoch=5, n_train=512, n_test=32)
    tr = S.Trainer(cfg)
    tr.advance(6)
    return cfg, tr


def test_teacher_forcing_one_feeds_the_truth_and_zero_feeds_the_models_guesses():
    _, net = _model()
    src, tgt = _src(), _src(seed=2, ls=5)
    with torch.no_grad():
        forced, _ = net(src, tgt, ratio=1.0)
        enc = net.prepare(src)
        s, y = enc[1], torch.full((5,), T.BOS)
        for t in range(5):  # by hand: the true previous token every step
            out, s, _ = net.step(y, s, enc)
            torch.testing.assert_close(out, forced[:, t])
            y = tgt[:, t]
        free, _ = net(src, tgt, ratio=0.0)
        toks, _, _ = S.greedy(net, src, 5)
    assert torch.equal(free.argmax(-1), toks)  # free-running is greedy decoding
    assert not torch.equal(forced.argmax(-1), toks)


def test_teacher_forcing_ratio_mixes_per_sequence_and_step_from_the_generator():
    _, net = _model()
    src, tgt = _src(b=64), _src(b=64, seed=2, ls=5)
    with torch.no_grad():
        a, _ = net(src, tgt, 0.5, torch.Generator().manual_seed(3))
        b, _ = net(src, tgt, 0.5, torch.Generator().manual_seed(3))
        c, _ = net(src, tgt, 0.5, torch.Generator().manual_seed(4))
        forced, _ = net(src, tgt, 1.0)
        free, _ = net(src, tgt, 0.0)
    assert torch.equal(a, b) and not torch.equal(a, c)
    # step 0 always starts from BOS; later steps differ from both extremes for some rows
    torch.testing.assert_close(a[:, 0], forced[:, 0])
    assert not torch.allclose(a, forced) and not torch.allclose(a, free)


def test_attention_weights_are_a_distribution_over_the_real_source():
    _, net = _model()
    src = _src(pad_from=4)
    with torch.no_grad():
        _, alpha = net(src, _src(ls=3), 1.0)
    assert alpha.shape == (5, 3, 6)
    torch.testing.assert_close(alpha.sum(-1), torch.ones(5, 3))
    assert alpha[..., 4:].abs().max() < 1e-12 and (alpha[..., :4] > 0).all()


def test_encoder_starts_the_decoder_from_the_last_real_token():
    _, net = _model(attention=False)
    src = _src(b=1, ls=7)
    padded = torch.cat([src[:, :4], torch.full((1, 3), T.PAD)], dim=1)
    with torch.no_grad():
        _, s0, mask = net.encode(padded)
        _, h = net.encoder(net.src_embed(src[:, :4]))
    torch.testing.assert_close(s0, h[0])
    assert mask.tolist() == [[True] * 4 + [False] * 3]


def test_pad_and_bos_are_never_emitted():
    _, net = _model()
    toks, lps, _ = S.greedy(net, _src(), 8)
    assert not ((toks == T.PAD) | (toks == T.BOS)).any() and (lps <= 0).all()


# -- beam search -----------------------------------------------------------------------------------

def test_beam_of_width_one_is_greedy(trained):
    cfg, tr = trained
    for m in tr.models:
        for i in range(12):
            src = tr.data.src_test[i]
            toks, lps, _ = S.greedy(m, src[None], cfg.out_len + 2)
            row = S.trim(toks[0].numpy())
            (best,) = S.beam_search(m, src, 1, cfg.out_len + 2)
            assert list(best.tokens) == row
            assert best.score == pytest.approx(float(lps[0, :len(row)].double().sum()), abs=1e-5)


def test_beam_scores_are_the_chain_rule_log_probability(trained):
    cfg, tr = trained
    m = tr.models[1]
    src = tr.data.src_test[3]
    beams = S.beam_search(m, src, 5, cfg.out_len + 2)
    assert len(beams) == 5 and len({b.tokens for b in beams}) == 5
    scores = [b.score for b in beams]
    assert scores == sorted(scores, reverse=True)
    for b in beams:
        assert b.score == pytest.approx(S.sequence_log_prob(m, src, b.tokens), abs=1e-4)


def test_a_wide_enough_beam_is_exhaustive_search():
    """On a 3-symbol vocabulary with outputs of at most 3 tokens no prefix is ever pruned at
    width 16, so the beam's k best must be the k best of all outputs, by brute force."""
    _, net = _model(n=6, hidden=8)
    src = torch.tensor([3, 4, 5, 3])
    beams = S.beam_search(net, src, 16, 3, k=8)
    every = []
    for n in (1, 2, 3):
        for body in itertools.product((2, 3, 4, 5), repeat=n):
            if T.EOS in body[:-1]:
                continue  # an output ends at its first EOS
            if n < 3 and body[-1] != T.EOS:
                continue  # shorter than max_len only when it ended
            every.append((S.sequence_log_prob(net, src, body), body))
    every.sort(key=lambda p: -p[0])
    assert [b.tokens for b in beams] == [body for _, body in every[:8]]
    np.testing.assert_allclose([b.score for b in beams], [s for s, _ in every[:8]], atol=1e-5)
    total = sum(math.exp(s) for s, _ in every)
    assert total == pytest.approx(1.0, abs=1e-4)  # the outputs enumerated are every outcome


def test_beam_search_checks_its_width():
    _, net = _model()
    with pytest.raises(ValueError, match="^width:"):
        S.beam_search(net, _src()[0], 0, 5)
    with pytest.raises(ValueError, match="^width:"):
        S.beam_search(net, _src()[0], S.MAX_BEAM + 1, 5)


def test_translate_a_typed_input(trained):
    cfg, tr = trained
    typed = S.parse("reverse", "31415")
    _, weights = tr.weights_at(tr.epoch)
    res = S.translate(cfg, "attention", weights[0], typed, 3)
    assert len(res.beams) == 3 and res.alignment.shape == (len(res.output) + int(res.ended), 5)
    np.testing.assert_allclose(res.alignment.sum(1), 1.0, atol=1e-6)
    assert res.beams[0][1] >= res.beams[-1][1]
    plain = S.translate(cfg, "plain", weights[1], typed, 1)
    assert plain.alignment is None
    if plain.ended:  # width 1 is greedy
        assert plain.beams[0][0] == plain.output and plain.beams[0][1] == pytest.approx(plain.greedy_score, abs=1e-5)


# -- typed input ----------------------------------------------------------------------------------------

def test_parse_gives_answers_and_clear_messages():
    assert S.parse("reverse", "3 1 4").answer == tuple("413")
    assert S.parse("sort", "3141").answer == tuple("1134")
    for text in ("july 4, 2023", "4 july 2023", "7/4/2023", "4-jul-2023", "jul 04 2023", "  July  4, 2023 "):
        assert "".join(S.parse("date", text).answer) == "2023-07-04", text
    assert S.parse("date", "someday 2023").answer is None
    assert S.parse("date", "july 4, 2023").ids.tolist() == T.encode("july 4, 2023", T.DATE_CHARS).tolist()
    for task, text, words in (("reverse", "12a4", "'a' is not allowed"), ("reverse", "1" * 17, "1…16"),
                              ("date", "july 4; 2023", "';' is not allowed"), ("date", "", "1…24"),
                              ("date", "x" * 30, "1…24")):
        with pytest.raises(ValueError, match=re.escape(words)):
            S.parse(task, text)


def test_date_data_pads_sources_and_keeps_iso_targets():
    d = S.make_data("date", 6, 64, 16, 0)
    assert d.src_train.shape[1] == d.src_test.shape[1] and d.tgt_train.shape[1] == T.DATE_OUT_LEN + 1
    text = "".join(T.decode(d.src_train[0].numpy(), T.DATE_CHARS))
    iso = "".join(T.decode(d.tgt_train[0].numpy(), T.DATE_CHARS))
    assert S.parse_date(text).isoformat() == iso


# -- the race --------------------------------------------------------------------------------------------

def test_config_validation_names_the_field():
    for kw, field in ((dict(task="parity"), "task"), (dict(length=1), "length"), (dict(models=()), "models"),
                      (dict(models=("attention", "attention")), "models"),
                      (dict(teacher_forcing=1.5), "teacher_forcing"),
                      (dict(hidden=2), "hidden"), (dict(learning_rate=0.0), "learning_rate"), (dict(seed=-3), "seed")):
        with pytest.raises(ValueError, match=f"^{field}:"):
            S.Config(**kw)


def _small(**kw):
    base = dict(task="reverse", length=4, hidden=16, embed=8, steps_per_epoch=2, n_train=128, n_test=16,
                teacher_forcing=0.5)
    return S.Config(**{**base, **kw})


def test_same_seed_same_run_other_seed_other_run():
    a, b, c = (S.Trainer(_small(seed=s)) for s in (2, 2, 3))
    for tr in (a, b, c):
        tr.advance(2)
    np.testing.assert_array_equal(a.snapshot.train_losses, b.snapshot.train_losses)
    np.testing.assert_array_equal(a.snapshot.free_seq_acc, b.snapshot.free_seq_acc)
    for wa, wb in zip(a.weights_at(2)[1], b.weights_at(2)[1]):
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k])
    assert not np.array_equal(a.snapshot.train_losses, c.snapshot.train_losses)


def test_models_race_on_the_same_batches_and_coins():
    both, alone = S.Trainer(_small()), S.Trainer(_small(models=("plain",)))
    both.advance(2)
    alone.advance(2)
    assert both.snapshot.train_losses[1] == pytest.approx(alone.snapshot.train_losses[0], rel=1e-6)


def test_attention_learns_to_reverse_and_free_running_catches_up():
    tr = S.Trainer(S.Config(task="reverse", length=4, models=("attention",), hidden=32, embed=16,
                            learning_rate=0.01, steps_per_epoch=5, n_train=1000, n_test=64))
    start = tr.snapshot
    tr.advance(25)
    snap = tr.snapshot
    assert snap.epoch == 25 and snap.step == 125
    assert snap.train_losses[0] < 0.1 * start.train_losses[0]
    assert snap.free_seq_acc[0] > 0.85 and snap.tf_token_acc[0] > 0.95
    h = tr.history()
    assert h["epoch"].shape == (26,) and set(h) == {"epoch", *S.LOG_KEYS}


def test_a_broken_model_is_reported_not_raised():
    tr = S.Trainer(_small())
    with torch.no_grad():
        tr.models[1].out.weight[0, 0] = float("nan")
    snap = tr.advance(2)
    assert snap.model_diverged.tolist() == [False, True] and not snap.diverged
    assert np.isnan(snap.free_losses[1]) and np.isfinite(snap.free_losses[0])


def test_auto_steps_shrinks_for_long_inputs():
    assert S.auto_steps("reverse", 6, 64, 2) == 4
    assert S.auto_steps("date", 6, 64, 2) < S.auto_steps("reverse", 6, 64, 2)
    assert S.auto_steps("date", 6, 256, 2) >= 1
