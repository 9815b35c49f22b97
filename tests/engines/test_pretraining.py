"""BERT/GPT/T5 objectives on the toy corpus: the grammar, each objective's batches, the
models' masks, and what training teaches each of them."""
import numpy as np
import pytest
import torch

from explorer.engines import pretraining as pt


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_every_sentence_follows_the_grammar():
    for s in pt.corpus(500, seed=3):
        assert s[-1] == "." and all(w in pt.INDEX for w in s)
        noun = next(w for w in s if w.rstrip("s") in pt.FOOD)
        animal, plural = noun.rstrip("s"), noun.endswith("s")
        i = s.index(noun)
        verb = s[i + 1]
        assert any(verb == pair[1 if plural else 0] for pair in pt.VERBS), s
        assert s[i + 2:i + 4] == ["the", pt.FOOD[animal]], s
        assert s[0] in (("the", "some") if plural else ("the", "a")), s
    assert pt.corpus(50, 1) == pt.corpus(50, 1) != pt.corpus(50, 2)


def test_tokenize_names_unknown_words():
    assert pt.tokenize("The cat eats the fish.") == ["the", "cat", "eats", "the", "fish", "."]
    with pytest.raises(ValueError, match="'zebra'"):
        pt.tokenize("the zebra eats the fish")
    with pytest.raises(ValueError, match="words"):
        pt.tokenize("cat")


def test_bert_batch_hides_about_15_percent_mostly_with_mask():
    rows = [pt.ids(s) for s in pt.corpus(400, 0)]
    x, y = pt.bert_batch(rows, np.random.default_rng(0))
    picked = y != pt.PAD
    assert (picked.sum(1) >= 1).all()
    lengths = torch.tensor([len(r) for r in rows])
    assert 0.12 < picked.sum() / lengths.sum() < 0.2
    orig = pt.pad(rows)
    assert torch.equal(x[~picked], orig[~picked]) and torch.equal(y[picked], orig[picked])
    share_mask = float((x[picked] == pt.MASK).double().mean())
    assert 0.72 < share_mask < 0.88


def test_gpt_batch_is_the_sentence_shifted_by_one():
    rows = [pt.ids(s) for s in pt.corpus(5, 0)]
    x, y = pt.gpt_batch(rows)
    for b, r in enumerate(rows):
        assert x[b, 0] == pt.BOS and x[b, 1:len(r) + 1].tolist() == r
        assert y[b, :len(r)].tolist() == r and y[b, len(r)] == pt.EOS


def test_span_corruption_can_be_undone_exactly():
    gen = np.random.default_rng(1)
    sent = {pt.INDEX[s] for s in pt.SENTINELS}
    for s in pt.corpus(300, 4):
        r = pt.ids(s)
        src, tgt = pt.corrupt(r, gen)
        assert tgt[-1] == pt.EOS
        used = [t for t in src if t in sent]
        assert used == [pt.INDEX[x] for x in pt.SENTINELS[:len(used)]] and len(used) >= 1
        spans, cur = {}, None
        for t in tgt[:-1]:
            if t in sent:
                cur = t
                spans[cur] = []
            else:
                spans[cur].append(t)
        rebuilt = [w for t in src for w in (spans[t] if t in sent else [t])]
        assert rebuilt == r
        assert all(len(v) >= 1 for v in spans.values())


def test_gpt_is_causal_and_bert_is_not():
    gpt = pt.build_model(pt.Config(), "gpt").eval()
    bert = pt.build_model(pt.Config(), "bert").eval()
    a = torch.tensor([pt.ids("the cat eats the fish .".split())])
    b = torch.tensor([pt.ids("the cat eats the seed .".split())])
    with torch.no_grad():
        ga, gb = gpt(a)[0], gpt(b)[0]
        ba, bb = bert(a)[0], bert(b)[0]
    torch.testing.assert_close(ga[:, :4], gb[:, :4], rtol=0, atol=1e-6)
    assert (ba[:, 0] - bb[:, 0]).abs().max() > 1e-4


def test_config_validation():
    for kw, field in ((dict(d_model=4), "d_model"), (dict(heads=3), "heads"), (dict(steps=0), "steps"),
                      (dict(n_sentences=5), "n_sentences")):
        with pytest.raises(ValueError, match=field):
            pt.Config(**kw)


@pytest.fixture(scope="module")
def trained():
    """The page's configuration."""
    return pt.train(pt.Config())


def test_training_is_deterministic_by_seed():
    a, b, c = (pt.train(pt.Config(steps=15, seed=s)) for s in (4, 4, 5))
    for name in pt.OBJECTIVES:
        np.testing.assert_array_equal(a.losses[name], b.losses[name])
        assert not np.array_equal(a.losses[name], c.losses[name])


def test_training_lowers_every_loss(trained):
    for name in pt.OBJECTIVES:
        curve = trained.losses[name]
        assert curve[-20:].mean() < 0.3 * curve[:5].mean(), name


def test_bert_names_the_hidden_animal_from_its_food_gpt_cannot(trained):
    """The right context decides the animal: a masked model sees it, a left-to-right one cannot."""
    bert_p, gpt_p = [], []
    for animal, food in pt.FOOD.items():
        words = ["the", animal, "eats", "the", food, "."]
        b = pt.bert_predictions(trained.bert, words)
        g = pt.gpt_predictions(trained.gpt, words)
        np.testing.assert_allclose(b.sum(1), 1.0, atol=1e-5)
        np.testing.assert_allclose(g.sum(1), 1.0, atol=1e-5)
        bert_p.append(b[1, pt.INDEX[animal]])
        gpt_p.append(g[1, pt.INDEX[animal]])
        assert g[4, pt.INDEX[food]] > 0.8   # once the animal is seen, GPT knows the food
    # GPT after "the" can only say "an animal or an adjective": ½ × ⅛ for each animal at best
    assert np.mean(bert_p) > 0.6 and np.mean(gpt_p) < 0.15


def test_t5_fills_spans_of_its_own_corruption(trained):
    words = pt.tokenize("the small cat eats the fish .")
    a, b = pt.t5_fill(trained.t5, words), pt.t5_fill(trained.t5, words)
    assert a.source == b.source and a.output == b.output and a.target == b.target
    assert a.target[0] == "<X>" and a.target[-1] == "</s>" and len(a.target_prob) == len(a.target)
    assert ((a.target_prob > 0) & (a.target_prob <= 1)).all()
    assert "<X>" in a.source
    # the sentinel itself and the end are easy: T5 learned the output format
    assert a.target_prob[0] > 0.9 and a.target_prob[-1] > 0.5


def near_and_far(sim):
    n = len(sim)
    near = np.mean([sim[i, i + 1] for i in range(n - 1)])
    far = np.mean([sim[i, j] for i in range(n) for j in range(n) if abs(i - j) >= 4])
    return near, far


def test_learned_positions_become_alike_for_neighbours(trained):
    sim = pt.position_similarity(trained.gpt, 10)
    np.testing.assert_allclose(np.diag(sim), 1.0, atol=1e-6)
    near, far = near_and_far(sim)
    near0, far0 = near_and_far(pt.position_similarity(pt.build_model(pt.Config(), "gpt"), 10))
    assert near - far > (near0 - far0) + 0.15, (near, far, near0, far0)
