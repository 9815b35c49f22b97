"""Three pre-training objectives on one toy corpus (§4.6): BERT (masked tokens, bidirectional),
GPT (next token, causal) and T5 (span corruption, encoder-decoder).

The corpus comes from a tiny grammar with long-range structure: every animal has its own
food and the verb agrees in number with the subject, e.g. ``the small cat eats the fish .``
or ``some dogs like the bone every day .`` So a model that sees the *right* context (BERT,
T5) can name a hidden animal from its food, while a left-to-right model (GPT) can only
guess it from what came before.

All three are built from :mod:`explorer.engines.transformer`'s blocks with learned
positions; :func:`train` trains them in turn with one seed, and the analysis functions
return numpy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import transformer as tr
from explorer.engines.contract import check

PAD, BOS, EOS, MASK = 0, 1, 2, 3
SENTINELS = ("<X>", "<Y>", "<Z>")
SPECIALS = ("<pad>", "<s>", "</s>", "[MASK]") + SENTINELS
FOOD = {"dog": "bone", "cat": "fish", "bird": "seed", "cow": "grass"}
ADJECTIVES = ("big", "small", "old")
VERBS = (("eats", "eat"), ("likes", "like"), ("wants", "want"))
TAILS = ((), ("every", "day"), ("at", "night"))
WORDS = (("the", "a", "some") + ADJECTIVES + tuple(w for a in FOOD for w in (a, a + "s")) +
         tuple(w for pair in VERBS for w in pair) + tuple(FOOD.values()) + ("every", "day", "at", "night", "."))
VOCAB = SPECIALS + WORDS
INDEX = {w: i for i, w in enumerate(VOCAB)}
FIRST_WORD = len(SPECIALS)
MAX_WORDS = 12
OBJECTIVES = ("bert", "gpt", "t5")
LABELS = {"bert": "BERT · masked tokens", "gpt": "GPT · next token", "t5": "T5 · span corruption"}


def sentence(rng: np.random.Generator) -> list[str]:
    """One sentence of the grammar: DET [ADJ] NOUN VERB the FOOD [TAIL] ."""
    animal = list(FOOD)[rng.integers(len(FOOD))]
    plural = bool(rng.integers(2))
    det = ("the", "some")[rng.integers(2)] if plural else ("the", "a")[rng.integers(2)]
    out = [det]
    if rng.random() < 0.5:
        out.append(ADJECTIVES[rng.integers(len(ADJECTIVES))])
    out.append(animal + ("s" if plural else ""))
    out.append(VERBS[rng.integers(len(VERBS))][1 if plural else 0])
    out += ["the", FOOD[animal], *TAILS[rng.integers(len(TAILS))], "."]
    return out


def corpus(n: int, seed: int) -> list[list[str]]:
    """``n`` sentences drawn from ``seed``."""
    check(1 <= n <= 50_000, "n", "1…50,000 sentences")
    rng = np.random.default_rng(seed)
    return [sentence(rng) for _ in range(n)]


def tokenize(text: str) -> list[str]:
    """Words of a typed sentence (a final '.' is split off); ``ValueError`` naming unknown words."""
    toks = text.lower().replace(".", " . ").split()
    check(2 <= len(toks) <= MAX_WORDS, "sentence", f"2…{MAX_WORDS} words")
    unknown = [t for t in toks if t not in INDEX or INDEX[t] < FIRST_WORD]
    check(not unknown, "sentence", "unknown word(s) " + ", ".join(repr(u) for u in dict.fromkeys(unknown)) +
          "; the corpus only knows: " + " ".join(WORDS))
    return toks


def ids(words: list[str]) -> list[int]:
    return [INDEX[w] for w in words]


def pad(rows: list[list[int]], width: int | None = None) -> torch.Tensor:
    width = width or max(len(r) for r in rows)
    return torch.tensor([r + [PAD] * (width - len(r)) for r in rows], dtype=torch.long)


# -- the three objectives: (inputs, targets) for a batch of sentences ----------------------------

def bert_batch(rows: list[list[int]], gen: np.random.Generator, rate: float = 0.15):
    """BERT's masked-token objective: pick ``rate`` of the positions (at least one per sentence);
    80 % become [MASK], 10 % a random word, 10 % stay. Returns (inputs [B, L], targets [B, L])
    with PAD targets (ignored) at unpicked positions."""
    x, y = pad(rows), torch.full((len(rows), max(len(r) for r in rows)), PAD, dtype=torch.long)
    for b, r in enumerate(rows):
        k = max(1, int(round(rate * len(r))))
        for j in gen.choice(len(r), size=k, replace=False):
            y[b, j] = r[j]
            u = gen.random()
            x[b, j] = MASK if u < 0.8 else (int(gen.integers(FIRST_WORD, len(VOCAB))) if u < 0.9 else r[j])
    return x, y


def gpt_batch(rows: list[list[int]]):
    """GPT's next-token objective: inputs ``BOS w1 … wn``, targets ``w1 … wn EOS`` [B, n+1]."""
    return pad([[BOS] + r for r in rows]), pad([r + [EOS] for r in rows])


def corrupt(r: list[int], gen: np.random.Generator, density: float = 0.3, mean_span: float = 2.0):
    """T5's span corruption of one sentence: about ``density`` of its tokens, in spans of about
    ``mean_span``, each replaced by a sentinel. Returns (source ids, target ids ending in EOS):
    ``the <X> eats the <Y> .`` → ``<X> small cat <Y> fish </s>``."""
    n = len(r)
    k = min(n - 1, max(1, int(round(density * n))))
    spans = min(len(SENTINELS), max(1, int(round(k / mean_span))), k)
    while spans > 1 and n - k < spans - 1:
        spans -= 1
    # span lengths ≥ 1 summing to k; gaps: before, between (≥ 1, so spans stay apart) and after
    cuts = np.sort(gen.choice(np.arange(1, k), size=spans - 1, replace=False)) if spans > 1 else np.array([], int)
    lengths = np.diff(np.concatenate([[0], cuts, [k]])).astype(int)
    gaps = np.ones(spans + 1, dtype=int)
    gaps[0] = gaps[-1] = 0
    gaps += gen.multinomial(n - k - (spans - 1), np.full(spans + 1, 1.0 / (spans + 1)))
    src, tgt, at = [], [], 0
    for s in range(spans):
        src += r[at:at + gaps[s]]
        at += gaps[s]
        sid = INDEX[SENTINELS[s]]
        src.append(sid)
        tgt += [sid] + r[at:at + lengths[s]]
        at += lengths[s]
    src += r[at:]
    return src, tgt + [EOS]


def t5_batch(rows: list[list[int]], gen: np.random.Generator):
    """(encoder inputs [B, Ls], decoder inputs ``BOS + target[:-1]`` [B, Lt], targets [B, Lt])."""
    pairs = [corrupt(r, gen) for r in rows]
    tgt = pad([t for _, t in pairs])
    dec = torch.cat([torch.full((len(rows), 1), BOS, dtype=torch.long), tgt[:, :-1]], dim=1)
    return pad([s for s, _ in pairs]), dec, tgt


# -- models --------------------------------------------------------------------------------------

class Encoder(nn.Module):
    """A transformer stack with an LM head; ``causal`` makes it GPT, otherwise BERT."""

    def __init__(self, d: int, heads: int, layers: int, causal: bool):
        super().__init__()
        self.causal = causal
        self.stack = tr.Stack(len(VOCAB), d, heads, layers, 2 * d, "learned")
        self.head = nn.Linear(d, len(VOCAB))

    def forward(self, x: torch.Tensor):
        """x [B, L] → (logits [B, L, V], attention weights per layer [B, H, L, L])."""
        mask = tr.padding_mask(x)
        if self.causal:
            mask = mask & tr.causal_mask(x.shape[1])[None, None]
        h, ws, _ = self.stack(x, mask)
        return self.head(h), ws


@dataclass(frozen=True)
class Config:
    """Each objective's model: ``layers`` pre-LN blocks of width ``d_model`` with ``heads``
    heads and learned positions, ``steps`` Adam updates on batches of ``batch_size`` of a
    corpus of ``n_sentences``."""

    d_model: int = 32
    heads: int = 2
    layers: int = 2
    steps: int = 250
    batch_size: int = 64
    learning_rate: float = 0.005
    n_sentences: int = 2000
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.d_model, int) and 8 <= self.d_model <= 128, "d_model", "8…128")
        check(self.heads in (1, 2, 4) and self.d_model % (2 * self.heads) == 0, "heads",
              "1, 2 or 4, with d_model a multiple of 2 × heads")
        check(isinstance(self.layers, int) and 1 <= self.layers <= 4, "layers", "1…4")
        check(isinstance(self.steps, int) and 1 <= self.steps <= 5000, "steps", "1…5000")
        check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 512, "batch_size", "1…512")
        check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 1, "learning_rate", "in (0, 1]")
        check(isinstance(self.n_sentences, int) and 10 <= self.n_sentences <= 50_000, "n_sentences", "10…50,000")
        check(isinstance(self.seed, int) and 0 <= self.seed <= 2**31 - 1, "seed", "0…2³¹−1")


@dataclass
class Pretrained:
    """The three trained models (read-only once trained) and each one's loss per step [steps]."""

    cfg: Config
    bert: Encoder
    gpt: Encoder
    t5: tr.Seq2Seq
    losses: dict


POS_STD = 0.02   # learned positions start small (as in GPT-2), so what training puts there shows


def build_model(cfg: Config, which: str) -> nn.Module:
    """The untrained model of one objective, drawn from ``cfg.seed``."""
    if which == "t5":
        model = tr.build(lambda: tr.Seq2Seq(len(VOCAB), cfg.d_model, cfg.heads, cfg.layers, "learned"), cfg.seed)
        tables = [model.encoder.pos.table, model.decoder.pos.table]
    else:
        model = tr.build(lambda: Encoder(cfg.d_model, cfg.heads, cfg.layers, which == "gpt"), cfg.seed)
        tables = [model.stack.pos.table]
    gen = torch.Generator().manual_seed(cfg.seed + 3)
    with torch.no_grad():
        for t in tables:
            nn.init.normal_(t.weight, 0.0, POS_STD, generator=gen)
    return model


def _loss(model: nn.Module, which: str, rows: list[list[int]], gen: np.random.Generator) -> torch.Tensor:
    if which == "bert":
        x, y = bert_batch(rows, gen)
        logits = model(x)[0]
    elif which == "gpt":
        x, y = gpt_batch(rows)
        logits = model(x)[0]
    else:
        src, dec, y = t5_batch(rows, gen)
        logits = model(src, dec)
    return F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=PAD)


def train(cfg: Config, progress: Callable[[float], None] | None = None) -> Pretrained:
    """Train BERT, GPT and T5 on the same corpus (same batches of sentences, same seed);
    ``progress(f)`` is called with the share done."""
    rows = [ids(s) for s in corpus(cfg.n_sentences, cfg.seed)]
    models, losses = {}, {}
    for m, which in enumerate(OBJECTIVES):
        model = build_model(cfg, which)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate, foreach=True)
        gen = np.random.default_rng(cfg.seed + 7)  # the same sentence batches for every objective
        curve = np.full(cfg.steps, np.nan)
        model.train()
        for step in range(cfg.steps):
            batch = [rows[i] for i in gen.integers(len(rows), size=cfg.batch_size)]
            loss = _loss(model, which, batch, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            curve[step] = loss.item()
            if progress and step % 25 == 0:
                progress((m + step / cfg.steps) / len(OBJECTIVES))
        model.eval()
        models[which], losses[which] = model, curve
    if progress:
        progress(1.0)
    return Pretrained(cfg, models["bert"], models["gpt"], models["t5"], losses)


# -- what each model predicts ------------------------------------------------------------------

@torch.no_grad()
def bert_predictions(model: Encoder, words: list[str]) -> np.ndarray:
    """[L, V]: for each position i, the distribution BERT gives at i when word i alone is [MASK]ed."""
    x = torch.tensor(ids(words))
    batch = x.repeat(len(words), 1)
    batch[torch.arange(len(words)), torch.arange(len(words))] = MASK
    probs = torch.softmax(model(batch)[0], dim=-1)
    return probs[torch.arange(len(words)), torch.arange(len(words))].numpy()


@torch.no_grad()
def gpt_predictions(model: Encoder, words: list[str]) -> np.ndarray:
    """[L+1, V]: row i is GPT's distribution for token i given ``BOS w1 … wi`` (row L: after the
    whole sentence, where EOS is right)."""
    x = torch.tensor([[BOS] + ids(words)])
    return torch.softmax(model(x)[0][0], dim=-1).numpy()


@dataclass(frozen=True)
class SpanFill:
    """T5 on one sentence: corrupted source and true target (symbols), the greedy output, and the
    target's token-by-token probabilities under teacher forcing [Lt]."""

    source: tuple
    target: tuple
    output: tuple
    target_prob: np.ndarray


def span_mask_for(words: list[str], seed: int = 0) -> tuple[list[int], list[int]]:
    """A deterministic span corruption of a sentence (the same sentence → the same spans)."""
    key = sum((i + 1) * INDEX[w] for i, w in enumerate(words))
    return corrupt(ids(words), np.random.default_rng(seed * 100_003 + key))


@torch.no_grad()
def t5_fill(model: tr.Seq2Seq, words: list[str], seed: int = 0) -> SpanFill:
    src, tgt = span_mask_for(words, seed)
    s = torch.tensor([src])
    out = model.greedy(s, len(tgt) + 4)[0].tolist()
    out = out[: out.index(EOS) + 1] if EOS in out else out
    dec = torch.tensor([[BOS] + tgt[:-1]])
    p = torch.softmax(model(s, dec)[0], dim=-1)
    tp = p[torch.arange(len(tgt)), torch.tensor(tgt)].numpy()
    sym = lambda r: tuple(VOCAB[i] for i in r if i != PAD)  # noqa: E731
    return SpanFill(sym(src), sym(tgt), sym(out), tp)


def top(probs: np.ndarray, k: int = 3) -> list[tuple[str, float]]:
    """The k most likely tokens of a distribution [V] with their probabilities."""
    order = np.argsort(-probs)[:k]
    return [(VOCAB[i], float(probs[i])) for i in order]


def position_similarity(model: Encoder, n: int = MAX_WORDS + 1) -> np.ndarray:
    """[n, n] cosine similarity of the learned position vectors of a trained model."""
    p = model.stack.pos.table.weight[:n].detach()
    p = p / p.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return (p @ p.T).numpy()
